"""A sweep's results: one row per cell read back from its run directory (the same report `compileprof
report` gives), and `sweep.json`, the sweep's manifest, written under --out and read by `report`-like
readers, `check` and `diff` (two sweeps compared cell by cell)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import CompileprofError
from ..files import write_atomic
from ..unicode import sanitized
from .execute import CellRun

SWEEP_FILE = "sweep.json"
_KEY = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,200}$")
KIND = "compileprof-sweep"


@dataclass(slots=True)
class SweepRow:
    """One cell: what ran, how it ended, and its report's main figures."""

    key: str
    model: str
    variant: str
    options: str
    status: str
    where: str
    wall_s: float
    exit_code: int | None = None
    compile_time_s: float | None = None
    frames: int | None = None
    compiles: int | None = None
    graph_breaks: int | None = None
    recompiles: int | None = None
    pieces: int | None = None
    asserts: int | None = None
    cache_hits: int | None = None
    cache_misses: int | None = None
    instructions: int | None = None
    report: str | None = None  # the cell's report.html, relative to the sweep's directory
    error: str | None = None  # one line: what stopped it


@dataclass(slots=True)
class Sweep:
    """The whole sweep: when, how, and every cell's row."""

    started: str
    wall_s: float
    executor: str  # "local (N jobs)" or "ray (ADDRESS)"
    argv: list[str]
    rows: list[SweepRow] = field(default_factory=list)

    @property
    def failed(self) -> list[SweepRow]:
        """Rows whose cell did not finish."""
        return [r for r in self.rows if r.status != "ok"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of sweep.json."""
        return {"kind": KIND, "schema_version": 1, **asdict(self)}


def row_of(run: CellRun, directory: Path, sweep_dir: Path) -> SweepRow:
    """A cell's row: its run's outcome, and its report's figures when it left a trace."""
    from ..build import build_report

    c = run.cell
    row = SweepRow(c.key, c.model, c.variant.name, c.variant.options, run.status, run.where, round(run.wall_s, 3),
                   run.exit_code)  # fmt: skip
    if run.status != "ok":
        row.error = (run.tail[-1] if run.tail else run.status).removeprefix("compileprof: error: ")[:500]
    try:
        report = build_report(directory, jobs=1)
    except (CompileprofError, OSError):
        return row
    s = report.summary
    cache = s.cache or {}
    row.compile_time_s = round(s.compile_time_s, 6)
    row.frames, row.compiles, row.graph_breaks = s.frames, s.compiles, s.graph_breaks
    row.recompiles, row.pieces, row.asserts = len(s.recompiles), len(report.pieces), report.asserts.total
    row.cache_hits = sum(v for k, v in cache.items() if k.endswith("_hit"))
    row.cache_misses = sum(v for k, v in cache.items() if k.endswith("_miss"))
    row.instructions = report.instructions.compile if report.instructions else None
    if (directory / "report.html").is_file():
        row.report = str((directory / "report.html").relative_to(sweep_dir))
    return row


def write_sweep(out: Path, sweep: Sweep) -> None:
    """sweep.json under the sweep's directory."""
    text = json.dumps(sanitized(sweep.to_dict()), indent=2, ensure_ascii=False) + "\n"
    write_atomic(out / SWEEP_FILE, lambda fh: fh.write(text.encode()))


def read_sweep(directory: Path) -> Sweep | None:
    """The sweep a directory holds, or None when it holds no sweep.json of this tool."""
    p = Path(directory) / SWEEP_FILE
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_bytes())
    except (OSError, ValueError, RecursionError):
        raise CompileprofError(f"{p}: damaged sweep manifest (not JSON); rerun the sweep") from None
    if not isinstance(data, dict) or data.get("kind") != KIND or not isinstance(data.get("rows"), list):
        return None
    names = {f.name for f in fields(SweepRow)}
    try:
        rows = [SweepRow(**{k: v for k, v in r.items() if k in names}) for r in data["rows"]]
        bad = next((r.key for r in rows if not isinstance(r.key, str) or not _KEY.match(r.key)), None)
        if bad is not None:  # a cell's directory is under the sweep's: never a path that leaves it
            raise CompileprofError(f"{p}: cell {str(bad)[:80]!r} is not a cell name; rerun the sweep")
        return Sweep(str(data["started"]), float(data["wall_s"]), str(data["executor"]), list(data["argv"]), rows)
    except (TypeError, KeyError, ValueError, AttributeError):
        raise CompileprofError(f"{p}: damaged sweep manifest (its rows are not a sweep's); rerun the sweep") from None


def now() -> str:
    """The local time, as manifests write it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
