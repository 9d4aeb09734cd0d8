"""Is an output safe to publish? One check per format, shared by the hostile-input tests and the fuzzer.

- HTML: parsed by html5lib (the WHATWG parsing algorithm browsers use): the page has exactly its two
  scripts, the data script's text is the JSON the page was made from, and the drawing script is
  `assets/report.js` unchanged (a `<!--<script>` in the data would have swallowed it).
- Markdown: rendered by cmark-gfm (GitHub's renderer, with raw HTML off as GitHub does): no raw HTML
  was in the text, and the HTML holds only the elements compileprof writes (no link, image, script).
- JUnit XML: parses. JSON and Perfetto: strict UTF-8 JSON (orjson), Perfetto with its event list.
- Console: no control character but TAB and newline.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import Any
from xml.etree import ElementTree as ET

import orjson

MARKDOWN_ELEMENTS = {"html", "head", "body", "p", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "code",
                     "pre", "ul", "li", "strong", "em", "blockquote", "br"}  # fmt: skip
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Unsafe(AssertionError):
    """An output that is not safe or not valid for its format."""


SCRIPTS = {"trend": "trend.js"}  # the drawing code of each kind of page (report and diff: report.js)


def page_script(kind: str = "report") -> str:
    """The drawing code a page of `kind` must carry unchanged."""
    name = SCRIPTS.get(kind, "report.js")
    return (resources.files("compileprof.profiler.render") / "assets" / name).read_text(encoding="utf-8")


def check_html(page: bytes, full: bool = True) -> dict[str, Any]:
    """The page's data, after checking that its two scripts survive HTML parsing intact: by the exact
    rule that makes that so (the head is the template's with a title holding no `<`; the data script
    holds no `<`, so the parser cannot leave it before its own `</script>`; the drawing script follows
    unchanged), which costs nothing and lets the fuzzer check every page; with `full`, by html5lib too."""
    data = _check_html_structure(page)
    if not full:
        return data
    import html5lib

    doc = html5lib.parse(page, namespaceHTMLElements=False)
    scripts = list(doc.iter("script"))
    if len(scripts) != 2 or scripts[0].get("id") != "data":
        raise Unsafe(f"the page parses into {len(scripts)} scripts, not its data and its code")
    data = _data(scripts[0].text or "")
    if (scripts[1].text or "") != page_script(data.get("kind", "report")):
        raise Unsafe("the page's drawing script was changed by what came before it")
    return data


def page_head() -> tuple[bytes, bytes]:
    """What every page holds before and after its title's text, up to its data script."""
    style = (resources.files("compileprof.profiler.render") / "assets" / "report.css").read_text(encoding="utf-8")
    before = (
        b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        b'<meta name="viewport" content="width=device-width, initial-scale=1"><title>'
    )
    after = (
        f"</title><style>{style}</style></head>\n"
        '<body><main id="app"><noscript>This report draws with JavaScript.</noscript></main>\n'
    ).encode()
    return before, after


def _check_html_structure(page: bytes) -> dict[str, Any]:
    head, sep, rest = page.partition(b'<script type="application/json" id="data">')
    before, after = page_head()
    title = head[len(before) : len(head) - len(after)]
    if not sep or not head.startswith(before) or not head.endswith(after) or len(head) < len(before) + len(after):
        raise Unsafe("the page's head is not the template's, or it has no data script where it belongs")
    if b"<" in title:  # RCDATA: only `</title` leaves it, and every `<` of a title is written `&lt;`
        raise Unsafe("the page's title holds a `<`")
    raw, sep, tail = rest.partition(b"</script>")
    data = _data(raw.decode("utf-8"))
    if not sep or tail != f"\n<script>{page_script(data.get('kind', 'report'))}</script></body></html>\n".encode():
        raise Unsafe("the page's drawing script does not follow its data unchanged")
    return data


def _data(raw: str) -> dict[str, Any]:
    if any(c in raw for c in "<>&\u2028\u2029"):
        raise Unsafe("the page's data holds a character HTML or old JavaScript would read")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise Unsafe(f"the page's data is not JSON: {err}") from None


def check_markdown(text: str) -> str:
    """The text GitHub would show for `text`, after checking it carries no HTML, link or image."""
    import cmarkgfm

    rendered = cmarkgfm.github_flavored_markdown_to_html(text)
    if "raw HTML omitted" in rendered:
        raise Unsafe("the Markdown holds raw HTML")
    # cmark-gfm writes every `<`, `>`, `&` and `"` of text and attributes as an entity, so (raw HTML
    # being off) each `<` of its output opens a tag cmark-gfm itself wrote
    tags = {m.lower() for m in _TAG.findall(rendered)}
    if tags - MARKDOWN_ELEMENTS:
        raise Unsafe(f"the Markdown renders elements compileprof does not write: {sorted(tags - MARKDOWN_ELEMENTS)}")
    _check_table_rows(text)
    return html.unescape(re.sub(r"<[^>]*>", "", rendered))


_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


_SEPARATOR = re.compile(r"(?<!\\)\|")  # GFM splits a table row at every `|` not escaped as `\|`


def _check_table_rows(text: str) -> None:
    """Every row of a Markdown table has its header's number of cells: a `|` in a cell that was not
    escaped would add a column (GitHub drops cells past the header's, and their text with them)."""
    width = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):  # CommonMark's line ends only
        if not line.startswith("|"):
            width = None
            continue
        cells = len(_SEPARATOR.findall(line))
        if width is None:
            width = cells
        elif cells != width:
            raise Unsafe(f"a Markdown table row has {cells - 1} cells under a header of {width - 1}: {line[:80]!r}")


def check_junit(xml: bytes) -> ET.Element:
    """The parsed JUnit document."""
    try:
        return ET.fromstring(xml)
    except ET.ParseError as err:
        raise Unsafe(f"the JUnit XML does not parse: {err}") from None


def check_json(data: bytes) -> Any:
    """The parsed document (strict UTF-8, as orjson reads)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise Unsafe(f"not valid JSON: {err}") from None


def check_perfetto(data: bytes) -> list[dict[str, Any]]:
    """The trace's events, after checking it loads as the Chrome trace-event format."""
    doc = check_json(data)
    events = doc.get("traceEvents") if isinstance(doc, dict) else doc  # the object or the array form
    if not isinstance(events, list) or not all(isinstance(e, dict) and "ph" in e for e in events):
        raise Unsafe("the Perfetto trace is not a list of trace events")
    return events


def check_console(text: str) -> str:
    """The console text, after checking it holds no control character but TAB and newline."""
    m = _CONTROL.search(text)
    if m:
        raise Unsafe(f"the console output holds control character {m.group()!r}")
    return text


CHECKS = {"html": check_html, "markdown": check_markdown, "junit": check_junit, "json": check_json,
          "perfetto": check_perfetto, "console": check_console}  # fmt: skip


def check_output(fmt: str, data: bytes, full: bool = True) -> Any:
    """Check one rendered output by its format's rule (`Unsafe` when it breaks it); `full=False`
    checks a page by its structure only (see `check_html`)."""
    if fmt == "html":
        return check_html(data, full)
    check = CHECKS[fmt]
    if fmt in ("markdown", "console"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Unsafe(f"the {fmt} output is not UTF-8") from None
        return check(text)
    return check(data)
