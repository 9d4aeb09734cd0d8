"""Time `compileprof report` against tlparse on a large log built by repeating real traces.

    python benchmarks/report_speed.py [--mb 225] [--repeat 3] [--keep]

Builds benchmarks/out/big.log (at least --mb MB) by concatenating the real torch 2.13 fixtures in
tests/fixtures (graph_break.log + mlp.log) over and over, then runs, as child processes,
`compileprof report big.log -f json` and (when installed: `pip install tlparse`) `tlparse big.log`,
each --repeat times, and prints the best wall time and the peak RSS of each. A second log of twice
the size shows whether memory grows with the log. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
OUT = Path(__file__).resolve().parent / "out"


def build_log(path: Path, megabytes: int) -> int:
    """Write a log of at least `megabytes` MB made of whole real traces; return how many copies."""
    unit = b"".join(
        data if data.endswith(b"\n") else data + b"\n"
        for data in ((FIXTURES / name).read_bytes() for name in ("graph_break.log", "mlp.log"))
    )
    copies = megabytes * 1_000_000 // len(unit) + 1
    with open(path, "wb") as fh:
        for _ in range(copies):
            fh.write(unit)
    return copies


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run `cmd`; return (wall seconds, peak RSS in MB) of that child and its children."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def best_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and the largest peak RSS over `repeat` runs."""
    runs = [measure(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=225)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    big, bigger = OUT / "big.log", OUT / "bigger.log"
    copies = build_log(big, args.mb)
    build_log(bigger, args.mb * 2)
    ours = [sys.executable, "-m", "compileprof", "report"]
    rows = []
    for log in (big, bigger):
        mb = log.stat().st_size / 1e6
        wall, rss = best_of([*ours, str(log), "-f", "json", "-o", os.devnull, "--force"], args.repeat)
        rows.append((f"compileprof report -f json ({mb:.0f} MB)", wall, rss, mb))
        wall, rss = best_of([*ours, str(log), "-j", "1", "-f", "json", "-o", os.devnull, "--force"], args.repeat)
        rows.append((f"compileprof report -j 1, one process ({mb:.0f} MB)", wall, rss, mb))
    tlparse = shutil.which("tlparse")
    if tlparse:
        with tempfile.TemporaryDirectory() as tmp:
            mb = big.stat().st_size / 1e6
            wall, rss = best_of([tlparse, str(big), "-o", tmp, "--overwrite", "--no-browser"], args.repeat)
            rows.append((f"tlparse {mb:.0f} MB", wall, rss, mb))
    print(f"log: {copies} copies of tests/fixtures/{{graph_break,mlp}}.log, {os.cpu_count()} CPUs")
    print(f"{'command':<50} {'wall s':>8} {'MB/s':>8} {'peak RSS MB':>12}")
    for name, wall, rss, mb in rows:
        print(f"{name:<50} {wall:>8.2f} {mb / wall:>8.0f} {rss:>12.0f}")
    if tlparse:
        print(f"speed-up over tlparse on the same {rows[0][3]:.0f} MB log: {rows[-1][1] / rows[0][1]:.1f}x")
    if not args.keep:
        big.unlink()
        bigger.unlink()


if __name__ == "__main__":
    main()
