"""The report of one or more logs (ranks), and its JSON contract (schema_version 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .analysis import (
    RankSkew,
    Spend,
    Summary,
    assert_totals,
    logging_overhead,
    merge_span_totals,
    merge_sums,
    rank_skew,
    summarize_compiles,
    top_spends,
    total_compile_time,
)
from .capture.rundir import read_manifest
from .discover import find_logs
from .errors import CompileprofError
from .measurements import measurements
from .model import AssertCounts, CompileInfo, GraphAsserts, PieceCompile, PiecewiseSplit, SpanTotal, TraceReport
from .records import ParseStats
from .summarize import summarize_files

SCHEMA_VERSION = 1


@dataclass(slots=True)
class Report:
    """Everything `compileprof report` shows: the per-log reports and their combined views."""

    source: str
    traces: list[TraceReport]
    parse: ParseStats = field(default_factory=ParseStats)
    compiles: list[CompileInfo] = field(default_factory=list)
    graphs: list[GraphAsserts] = field(default_factory=list)
    asserts: AssertCounts = field(default_factory=AssertCounts)
    trace_only: dict[str, SpanTotal] = field(default_factory=dict)
    unattributed: dict[str, SpanTotal] = field(default_factory=dict)
    summary: Summary = field(default_factory=Summary)
    phases: dict[str, float] = field(default_factory=dict)
    spends: list[Spend] = field(default_factory=list)
    skew: RankSkew | None = None
    run: dict[str, Any] | None = None
    measurements: dict[str, Any] | None = None

    @property
    def torch_versions(self) -> list[str]:
        """Distinct torch versions the logs name."""
        return sorted({t.torch_version for t in self.traces if t.torch_version})

    @property
    def ranks(self) -> list[int]:
        """Distinct ranks of the logs."""
        return sorted({t.rank for t in self.traces if t.rank is not None})

    @property
    def device(self) -> str | None:
        """The device the generated code targets (the first log that shows one)."""
        return next((t.device for t in self.traces if t.device), None)

    @property
    def pieces(self) -> list[PieceCompile]:
        """Piece compiles of a piecewise backend, over all logs in order."""
        return [p for t in self.traces for p in t.pieces]

    @property
    def piecewise(self) -> PiecewiseSplit | None:
        """The split a piecewise backend logged (the first log's)."""
        return next((t.piecewise for t in self.traces if t.piecewise), None)

    @property
    def stray_events(self) -> tuple[int, int]:
        """(B events never closed, E events with no B) over all logs."""
        return sum(t.stray_begin for t in self.traces), sum(t.stray_end for t in self.traces)


def combine(source: str, traces: list[TraceReport]) -> Report:
    """Build the combined report of several per-log reports."""
    report = Report(source=source, traces=traces)
    for t in traces:
        report.parse.merge(t.parse)
        report.compiles.extend(t.compiles)
        report.graphs.extend(t.graphs)
    report.asserts = assert_totals(report.graphs)
    report.trace_only = merge_span_totals([t.trace_only for t in traces])
    report.unattributed = merge_span_totals([t.unattributed for t in traces])
    report.summary = summarize_compiles(report.compiles, report.trace_only)
    report.phases = merge_sums([t.phase_total for t in traces])
    report.spends = top_spends(merge_sums([t.phase_self for t in traces]), report.summary.compile_time_s)
    report.skew = rank_skew(traces)
    return report


def build_report(path: str | Path, latest: bool = False, jobs: int | None = None) -> Report:
    """Find the logs under `path`, read them (in parallel) and combine them.

    A run directory (it holds a `compileprof run` manifest) is reported from its measured trace,
    with the run's facts (model, backend, steps, output check, forward timing, the other cache
    runs) in `Report.run`.
    Raises `CompileprofError` when the path is missing, holds no log, or is one file that is not a
    TORCH_TRACE log.
    """
    manifest = read_manifest(Path(path)) if Path(path).is_dir() else None
    if manifest is not None:
        child = manifest["children"].get(manifest.get("primary"), {})
        report = read_logs(find_logs(Path(path) / child.get("trace", "cold/trace"), latest=latest), str(path), jobs)
        report.run = run_section(Path(path), manifest, report, jobs)
        report.measurements = measurements(child, report.graphs, report.pieces, report.compiles)
        return report
    return read_logs(find_logs(path, latest=latest), str(path), jobs)


def read_logs(logs: list[Path], source: str, jobs: int | None) -> Report:
    """Read `logs` (in parallel) and combine them into one report; `source` names what was asked for."""
    traces = summarize_files(logs, jobs=jobs)
    if len(traces) == 1 and traces[0].parse.records == 0 and traces[0].parse.lines > 0:
        t = traces[0]
        raise CompileprofError(
            f"{t.path}: not a TORCH_TRACE log (none of its {t.parse.lines} lines is a glog-prefixed JSON record)"
        )
    return combine(source, traces)


def _cache_run(label: str, report: Report) -> dict[str, Any]:
    return {
        "label": label,
        "compiles": report.summary.compiles,
        "compile_time_s": _r(report.summary.compile_time_s),
        "cache": report.summary.cache,
        "phases": {name: _r(v) for name, v in list(report.phases.items())[:8]},
    }


def run_section(run_dir: Path, manifest: dict[str, Any], primary: Report, jobs: int | None) -> dict[str, Any]:
    """The `run` object of a run directory's report: the manifest's facts and, per child process
    that left a trace, its compile count, compile time and cache hits (cold vs warm side by side)."""
    cache_runs = []
    for label, child in manifest.get("children", {}).items():
        if label == manifest.get("primary"):
            cache_runs.append(_cache_run(label, primary))
            continue
        try:
            other = read_logs(find_logs(run_dir / child["trace"]), str(run_dir), jobs)
        except CompileprofError:
            continue
        cache_runs.append(_cache_run(label, other))
    keep = (
        "status", "model", "factory_kwargs", "backend", "backend_options", "device", "device_name", "threads",
        "cpu_count", "versions", "cache", "primary", "wall_s", "children",
    )  # fmt: skip
    return {**{k: manifest.get(k) for k in keep}, "cache_runs": cache_runs}


# ---- JSON contract -------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None


def compile_to_dict(c: CompileInfo, with_phases: bool = True) -> dict[str, Any]:
    """One entry of the contract's `compiles` list (`phases` last; left out when `with_phases` is False)."""
    out = {
        "compile_id": c.compile_id,
        "attempt": c.attempt,
        "rank": c.rank,
        "co_name": c.co_name,
        "co_filename": c.co_filename,
        "co_firstlineno": c.co_firstlineno,
        "compile_time_s": _r(c.compile_time_s),
        "backend_compile_time_s": _r(c.backend_compile_time_s),
        "inductor_compile_time_s": _r(c.inductor_compile_time_s),
        "code_gen_time_s": _r(c.code_gen_time_s),
        "structured_logging_overhead_s": _r(c.structured_logging_overhead_s),
        "torch_trace_only_s": _r(c.trace_only_s),
        "fail_type": c.fail_type,
        "fail_reason": c.fail_reason,
        "restart_reasons": c.restart_reasons,
        "recompile_reason": c.recompile_reason,
        "is_recompile": c.is_recompile,
        "graph_breaks": c.graph_breaks,
        "graph_break_reasons": c.graph_break_reasons,
        "cache": c.cache,
        "counts": c.counts,
        "variant": c.variant,
        "parts_s": {k: _r(v) for k, v in c.parts_s.items()},
    }
    if with_phases:
        out["phases"] = c.phases()
    return out


def _totals(compiles: list[CompileInfo], trace_only: dict[str, SpanTotal], phases: dict[str, float]) -> dict[str, Any]:
    compile_time = total_compile_time(compiles)
    overhead = logging_overhead(compiles)
    trace_only_s = sum(t.total_s for t in trace_only.values())
    return {
        "compiles": len(compiles),
        "compile_time_s": _r(compile_time),
        "structured_logging_overhead_s": _r(overhead),
        "structured_logging_share": _r(overhead / compile_time) if compile_time and overhead is not None else None,
        "torch_trace_only_s": _r(trace_only_s),
        "torch_trace_only_share": _r(trace_only_s / compile_time) if compile_time else None,
        "torch_trace_only_spans": {name: t.to_dict() for name, t in trace_only.items()},
        "phases": {name: _r(v) for name, v in phases.items()},
    }


def _asserts(graphs: list[GraphAsserts], with_graphs: bool) -> dict[str, Any]:
    counts = assert_totals(graphs)
    out: dict[str, Any] = {**counts.to_dict(), "total": counts.total}
    if with_graphs:
        out["graphs"] = [g.to_dict() for g in graphs]
    return out


def report_to_dict(report: Report, with_compiles: bool = True) -> dict[str, Any]:
    """The machine-readable report (README documents every key); `compiles` is empty when
    `with_compiles` is False (the streaming writer fills it)."""
    begin, end = report.stray_events
    totals = _totals(report.compiles, report.trace_only, report.phases)
    summary = report.summary.to_dict()
    single = len(report.traces) == 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "compileprof", "version": __version__},
        "source": report.source,
        "files": [t.path for t in report.traces],
        "torch_versions": report.torch_versions,
        "device": report.device,
        "parse": report.parse.to_dict(),
        "summary": summary,
        "compiles": [compile_to_dict(c) for c in report.compiles] if with_compiles else [],
        "totals": totals,
        "asserts": _asserts(report.graphs, with_graphs=True),
        "top_spends": [{"name": s.name, "self_s": _r(s.self_s), "share": _r(s.share)} for s in report.spends],
        "unattributed_spans": [t.to_dict() for t in report.unattributed.values()],
        "stray_events": {"unmatched_begin": begin, "unmatched_end": end},
        "ranks": [
            {
                "rank": t.rank,
                "path": t.path,
                "torch_version": t.torch_version,
                "parse": t.parse.to_dict(),
                "totals": totals if single else _totals(t.compiles, t.trace_only, merge_sums([t.phase_total])),
                "asserts": _asserts(t.graphs, with_graphs=False),
                "summary": summary if single else summarize_compiles(t.compiles, t.trace_only).to_dict(),
            }
            for t in report.traces
        ],
        "rank_skew": report.skew.to_dict() if report.skew else None,
        "piecewise": report.piecewise.to_dict() if report.piecewise else None,
        "pieces": [p.to_dict() for p in report.pieces],
        "run": report.run,
        "measurements": report.measurements,
    }
