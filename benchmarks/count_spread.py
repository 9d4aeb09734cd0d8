"""How exact instruction counts are, and what counting costs: the default model under each backend.

    python benchmarks/count_spread.py [--model tiny-llama] [--backends aot_eager inductor piecewise]
                                      [--repeat 3] [--json out.json]

For each backend: `compileprof run MODEL --backend B --count instructions --count-phases --repeat N`
(N cold children under callgrind) and one plain cold run of the same compile; prints each child's count,
the spread ((largest - smallest) / smallest) and the slowdown of a child under callgrind against the
plain child (wall time of the child process, and of its compile step). The counts do not depend on the
machine's load; the wall times do.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(out: Path, model: str, backend: str, *extra: str) -> dict:
    """One `compileprof run` (a subprocess, as a user runs it); its manifest."""
    cmd = [str(Path(sys.executable).with_name("compileprof")), "run", model, "--backend", backend, "--out", str(out),
           "--quiet", "--calls", "0", *extra]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads((out / "manifest.json").read_text())


def measure(model: str, backend: str, repeat: int, root: Path) -> dict:
    """The counted run and the plain run of one backend, summed up."""
    t0 = time.perf_counter()
    counted = run(root / f"{backend}-counted", model, backend, "--count", "instructions", "--count-phases",
                  "--repeat", str(repeat))  # fmt: skip
    counted_s = time.perf_counter() - t0
    plain = run(root / f"{backend}-plain", model, backend)
    kids = list(counted["children"].values())
    counts = [c["instructions"]["compile"] for c in kids]
    plain_child = plain["children"]["cold"]
    return {
        "backend": backend,
        "counts": counts,
        "spread": (max(counts) - min(counts)) / min(counts),
        "phases": kids[0]["instructions"].get("phases", {}),
        "counted_child_s": [c["wall_s"] for c in kids],
        "counted_compile_step_s": [c["steps_s"]["compile"] for c in kids],
        "plain_child_s": plain_child["wall_s"],
        "plain_compile_step_s": plain_child["steps_s"]["compile"],
        "counted_run_s": round(counted_s, 1),
    }


def table(rows: list[dict], model: str, repeat: int) -> str:
    """The Markdown table README shows."""
    out = [f"| backend ({model}) | instructions, {repeat} cold runs | spread | child under callgrind | plain child |"
           " compile step: callgrind / plain |", "|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        counts = ", ".join(f"{n / 1e9:.4f} G" for n in r["counts"])
        child = sum(r["counted_child_s"]) / len(r["counted_child_s"])
        step = sum(r["counted_compile_step_s"]) / len(r["counted_compile_step_s"])
        plain, plain_step = r["plain_child_s"], r["plain_compile_step_s"]
        out.append(f"| {r['backend']} | {counts} | {r['spread'] * 100:.3f}% | {child:.0f} s | {plain:.0f} s |"
                   f" {step:.1f} s / {plain_step:.1f} s ({step / plain_step:.0f}x) |")  # fmt: skip
    return "\n".join(out)


def main() -> None:
    """Measure each backend, print the table (and write JSON when asked)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="tiny-llama")
    ap.add_argument("--backends", nargs="+", default=["aot_eager", "inductor", "piecewise"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="compileprof-count-") as tmp:
        for backend in args.backends:
            rows.append(measure(args.model, backend, args.repeat, Path(tmp)))
            print(f"{backend}: {rows[-1]['counts']} in {rows[-1]['counted_run_s']} s", file=sys.stderr, flush=True)
    print(table(rows, args.model, args.repeat))
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "repeat": args.repeat, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
