"""Mutation testing of the packages whose bugs matter most: how many planted bugs the fast lane catches.

    python benchmarks/mutation.py                      # gate, fold, analysis, trace, escaping: several hours
    python benchmarks/mutation.py --packages gate      # one package
    python benchmarks/mutation.py --json out.json      # the scores and every surviving mutant, for scripts
    python benchmarks/mutation.py --packages fold --sample 300   # a seeded random sample of each package's mutants

Why mutmut (3.x) and not cosmic-ray: mutmut writes every mutant of a function into one copy of the
source behind a trampoline, runs the suite once to learn which tests reach which function, then forks
a worker per mutant that runs only those tests, already imported: the gate's 1,343 mutants took 18
minutes here (2 cores, about 75 a minute). cosmic-ray starts the test command afresh for each
mutant, about 3 s each here (an hour per thousand). mutmut imports the mutated copy by file path
(`profiler.gate.compare`) while the tests import the installed package (`compileprof.profiler...`);
tests/conftest.py makes the two names one module inside mutmut's copy (`mutants/`), and nowhere else.

The work happens in a temporary copy of the repository (mutmut writes its `mutants/` folder and needs
its configuration in pyproject.toml there); this checkout is not touched. The score of a package is
(killed + timed out) / (killed + timed out + survived + not reached by any test). Not part of CI's test
command: it takes far longer than the fast lane.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {
    "gate": ["profiler/gate/*"],
    "fold": ["profiler/fold/*"],
    "analysis": ["profiler/analysis/*"],
    "trace": ["profiler/trace/*"],
    "escaping": ["profiler/render/escaping.py", "profiler/render/md.py", "profiler/render/terminal.py",
                 "profiler/unicode.py"],
}  # fmt: skip
COPIED = ("profiler", "cli", "entry", "backends", "tests", "pyproject.toml")
_RESULT = re.compile(r"^\s*(\S+): (.+)$")
COUNTED = {"killed": "killed", "timeout": "killed", "survived": "survived", "no tests": "survived"}


def copy_repo(into: Path, globs: list[str]) -> None:
    """The repository's sources and tests in `into`, with mutmut told to mutate `globs` only."""
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, into / name, ignore=shutil.ignore_patterns("__pycache__", "mutants", "*.pyc"))
        else:
            shutil.copy(src, into / name)
    text = (into / "pyproject.toml").read_text()
    only = "only_mutate = [" + ", ".join(json.dumps(g) for g in globs) + "]"
    text = re.sub(r"^only_mutate = .*$", only, text, flags=re.M)
    (into / "pyproject.toml").write_text(text)


def package_of(mutant: str) -> str | None:
    """The package a mutant's name belongs to (`profiler.gate.compare.x_f__mutmut_3` -> `gate`)."""
    module = mutant.split(".x_")[0].split(".xǁ")[0]
    path = module.replace(".", "/") + ".py"
    for name, globs in PACKAGES.items():
        if any(Path(path).match(g) for g in globs):
            return name
    return None


def results(work: Path) -> dict[str, str]:
    """Every mutant's outcome, as mutmut reports it."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=work,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    found = {}
    for line in out.splitlines():
        m = _RESULT.match(line)
        if m and "__mutmut_" in m.group(1):
            found[m.group(1)] = m.group(2).strip()
    return found


def scores(outcomes: dict[str, str]) -> dict[str, dict[str, object]]:
    """Per package: killed, survived (with the survivors' names), and the score."""
    table: dict[str, dict[str, object]] = {}
    for mutant, status in outcomes.items():
        package = package_of(mutant)
        counted = COUNTED.get(status)
        if package is None or counted is None:
            continue
        row = table.setdefault(package, {"killed": 0, "survived": 0, "survivors": []})
        row[counted] = int(row[counted]) + 1  # type: ignore[call-overload]
        if counted == "survived":
            row["survivors"].append(f"{mutant} ({status})")  # type: ignore[union-attr]
    for row in table.values():
        total = int(row["killed"]) + int(row["survived"])  # type: ignore[call-overload]
        row["score"] = round(int(row["killed"]) / total, 4) if total else None  # type: ignore[call-overload]
    return table


def all_mutants(work: Path) -> list[str]:
    """Every mutant mutmut generated in `work` (from its .meta files), sorted."""
    names = []
    for meta in (work / "mutants").rglob("*.meta"):
        names += json.loads(meta.read_text()).get("exit_code_by_key", {})
    return sorted(names)


def sampled(work: Path, packages: list[str], n: int, seed: int) -> list[str]:
    """`n` mutants of each package drawn at random (seeded): generated first by a run that matches
    no mutant (mutmut generates them all, then finds nothing to test)."""
    import random

    probe = [sys.executable, "-m", "mutmut", "run", "compileprof-generate-only-*"]
    subprocess.run(probe, cwd=work, check=False, capture_output=True)
    rng = random.Random(seed)
    chosen = []
    for package in packages:
        names = [m for m in all_mutants(work) if package_of(m) == package]
        chosen += rng.sample(names, min(n, len(names)))
    return chosen


def main() -> int:
    """Run mutmut over the packages asked for; print each package's score; exit 1 below --floor."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packages", nargs="*", default=list(PACKAGES), choices=list(PACKAGES))
    ap.add_argument("--json", type=Path, help="write the scores and every survivor here")
    ap.add_argument("--floor", type=float, default=0.85, help="the score each package must reach (default 0.85)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy (to browse survivors with mutmut)")
    ap.add_argument("--sample", type=int, help="test only this many mutants of each package, drawn at random")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="compileprof-mutation-"))
    copy_repo(work, [g for p in args.packages for g in PACKAGES[p]])
    start = time.perf_counter()
    log = work / "mutmut.log"
    names = sampled(work, args.packages, args.sample, args.seed) if args.sample else []
    with open(log, "wb") as fh:
        command = [sys.executable, "-m", "mutmut", "run", *names]
        subprocess.run(command, cwd=work, check=False, stdout=fh, stderr=subprocess.STDOUT)
    outcomes = results(work)
    if names:  # the sample's outcomes only (the rest were never run)
        outcomes = {k: v for k, v in outcomes.items() if k in set(names)}
    table = scores(outcomes)
    if not table:  # mutmut stops before any mutant when the suite is not green without mutations
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        print("mutmut tested no mutant; the end of its output:\n" + "\n".join(tail), file=sys.stderr)
        return 2
    wall = time.perf_counter() - start
    sample = f", {args.sample} mutants drawn per package (seed {args.seed})" if args.sample else ""
    print(f"mutation testing of {', '.join(args.packages)}{sample} in {wall / 60:.1f} min (work folder {work})")
    print(f"{'package':<10} {'killed':>7} {'survived':>9} {'score':>7}")
    for name in args.packages:
        row = table.get(name, {"killed": 0, "survived": 0, "score": None})
        score = f"{row['score']:.1%}" if row["score"] is not None else "-"
        print(f"{name:<10} {row['killed']:>7} {row['survived']:>9} {score:>7}")
    if args.json:
        args.json.write_text(json.dumps({"wall_s": round(wall), "sample": args.sample, "packages": table}, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    low = [n for n in args.packages if (table.get(n, {}).get("score") or 0) < args.floor]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
