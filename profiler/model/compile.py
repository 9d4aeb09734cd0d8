"""One compile: a `compilation_metrics` record with what the rest of the log says about it."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from .spans import PhaseTree

CACHE_EVENTS = (
    "fx_graph_cache_hit",
    "fx_graph_cache_miss",
    "fx_graph_cache_bypass",
    "aotautograd_cache_hit",
    "aotautograd_cache_miss",
    "aotautograd_cache_bypass",
)


def cache_label(event: str) -> str:
    """`fx_graph_cache_hit` -> `fx hit`, `aotautograd_cache_miss` -> `aot miss`."""
    cache, _, outcome = event.partition("_cache_")
    return f"{'fx' if cache == 'fx_graph' else 'aot' if cache == 'aotautograd' else cache} {outcome}"


BACKWARD_SPAN = "entire_backward_compile"  # the root span of a lazily compiled backward


@dataclass(slots=True)
class BackwardInfo:
    """The backward graph AOT autograd compiled lazily, on the first `.backward()` after the forward's
    compile: its `bwd_compilation_metrics` record, with its spans and cache lookups (same compile id)."""

    compile_time_s: float | None  # its `entire_backward_compile` span, else the record's inductor time
    inductor_compile_time_s: float | None
    code_gen_time_s: float | None
    structured_logging_overhead_s: float | None
    cache: dict[str, int] = field(default_factory=dict)
    trace_only_s: float = 0.0
    start_s: float | None = None
    phases_blob: bytes | None = None  # its span tree (compressed JSON), sealed when its record arrives

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (a compile's `backward`)."""
        return {
            "compile_time_s": _r(self.compile_time_s),
            "inductor_compile_time_s": _r(self.inductor_compile_time_s),
            "code_gen_time_s": _r(self.code_gen_time_s),
            "structured_logging_overhead_s": _r(self.structured_logging_overhead_s),
            "cache": self.cache,
            "start_s": _r(self.start_s),
        }


def _r(v: float | None) -> float | None:
    return round(v, 6) if v is not None else None


def _add(a: float | None, b: float | None) -> float | None:
    """a + b, where None is unknown (unknown plus known is the known part)."""
    return b if a is None else a if b is None else a + b


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
    trace_only_s: float = 0.0
    phases_blob: bytes | None = None
    variant: str | None = None
    cache_bypass_reasons: list[str] = field(default_factory=list)
    user_stack: list[str] = field(default_factory=list)  # where the compiled frame was called from, innermost last
    guards: list[str] = field(default_factory=list)  # the first guards installed
    specializations: list[str] = field(default_factory=list)  # symbolic shapes made concrete
    collectives: list[str] = field(default_factory=list)  # collective ops of its graphs, in scheduled order
    cache_disabled: list[str] = field(default_factory=list)  # caches its config turned off ("fx", "aot")
    start_s: float | None = None  # when it started, as its metrics state it (epoch seconds; for timelines)
    backward: BackwardInfo | None = None  # its lazily compiled backward (training), once that arrives
    forward_compile_time_s: float | None = None  # its own time, when a backward was added to compile_time_s

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
        self.trace_only_s = sum(n.total_s for n in self.tree.root.walk() if n.name.endswith("_torch_trace_only"))
        self.phases_blob = zlib.compress(orjson.dumps([n.to_dict() for n in self.tree.roots]), 1)
        self.tree = None

    def attach_backward(self, bwd: BackwardInfo) -> None:
        """Count the lazily compiled backward in this compile: its time, logging overhead and cache
        lookups are added to the compile's own, and its spans become a root of the phase tree beside
        the forward's (the forward's time stays in `forward_compile_time_s`). Done once."""
        if self.backward is not None:
            return
        self.backward = bwd
        self.forward_compile_time_s = self.compile_time_s
        self.compile_time_s = _add(self.compile_time_s, bwd.compile_time_s)
        self.structured_logging_overhead_s = _add(self.structured_logging_overhead_s, bwd.structured_logging_overhead_s)
        self.cache = {k: self.cache.get(k, 0) + bwd.cache.get(k, 0) for k in {**self.cache, **bwd.cache}}
        self.trace_only_s += bwd.trace_only_s

    def phases_json(self) -> bytes:
        """The phase tree as JSON bytes: a list of {name, total_s, self_s, count, children} (a
        backward's spans after the forward's)."""
        if self.tree is not None:
            forward = orjson.dumps([n.to_dict() for n in self.tree.roots])
        else:
            forward = zlib.decompress(self.phases_blob) if self.phases_blob else b"[]"
        if self.backward is None or not self.backward.phases_blob:
            return forward
        backward = zlib.decompress(self.backward.phases_blob)
        if forward == b"[]":
            return backward
        return forward[:-1] + b"," + backward[1:] if backward != b"[]" else forward

    def phases(self) -> list[dict[str, Any]]:
        """The phase tree as dicts (see `phases_json`)."""
        return orjson.loads(self.phases_json())
