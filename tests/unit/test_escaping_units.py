"""The escaping functions' exact output for each kind of character they handle (the mutation run found
that the publish tests, which check that outputs stay valid, let changes of the exact text pass):
Markdown text and code spans, table cells, XML text, JSON bytes, the terminal's console and styles."""

from __future__ import annotations

import io

import orjson
import pytest
from compileprof.profiler.render.escaping import clean, script_json
from compileprof.profiler.render.md import WORD_JOINER, Md, block, cell, code, esc, join, table
from compileprof.profiler.render.registry import RenderOptions
from compileprof.profiler.render.terminal import SafeConsole, console_on, styled
from compileprof.profiler.unicode import dumps, valid_unicode, xml_text
from rich.text import Text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("plain words 1.5 s 12%", "plain words 1.5 s 12%"),
     ("a\rb\nc\td", "ab c d"),  # CR is a control character: removed
     ("*x* _y_ `z` ~w~ [l](u)", "\\*x\\* \\_y\\_ \\`z\\` \\~w\\~ \\[l\\](u)"),
     ("<b> &amp; | ! #h \\", "\\<b\\> \\&amp; \\| \\! \\#h \\\\"),
     ("https://evil.example/x", "https\\:\\/\\/evil.example/x"),
     ("see www.example.com now", "see www\\.example.com now"),
     ("WWW.Example.com", "WWW\\.Example.com"),
     ("mail me@example.com", f"mail me@{WORD_JOINER}example.com"),
     ("bell\x07 esc\x1b[31m bidi\u202e", "bell esc\\[31m bidi"),
     (7, "7")],
)  # fmt: skip
def test_esc_escapes_exactly_what_opens_markdown_or_html(text, escaped):
    assert esc(text) == escaped and isinstance(esc(text), Md)


@pytest.mark.parametrize(
    ("text", "span"),
    [("x", "`x`"), ("a`b", "``a`b``"), ("``", "``` `` ```"), ("`a", "`` `a ``"), ("a`", "`` a` ``"), (" a", "`  a `"),
     ("a\r\nb", "`a b`"), ("", "-"), ("   ", "` `"), ("tab\there", "`tab\there`"), ("\x1b[2J", "`[2J`")],
)  # fmt: skip
def test_code_spans_are_fenced_past_every_backtick_run(text, span):
    assert code(text) == span


def test_cells_tables_blocks_and_joins():
    assert cell("a|b\nc") == "a\\\\|b c" and cell(Md("`a|b`")) == "`a\\|b`" and cell(3) == "3"
    assert table(["h|1", Md("**h2**")], [["x", code("y|z")]]) == [
        "| h\\\\|1 | **h2** |", "|---|---|", "| x | `y\\|z` |", ""]  # fmt: skip
    assert join(Md("**"), "a*b", Md("**")) == "**a\\*b**" and isinstance(join("x"), Md)
    assert block("a\n```b", "diff") == "````diff\na\n```b\n````" and block("x\r\ny") == "```text\nx\ny\n```"


def test_clean_removes_controls_and_keeps_tab_and_newline():
    assert clean("a\tb\nc\x00d\x7fe\x9ff\u2066g\u2069") == "a\tb\ncdefg"
    assert clean(b"bytes") == "b'bytes'" and clean("x\udcff") == "x\ufffd"


def test_text_for_xml_and_json_is_always_valid():
    assert xml_text("a\x00b\x0bc\tz\nq\rr\ufffe\uffff") == "abc\tz\nq\rr" and xml_text(5) == "5"
    assert xml_text("lone\ud800") == "lone\ufffd" and valid_unicode("ok") == "ok"
    assert dumps({"b": 1, "a": [1, 2]}, option=orjson.OPT_SORT_KEYS) == b'{"a":[1,2],"b":1}'
    assert dumps({"x": "\udcff"}, option=orjson.OPT_INDENT_2) == b'{\n  "x": "\xef\xbf\xbd"\n}'
    assert dumps({"n": 2**70}) == b'{"n":"1180591620717411303424"}'
    assert (
        script_json(b'{"a": "</script><!--&\xe2\x80\xa8"}') == b'{"a": "\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}'
    )


def test_the_safe_console_reads_no_markup_and_highlights_nothing():
    buf = io.StringIO()
    console = SafeConsole(file=buf, force_terminal=True, width=80, color_system="standard")
    console.print("[bold red]x[/] 12345 None True http://x\x1b[2J")
    out = buf.getvalue()
    assert "[bold red]x[/] 12345 None True http://x[2J" in out and "\x1b[2J" not in out
    assert out.count("\x1b[") == 0  # no style from the text, no highlighted number or URL
    console.print(styled("warn", "bold"))
    assert "\x1b[1mwarn" in buf.getvalue()  # the style we give is kept
    assert styled("a\x07", "red") == Text("a", style="red")


def test_console_on_writes_utf8_with_its_own_newlines_at_once():
    out = io.BytesIO()
    console, text = console_on(out, RenderOptions(width=40))
    console.print("é\udcff x\r\ny", soft_wrap=True)
    assert out.getvalue() == "é\ufffd x\ny\n".encode()  # written through, valid UTF-8, CR removed
    assert console.width == 40 and not console.is_terminal
    text.detach()


def test_a_markdown_cell_holding_markdown_with_a_newline_stays_one_row():
    assert cell(Md("`a`\n**b** | c")) == "`a` **b** \\| c"
