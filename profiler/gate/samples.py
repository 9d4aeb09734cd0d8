"""What `check` and `diff` compare: the metrics of runs or traces (repeats and several traces become
samples of the times), and the environment fingerprint they were made in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..build import build_report, read_logs
from ..errors import EXIT_NO_DATA, CompileprofError
from ..model.instructions import Instructions
from ..model.report import Report
from ..model.run import RunManifest, read_manifest, same_series
from ..trace.discover import find_logs
from .metrics import Metric, merge_samples, report_metrics


def fingerprint(report: Report, manifest: RunManifest | None) -> dict[str, Any]:
    """python, torch, device, CPU count and cache mode, as far as the run or trace tells them."""
    if manifest is not None:
        versions = manifest.versions or {}
        return {
            "python": versions.get("python"),
            "torch": versions.get("torch"),
            "device": manifest.device_name or manifest.device,
            "cpu_count": manifest.cpu_count,
            "cache": manifest.cache,
        }
    return {
        "python": None,
        "torch": ", ".join(report.torch_versions) or None,
        "device": report.device,
        "cpu_count": None,
        "cache": None,
    }


def _samples_of_run(run_dir: Path, manifest: RunManifest, primary_report: Report, jobs: int | None) -> list[Report]:
    """The reports of the primary child and of its repeats (`cold2`, ...); the primary's is already read."""
    reports = []
    for label, child in manifest.children.items():
        if not same_series(label, manifest.primary) or not child.ok:
            continue
        if label == manifest.primary:
            reports.append(primary_report)
        else:
            repeat = read_logs(find_logs(run_dir / child.trace), str(run_dir), jobs)
            repeat.instructions = Instructions.of(child.instructions)
            reports.append(repeat)
    return reports


def gather_sweep(path: Path, jobs: int | None = None) -> tuple[dict[str, Metric], dict[str, Any], list[Report]] | None:
    """A sweep directory's metrics, cell by cell (`CELL:metric`, each cell's run gathered as a run is),
    the first finished cell's fingerprint and the reports; None when `path` holds no sweep. A cell that
    did not finish has no metrics: against a baseline that has them, they are MISSING."""
    from ..sweep.results import read_sweep

    sweep = read_sweep(path) if Path(path).is_dir() else None
    if sweep is None:
        return None
    metrics: dict[str, Metric] = {}
    fp: dict[str, Any] = {}
    reports: list[Report] = []
    for row in sweep.rows:
        if row.status != "ok" or not (Path(path) / row.key).is_dir():
            continue
        cell, cell_fp, cell_reports = gather([Path(path) / row.key], jobs)
        for name, m in cell.items():
            metrics[f"{row.key}:{name}"] = Metric(f"{row.key}:{name}", m.kind, m.samples)
        fp = fp or cell_fp
        reports += cell_reports
    if not reports:
        raise CompileprofError(f"{path}: no cell of the sweep finished; nothing to compare", EXIT_NO_DATA)
    return metrics, fp, reports


def gather(paths: list[Path], jobs: int | None = None) -> tuple[dict[str, Metric], dict[str, Any], list[Report]]:
    """Metrics of one or more runs or traces of the same thing (their times become samples), the
    fingerprint of the first, and the reports read. A run made with `--repeat N` gives N samples; a
    sweep directory gives each cell's metrics (see `gather_sweep`)."""
    if len(paths) == 1:
        swept = gather_sweep(Path(paths[0]), jobs)
        if swept is not None:
            return swept
    per_report: list[dict[str, Metric]] = []
    reports: list[Report] = []
    fp: dict[str, Any] | None = None
    for path in paths:
        manifest = read_manifest(Path(path)) if Path(path).is_dir() else None
        if manifest is not None and manifest.status != "ok":
            raise CompileprofError(
                f"{path}: the run did not finish ({manifest.status}); nothing to compare, see its manifest.json",
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
