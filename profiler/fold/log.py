"""Fold one log's record stream (or one byte range of it) into a `TraceReport`, one handler per record kind.

Records of a compile arrive before its `compilation_metrics` record: cache artifacts, graph-break
and recompile reasons wait in `_Pending` until the metrics claim them. A compile's span tree is
sealed (summed and compressed) once the next compile's metrics arrive and none of its spans is open.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ..model.compile import CACHE_EVENTS, BackwardInfo, CompileInfo
from ..model.run import MEASUREMENT_VARIANTS, VARIANT_MARK
from ..model.spans import ns
from ..model.trace import RuntimeCost, TraceReport
from ..trace.reader import TraceReader
from ..trace.records import ParseStats, Record
from ..trace.values import MAX_SECONDS
from .asserts import graph_asserts
from .export import ExportTracker
from .metrics_record import (
    backward_from_metrics,
    caches_disabled,
    compile_from_metrics,
    metrics_cache,
    resolve_span_fallbacks,
)
from .pieces import COMPILE_SPAN, PieceTracker
from .spans import AOT, PhaseBuilder
from .sums import add_phase_sums

GRAPH_BREAK = "dynamo_graph_break_reason"
UNRESOLVED = "\x00"  # brackets a file-name index the part being read had not met yet (see ResolveFiles)
AOT_WRAPPER = "inductor_aot_wrapper_code"
STACK_FRAMES = 8  # innermost frames of the user's stack kept per compile
GUARDS_SHOWN = 5  # guards kept per compile (the count is the metrics' guard_count)
MAX_WAITING = 1000  # compiles kept back behind one whose spans never close
_GUARD_LINE = re.compile(rb"\+- ([^\n]*)")  # a node of the C++ guard tree, in the payload as written


@dataclass(slots=True)
class _Pending:
    """What a compile's records say before its metrics record arrives."""

    cache: dict[str, int] = field(default_factory=dict)
    bypass_reasons: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    specializations: list[str] = field(default_factory=list)
    aot: bool = False  # an AOTInductor wrapper was generated (compile_fx_aot)
    graph_breaks: list[str] = field(default_factory=list)
    recompile_reasons: list[str] = field(default_factory=list)
    collectives: list[str] = field(default_factory=list)


def cache_from_instants(instants: dict[str, int]) -> dict[str, int]:
    """Cache events from chromium instants (`fx_graph_cache_hit`, `autograd_cache_miss`, ...)."""
    out: dict[str, int] = {}
    for name, n in instants.items():
        key = "aotautograd" + name[len("autograd") :] if name.startswith("autograd_cache_") else name
        if key in CACHE_EVENTS:
            out[key] = out.get(key, 0) + n
    return out


def _cache(artifacts: dict[str, int], instants: dict[str, int], metrics: dict[str, int]) -> dict[str, int]:
    """A compile's cache events: per cache (FX graph, AOT autograd) its artifacts, else the chromium
    instants, else the metrics' counters (some logs record one cache only one way)."""
    cache = dict(artifacts)
    for family in ("fx_graph_cache_", "aotautograd_cache_"):
        if not any(k.startswith(family) for k in cache):
            fallback = {k: v for k, v in instants.items() if k.startswith(family)}
            cache.update(fallback or {k: v for k, v in metrics.items() if k.startswith(family) and v})
    return cache


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of `text`, stripped and cut to `limit` characters."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def _json(rec: Record, default: object = None) -> object:
    """The payload parsed as JSON; `default` when it is not JSON."""
    try:
        return orjson.loads(rec.text())
    except orjson.JSONDecodeError:
        return default


class LogFold:
    """The state of folding one log: feed it records in order, then `finish`."""

    def __init__(self, path: str | Path, stats_source: TraceReader, pid: int = 0, first: bool = True) -> None:
        """The fold of process `pid`'s records of the file `path` (the file's parse counters go to the
        report of its first process only: `first`)."""
        stats = stats_source.stats if first else ParseStats()
        self.report = TraceReport(path=str(path), rank=None, torch_version=None, parse=stats, pid=pid)
        self.values = stats_source.values
        self.strings = stats_source.strings(pid)  # the file names this process interned
        self.spans = PhaseBuilder(self.values)
        self.pieces = PieceTracker(self.values)
        self.export = ExportTracker(self.values, self.strings)
        self.pending: dict[str | None, _Pending] = {}
        self.unsealed: list[tuple[str | None, CompileInfo]] = []  # compiles whose span trees may still grow
        self.waiting: list[CompileInfo] = []  # compiles in log order, kept until they and all before are sealed
        self.variant: str | None = None  # A/B measurements mark which variant the next compiles belong to
        self.aot_compiles = 0  # AOTInductor compiles met (they have no compile id: labelled `aot N`)
        self.first_start: float | None = None  # the earliest and latest compile start the metrics state
        self.last_start: float | None = None
        self.trace_only = (self.spans.trace_only, {})  # the model's `*_torch_trace_only` spans, the measurements'
        self.kinds: dict[str, Callable[[Record], None]] = {
            "chromium_event": self.chromium_event,
            "compilation_metrics": self.compilation_metrics,
            "bwd_compilation_metrics": self.backward_metrics,
            "compilation_metrics_runtime": self.runtime_metrics,
            "bwd_compilation_metrics_runtime": self.runtime_metrics,
            "artifact": self.artifact,
            "inductor_output_code": self.output_code,
            "graph_dump": self.graph_dump,
            "dynamo_start": self.dynamo_start,
            "dynamo_cpp_guards_str": self.guards_text,
            "dynamo_guards": self.guards_json,
            "symbolic_shape_specialization": self.specialization,
            "export": self.export.begin,
            "exported_program": self.export.program,
            "guard_added": self.export.guard,
            "guard_added_fast": self.export.guard,
            "create_symbol": self.export.symbol,
            "create_unbacked_symbol": self.export.symbol,
            "guard_on_data_dependent_error": self.export.data_dependent,
            "missing_fake_kernel": self.export.fake_kernel,
            "mismatched_fake_kernel": self.export.fake_kernel,
        }
        self.artifacts: dict[str, Callable[[Record, str], None]] = {
            **dict.fromkeys(CACHE_EVENTS, self.cache_artifact),
            GRAPH_BREAK: self.graph_break,
            "recompile_reasons": self.recompile_reasons,
            "aotautograd_cache_hash": self.cache_hash,
            VARIANT_MARK: self.variant_mark,
            "torch_version": self.torch_version,
            "inductor_collective_schedule": self.collective_schedule,
        }

    def feed(self, rec: Record) -> None:
        """Take one record."""
        kinds = self.report.record_kinds
        if not kinds:
            self.report.first_kind = rec.kind
        kinds[rec.kind] = kinds.get(rec.kind, 0) + 1
        handler = self.kinds.get(rec.kind)
        if handler is not None:
            handler(rec)

    def _compile_of(self, rec: Record, count: bool = True) -> str | None:
        """The compile a metrics record is about. The envelope is the truth; the payload's own
        compile_id is used only when the envelope has none (some logs' payloads disagree). A bad
        payload id is counted unless `count` is off (the caller reads it again, and counts it then)."""
        if rec.compile_id or count:
            return rec.compile_id or self.values.str(rec.meta.get("compile_id"), "compile_id")
        payload_id = rec.meta.get("compile_id")
        return payload_id if type(payload_id) is str else None

    def _pending(self, compile_id: str | None) -> _Pending:
        return self.pending.setdefault(compile_id, _Pending())

    # ---- record kinds -------------------------------------------------------------------------

    def chromium_event(self, rec: Record) -> None:
        """A span begin/end, a complete span or an instant: into the compile's span tree."""
        try:
            event = orjson.loads(rec.payload) if rec.payload else None
        except orjson.JSONDecodeError:
            return
        if isinstance(event, dict):
            closed = self.spans.feed(event, rec.compile_id)
            if closed is not None and event["name"].endswith(COMPILE_SPAN):
                self.pieces.span_closed(event["name"], closed)

    def compilation_metrics(self, rec: Record) -> None:
        """A compile's metrics: the compile itself, with what its earlier records said."""
        if not isinstance(rec.meta, dict):
            return
        self.pieces.metrics(rec)
        self._seal_finished()
        key = self._compile_of(rec, count=False)  # compile_from_metrics reads (and counts) it
        if key is None and self.spans.aot_pending():
            key = AOT  # an AOTInductor compile's metrics: its spans were kept under compile_fx_aot
        info = compile_from_metrics(rec.meta, rec.compile_id, rec.attempt, rec.rank, self.spans.claim(key), self.values)
        if key == AOT and info.compile_id is None:  # torch gives an AOTInductor compile no id: a stable label
            info.compile_id = self._aot_label()
            self.aot_compiles += 1
        info.variant = self.variant
        self.first_start, self.last_start = widen(self.first_start, self.last_start, info.start_s)
        self.unsealed.append((key, info))
        self._attach_pending(info, rec.compile_id)
        info.cache_disabled = caches_disabled(rec.meta, info.cache)
        if self.report.torch_version is None:
            self.report.torch_version = self.values.str(rec.meta.get("pytorch_version"), "pytorch_version")
        for name in ("python", "triton", "cuda"):
            if name not in self.report.versions:
                text = self.values.str(rec.meta.get(f"{name}_version"), f"{name}_version")
                if text and text.split():
                    self.report.versions[name] = text.split()[0]  # "3.11.7 (main, ...)" -> "3.11.7"
        self.waiting.append(info)
        self._flush()

    def backward_metrics(self, rec: Record) -> None:
        """`bwd_compilation_metrics`: the backward AOT autograd compiled lazily on the first
        `.backward()`, after its forward's metrics. Its spans (rooted at `entire_backward_compile`) and
        cache lookups carry the forward's compile id; they are sealed now and the backward is counted
        in the compile it belongs to, whenever it comes (see `_attach_backward`)."""
        if not isinstance(rec.meta, dict):
            return
        key = self._compile_of(rec)
        tree = self.spans.claim(key)
        bwd = backward_from_metrics(rec.meta, tree, self.values)
        seen = self.pending.pop(key, None)
        instants = cache_from_instants(tree.instants)
        bwd.cache = _cache(seen.cache if seen else {}, instants, metrics_cache(rec.meta, self.values))
        for node in tree.root.walk() if not self.measuring else ():  # the phases are the model's compile's
            if node is not tree.root and node.count:
                self.report.phase_total[node.name] = self.report.phase_total.get(node.name, 0) + ns(node.total_s)
                self.report.phase_self[node.name] = self.report.phase_self.get(node.name, 0) + ns(node.self_s)
        bwd.trace_only_s = sum(n.total_s for n in tree.root.walk() if n.name.endswith("_torch_trace_only"))
        if tree.roots:
            bwd.phases_blob = zlib.compress(orjson.dumps([n.to_dict() for n in tree.roots]), 1)
        self.spans.release(key, tree)
        self._attach_backward(key, bwd)

    def _attach_backward(self, key: str | None, bwd: BackwardInfo) -> None:
        """Give a backward to the latest compile of its id: directly while that compile is still held
        here, by its row's position once it was handed to the report (attached as rows are read), or,
        when this part of the log holds no such compile, to whoever joins the parts (`orphans`)."""
        for info in reversed(self.waiting):
            if info.compile_id == key:
                info.attach_backward(bwd)
                return
        index = self.report.compile_index.get(key)
        if index is not None:
            self.report.compiles.late.by_index[index] = bwd
        else:
            self.report.orphan_backwards.append((key, bwd))

    def runtime_metrics(self, rec: Record) -> None:
        """`compilation_metrics_runtime`: what a compile's code cost when it ran (runtime autotuning,
        cudagraphify), kept by the compile it names (`*_us` fields, in seconds)."""
        if not isinstance(rec.meta, dict):
            return
        cost = self.report.runtime.setdefault(self._compile_of(rec) or "?", RuntimeCost())
        cost.records += 1
        for name, value in rec.meta.items():
            if name.endswith("_us") and value is not None and not name.startswith(("start_time", "end_time")):
                us = self.values.number(value, name, 0.0, MAX_SECONDS * 1e6)
                if us:
                    cost.metrics[name[:-3]] = cost.metrics.get(name[:-3], 0.0) + us / 1e6

    def artifact(self, rec: Record) -> None:
        """An artifact: counted by name, then handled by name (piecewise ones under any prefix)."""
        if not isinstance(rec.meta, dict):
            return
        name = self.values.str(rec.meta.get("name"), "artifact.name") or "None"
        self.report.artifacts[name] = self.report.artifacts.get(name, 0) + 1
        handler = self.artifacts.get(name)
        if handler is not None:
            handler(rec, name)
        elif "_piecewise_" in name or name.endswith("_compilation_config"):
            self.pieces.artifact(rec, name)

    def _aot_label(self) -> str:
        """The label of the AOTInductor compile in progress: `aot 1`, `aot 2`, ... in log order."""
        return f"aot {self.aot_compiles + 1}"

    def output_code(self, rec: Record) -> None:
        """Generated code: its asserts, and the device it targets."""
        meta = rec.meta if isinstance(rec.meta, dict) else {}
        self._generated_code(rec, rec.text(), self.values.str(meta.get("filename"), "output_code.filename"))

    def _generated_code(self, rec: Record, code: str, filename: str | None, compile_id: str | None = None) -> None:
        graph = graph_asserts(code, compile_id or rec.compile_id, rec.rank, filename)
        graph.variant = self.variant
        (self.report.measure_graphs if self.measuring else self.report.graphs).append(graph)
        self.pieces.output_code(graph.counts)
        if self.report.device is None:
            if "async_compile.triton(" in code or "import triton" in code:
                self.report.device = "cuda"
            elif "aoti_torch_device_type_cuda" in code:
                self.report.device = "cuda"
            elif "async_compile.cpp" in code or "cpp_fused" in code or "aoti_torch_device_type_cpu" in code:
                self.report.device = "cpu"

    def graph_dump(self, rec: Record) -> None:
        """A graph dump: AOTInductor's C++ wrapper (generated code), a piecewise split graph or a piece's graph."""
        if not isinstance(rec.meta, dict):
            return
        name = self.values.str(rec.meta.get("name"), "graph_dump.name") or "None"
        if name == AOT_WRAPPER:
            self._pending(rec.compile_id).aot = True
            label = self._aot_label() if rec.compile_id is None else None
            self._generated_code(rec, rec.text(), f"{AOT_WRAPPER}.cpp", label)
        else:
            self.pieces.graph_dump(rec, name)

    def dynamo_start(self, rec: Record) -> None:
        """Where the compiled frame was called from: the user's stack, file names resolved."""
        frames = rec.meta.get("stack") if isinstance(rec.meta, dict) else None
        if not isinstance(frames, list):
            return
        out = []
        for f in frames[-STACK_FRAMES:]:
            if isinstance(f, dict):
                where = f.get("filename")
                if type(where) is int:  # an interned file name; a part read in parallel may not know it yet
                    if where not in self.strings:
                        self.report.unresolved_files.add(where)
                    where = self.strings.get(where, f"{UNRESOLVED}{where}{UNRESOLVED}")
                else:
                    where = self.values.str(where, "stack.filename")
                line, name = self.values.int(f.get("line"), "stack.line"), self.values.text(f.get("name"), "stack.name")
                out.append(f"{where}:{line} in {name}")
        self._pending(rec.compile_id).stack = out

    def guards_text(self, rec: Record) -> None:
        """The C++ guard tree: its first guards on the frame's own inputs (`L[...]`, `G[...]`), then
        the global ones (not the manager nodes that hold them). The tree is read line by line only
        until GUARDS_SHOWN guards on inputs are found (a tree holds thousands)."""
        local: list[str] = []
        other: list[str] = []
        for m in _GUARD_LINE.finditer(rec.payload or b""):
            rest = m.group(1).decode("utf-8", "replace")
            if rest.split(":", 1)[0].endswith("GuardManager") or ": " not in rest:
                continue
            guard = rest.split("  # ", 1)[0].strip()[:200]
            if "L[" in guard or "G[" in guard:
                local.append(guard)
                if len(local) == GUARDS_SHOWN:
                    break
            elif len(other) < GUARDS_SHOWN:
                other.append(guard)
        self._pending(rec.compile_id).guards = [*local, *other][:GUARDS_SHOWN]

    def guards_json(self, rec: Record) -> None:
        """Older torch: the guards as a JSON list of {code, ...}."""
        items = _json(rec, [])
        codes = [g.get("code") for g in items if isinstance(g, dict)] if isinstance(items, list) else []
        self._pending(rec.compile_id).guards = [str(c)[:200] for c in codes if c][:GUARDS_SHOWN]

    def specialization(self, rec: Record) -> None:
        """A symbolic shape made concrete (`s0 = 8`), and why."""
        m = rec.meta if isinstance(rec.meta, dict) else {}
        symbol, value = self.values.text(m.get("symbol"), "symbol"), self.values.text(m.get("value"), "value")
        sources = self.values.texts(m.get("sources"), "sources")
        reason = self.values.text(m.get("reason"), "reason")
        text = f"{symbol} ({', '.join(sources)}) = {value}" + (f": {first_line(reason)}" if reason else "")
        if self.export.active:
            self.export.specialization(text)
        else:
            self._pending(rec.compile_id).specializations.append(text)

    # ---- artifacts by name --------------------------------------------------------------------

    def cache_artifact(self, rec: Record, name: str) -> None:
        """An FX graph or AOT autograd cache hit, miss or bypass (a bypass says why)."""
        pending = self._pending(rec.compile_id)
        pending.cache[name] = pending.cache.get(name, 0) + 1
        self.pieces.cache_event(name)
        if name.endswith("_bypass"):
            detail = _json(rec)
            reason = (
                self.values.text(detail.get("cache_bypass_reason"), "cache_bypass_reason")
                if isinstance(detail, dict)
                else None
            )
            if reason:
                pending.bypass_reasons.append(first_line(reason))

    def cache_hash(self, rec: Record, name: str) -> None:
        """`aotautograd_cache_hash`: the AOT autograd cache lookup, its outcome in `cache_state`."""
        detail = _json(rec)
        state = detail.get("cache_state") if isinstance(detail, dict) else None
        if state in ("hit", "miss", "bypass"):
            self.cache_artifact(rec, f"aotautograd_cache_{state}")

    def graph_break(self, rec: Record, name: str) -> None:
        """Why Dynamo broke the graph (the first line of the reason)."""
        self._pending(rec.compile_id).graph_breaks.append(first_line(rec.text()))

    def recompile_reasons(self, rec: Record, name: str) -> None:
        """Why a frame was compiled again (a JSON list of reasons, or text)."""
        reasons = _json(rec, default=[rec.text()])
        if isinstance(reasons, list):
            self._pending(rec.compile_id).recompile_reasons.extend(first_line(str(r)) for r in reasons)

    def collective_schedule(self, rec: Record, name: str) -> None:
        """The collective ops Inductor scheduled in a graph, in order (a JSON list of kernel names)."""
        ops = _json(rec, [])
        if isinstance(ops, list):
            self._pending(rec.compile_id).collectives.extend(str(op)[:200] for op in ops if op is not None)

    def variant_mark(self, rec: Record, name: str) -> None:
        """A measurement variant marker: the compiles after it belong to that variant."""
        mark = _json(rec)
        self.variant = self.values.text(mark.get("variant"), "variant") if isinstance(mark, dict) else None
        self.pieces.variant = self.variant
        self.spans.trace_only = self.trace_only[self.measuring]

    @property
    def measuring(self) -> bool:
        """True while the compiles are made only to measure (asserts off, trace on/off pairs)."""
        return self.variant in MEASUREMENT_VARIANTS

    def torch_version(self, rec: Record, name: str) -> None:
        """The torch version the log was written by (the first one wins)."""
        if self.report.torch_version is None:
            version = _json(rec)
            version = version.get("pytorch_version") if isinstance(version, dict) else None
            self.report.torch_version = self.values.str(version, "pytorch_version")

    # ---- compiles -----------------------------------------------------------------------------

    def _attach_pending(self, info: CompileInfo, envelope_id: str | None) -> None:
        """Give a new compile the cache events, graph breaks and recompile reasons logged before it."""
        seen = self.pending.pop(info.compile_id, None) or self.pending.pop(envelope_id, None)
        instants = cache_from_instants(info.tree.instants) if info.tree is not None else {}
        info.cache = _cache(seen.cache if seen else {}, instants, info.cache)
        if seen is not None:
            info.cache_bypass_reasons = seen.bypass_reasons
            info.user_stack, info.guards, info.specializations = seen.stack, seen.guards, seen.specializations
            info.collectives = seen.collectives
            if seen.aot and info.co_name is None:
                info.co_name = "compile_fx_aot"  # an AOTInductor compile: its metrics name no frame
            info.graph_breaks = len(seen.graph_breaks)
            info.graph_break_reasons = seen.graph_breaks
            if not info.recompile_reason and seen.recompile_reasons:
                info.recompile_reason = "; ".join(seen.recompile_reasons)
        if not info.graph_break_reasons and GRAPH_BREAK not in self.report.artifacts:
            # Older torch writes no graph-break artifact: a restart is the trace of a break.
            breaks = [first_line(r) for r in info.restart_reasons if "graph_break" in r or "graph break" in r.lower()]
            info.graph_breaks, info.graph_break_reasons = len(breaks), breaks
            self.report.breaks_from_restarts += info.graph_breaks > 0

    def _seal_finished(self) -> None:
        """Seal the compiles whose spans have all closed (torch compiles one frame at a time per process)."""
        still_open = []
        for key, info in self.unsealed:
            if self.spans.is_open(key):
                still_open.append((key, info))
            else:
                self._seal(info, key)
        self.unsealed = still_open

    def _flush(self) -> None:
        """Hand sealed compiles to the report in log order (a row does not change once there); a
        compile whose spans stay open while MAX_WAITING later ones arrive is sealed as it is."""
        if len(self.waiting) > MAX_WAITING and self.waiting[0].tree is not None:
            key, info = next((k, c) for k, c in self.unsealed if c is self.waiting[0])
            self.unsealed = [(k, c) for k, c in self.unsealed if c is not info]
            self._seal(info, key)
        done = 0
        while done < len(self.waiting) and self.waiting[done].tree is None:
            done += 1
        for info in self.waiting[:done]:
            if info.variant in MEASUREMENT_VARIANTS:
                self.report.measure_compiles.append(info)
                continue
            self.report.compile_index[info.compile_id] = len(self.report.compiles)  # a late backward's row
            self.report.compiles.append(info)
        del self.waiting[:done]

    def _seal(self, info: CompileInfo, key: str | None) -> None:
        """A compile's spans are closed: fill span fallbacks, add its phase sums, and shrink it."""
        tree = info.tree
        if tree is None:
            return
        resolve_span_fallbacks(info)
        if info.variant not in MEASUREMENT_VARIANTS:  # the phases are the model's compile's
            add_phase_sums(info, self.report.phase_total, self.report.phase_self)
        info.seal()
        self.spans.release(key, tree)

    def _time_window(self) -> None:
        """The report's first and last time: its events' (the log's clock), and its compiles' starts."""
        report, spans = self.report, self.spans
        first = spans.first_us / 1e6 if spans.first_us is not None else None
        last = spans.last_us / 1e6 if spans.last_us is not None else None
        first, last = widen(*widen(first, last, self.first_start), self.last_start)
        report.first_s, report.last_s = first, last

    def idle(self) -> bool:
        """True when nothing read so far waits for a later record: no open span, no compile waiting
        for its spans, nothing pending a metrics record, no piecewise state, no measurement variant.
        A log cut where the fold is idle can be read in parts with the one-pass result (an export
        still open is exact too when the next part begins with an `export` record: see `parallel._Prefix.takes`)."""
        for key, info in self.unsealed:
            if self.spans.is_open(key):
                return False
            self._seal(info, key)
        self.unsealed = []
        pieces = self.pieces
        return self.spans.idle and not self.pending and self.variant is None and not pieces.pieces and not pieces.split

    def can_cut(self) -> bool:
        """`idle` without its side effects: True when, once its finished compiles were sealed, nothing
        read so far would wait for a later record (the fold may then be finished here and what follows
        read from scratch with the one-pass result)."""
        keys = {key for key, _ in self.unsealed}
        if any(self.spans.is_open(key) for key in keys):
            return False
        pieces = self.pieces
        return (self.spans.idle_once_released(keys) and not self.pending and self.variant is None
                and not pieces.pieces and not pieces.split)  # fmt: skip

    def finish(self, rank: int | None) -> TraceReport:
        """End of the records: close what is open and return the report."""
        report = self.report
        report.ended_idle = self.idle()
        report.export_open = self.export.active
        report.export_unresolved = self.export.unresolved
        report.unclaimed_ids, report.claimed_ids = self.spans.unclaimed, self.spans.claimed
        self.spans.finish()
        self.pieces.finish()
        pieces = self.pieces.pieces
        report.pieces = [p for p in pieces if p.variant not in MEASUREMENT_VARIANTS]
        report.measure_pieces = [p for p in pieces if p.variant in MEASUREMENT_VARIANTS]
        report.piecewise = self.pieces.split
        for key, info in self.unsealed:
            self._seal(info, key)
        self._flush()
        report.rank = rank
        report.export = self.export.finish()
        report.strings = self.strings
        report.unattributed = self.spans.unattributed
        report.background = self.spans.background
        report.trace_only = self.trace_only[False]
        report.stray_begin, report.stray_end = self.spans.stray_begin, self.spans.stray_end
        self._time_window()
        report.args_only_spans = self.spans.args_ids
        for cid, spans in self.spans.runtime().items():
            report.runtime.setdefault(cid, RuntimeCost()).spans = spans
        return report


def widen(first: float | None, last: float | None, at: float | None) -> tuple[float | None, float | None]:
    """The window [first, last] widened to hold `at` (None: no time known)."""
    if at is None:
        return first, last
    return (at if first is None or at < first else first), (at if last is None or at > last else last)


def backward_only(key: str | None, bwd: BackwardInfo) -> CompileInfo:
    """A compile row for a backward whose forward is not in the log: only the backward's figures."""
    info = CompileInfo(key, None, None, None, None, None, None, None, bwd.inductor_compile_time_s, bwd.code_gen_time_s,
                       None, None, None, [], None, {}, {}, None)  # fmt: skip
    info.attach_backward(bwd)
    info.start_s = bwd.start_s
    return info


MAX_PROCESSES = 256  # processes of one file folded apart; records of any further one join the last


class RangeFold:
    """The fold of one file's records read range after range, as one pass would read them: the
    folds (one per process), the reader's tables and counters carry across ranges, so a range whose
    start found the fold busy (a span open, a compile waiting) is read on as if never cut."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.folds: dict[int, LogFold] = {}
        self.reader: TraceReader | None = None

    def feed(self, start: int = 0, end: int | None = None) -> None:
        """Read the records of the bytes `[start, end)` (beginning at a record start) into the folds."""
        reader = TraceReader(self.path, start=start, end=end)
        if self.reader is not None:  # the same tables, ranks, ids and counters as the ranges before
            previous = self.reader
            reader.stats, reader.values, reader.ranks = previous.stats, previous.values, previous.ranks
            reader.tables, reader._ids = previous.tables, previous._ids
        self.reader = reader
        folds = self.folds
        last: LogFold | None = None
        last_pid = -1
        for rec in reader:
            pid = rec.pid
            if pid != last_pid:  # most files are one process: one dict look-up per change of writer
                last = folds.get(pid)
                if last is None:
                    if len(folds) < MAX_PROCESSES:
                        last = folds[pid] = LogFold(self.path, reader, pid, first=not folds)
                    else:
                        last = next(reversed(folds.values()))
                last_pid = pid
            last.feed(rec)  # type: ignore[union-attr]

    def can_cut(self) -> bool:
        """True when every process's fold waits for nothing (see `LogFold.can_cut`): it may be finished
        here and what follows read from scratch with the one-pass result. Nothing changes."""
        return all(fold.can_cut() for fold in self.folds.values())

    def finish(self) -> list[TraceReport]:
        """The report of each process, in order of appearance."""
        reader = self.reader or TraceReader(self.path, start=0, end=0)
        if not self.folds:
            return [LogFold(self.path, reader).finish(None)]
        return [fold.finish(reader.ranks.get(pid)) for pid, fold in self.folds.items()]


def fold_range(path: str | Path, start: int = 0, end: int | None = None) -> list[TraceReport]:
    """Fold the records of `path` (or of its bytes `[start, end)`) into one report per process that
    wrote into it (the glog prefix's pid, in order of appearance): logs joined into one file
    (`cat rank*.log > all.log`), or a launcher's file per host, hold several. Each process's spans are
    paired, and its compiles, file names and rank read, within that process only.

    Never raises on damaged content; counts it instead (in the first process's report). The rank is
    the records' (see `parallel` for the file-name fallback).
    """
    fold = RangeFold(path)
    fold.feed(start, end)
    return fold.finish()
