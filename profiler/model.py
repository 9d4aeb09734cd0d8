"""The one data model the analyses fill and the renderers read."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from .records import ParseStats


@dataclass(slots=True)
class PhaseNode:
    """Time spent in one span name at one place of a compile's span tree, summed over its calls."""

    name: str
    total_s: float = 0.0
    self_s: float = 0.0
    count: int = 0
    children: dict[str, PhaseNode] = field(default_factory=dict)

    def child(self, name: str) -> PhaseNode:
        """The child node for `name`, created on first use."""
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = PhaseNode(name)
        return node

    def walk(self):
        """Yield this node and every node below it, depth first."""
        yield self
        for c in self.children.values():
            yield from c.walk()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: name, total_s, self_s, count, children."""
        return {
            "name": self.name,
            "total_s": round(self.total_s, 6),
            "self_s": round(self.self_s, 6),
            "count": self.count,
            "children": [c.to_dict() for c in self.children.values()],
        }


@dataclass(slots=True)
class SpanTotal:
    """Flat time of one span name outside any compile tree (background threads, stray events)."""

    name: str
    total_s: float = 0.0
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": self.name, "total_s": round(self.total_s, 6), "count": self.count}


@dataclass(slots=True)
class PhaseTree:
    """The span tree of one compile: a synthetic root whose children are the outermost spans."""

    root: PhaseNode = field(default_factory=lambda: PhaseNode("<root>"))
    instants: dict[str, int] = field(default_factory=dict)
    claimed: bool = False

    @property
    def roots(self) -> list[PhaseNode]:
        """The outermost spans."""
        return list(self.root.children.values())


ASSERT_KINDS = ("size_stride", "alignment", "scalar", "nan")


@dataclass(slots=True)
class AssertCounts:
    """Runtime asserts in generated code, by kind."""

    size_stride: int = 0
    alignment: int = 0
    scalar: int = 0
    nan: int = 0

    @property
    def total(self) -> int:
        """All asserts."""
        return self.size_stride + self.alignment + self.scalar + self.nan

    def add(self, other: AssertCounts) -> None:
        """Add another count to this one."""
        for k in ASSERT_KINDS:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def to_dict(self) -> dict[str, int]:
        """The JSON form."""
        return {k: getattr(self, k) for k in ASSERT_KINDS}


@dataclass(slots=True)
class GraphAsserts:
    """The asserts of one `inductor_output_code` record and what they guard."""

    compile_id: str | None
    rank: int | None
    filename: str | None
    counts: AssertCounts
    guarded_inputs: list[str] = field(default_factory=list)
    guarded_ops: dict[str, int] = field(default_factory=dict)
    language: str = "python"
    variant: str | None = None  # the `compileprof_measure_variant` in effect (A/B measurements)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "compile_id": self.compile_id,
            "rank": self.rank,
            "filename": self.filename,
            "language": self.language,
            **self.counts.to_dict(),
            "guarded_inputs": self.guarded_inputs,
            "guarded_ops": self.guarded_ops,
            "variant": self.variant,
        }


CACHE_EVENTS = (
    "fx_graph_cache_hit",
    "fx_graph_cache_miss",
    "fx_graph_cache_bypass",
    "aotautograd_cache_hit",
    "aotautograd_cache_miss",
    "aotautograd_cache_bypass",
)


@dataclass(slots=True)
class CompileInfo:
    """One `compilation_metrics` record with what the rest of the log says about its compile."""

    compile_id: str | None
    attempt: int | None
    rank: int | None
    co_name: str | None
    co_filename: str | None
    co_firstlineno: int | None
    compile_time_s: float | None
    backend_compile_time_s: float | None
    inductor_compile_time_s: float | None
    code_gen_time_s: float | None
    structured_logging_overhead_s: float | None
    fail_type: str | None
    fail_reason: str | None
    restart_reasons: list[str]
    recompile_reason: str | None
    parts_s: dict[str, float]
    counts: dict[str, int]
    tree: PhaseTree | None
    graph_breaks: int = 0
    graph_break_reasons: list[str] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict)
    line: int = 0
    trace_only_s: float = 0.0
    spans_total_s: float = 0.0
    phases_blob: bytes | None = None
    variant: str | None = None

    @property
    def is_recompile(self) -> bool:
        """True when this frame had been compiled before (frame_compile_id > 0)."""
        cid = self.compile_id or ""
        tail = cid.rsplit("/", 1)[-1]
        return "/" in cid and tail.isdigit() and int(tail) > 0

    @property
    def frame(self) -> str | None:
        """The frame part of the compile id (`0/1` -> `0`), which recompiles share."""
        if not self.compile_id or "/" not in self.compile_id:
            return self.compile_id
        return self.compile_id.rsplit("/", 1)[0]

    def seal(self) -> None:
        """Freeze the finished span tree: keep its sums and its JSON form (compressed), drop the nodes.

        A sealed compile costs about 1-2 KB instead of tens of KB, so memory stays small however
        many compiles a log holds.
        """
        if self.tree is None:
            return
        roots = self.tree.roots
        self.trace_only_s = sum(n.total_s for n in self.tree.root.walk() if n.name.endswith("_torch_trace_only"))
        self.spans_total_s = sum(n.total_s for n in roots)
        self.phases_blob = zlib.compress(orjson.dumps([n.to_dict() for n in roots]), 1)
        self.tree = None

    def phases_json(self) -> bytes:
        """The phase tree as JSON bytes: a list of {name, total_s, self_s, count, children}."""
        if self.tree is not None:
            return orjson.dumps([n.to_dict() for n in self.tree.roots])
        return zlib.decompress(self.phases_blob) if self.phases_blob else b"[]"

    def phases(self) -> list[dict[str, Any]]:
        """The phase tree as dicts (see `phases_json`)."""
        return orjson.loads(self.phases_json())


@dataclass(slots=True)
class PieceCompile:
    """One (piece, size-or-range) compile of a piecewise backend, from its `*_piecewise_compile_start`
    artifact and the records that follow it until the next one."""

    prefix: str
    piecewise_index: int | None
    submod_name: str | None
    total_piecewise_compiles: int | None
    compile_range_start: int | None
    compile_range_end: int | None
    is_single_size: bool | None
    compile_id: str | None
    rank: int | None
    compile_time_s: float | None = None
    time_source: str | None = None  # "span" (<prefix>_compile_piece) or "log timestamps"
    ops: int | None = None
    asserts: AssertCounts | None = None
    cache: dict[str, int] = field(default_factory=dict)
    variant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (an entry of `pieces`)."""
        return {
            "prefix": self.prefix,
            "piecewise_index": self.piecewise_index,
            "submod_name": self.submod_name,
            "total_piecewise_compiles": self.total_piecewise_compiles,
            "compile_range_start": self.compile_range_start,
            "compile_range_end": self.compile_range_end,
            "is_single_size": self.is_single_size,
            "compile_id": self.compile_id,
            "rank": self.rank,
            "compile_time_s": round(self.compile_time_s, 6) if self.compile_time_s is not None else None,
            "time_source": self.time_source,
            "ops": self.ops,
            "asserts": self.asserts.to_dict() if self.asserts else None,
            "cache": self.cache,
            "variant": self.variant,
        }


@dataclass(slots=True)
class PiecewiseSplit:
    """What a piecewise backend said about its split: its config artifact and its split graph."""

    prefix: str
    splitting_ops: list[str] | None = None
    compile_sizes: list[Any] | None = None
    pieces: int | None = None
    compiled_pieces: int | None = None
    splitting_pieces: int | None = None
    config: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`piecewise`)."""
        return {
            "prefix": self.prefix,
            "splitting_ops": self.splitting_ops,
            "compile_sizes": self.compile_sizes,
            "pieces": self.pieces,
            "compiled_pieces": self.compiled_pieces,
            "splitting_pieces": self.splitting_pieces,
        }


@dataclass(slots=True)
class TraceReport:
    """Everything read from one log file (one process, one rank)."""

    path: str
    rank: int | None
    torch_version: str | None
    parse: ParseStats
    compiles: list[CompileInfo] = field(default_factory=list)
    graphs: list[GraphAsserts] = field(default_factory=list)
    unattributed: dict[str, SpanTotal] = field(default_factory=dict)
    trace_only: dict[str, SpanTotal] = field(default_factory=dict)
    stray_begin: int = 0
    stray_end: int = 0
    artifacts: dict[str, int] = field(default_factory=dict)
    device: str | None = None
    phase_total: dict[str, float] = field(default_factory=dict)
    phase_self: dict[str, float] = field(default_factory=dict)
    pieces: list[PieceCompile] = field(default_factory=list)
    piecewise: PiecewiseSplit | None = None
