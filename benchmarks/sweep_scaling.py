"""How a sweep's wall time scales: the same suite with 1, 2 and N local jobs, and on a Ray cluster of two
local nodes (started and stopped here, one CPU each, on the loopback).

    python benchmarks/sweep_scaling.py [--models hf:llama hf:gpt2 ...] [--variant aot:--backend aot_eager]
                                       [--jobs 1 2 4] [--no-ray] [--json out.json]

Each configuration is one `compileprof sweep` (a subprocess, as a user runs it) into a fresh directory;
the table gives its wall time, the cells' own wall times summed (the work), and their ratio (how many
cells ran at once, in effect). This machine's cores bound every figure: two local Ray nodes share the
same two cores as two local jobs do.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_MODELS = ["hf:llama", "hf:gpt2", "hf:bert", "hf:qwen2", "hf:phi", "hf:opt"]
CLI = str(Path(sys.executable).with_name("compileprof"))
RAY = str(Path(sys.executable).with_name("ray"))


def sweep(out: Path, models: list[str], variants: list[str], extra: list[str], env: dict | None = None) -> dict:
    """One sweep; its wall time and its cells' summed wall time."""
    cmd = [CLI, "sweep", *models, *[a for v in variants for a in ("--variant", v)], "--out", str(out), *extra]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 6):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    work = sum(r["wall_s"] for r in rows)
    return {"wall_s": round(wall, 1), "cells": len(rows), "ok": sum(r["status"] == "ok" for r in rows),
            "work_s": round(work, 1), "parallelism": round(work / wall, 2)}  # fmt: skip


def with_cluster(run) -> dict:
    """Start a head and a worker node (one CPU each) on this machine, call `run(address, env)`, stop them."""
    tmp = tempfile.mkdtemp(prefix="rt", dir="/tmp")
    env = {**os.environ, "RAY_TMPDIR": tmp}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    flags = ["--num-cpus", "1", "--disable-usage-stats"]
    try:
        subprocess.run([RAY, "start", "--head", "--port", str(port), "--include-dashboard=false", *flags],
                       env=env, check=True, capture_output=True)  # fmt: skip
        subprocess.run([RAY, "start", "--address", f"127.0.0.1:{port}", *flags], env=env, check=True,
                       capture_output=True)  # fmt: skip
        return run(f"127.0.0.1:{port}", env)
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Measure each configuration and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    ap.add_argument("--variant", action="append", default=None)
    ap.add_argument("--jobs", nargs="+", type=int, default=[1, 2, os.cpu_count() or 2])
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    variants = args.variant or ["aot:--backend aot_eager"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="compileprof-sweeps-") as tmp:
        for jobs in dict.fromkeys(args.jobs):
            results[f"local, {jobs} job{'s' if jobs > 1 else ''}"] = sweep(Path(tmp) / f"j{jobs}", args.models,
                                                                          variants, ["-j", str(jobs)])  # fmt: skip
            print(f"local -j {jobs}: {results[list(results)[-1]]}", file=sys.stderr, flush=True)
        if not args.no_ray:
            results["ray, 2 local nodes x 1 CPU"] = with_cluster(
                lambda address, env: sweep(Path(tmp) / "ray", args.models, variants, ["--ray", address], env)
            )
    print(f"| {len(args.models)} models x {len(variants)} variant(s) | wall | cells' work | in parallel |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['wall_s']} s | {r['work_s']} s ({r['ok']}/{r['cells']} ok) | {r['parallelism']}x |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
