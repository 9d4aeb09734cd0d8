"""What `diff`'s "what changed" costs on large logs: time and peak memory of `compileprof diff A B -f json`
on a pair of logs of at least --mb MB each, against the same diff's metrics alone as they were before
graphs were read (`report A -f json` and `report B -f json`, the reading diff did anyway).

    python benchmarks/graph_diff_speed.py [--mb 1000] [--keep]

A is the repository's CPU fixtures repeated (graph_break.log, mlp.log); B the same with the training
fixtures (train_cold.log) in between, so graphs differ. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_speed import build_log  # noqa: E402

CLI = [sys.executable, "-m", "compileprof"]


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    """Build the pair, then time the diff and the two reports."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=1000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="compileprof-graphdiff-"))
    a, b = work / "a.log", work / "b.log"
    build_log(a, [FIXTURES / "graph_break.log", FIXTURES / "mlp.log"], args.mb)
    build_log(b, [FIXTURES / "graph_break.log", FIXTURES / "train_cold.log", FIXTURES / "mlp.log"], args.mb)
    size = (a.stat().st_size + b.stat().st_size) / 1e6
    diff_s, diff_mb = measure([*CLI, "diff", str(a), str(b), "-f", "json", "-o", os.devnull, "--force"])
    read_s = sum(measure([*CLI, "report", str(p), "-f", "json", "-o", os.devnull, "--force"])[0] for p in (a, b))
    print(f"| logs | diff with what changed | peak RSS | the two reports alone |\n|---|---|---|---|\n"
          f"| {size:.0f} MB (A + B) | {diff_s:.1f} s | {diff_mb:.0f} MB | {read_s:.1f} s |")  # fmt: skip
    if not args.keep:
        for p in (a, b):
            p.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
