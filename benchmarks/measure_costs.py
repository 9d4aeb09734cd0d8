"""Measure what runtime asserts and TORCH_TRACE logging cost on the default model, and print a table.

    python benchmarks/measure_costs.py [--device cpu|cuda] [--pairs 6] [--rounds 40] [--calls 20]

Runs `compileprof run --measure asserts --measure logging` (tiny-llama, piecewise backend, one
thread on CPU) into benchmarks/out/measure-<device>/ and prints the figures from its report.json.
Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def us(v: float | None) -> str:
    """Seconds as microseconds."""
    return "-" if v is None else f"{v * 1e6:.1f} us"


def ms(v: float | None) -> str:
    """Seconds as milliseconds."""
    return "-" if v is None else f"{v * 1e3:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--budget", type=float, default=600)
    args = parser.parse_args()
    out = OUT / f"measure-{args.device}"
    cmd = [
        sys.executable, "-m", "compileprof", "run", "--device", args.device, "--measure", "asserts",
        "--measure", "logging", "--pairs", str(args.pairs), "--rounds", str(args.rounds), "--calls",
        str(args.calls), "--budget", str(args.budget), "--out", str(out), "--force", "--quiet",
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    report = json.loads((out / "report.json").read_text())
    a, lg = report["measurements"]["asserts"], report["measurements"]["logging"]
    run = report["run"]
    print(
        f"model {run['model']['label']}, backend {run['backend']}, {run['device_name']}, "
        f"torch {run['versions']['torch']}"
    )
    print(f"{'measurement':<34} {'on':>12} {'off':>12} {'delta':>11} {'95% CI':>24} {'significant':>11}")
    ci = f"[{us(a['ci95_s'][0])}, {us(a['ci95_s'][1])}]"
    print(f"{'forward call, asserts on/off':<34} {us(a['median_on_s']):>12} {us(a['median_off_s']):>12} "
          f"{us(a['delta_s']):>11} {ci:>24} {a['significant']!s:>11}")  # fmt: skip
    ci = f"[{ms(lg['ci95_s'][0])}, {ms(lg['ci95_s'][1])}]"
    print(f"{'compile, TORCH_TRACE on/off':<34} {ms(lg['median_on_s']):>12} {ms(lg['median_off_s']):>12} "
          f"{ms(lg['delta_s']):>11} {ci:>24} {lg['significant']!s:>11}")  # fmt: skip
    share = a["share_of_forward"]
    print(
        f"asserts: {sum(a['asserts_on'].values())} in the generated code, {a['asserts_per_call']} run per call, "
        f"{us(a['per_assert_s'])} each, {share * 100:.1f}% of the forward; {a['rounds']} rounds x "
        f"{a['calls_per_round']} calls, {a['threads']} thread(s)"
    )
    print(
        f"logging: torch's structured_logging_overhead {ms(lg['torch_reported_s'])} per compile, "
        f"*_torch_trace_only spans {ms(lg['torch_trace_only_s'])} per compile, {lg['pairs']} pairs"
    )


if __name__ == "__main__":
    main()
