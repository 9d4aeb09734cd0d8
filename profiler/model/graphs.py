"""What was compiled, per compile, as `diff` compares it between two runs: each graph's normalized code
in summary (its digest, node and operator counts, inputs), the guards, the generated kernels and the
size of the generated code, the configs the compile ran with; and the changes found between two runs.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# The graphs torch logs, by record kind (or artifact name), and how reports name them.
GRAPH_KINDS = {
    "dynamo_output_graph": "Dynamo's graph",
    "aot_forward_graph": "the AOT forward graph",
    "aot_backward_graph": "the AOT backward graph",
    "aot_inference_graph": "the AOT inference graph",
    "inductor_post_grad_graph": "Inductor's post-grad graph",
}
CODE, GUARDS = "inductor_output_code", "guards"


@dataclass(slots=True)
class Graph:
    """One logged graph of a compile, normalized (node names without their counters)."""

    kind: str
    digest: str  # of the normalized code: equal digests, equal graphs
    nodes: int
    ops: Counter = field(default_factory=Counter)  # operator -> nodes calling it (`aten.mm`)
    # the graph's inputs (its FX placeholder nodes) as (name, `f32[2, 32]`)
    inputs: list[tuple[str, str]] = field(default_factory=list)
    text: bytes | None = None  # the normalized code, zlib-compressed (kept within a budget; None beyond)
    raw: str = ""  # the digest of the payload as logged (an identical one is not decoded again)

    def code(self) -> str | None:
        """The normalized code (None when it was not kept)."""
        return zlib.decompress(self.text).decode("utf-8", "replace") if self.text is not None else None


@dataclass(slots=True)
class Compiled:
    """What one compile compiled: its graphs by kind, guards, generated kernels and code, configs."""

    compile_id: str | None
    rank: int | None
    graphs: dict[str, Graph] = field(default_factory=dict)
    guards: list[str] = field(default_factory=list)  # normalized guard lines (at most MAX_GUARDS)
    kernels: Counter = field(default_factory=Counter)  # generated kernel names without counters
    code_bytes: int = 0  # the generated code's size (every output code record of the compile)
    config: dict[str, Any] = field(default_factory=dict)  # `inductor_config.x` -> value, as its metrics state
    frame: str | None = None  # `forward (model.py:12)`: where the compiled frame is
    config_from_cache: bool = False  # the settings came from its FX graph cache key (options included)

    @property
    def key(self) -> tuple[int | None, str | None]:
        """How compiles of two runs are matched first: rank and compile id."""
        return self.rank, self.compile_id


@dataclass(slots=True)
class GraphChange:
    """How one kind of graph of a matched compile changed."""

    kind: str
    nodes_a: int
    nodes_b: int
    ops: dict[str, int]  # operator -> change in its node count (only those that changed)
    inputs: list[str]  # inputs whose shape, dtype or dynamism changed, in words
    added: int = 0  # nodes added, removed and retargeted (the line diff of the normalized code)
    removed: int = 0
    retargeted: int = 0
    diff: list[str] = field(default_factory=list)  # the unified diff of the normalized code (--graphs)
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # side by side: (tag, line A, line B)

    def to_dict(self, full: bool) -> dict[str, Any]:
        """The JSON form (`diff` only with --graphs)."""
        out: dict[str, Any] = {"kind": self.kind, "nodes_a": self.nodes_a, "nodes_b": self.nodes_b, "ops": self.ops,
                               "inputs": self.inputs, "added": self.added, "removed": self.removed,
                               "retargeted": self.retargeted}  # fmt: skip
        if full:
            out["diff"] = self.diff
        return out


@dataclass(slots=True)
class CompileChange:
    """One compile compared between the two runs (or found on one side only), with what its time did."""

    compile_id: str | None
    rank: int | None
    status: str  # "changed", "same", "only in A", "only in B"
    frame: str | None = None
    time_a: float | None = None
    time_b: float | None = None
    phases: list[tuple[str, float]] = field(default_factory=list)  # the phases whose time moved most (B - A)
    graphs: list[GraphChange] = field(default_factory=list)
    more_graphs: int = 0  # graphs that changed past MAX_GRAPH_CHANGES, counted only
    guards_added: list[str] = field(default_factory=list)
    guards_removed: list[str] = field(default_factory=list)
    kernels: dict[str, int] = field(default_factory=dict)  # generated kernels added (+) and removed (-)
    code_bytes: tuple[int, int] = (0, 0)
    config: list[tuple[str, Any, Any]] = field(default_factory=list)  # (key, A, B) of configs that differ
    reason: str | None = None  # a compile only one side has: why it happened (graph break, recompile)
    matched_by: str = "compile id"

    @property
    def delta_s(self) -> float | None:
        """The compile's time change (B - A)."""
        if self.time_a is None or self.time_b is None:
            return self.time_b if self.time_a is None else -self.time_a if self.time_b is None else None
        return self.time_b - self.time_a

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The JSON form."""
        return {
            "compile_id": self.compile_id, "rank": self.rank, "status": self.status, "frame": self.frame,
            "matched_by": self.matched_by, "time_a_s": self.time_a, "time_b_s": self.time_b, "delta_s": self.delta_s,
            "phases_s": dict(self.phases), "graphs": [g.to_dict(full) for g in self.graphs],
            "more_graphs": self.more_graphs,
            "guards_added": self.guards_added, "guards_removed": self.guards_removed, "kernels": self.kernels,
            "code_bytes": list(self.code_bytes), "config": [list(c) for c in self.config], "reason": self.reason,
        }  # fmt: skip
