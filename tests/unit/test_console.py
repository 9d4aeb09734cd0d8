"""The console report compared line by line with golden copies at a fixed width: a trace with graph
breaks and recompiles, a run directory (pieces, cold and warm cache, an asserts A/B), and a directory
of two ranks.

Regenerate after an intended change: `python tests/unit/test_console.py` (then review the diff).
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.render.registry import REPORT, RenderOptions, renderer

TESTS = Path(__file__).resolve().parent.parent
FIXTURES, GOLDEN = TESTS / "fixtures", TESTS / "golden"


def ranks_dir(root: Path) -> Path:
    """Two ranks: the mlp trace as rank 0 and the graph-break trace as rank 1."""
    d = root / "ranks"
    d.mkdir()
    shutil.copy(FIXTURES / "mlp.log", d / "dedicated_log_torch_trace_rank_0_a.log")
    shutil.copy(FIXTURES / "graph_break.log", d / "dedicated_log_torch_trace_rank_1_b.log")
    return d


def render(path: Path, source: str) -> str:
    """The console report of `path` at 110 columns, its title naming `source`."""
    report = build_report(path, jobs=1)
    report.source = source
    buf = io.BytesIO()
    renderer(REPORT, "console").write(report, buf, RenderOptions(width=110))
    return buf.getvalue().decode()


def cases(root: Path) -> dict[str, tuple[Path, str]]:
    """golden file name -> (what to report, the title's source)."""
    return {
        "graph_break_console.txt": (FIXTURES / "graph_break.log", "graph_break.log"),
        "run_console.txt": (FIXTURES / "run_mlp", "run_mlp"),
        "ranks_console.txt": (ranks_dir(root), "ranks"),
    }


@pytest.mark.parametrize("golden", ["graph_break_console.txt", "run_console.txt", "ranks_console.txt"])
def test_console_matches_golden(golden, tmp_path):
    path, source = cases(tmp_path)[golden]
    assert render(path, source).splitlines() == (GOLDEN / golden).read_text().splitlines()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, source) in cases(Path(tmp)).items():
            (GOLDEN / name).write_text(render(path, source))
            print(f"wrote {GOLDEN / name}", file=sys.stderr)
