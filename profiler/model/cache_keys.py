"""Compile-cache lookups as torch logs them (key and components), and why one missed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Lookup:
    """One cache lookup: which cache, its outcome, its key and the key's components."""

    cache: str  # fx or aot
    state: str  # hit, miss, bypass
    compile_id: str | None
    rank: int | None
    key: str | None
    components: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (hash, value)
    where: str = ""  # the log and its order there
    piece: str | None = None  # the piece of a piecewise backend it compiled (`piece 1, sizes 1..`)

    @property
    def label(self) -> str:
        """`fx 0/0` or `fx 0/0 piece 1, size 4`."""
        return f"{self.cache} {self.compile_id}" + (f" {self.piece}" if self.piece else "")


@dataclass(slots=True)
class Change:
    """One component that differs between the lookup that missed and its counterpart."""

    name: str
    kind: str  # changed, added (only in B), removed (only in A)
    a: str | None
    b: str | None
    unstable: str | None = None  # what in it changes between processes, when that is the cause

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"component": self.name, "kind": self.kind, "a": self.a, "b": self.b, "unstable": self.unstable}


@dataclass(slots=True)
class Explanation:
    """Why one lookup of B missed: its counterpart and the components that differ (none: same key)."""

    miss: Lookup
    counterpart: Lookup | None
    how: str  # "same compile in A", "closest graph in A", "earlier in the same run", "none"
    changes: list[Change]

    @property
    def cause(self) -> tuple[str, ...]:
        """What groups misses with the same reason: the differing component names."""
        return tuple(f"{c.kind}:{c.name}" for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        other = self.counterpart
        return {
            "cache": self.miss.cache, "compile_id": self.miss.compile_id, "rank": self.miss.rank,
            "piece": self.miss.piece,
            "key": self.miss.key, "matched": self.how, "counterpart_compile_id": other.compile_id if other else None,
            "counterpart_state": other.state if other else None, "same_key": bool(other and other.key == self.miss.key),
            "changes": [c.to_dict() for c in self.changes],
        }  # fmt: skip


@dataclass(slots=True)
class CacheReport:
    """The document: A and B, their lookups, B's misses explained against A and within B."""

    a: str
    b: str
    lookups_a: int
    lookups_b: int
    hits_b: int
    against_a: list[Explanation]
    within_b: list[Explanation]
    label: str = ""  # which children of two runs were compared (`cold vs cold`); empty for plain logs


@dataclass(slots=True)
class CacheComparison:
    """What `explain-cache A B` compares: one pair of logs, or, for runs of several children (cold and
    warm), each child of B with its counterpart of A, child with child (never the children pooled)."""

    a: str
    b: str
    pairs: list[CacheReport]
