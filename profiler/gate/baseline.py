"""The baseline file `check` compares with (its metrics and tolerances), and `[tool.compileprof]` in the
user's pyproject.toml."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, CompileprofError
from .metrics import Metric

BASELINE_KIND = "compileprof-baseline"


def read_baseline(path: Path) -> dict[str, Any]:
    """The baseline file; raises `CompileprofError` (exit 2) when it is not one."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CompileprofError(f"{path}: no baseline file; create it with --update-baseline", EXIT_USAGE) from None
    except (OSError, ValueError) as err:
        raise CompileprofError(
            f"{path}: not a readable baseline ({err}); fix it or rewrite it with --update-baseline", EXIT_USAGE
        ) from None
    if not isinstance(data, dict) or data.get("kind") != BASELINE_KIND or not isinstance(data.get("metrics"), dict):
        raise CompileprofError(f"{path}: not a compileprof baseline (kind {BASELINE_KIND!r} expected)", EXIT_USAGE)
    return data


def baseline_metrics(data: dict[str, Any]) -> dict[str, Metric]:
    """The metrics of a baseline file."""
    out = {}
    for name, entry in data["metrics"].items():
        samples = entry.get("samples") or [entry.get("value")]
        if entry.get("kind") not in ("count", "time") or any(not isinstance(s, (int, float)) for s in samples):
            raise CompileprofError(f"baseline metric {name!r}: needs kind count|time and numeric samples", EXIT_USAGE)
        out[name] = Metric(name, entry["kind"], [float(s) for s in samples])
    return out


def baseline_layers(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Tolerance layers of a baseline: its `tolerances` table, then per-metric `tolerance` entries."""
    if not data:
        return []
    layers = []
    if isinstance(data.get("tolerances"), dict):
        layers.append(data["tolerances"])
    per_metric = {n: e["tolerance"] for n, e in data["metrics"].items() if isinstance(e.get("tolerance"), dict)}
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
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def pyproject_layer(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """`[tool.compileprof] tolerances` from the nearest pyproject.toml at or above `start` (cwd)."""
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
    table = data.get("tool", {}).get("compileprof", {})
    tolerances = table.get("tolerances", {}) if isinstance(table, dict) else {}
    if not isinstance(tolerances, dict):
        raise CompileprofError(f"{p}: [tool.compileprof] tolerances must be a table", EXIT_USAGE)
    return tolerances, p
