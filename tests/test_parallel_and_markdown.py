"""A large log read in parallel parts gives the sequential result; Markdown tables are well formed."""

from __future__ import annotations

import pytest
from compileprof.profiler import summarize
from compileprof.profiler.reader import compile_boundary
from compileprof.profiler.render.as_markdown import render_markdown
from compileprof.profiler.report import build_report, combine, report_to_dict
from conftest import FIXTURES


def test_split_at_compile_boundary_matches_one_pass(tmp_path, monkeypatch):
    # GIVEN a log of several whole traces, made "large" by lowering the threshold
    unit = (FIXTURES / "graph_break.log").read_bytes() + (FIXTURES / "mlp.log").read_bytes()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(unit * 3)
    monkeypatch.setattr(summarize, "PARALLEL_MIN_BYTES", 1)
    # THEN the split point opens a compile, and two parts give what one pass gives
    cut = compile_boundary(log, log.stat().st_size // 2)
    assert cut is not None and log.read_bytes()[cut:].split(b"\n", 2)[1] == b"\t{"
    one = report_to_dict(combine("x", [summarize.summarize_file(log, jobs=1)]))
    two = report_to_dict(combine("x", [summarize.summarize_file(log, jobs=2)]))
    assert two["parse"] == one["parse"] and two["compiles"] == one["compiles"]
    assert two["asserts"] == one["asserts"] and two["summary"] == one["summary"]
    assert two["totals"]["compile_time_s"] == pytest.approx(one["totals"]["compile_time_s"])
    assert one["totals"]["compiles"] == 15


def test_markdown_tables_are_well_formed():
    md = render_markdown(build_report(FIXTURES / "graph_break.log"))
    assert md.startswith("## compileprof report")
    table: list[str] = []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            widths = {row.replace("\\|", "").count("|") for row in table}
            assert len(widths) == 1, table  # every row has the header's number of cells
            assert set(table[1].replace("|", "")) == {"-"}
            table = []
    assert "| 0/1 | recompile | 0/0: tensor 'x' size mismatch" in md
