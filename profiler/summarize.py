"""Fold one log's record stream into a `TraceReport`; several logs in parallel processes."""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import orjson

from .analysis import add_phase_sums, merge_span_totals, merge_sums
from .asserts import graph_asserts
from .compiles import compile_from_metrics, resolve_span_fallbacks
from .model import CACHE_EVENTS, CompileInfo, TraceReport
from .phases import PhaseBuilder
from .pieces import COMPILE_SPAN, PieceTracker
from .reader import TraceReader, compile_boundary

VARIANT_MARK = "compileprof_measure_variant"
_RANK_IN_NAME = re.compile(r"rank_(\d+)")
PARALLEL_MIN_BYTES = 64 << 20  # below this, one process is faster than splitting


@dataclass(slots=True)
class _Pending:
    """What a compile's records say before its metrics record arrives."""

    cache: dict[str, int] = field(default_factory=dict)
    graph_breaks: list[str] = field(default_factory=list)
    recompile_reasons: list[str] = field(default_factory=list)


def cache_from_instants(instants: dict[str, int]) -> dict[str, int]:
    """Cache events from chromium instants (`fx_graph_cache_hit`, `autograd_cache_miss`, ...)."""
    out = {}
    for name, n in instants.items():
        key = "aotautograd" + name[len("autograd") :] if name.startswith("autograd_cache_") else name
        if key in CACHE_EVENTS:
            out[key] = out.get(key, 0) + n
    return out


def _first_line(text: str, limit: int = 200) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def _seal(info: CompileInfo, key: str | None, report: TraceReport, builder: PhaseBuilder) -> None:
    """A compile's spans are closed: fill span fallbacks, add its phase sums, and shrink it."""
    tree = info.tree
    if tree is None:
        return
    resolve_span_fallbacks(info)
    add_phase_sums(info, report.phase_total, report.phase_self)
    info.seal()
    builder.release(key, tree)


def summarize_range(path: str | Path, start: int = 0, end: int | None = None) -> TraceReport:
    """Fold the records of `path` (or of its bytes `[start, end)`) into a report, before `finish`.

    Never raises on damaged content; counts it instead.
    """
    reader = TraceReader(path, start=start, end=end)
    builder = PhaseBuilder()
    report = TraceReport(path=str(path), rank=None, torch_version=None, parse=reader.stats)
    pending: dict[str | None, _Pending] = {}
    unsealed: list[tuple[str | None, CompileInfo]] = []  # compiles whose span trees may still grow
    pieces = PieceTracker()
    variant: str | None = None  # A/B measurements mark which variant the next compiles belong to
    for rec in reader:
        kind = rec.kind
        if kind == "chromium_event":
            try:
                event = orjson.loads(rec.payload) if rec.payload else None
            except orjson.JSONDecodeError:
                event = None
            if isinstance(event, dict):
                closed = builder.feed(event, rec.compile_id)
                if closed is not None and event["name"].endswith(COMPILE_SPAN):
                    pieces.span_closed(event["name"], closed)
        elif kind == "compilation_metrics":
            if not isinstance(rec.meta, dict):
                continue
            pieces.metrics(rec)
            # A new compile's metrics: the earlier compiles' spans have closed (torch compiles one
            # frame at a time per process), so their trees can be sealed.
            still_open = []
            for k, c in unsealed:
                if builder.is_open(k):
                    still_open.append((k, c))
                else:
                    _seal(c, k, report, builder)
            unsealed = still_open
            key = rec.meta.get("compile_id") or rec.compile_id
            info = compile_from_metrics(rec.meta, rec.compile_id, rec.attempt, rec.rank, builder.claim(key), rec.line)
            info.variant = variant
            unsealed.append((key, info))
            seen = pending.pop(info.compile_id, None) or pending.pop(rec.compile_id, None)
            instants = cache_from_instants(info.tree.instants)
            if instants and not (seen and seen.cache):
                info.cache = instants  # chromium instants, where no cache artifact was written
            if seen is not None:
                if seen.cache:
                    info.cache = seen.cache
                info.graph_breaks = len(seen.graph_breaks)
                info.graph_break_reasons = seen.graph_breaks
                if not info.recompile_reason and seen.recompile_reasons:
                    info.recompile_reason = "; ".join(seen.recompile_reasons)
            if not info.graph_break_reasons and "dynamo_graph_break_reason" not in report.artifacts:
                # Older torch writes no graph-break artifact: a restart is the trace of a break.
                info.graph_breaks = sum("graph_break" in r or "graph break" in r.lower() for r in info.restart_reasons)
            if report.torch_version is None and isinstance(rec.meta.get("pytorch_version"), str):
                report.torch_version = rec.meta["pytorch_version"]
            report.compiles.append(info)
        elif kind == "artifact" and isinstance(rec.meta, dict):
            name = str(rec.meta.get("name"))
            report.artifacts[name] = report.artifacts.get(name, 0) + 1
            if name in CACHE_EVENTS:
                cache = pending.setdefault(rec.compile_id, _Pending()).cache
                cache[name] = cache.get(name, 0) + 1
                pieces.cache_event(name)
            elif name == "dynamo_graph_break_reason":
                pending.setdefault(rec.compile_id, _Pending()).graph_breaks.append(_first_line(rec.text()))
            elif name == "recompile_reasons":
                try:
                    reasons = orjson.loads(rec.text())
                except orjson.JSONDecodeError:
                    reasons = [rec.text()]
                if isinstance(reasons, list):
                    pending.setdefault(rec.compile_id, _Pending()).recompile_reasons.extend(
                        _first_line(str(r)) for r in reasons
                    )
            elif name == VARIANT_MARK:
                try:
                    variant = str(orjson.loads(rec.text()).get("variant"))
                except (orjson.JSONDecodeError, AttributeError):
                    variant = None
                pieces.variant = variant
            elif "_piecewise_" in name or name.endswith("_compilation_config"):
                pieces.artifact(rec, name)
            elif name == "torch_version" and report.torch_version is None:
                try:
                    version = orjson.loads(rec.text()).get("pytorch_version")
                except (orjson.JSONDecodeError, AttributeError):
                    version = None
                report.torch_version = version if isinstance(version, str) else None
        elif kind == "inductor_output_code":
            meta = rec.meta if isinstance(rec.meta, dict) else {}
            code = rec.text()
            graph = graph_asserts(code, rec.compile_id, rec.rank, meta.get("filename"))
            graph.variant = variant
            report.graphs.append(graph)
            pieces.output_code(graph.counts)
            if report.device is None:
                if "async_compile.triton(" in code or "import triton" in code:
                    report.device = "cuda"
                elif "async_compile.cpp" in code or "cpp_fused" in code:
                    report.device = "cpu"
        elif kind == "graph_dump" and isinstance(rec.meta, dict):
            pieces.graph_dump(rec, str(rec.meta.get("name")))
    builder.finish()
    pieces.finish()
    report.pieces, report.piecewise = pieces.pieces, pieces.split
    for key, info in unsealed:
        _seal(info, key, report, builder)
    report.rank = reader.rank
    report.unattributed = builder.unattributed
    report.trace_only = builder.trace_only
    report.stray_begin, report.stray_end = builder.stray_begin, builder.stray_end
    return report


def _finish(report: TraceReport) -> TraceReport:
    """Fill what needs the whole log: the rank (else from the file name), span-based fallbacks."""
    if report.rank is None:
        m = _RANK_IN_NAME.search(Path(report.path).name)
        report.rank = int(m.group(1)) if m else None
    for g in report.graphs:
        if g.rank is None:
            g.rank = report.rank
    for p in report.pieces:
        if p.rank is None:
            p.rank = report.rank
    for info in report.compiles:
        if info.rank is None:
            info.rank = report.rank
    return report


def merge_parts(parts: list[TraceReport]) -> TraceReport:
    """Join the reports of consecutive byte ranges of one log into the log's report."""
    whole = parts[0]
    for part in parts[1:]:
        for info in part.compiles:
            info.line += whole.parse.lines
        whole.parse.merge(part.parse)
        whole.compiles.extend(part.compiles)
        whole.pieces.extend(part.pieces)
        whole.piecewise = part.piecewise or whole.piecewise
        whole.graphs.extend(part.graphs)
        whole.unattributed = merge_span_totals([whole.unattributed, part.unattributed])
        whole.trace_only = merge_span_totals([whole.trace_only, part.trace_only])
        whole.phase_total = merge_sums([whole.phase_total, part.phase_total])
        whole.phase_self = merge_sums([whole.phase_self, part.phase_self])
        for name, n in part.artifacts.items():
            whole.artifacts[name] = whole.artifacts.get(name, 0) + n
        whole.stray_begin += part.stray_begin
        whole.stray_end += part.stray_end
        whole.torch_version = whole.torch_version or part.torch_version
        whole.device = whole.device or part.device
        whole.rank = whole.rank if whole.rank is not None else part.rank
    return whole


def _range(args: tuple[str, int, int | None]) -> TraceReport:
    return summarize_range(*args)


def summarize_file(path: str | Path, jobs: int | None = None) -> TraceReport:
    """Read one log and build its report; a large log is split at compile boundaries and its parts
    are read in parallel processes (`jobs`, default: the CPU count)."""
    workers = jobs or os.cpu_count() or 1
    size = os.path.getsize(path)
    if workers > 1 and size >= PARALLEL_MIN_BYTES:
        near = [size * i // workers for i in range(1, workers)]
        cuts = sorted({c for c in (compile_boundary(path, n) for n in near) if c})
        if cuts:
            bounds = [0, *cuts, size]
            ranges = [(str(path), a, b) for a, b in pairwise(bounds)]
            with ProcessPoolExecutor(max_workers=len(ranges) - 1) as pool:
                rest = pool.map(_range, ranges[1:])
                parts = [_range(ranges[0]), *rest]  # this process reads the first part meanwhile
            ranks = {p.rank for p in parts if p.rank is not None}
            if len(ranks) <= 1:  # several ranks in one file: first-rank-wins needs one sequential pass
                return _finish(merge_parts(parts))
    return _finish(summarize_range(path))


def summarize_files(paths: list[Path], jobs: int | None = None) -> list[TraceReport]:
    """Summarise several logs, in parallel processes when there is more than one."""
    if len(paths) <= 1:
        return [summarize_file(p, jobs=jobs) for p in paths]
    workers = min(len(paths), jobs or os.cpu_count() or 1)
    if workers <= 1:
        return [summarize_file(p, jobs=1) for p in paths]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, paths))


def _one(path: Path) -> TraceReport:
    return summarize_file(path, jobs=1)
