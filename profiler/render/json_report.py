"""The JSON renderer and the report contract it writes (schema_version 1, every key in README),
streamed compile by compile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

import orjson

from .. import __version__
from ..analysis.measurements import wall_accounts
from ..model.compile import CompileInfo
from ..model.report import Divergence, JobView, Measured, RankSkew, RankView, Report, RunFacts, Summary, Totals
from ..unicode import dumps
from .escaping import clean
from .registry import RenderOptions

SCHEMA_VERSION = 1
# The manifest's facts a report's `run` object carries.
RUN_KEYS = (
    "status", "model", "factory_kwargs", "backend", "backend_options", "device", "device_name", "threads",
    "cpu_count", "versions", "cache", "primary", "wall_s", "children",
)  # fmt: skip
_COMPILES = "\u0000compiles\u0000"
_GRAPHS = "\u0000graphs\u0000"


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
        "compile_time_s": _r(c.compile_time_s),  # with its lazily compiled backward, when it has one
        "forward_compile_time_s": _r(c.forward_compile_time_s if c.backward is not None else c.compile_time_s),
        "backward": c.backward.to_dict() if c.backward is not None else None,
        "start_s": _r(c.start_s),
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
        "cache_bypass_reasons": c.cache_bypass_reasons,
        "counts": c.counts,
        "user_stack": c.user_stack,
        "guards": c.guards,
        "specializations": c.specializations,
        "collectives": c.collectives,
        "cache_disabled": c.cache_disabled,
        "variant": c.variant,
        "parts_s": {k: _r(v) for k, v in c.parts_s.items()},
    }
    if with_phases:
        out["phases"] = c.phases()
    return out


def totals_to_dict(t: Totals) -> dict[str, Any]:
    """The contract's `totals` object."""
    return {
        "compiles": t.compiles,
        "compile_time_s": _r(t.compile_time_s),
        "structured_logging_overhead_s": _r(t.structured_logging_overhead_s),
        "structured_logging_share": _r(t.structured_logging_share),
        "torch_trace_only_s": _r(t.torch_trace_only_s),
        "torch_trace_only_share": _r(t.torch_trace_only_share),
        "torch_trace_only_spans": {name: s.to_dict() for name, s in t.trace_only.items()},
        "phases": {name: _r(v) for name, v in t.phases.items()},
    }


def summary_to_dict(s: Summary) -> dict[str, Any]:
    """The contract's `summary` object."""
    return {
        "frames": s.frames,
        "frames_distinct": s.frames_distinct,
        "frames_per_rank": s.frames_per_rank,
        "compiles": s.compiles,
        "attempts": s.attempts,
        "compile_time_s": round(s.compile_time_s, 6),
        "graph_breaks": s.graph_breaks,
        "graph_break_reasons": s.graph_break_reasons,
        "recompiles": [{"compile_id": n.compile_id, "rank": n.rank, "reason": n.reason} for n in s.recompiles],
        "failures": [
            {"compile_id": n.compile_id, "rank": n.rank, "fail_type": n.kind, "fail_reason": n.reason}
            for n in s.failures
        ],
        "restarts": [{"compile_id": n.compile_id, "rank": n.rank, "reason": n.reason} for n in s.restarts],
        "cache": s.cache,
        "cache_bypass_reasons": s.cache_bypass_reasons,
        "cache_disabled": s.cache_disabled,
    }


def skew_to_dict(k: RankSkew) -> dict[str, Any]:
    """The contract's `rank_skew` object."""
    return {
        "slowest_rank": k.slowest_rank,
        "slowest_s": round(k.slowest_s, 6),
        "fastest_rank": k.fastest_rank,
        "fastest_s": round(k.fastest_s, 6),
        "spread_s": round(k.spread_s, 6),
        "ratio": round(k.ratio, 4) if k.ratio is not None else None,
        "compiles_per_rank": k.compiles_per_rank,
    }


def divergence_to_dict(d: Divergence) -> dict[str, Any]:
    """One entry of the contract's `divergence` list: a check and the ranks grouped by what they did."""
    groups = [
        {"ranks": g.ranks, "count": g.count, "summary": g.summary, "first_difference": g.first_difference}
        for g in d.groups
    ]
    return {"check": d.check, "diverged": d.diverged, "groups": groups, "note": d.note}


def job_to_dict(j: JobView) -> dict[str, Any]:
    """One entry of the contract's `jobs` list: a job's logs, ranks, totals, and how its ranks compare."""
    return {
        "name": clean(j.name),
        "files": [clean(t.name or t.path) for t in j.traces],
        "ranks": j.ranks,
        "processes": len(j.traces),
        "totals": totals_to_dict(j.totals),
        "summary": summary_to_dict(j.summary),
        "rank_skew": skew_to_dict(j.skew) if j.skew else None,
        "divergence": [divergence_to_dict(d) for d in j.divergence],
        "rank_conflicts": [clean(c) for c in j.rank_conflicts],
    }


def rank_to_dict(v: RankView) -> dict[str, Any]:
    """One entry of the contract's `ranks` list (one per process: a file may hold several)."""
    t = v.trace
    return {
        "rank": t.rank,
        "rank_source": t.rank_source,
        "path": clean(t.path),
        "name": clean(t.name or t.path),
        "pid": t.pid,
        "first_s": _r(t.first_s),
        "last_s": _r(t.last_s),
        "torch_version": t.torch_version,
        "parse": t.parse.to_dict(),
        "totals": totals_to_dict(v.totals),
        "unattributed_spans": [s.to_dict() for s in t.unattributed.values()],
        "asserts": {**v.asserts.to_dict(), "total": v.asserts.total},
        "summary": summary_to_dict(v.summary),
    }


def run_to_dict(run: RunFacts) -> dict[str, Any]:
    """The contract's `run` object: the manifest's facts and the cache runs side by side."""
    manifest = run.manifest.to_dict()
    cache_runs = [
        {
            "label": r.label,
            "compiles": r.compiles,
            "compile_time_s": _r(r.compile_time_s),
            "cache": r.cache,
            "phases": {name: _r(v) for name, v in r.phases.items()},
        }
        for r in run.cache_runs
    ]
    accounts = [
        {"label": a.label, "compile_step_s": _r(a.step_s), "traced_s": _r(a.traced_s), "untraced_s": _r(a.untraced_s),
         "traced_parts_s": {k: _r(v) for k, v in a.parts.items()}, "first_run_s": _r(a.first_run_s)}
        for a in wall_accounts(run.manifest, run.cache_runs)
    ]  # fmt: skip
    return {**{k: manifest.get(k) for k in RUN_KEYS}, "cache_runs": cache_runs, "wall_accounting": accounts}


def measured_to_dict(m: Measured | None) -> dict[str, Any] | None:
    """The contract's `measurement_compiles` object (null when the run made none)."""
    if m is None:
        return None
    return {"compiles": m.compiles, "variants": m.variants, "compile_time_s": _r(m.compile_time_s), "graphs": m.graphs}


def report_to_dict(report: Report, streamed: bool = False) -> dict[str, Any]:
    """The machine-readable report (README documents every key); with `streamed`, `compiles` and
    `asserts.graphs` hold markers where the streaming writer puts them, row by row."""
    begin, end = report.stray_events
    a = report.asserts
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "compileprof", "version": __version__},
        "source": clean(report.source),
        "files": [clean(p) for p in dict.fromkeys(t.path for t in report.traces)],
        "skipped_files": [{"path": clean(p), "reason": r} for p, r in report.skipped_files],
        "torch_versions": report.torch_versions,
        "versions": report.versions,
        "device": report.device,
        "parse": report.parse.to_dict(),
        "summary": summary_to_dict(report.summary),
        "compiles": _COMPILES if streamed else [compile_to_dict(c) for c in report.compiles],
        "totals": totals_to_dict(report.totals),
        "asserts": {
            **a.to_dict(),
            "total": a.total,
            "graphs": _GRAPHS if streamed else [g.to_dict() for g in report.graphs],
        },
        "top_spends": [{"name": s.name, "self_s": _r(s.self_s), "share": _r(s.share)} for s in report.spends],
        "unattributed_spans": [t.to_dict() for t in report.unattributed.values()],
        "background_spans": [
            {"rank": t.rank, "name": n, "start_s": _r(start), "duration_s": _r(dur), "thread": thread}
            for t in report.traces
            for n, start, dur, thread in t.background
        ],
        "stray_events": {"unmatched_begin": begin, "unmatched_end": end},
        "ranks": [rank_to_dict(v) for v in report.rank_views],
        "rank_skew": skew_to_dict(report.skew) if report.skew else None,
        "rank_conflicts": [clean(c) for c in report.rank_conflicts],
        "divergence": [divergence_to_dict(d) for d in report.divergence],
        "jobs": [job_to_dict(j) for j in report.jobs],
        "piecewise": report.piecewise.to_dict() if report.piecewise else None,
        "pieces": [p.to_dict() for p in report.pieces],
        "run": run_to_dict(report.run) if report.run else None,
        "measurements": report.measurements,
        "instructions": report.instructions.to_dict() if report.instructions else None,
        "manifest_error": clean(report.manifest_error) if report.manifest_error else None,
        "measurement_compiles": measured_to_dict(report.measured),
        "runtime": [
            {
                "compile_id": cid,
                "rank": rank,
                "records": cost.records,
                "metrics_s": {k: _r(v) for k, v in cost.metrics.items()},
                "spans": [span.to_dict() for span in cost.spans.values()],
            }
            for rank, cid, cost in report.runtime
        ],
        "exports": [{"path": clean(t.path), "rank": t.rank, **e.to_dict()} for t, e in report.exports],
        "record_kinds": report.record_kinds,
    }


def _rows(out: BinaryIO, rows: Iterable[bytes], indent: bytes) -> None:
    """A JSON list written one entry per line, each already serialised."""
    first = True
    for body in rows:
        out.write(b"[" + indent if first else b"," + indent)
        out.write(body)
        first = False
    out.write(b"[]" if first else indent[:-2] + b"]")


def write_json(report: Report, out: BinaryIO) -> None:
    """Write the report as UTF-8 JSON to `out`, ending with a newline.

    The document is indented; each entry of `compiles` and of `asserts.graphs` sits on one line and is
    written on its own (a compile's phase tree copied from its stored JSON), so no copy of the whole
    report is built in memory however many compiles there are.
    """
    doc = dumps(report_to_dict(report, streamed=True), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    head, rest = doc.split(dumps(_COMPILES), 1)
    middle, tail = rest.split(dumps(_GRAPHS), 1)
    out.write(head)
    compiles = (dumps(compile_to_dict(c, with_phases=False))[:-1] + b',"phases":' + c.phases_json() + b"}"
                for c in report.compiles)  # fmt: skip
    _rows(out, compiles, b"\n    ")
    out.write(middle)
    _rows(out, (dumps(g.to_dict()) for g in report.graphs), b"\n      ")
    out.write(tail)


class JsonReport:
    """`--format json`: the report contract."""

    def write(self, doc: Report, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the report as JSON."""
        write_json(doc, out)
