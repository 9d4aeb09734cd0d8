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

    def phases_json(self) -> bytes:
        """The phase tree as JSON bytes: a list of {name, total_s, self_s, count, children}."""
        if self.tree is not None:
            return orjson.dumps([n.to_dict() for n in self.tree.roots])
        return zlib.decompress(self.phases_blob) if self.phases_blob else b"[]"

    def phases(self) -> list[dict[str, Any]]:
        """The phase tree as dicts (see `phases_json`)."""
        return orjson.loads(self.phases_json())
