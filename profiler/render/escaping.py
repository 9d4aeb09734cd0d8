"""Escaping of strings that come from logs, paths and manifests, for the outputs that are not Markdown
(render/md.py) or JSON (unicode.py): the terminal and text (`clean`), and JSON inside an HTML `<script>`
(`script_json`). A string from a log is data in every output, never markup or a command.
"""

from __future__ import annotations

import re

from ..unicode import valid_unicode

# C0 controls but TAB and LF, DEL, C1 controls, and the bidirectional overrides that reorder text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """A string from a log, a path, a factory or an exception, made safe to print: control characters
    (terminal escapes, window titles, clear screen) removed, undecodable bytes of a file name shown
    as U+FFFD. Markup is never read from it (the console does not parse markup)."""
    s = valid_unicode(text if isinstance(text, str) else str(text))
    return _CONTROL.sub("", s)


# JSON inside <script>: `<` could open `<!--` or `</script` (the HTML parser's script-data states
# would swallow the page's own script), `>` and `&` are escaped too, and U+2028/9 are line breaks
# to older JavaScript. Each is written as a JSON escape, which reads back as the same string.
_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                   ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))  # fmt: skip


def script_json(payload: bytes) -> bytes:
    """JSON bytes made safe to embed in a `<script>` element: no character that HTML's parser reads
    there (`<`, `>`, `&`) nor a JavaScript line separator is left as itself (JSON has them only
    inside strings, where the escape means the same character)."""
    for raw, escaped in _SCRIPT_ESCAPES:
        payload = payload.replace(raw, escaped)
    return payload
