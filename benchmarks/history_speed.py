"""How fast the history answers when it is large: 10,000 runs x 200 metrics (10 models, 1,000 commits each).

    python benchmarks/history_speed.py [--runs 10000] [--metrics 200] [--models 10] [--db PATH]

Builds the database once (synthetic points: times with noise and a step, counts with a step), then
times, best of 3, in this process and as the commands users run (a subprocess, start-up included):
`history show --model m3` (50 points x 200 metrics, change points included), `history show --metric
compile_time_s` (every series), `check RUN --history` (a window of 20 points), and `history add`.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def build(db: Path, runs: int, metrics: int, models: int) -> None:
    """A history of `runs` points of `metrics` metrics each, written through the store's schema."""
    from compileprof.profiler.gate.metrics import COUNT, TIME
    from compileprof.profiler.history.model import Point
    from compileprof.profiler.history.store import open_store

    store = open_store(db)
    store.close()
    rng = random.Random(1)
    conn = sqlite3.connect(db)
    per_model = runs // models
    names = [f"phase.p{i}" if i % 2 else f"count.c{i}" for i in range(metrics)]
    for m in range(models):
        proto = Point("x", "main", 0.0, 0.0, {"cpu": "bench"}, {}, f"m{m}", {"backend": "inductor"}, {}, "bench", {})
        for i in range(per_model):
            step = 1.2 if i > per_model // 2 else 1.0
            cur = conn.execute(
                "INSERT INTO runs (commit_sha, branch, recorded_at, run_at, series, machine_id, machine, environment, "
                "model, options, labels, source) VALUES (?, 'main', ?, ?, ?, ?, ?, '{}', ?, ?, '{}', 'bench')",
                (f"{m:02d}{i:08x}", float(i), float(i), proto.key, proto.machine_id, json.dumps(proto.machine),
                 proto.model, json.dumps(proto.options, sort_keys=True)),
            )  # fmt: skip
            rows = []
            for name in names:
                if name.startswith("count"):
                    rows.append((cur.lastrowid, name, COUNT, float(100 + (i > per_model // 2)), "[1]"))
                else:
                    value = step * (1 + rng.gauss(0, 0.01))
                    rows.append((cur.lastrowid, name, TIME, value, json.dumps([value])))
            conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", rows)
        conn.commit()


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Build the history and print the timings."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--metrics", type=int, default=200)
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--db", type=Path, default=None)
    a = ap.parse_args()
    db = a.db or Path(tempfile.mkdtemp(prefix="compileprof-history-")) / "history.db"
    if not db.exists():
        start = time.perf_counter()
        build(db, a.runs, a.metrics, a.models)
        print(f"built {a.runs} runs x {a.metrics} metrics in {time.perf_counter() - start:.1f} s: {db} "
              f"({db.stat().st_size / 1e6:.0f} MB)")  # fmt: skip
    from compileprof.profiler.history.store import open_store
    from compileprof.profiler.history.trend import series_trends
    from compileprof.profiler.history.window import Window

    store = open_store(db)
    key = next(k for k, model, _, _ in store.series_keys() if model == "m3")
    print(f"show --model m3 (in process): {best(lambda: series_trends(store, model='m3')):.3f} s")
    print(f"show --metric phase.p1 (in process): {best(lambda: series_trends(store, metric='phase.p1')):.3f} s")
    window = lambda: Window(store.with_metrics(store.points(series=key, branch="main", limit=20)), "main")  # noqa: E731
    print(f"the window of a check (in process): {best(window):.3f} s")
    cli = [sys.executable, "-m", "compileprof", "history", "show", "--db", str(db), "--model", "m3", "-f", "json"]
    shown = best(lambda: subprocess.run(cli, capture_output=True))
    print(f"compileprof history show --model m3 (a command): {shown:.3f} s")
    run = REPO / "tests" / "fixtures" / "run_mlp"
    check = [sys.executable, "-m", "compileprof", "check", str(run), "--history", str(db), "-f", "json"]
    checked = best(lambda: subprocess.run(check, capture_output=True))
    print(f"compileprof check RUN --history (a command): {checked:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
