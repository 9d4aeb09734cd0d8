"""The baseline file `check` compares with (its metrics and tolerances), and `[tool.compileprof]` in the
user's pyproject.toml."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, CompileprofError
from ..files import write_atomic
from ..model.shape import NUM, each, opt, problem
from .metrics import KINDS, Metric

BASELINE_KIND = "compileprof-baseline"


TOLERANCE = {"abs": NUM, "rel": NUM}
BASELINE_SHAPE = {
    "kind": str,
    "metrics": each({"kind": str, "value": opt(NUM), "samples": opt([NUM]), "tolerance": opt(TOLERANCE)}),
    "tolerances": opt(each(TOLERANCE)),
    "fingerprint": opt(each(opt((str, NUM, bool)))),
}


def _usage(path: Path, what: str) -> CompileprofError:
    return CompileprofError(f"{path}: {what}; fix it or rewrite it with --update-baseline", EXIT_USAGE)


def _entry_problem(name: str, entry: dict[str, Any]) -> str | None:
    if entry.get("kind") not in KINDS:
        return f"metrics.{name}.kind must be one of {', '.join(KINDS)}"
    if not (entry.get("samples") or entry.get("value") is not None):
        return f"metrics.{name} has neither samples nor a value"
    return _negative_tolerance({"tolerance": entry.get("tolerance") or {}}, f"metrics.{name}")


def _negative_tolerance(tables: dict[str, dict[str, Any]], where: str) -> str | None:
    """The first negative `abs` or `rel` in the named tolerance tables, named `where.<table>.<key>`."""
    for table_name, table in tables.items():
        for key, v in table.items():
            if key in ("abs", "rel") and v < 0:
                return f"{where}.{table_name}.{key} is {v}, not a non-negative number"
    return None


def read_baseline(path: Path) -> dict[str, Any]:
    """The baseline file, checked: every metric a count or a time with finite samples, tolerances
    non-negative numbers, a fingerprint of plain values. Raises `CompileprofError` (exit 2) naming
    the first thing that is wrong."""
    try:
        data = json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise CompileprofError(f"{path}: no baseline file; create it with --update-baseline", EXIT_USAGE) from None
    except (OSError, ValueError, RecursionError) as err:
        raise _usage(path, f"not a readable baseline ({str(err)[:120]})") from None
    if not isinstance(data, dict) or data.get("kind") != BASELINE_KIND or not isinstance(data.get("metrics"), dict):
        raise CompileprofError(f"{path}: not a compileprof baseline (kind {BASELINE_KIND!r} expected)", EXIT_USAGE)
    what = problem(data, BASELINE_SHAPE)
    what = what or next((p for n, e in data["metrics"].items() if (p := _entry_problem(n, e))), None)
    what = what or _negative_tolerance(data.get("tolerances") or {}, "tolerances")
    if what:
        raise _usage(path, what)
    return data


def baseline_metrics(data: dict[str, Any]) -> dict[str, Metric]:
    """The metrics of a baseline file that `read_baseline` accepted."""
    out = {}
    for name, entry in data["metrics"].items():
        samples = entry.get("samples") or [entry["value"]]
        out[name] = Metric(name, entry["kind"], [float(s) for s in samples])
    return out


def baseline_layers(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Tolerance layers of a baseline: its `tolerances` table, then per-metric `tolerance` entries."""
    if not data:
        return []
    layers = []
    if data.get("tolerances"):
        layers.append(data["tolerances"])
    per_metric = {n: e["tolerance"] for n, e in data["metrics"].items() if e.get("tolerance")}
    if per_metric:
        layers.append(per_metric)
    return layers


def write_baseline(
    path: Path, metrics: dict[str, Metric], fp: dict[str, Any], old: dict[str, Any] | None, source: str
) -> None:
    """Write the baseline file (keeping the old file's tolerances)."""
    entries = {}
    for name, m in sorted(metrics.items()):
        entry: dict[str, Any] = {"kind": m.kind, "value": m.value, "samples": m.samples}
        prior = (old or {}).get("metrics", {}).get(name, {})
        if isinstance(prior.get("tolerance"), dict):
            entry["tolerance"] = prior["tolerance"]
        entries[name] = entry
    data = {
        "kind": BASELINE_KIND,
        "schema_version": 1,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "source": source,
        "fingerprint": fp,
        "tolerances": (old or {}).get("tolerances", {}),
        "metrics": entries,
    }
    write_atomic(Path(path), lambda fh: fh.write((json.dumps(data, indent=2) + "\n").encode()))


def pyproject_config(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """`[tool.compileprof]` of the nearest pyproject.toml at or above `start` (cwd), checked: `tolerances`
    (tables of `abs` and `rel`) and `history` (a path or URL). ({}, None) without a pyproject.toml."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        p = d / "pyproject.toml"
        if p.is_file():
            break
    else:
        return {}, None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(p.read_text())
    except (OSError, ValueError) as err:
        raise CompileprofError(f"{p}: unreadable TOML ({err})", EXIT_USAGE) from None
    shape = {"tool": opt({"compileprof": opt({"tolerances": opt(each(TOLERANCE)), "history": opt(str)})})}
    what = problem(data, shape)
    config = ((data.get("tool") or {}).get("compileprof") or {}) if not what else {}
    what = what or _negative_tolerance(config.get("tolerances") or {}, "tool.compileprof.tolerances")
    if what:
        raise CompileprofError(
            f"{p}: [tool.compileprof] {what}; tolerances are tables like time = {{rel = 0.1}}", EXIT_USAGE
        )
    return config, p


def pyproject_layer(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """`[tool.compileprof] tolerances` from the nearest pyproject.toml at or above `start` (cwd)."""
    config, path = pyproject_config(start)
    return config.get("tolerances") or {}, path
