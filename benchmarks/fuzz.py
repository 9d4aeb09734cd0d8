"""The long fuzz run: `python benchmarks/fuzz.py --inputs 100000 --seed 1 --jobs 2`.

Each worker process fuzzes its share with its own seed (seed*1000+worker) through tests/fuzz/generate.py
and prints its figures; crashing inputs (logs) are kept in the work folder with their traceback.
The seeded short run in the fast test lane is tests/unit/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzz.generate import fuzz


def _work(args: tuple[int, int, str]) -> tuple[int, int, list[str]]:
    inputs, seed, work = args
    outcome = fuzz(inputs, seed, Path(work))
    return outcome.inputs, outcome.refused, outcome.crashes


def main() -> int:
    """Run the fuzzer; exit 1 when anything crashed."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="folder for the inputs (default: a new temporary one)")
    a = ap.parse_args()
    root = a.work or Path(tempfile.mkdtemp(prefix="compileprof-fuzz-"))
    shares = [
        (a.inputs // a.jobs + (i < a.inputs % a.jobs), a.seed * 1000 + i, str(root / f"w{i}")) for i in range(a.jobs)
    ]
    for _, _, w in shares:
        Path(w).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(a.jobs) as pool:
        results = list(pool.map(_work, shares))
    inputs = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    crashes = [c for r in results for c in r[2]]
    wall = time.perf_counter() - start
    print(f"{inputs} inputs, {len(crashes)} crashes, {refused} refused with a one-line error, {wall:.0f} s, {root}")
    for site, n in collections.Counter(c.strip().splitlines()[-1][:160] for c in crashes).most_common(20):
        print(f"  {n} x {site}")
    (root / "crashes.txt").write_text("\n\n".join(crashes))
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
