"""Span trees of a compile (from chromium B/E/X events) and flat per-name span totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_CALLS = 64  # the calls of one phase kept with their times (a timeline draws each); the rest are summed


@dataclass(slots=True)
class PhaseNode:
    """Time spent in one span name at one place of a compile's span tree, summed over its calls."""

    name: str
    total_s: float = 0.0
    self_s: float = 0.0
    count: int = 0
    children: dict[str, PhaseNode] = field(default_factory=dict)
    start_s: float | None = None  # when its first call began (the log's clock, seconds): for timelines
    calls: list[tuple[float, float]] | None = None  # (start_s, seconds) of its first MAX_CALLS calls

    def add_call(self, start_s: float, seconds: float) -> None:
        """Count one call of this phase: its time summed, and its interval kept (up to MAX_CALLS)."""
        if self.start_s is None:
            self.start_s = start_s
        self.total_s += seconds
        self.count += 1
        if self.calls is None:
            self.calls = []
        if len(self.calls) < MAX_CALLS:
            self.calls.append((start_s, seconds))

    def child(self, name: str) -> PhaseNode:
        """The child node for `name`, created on first use."""
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = PhaseNode(name)
        return node

    def walk(self) -> Iterator[PhaseNode]:
        """Yield this node and every node below it, depth first (children in their order)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.children:
                stack.extend(reversed(node.children.values()))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: name, total_s, self_s, count, start_s, children; `calls` ([start_s, seconds]
        of each of the first MAX_CALLS calls) where the phase ran more than once."""
        out = {
            "name": self.name,
            "total_s": round(self.total_s, 6),
            "self_s": round(self.self_s, 6),
            "count": self.count,
            "start_s": round(self.start_s, 6) if self.start_s is not None else None,
        }
        if self.count > 1 and self.calls:
            out["calls"] = [[round(a, 6), round(b, 6)] for a, b in self.calls]
        out["children"] = [c.to_dict() for c in self.children.values()]
        return out


def ns(seconds: float) -> int:
    """Seconds as whole nanoseconds: sums of these are exact, so they do not depend on the order of
    addition (a log read in parallel parts sums to what one pass sums to)."""
    return round(seconds * 1e9)


@dataclass(slots=True)
class SpanTotal:
    """Flat time of one span name outside any compile tree (background threads, stray events)."""

    name: str
    total_ns: int = 0
    count: int = 0

    @property
    def total_s(self) -> float:
        """The total in seconds."""
        return self.total_ns / 1e9

    def add(self, seconds: float, count: int = 1) -> None:
        """Add a span's (or several spans') time."""
        self.total_ns += ns(seconds)
        self.count += count

    def merge(self, other: SpanTotal) -> None:
        """Add another total of the same span name."""
        self.total_ns += other.total_ns
        self.count += other.count

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
