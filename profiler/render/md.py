r"""Markdown that shows hostile text as text (GitHub's renderer, cmark-gfm, is what reads it).

A string from a log, a path or a manifest must not become HTML, a link, an image or formatting in a
CI step summary or a pull-request comment. Two ways to write one:
- `esc(text)`: plain text. The characters that open Markdown or HTML inline are backslash-escaped
  (CommonMark lets any ASCII punctuation be escaped, and an escaped one is only itself): `\` `` ` ``
  `*` `_` `~` `[` `]` `<` `>` `&` `|` `!` `#`, so no tag, entity, link, image, code span or emphasis
  opens; autolinks are broken where they would start (`\://`, `www\.`), and a word joiner
  (U+2060, invisible) follows each `@`, which cmark-gfm's e-mail and `mailto:` autolinks would
  otherwise find after unescaping. Figures (`1.5 s`, `12%`) are left as they read.
- `code(text)`: an inline code span, whose content is never read as Markdown or HTML; its fence is
  longer than any run of backticks inside.
Both return `Md`, text that is already Markdown; `table` escapes any cell that is a plain `str` and
escapes `|` in every cell (GFM reads `\|` as a pipe inside cells, code spans included).
"""

from __future__ import annotations

import re

from .escaping import clean

_SPECIAL = re.compile(r"([\\`*_~\[\]<>&|!#])")  # what opens Markdown or HTML inline
_AUTOLINK = re.compile(r"(?i)(://|\bwww\.)")
_BACKTICKS = re.compile(r"`+")
WORD_JOINER = "\u2060"


class Md(str):
    """Text that is already Markdown (ours, or hostile text escaped by `esc` or `code`)."""


def esc(text: object) -> Md:
    """Hostile text as plain Markdown text: control characters removed, newlines as spaces, what
    opens Markdown or HTML escaped, autolinks broken (see the module's docstring)."""
    s = clean(text).replace("\n", " ").replace("\t", " ")  # (clean already removed CR)
    s = _SPECIAL.sub(r"\\\1", s)
    s = _AUTOLINK.sub(lambda m: "\\:\\/\\/" if m.group(1) == "://" else m.group(1)[:-1] + "\\.", s)
    return Md(s.replace("@", "@" + WORD_JOINER))


def code(text: object) -> Md:
    """Hostile text as an inline code span (newlines as spaces; an empty string shows as `-`)."""
    s = clean(text).replace("\n", " ")  # (clean already removed CR)
    if not s.strip():
        return Md("-") if not s else Md("` `")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(s)), default=0) + 1)
    pad = " " if s.startswith(("`", " ")) or s.endswith(("`", " ")) else ""
    return Md(f"{fence}{pad}{s}{pad}{fence}")


def block(text: object, lang: str = "text") -> Md:
    """Hostile text as a fenced code block: its fence longer than any run of backticks inside (and at
    least three), control characters removed; never read as Markdown or HTML."""
    body = clean(text)  # (CR removed)
    fence = "`" * max(3, 1 + max((len(m) for m in _BACKTICKS.findall(body)), default=0))
    return Md(f"{fence}{lang}\n{body}\n{fence}")


def cell(value: object) -> str:
    """A table cell: Markdown kept, anything else escaped; `|` escaped and newlines made spaces."""
    text = value if isinstance(value, Md) else esc(value)
    return text.replace("\n", " ").replace("|", "\\|")


def table(header: list[object], rows: list[list[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table (every plain-string cell escaped), then a blank line."""
    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def join(*parts: object) -> Md:
    """Markdown made of pieces: `Md` pieces kept, anything else escaped."""
    return Md("".join(p if isinstance(p, Md) else esc(p) for p in parts))
