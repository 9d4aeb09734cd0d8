"""Every renderer through the one registry: formats chosen by name or extension, unknown ones refused,
Markdown of report, check and diff well formed."""

from __future__ import annotations

import json

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.errors import EXIT_USAGE, CompileprofError
from compileprof.profiler.render.markdown import render_markdown
from compileprof.profiler.render.registry import CHECK, DIFF, REPORT, choose, formats
from conftest import FIXTURES, run_cli


def _tables_well_formed(md: str) -> int:
    """Check every Markdown table has one cell count and a rule; return how many tables there are."""
    tables, table = 0, []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            widths = {row.replace("\\|", "").count("|") for row in table}
            assert len(widths) == 1, table  # every row has the header's number of cells
            assert set(table[1].replace("|", "")) == {"-"}
            tables, table = tables + 1, []
    return tables


def test_report_markdown_tables_are_well_formed():
    md = render_markdown(build_report(FIXTURES / "graph_break.log"))
    assert md.startswith("## compileprof report")
    assert _tables_well_formed(md) == 5  # compiles, phases, graph breaks/recompiles, restarts, asserts per graph
    assert "| 0/1 | recompile | 0/0: tensor 'x' size mismatch" in md


def test_diff_markdown_is_a_table_of_every_metric():
    md = run_cli("diff", str(FIXTURES / "mlp.log"), str(FIXTURES / "graph_break.log"), "-f", "markdown")
    js = run_cli("diff", str(FIXTURES / "mlp.log"), str(FIXTURES / "graph_break.log"), "-f", "json")
    assert md.exit_code == js.exit_code == 0
    metrics = json.loads(js.stdout)["metrics"]
    assert _tables_well_formed(md.stdout) == 1
    assert md.stdout.count("\n| `") == len(metrics)
    assert "| `compiles` | 1 | 4 | +3 (+300.0%) |" in md.stdout


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("r.json", "json"), ("R.JSON", "json"), ("r.md", "markdown"), ("r.txt", "console"), ("r", "console")],
)
def test_format_follows_the_output_extension(name, fmt, tmp_path):
    assert choose(REPORT, None, tmp_path / name).name == fmt
    assert choose(REPORT, "markdown", tmp_path / name).name == "markdown"  # a named format wins


def test_report_o_json_writes_the_contract(tmp_path):
    out = tmp_path / "r.json"
    result = run_cli("report", str(FIXTURES / "graph_break.log"), "-o", str(out))
    assert result.exit_code == 0 and "wrote json report" in result.stderr
    assert json.loads(out.read_text())["totals"]["compiles"] == 4


def test_an_extension_no_renderer_owns_is_a_usage_error(tmp_path):
    out = tmp_path / "r.svg"
    result = run_cli("report", str(FIXTURES / "mlp.log"), "-o", str(out))
    assert result.exit_code == EXIT_USAGE and not out.exists()
    assert result.stderr.count("\n") == 1 and "no report format writes .svg files" in result.stderr
    bad = run_cli("report", str(FIXTURES / "mlp.log"), "-f", "yaml")
    assert bad.exit_code == EXIT_USAGE and "use one of console, json, markdown, html, perfetto" in bad.stderr
    with pytest.raises(CompileprofError):
        choose(DIFF, None, tmp_path / "d.xml")


def test_every_document_has_console_json_and_markdown():
    for doc in (REPORT, CHECK, DIFF):
        assert {"console", "json", "markdown"} <= set(formats(doc))
    assert "junit" in formats(CHECK) and choose(CHECK, None, None).name == "console"
