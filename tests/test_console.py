"""The console report compared line by line with a golden copy at a fixed width.

Regenerate after an intended change: `python tests/test_console.py` (then review the diff).
"""

from __future__ import annotations

import io
from pathlib import Path

from compileprof.profiler.render.console import render_console
from compileprof.profiler.report import build_report
from rich.console import Console

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "graph_break_console.txt"


def render_fixture() -> str:
    report = build_report(HERE / "fixtures" / "graph_break.log")
    report.source = "graph_break.log"
    buf = io.StringIO()
    render_console(report, Console(file=buf, width=110, force_terminal=False, color_system=None, highlight=False))
    return buf.getvalue()


def test_console_matches_golden():
    assert render_fixture().splitlines() == GOLDEN.read_text().splitlines()


if __name__ == "__main__":
    GOLDEN.write_text(render_fixture())
    print(f"wrote {GOLDEN}")
