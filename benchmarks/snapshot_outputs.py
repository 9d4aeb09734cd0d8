"""Write every output of every input to a folder, so that two folders prove a refactor changed nothing.

    python benchmarks/snapshot_outputs.py OUT_DIR [EXTRA_PATH ...]
    diff -r before/ after/

Inputs: the repository's fixtures, ../shared/traces (each log and the directory), the run directories
under tests/fixtures, and any EXTRA_PATH. Outputs per input: `report` as JSON, Markdown and console;
for pairs of fixtures `diff` (all formats) and `check` against a baseline made from the first. Only
the `tool.version` differs between versions of compileprof, and it is the same within one checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared" / "traces"


def inputs(extra: list[str]) -> list[Path]:
    """Every log and directory the snapshot covers."""
    found = sorted(FIXTURES.glob("*.log")) + sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    if SHARED.is_dir():
        found += [SHARED, *sorted(SHARED.glob("*.log")), *sorted(p for p in SHARED.iterdir() if p.is_dir())]
    return found + [Path(p) for p in extra]


def cli(*args: str, cwd: Path = ROOT) -> bytes:
    """stdout, stderr and exit code of one compileprof command, as bytes."""
    env = {**os.environ, "COLUMNS": "120", "GITHUB_STEP_SUMMARY": ""}
    done = subprocess.run([sys.executable, "-m", "compileprof", *args], capture_output=True, env=env, cwd=cwd)
    return done.stdout + b"\n--- stderr\n" + done.stderr + f"\n--- exit {done.returncode}\n".encode()


def name_of(path: Path) -> str:
    """A file name for the outputs of `path`."""
    rel = path.resolve().relative_to(ROOT.parent) if path.resolve().is_relative_to(ROOT.parent) else path
    return str(rel).replace("/", "__")


def main(argv: list[str]) -> int:
    """Write the snapshot into argv[0]."""
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for path in inputs(argv[1:]):
        rel = os.path.relpath(path, ROOT)
        for fmt in ("json", "markdown", "console"):
            (out / f"{name_of(path)}.report.{fmt}").write_bytes(cli("report", rel, "-f", fmt))
    a, b = os.path.relpath(FIXTURES / "mlp.log", ROOT), os.path.relpath(FIXTURES / "graph_break.log", ROOT)
    for fmt in ("json", "markdown", "console"):
        (out / f"diff.{fmt}").write_bytes(cli("diff", a, b, "-f", fmt))
    baseline = out / "baseline.json"
    baseline.unlink(missing_ok=True)
    (out / "check.update").write_bytes(cli("check", a, "--baseline", str(baseline), "--update-baseline"))
    for fmt in ("json", "markdown", "console"):
        (out / f"check.{fmt}").write_bytes(cli("check", b, "--baseline", str(baseline), "-f", fmt))
    for f in out.iterdir():  # the output folder's name and the baseline's clock are not outputs
        lines = f.read_bytes().replace(str(out).encode(), b"<OUT>").splitlines(keepends=True)
        f.write_bytes(b"".join(x for x in lines if b'"updated"' not in x and b'"created"' not in x))
    print(f"wrote {len(list(out.iterdir()))} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
