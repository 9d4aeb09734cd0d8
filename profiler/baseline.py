"""What `check` and `diff` compare: metrics gathered from runs or traces (repeats as samples), the
environment fingerprint, the baseline file, and `[tool.compileprof]` in the user's pyproject.toml."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from .capture.rundir import read_manifest
from .discover import find_logs
from .errors import EXIT_NO_DATA, EXIT_USAGE, CompileprofError
from .metrics import Metric, merge_samples, report_metrics
from .report import Report, build_report, read_logs

BASELINE_KIND = "compileprof-baseline"


def fingerprint(report: Report, manifest: dict[str, Any] | None) -> dict[str, Any]:
    """python, torch, device, CPU count and cache mode, as far as the run or trace tells them."""
    if manifest is not None:
        versions = manifest.get("versions") or {}
        return {
            "python": versions.get("python"),
            "torch": versions.get("torch"),
            "device": manifest.get("device_name") or manifest.get("device"),
            "cpu_count": manifest.get("cpu_count"),
            "cache": manifest.get("cache"),
        }
    return {
        "python": None,
        "torch": ", ".join(report.torch_versions) or None,
        "device": report.device,
        "cpu_count": None,
        "cache": None,
    }


def _samples_of_run(run_dir: Path, manifest: dict[str, Any], primary_report: Report, jobs: int | None) -> list[Report]:
    """The reports of the primary child and of its repeats (`cold2`, ...); the primary's is already read."""
    primary = manifest.get("primary", "cold")
    kind = primary.rstrip("0123456789")
    reports = []
    for label, child in (manifest.get("children") or {}).items():
        if label.rstrip("0123456789") != kind or child.get("status") != "ok":
            continue
        if label == primary:
            reports.append(primary_report)
        else:
            reports.append(read_logs(find_logs(run_dir / child["trace"]), str(run_dir), jobs))
    return reports


def gather(paths: list[Path], jobs: int | None = None) -> tuple[dict[str, Metric], dict[str, Any], list[Report]]:
    """Metrics of one or more runs or traces of the same thing (their times become samples), the
    fingerprint of the first, and the reports read. A run made with `--repeat N` gives N samples."""
    per_report: list[dict[str, Metric]] = []
    reports: list[Report] = []
    fp: dict[str, Any] | None = None
    for path in paths:
        manifest = read_manifest(Path(path)) if Path(path).is_dir() else None
        if manifest is not None and manifest.get("status") != "ok":
            raise CompileprofError(
                f"{path}: the run did not finish ({manifest.get('status')}); nothing to compare, see its manifest.json",
                EXIT_NO_DATA,
            )
        report = build_report(path, jobs=jobs)
        fp = fp or fingerprint(report, manifest)
        reports.append(report)
        extra = _samples_of_run(Path(path), manifest, report, jobs) if manifest else []
        if len(extra) > 1:
            # every repeat is a sample; the run's own report (its primary child) carries the extras
            # (measurements) the repeats do not have
            first = report_metrics(report)
            for r in extra:
                m = report_metrics(r)
                per_report.append({**{k: v for k, v in first.items() if k not in m}, **m})
        else:
            per_report.append(report_metrics(report))
    return merge_samples(per_report), fp or {}, reports


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
