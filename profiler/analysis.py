"""Small pure functions over the data model: totals, summaries, where time goes, rank skew."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .model import AssertCounts, CompileInfo, GraphAsserts, SpanTotal, TraceReport


def add_phase_sums(compile_: CompileInfo, totals: dict[str, float], selfs: dict[str, float]) -> None:
    """Add a compile's time per span name (total and self) to running tables; call before sealing it.

    A span nested in one of its own name counts twice in `totals`, as in the tree.
    """
    if compile_.tree is None:
        return
    for node in compile_.tree.root.walk():
        if node.count:
            totals[node.name] = totals.get(node.name, 0.0) + node.total_s
            selfs[node.name] = selfs.get(node.name, 0.0) + node.self_s


def merge_sums(tables: list[dict[str, float]]) -> dict[str, float]:
    """Sum per-name tables of seconds, largest first."""
    merged: dict[str, float] = {}
    for table in tables:
        for name, v in table.items():
            merged[name] = merged.get(name, 0.0) + v
    return dict(sorted(merged.items(), key=lambda kv: -kv[1]))


def total_compile_time(compiles: list[CompileInfo]) -> float:
    """Sum of the compiles' whole-frame compile times (unknown counts as 0)."""
    return sum(c.compile_time_s or 0.0 for c in compiles)


def logging_overhead(compiles: list[CompileInfo]) -> float | None:
    """Sum of torch's structured_logging_overhead over the compiles; None when torch wrote none."""
    known = [c.structured_logging_overhead_s for c in compiles if c.structured_logging_overhead_s is not None]
    return sum(known) if known else None


def assert_totals(graphs: list[GraphAsserts]) -> AssertCounts:
    """Asserts summed over every output-code record."""
    total = AssertCounts()
    for g in graphs:
        total.add(g.counts)
    return total


def merge_span_totals(tables: list[dict[str, SpanTotal]]) -> dict[str, SpanTotal]:
    """Sum per-name span totals of several logs."""
    merged: dict[str, SpanTotal] = {}
    for table in tables:
        for name, t in table.items():
            m = merged.setdefault(name, SpanTotal(name))
            m.total_s += t.total_s
            m.count += t.count
    return dict(sorted(merged.items(), key=lambda kv: -kv[1].total_s))


@dataclass(slots=True)
class Spend:
    """One place where compile time goes: a span name's self time and its share of all compile time."""

    name: str
    self_s: float
    share: float | None


def top_spends(self_totals: dict[str, float], total: float, n: int = 5) -> list[Spend]:
    """The `n` span names with the most self time, with their share of the total compile time `total`."""
    spends = []
    for name, self_s in sorted(self_totals.items(), key=lambda kv: -kv[1])[:n]:
        spends.append(Spend(name, self_s, self_s / total if total else None))
    return spends


@dataclass(slots=True)
class Summary:
    """Headline counts of one or more logs."""

    frames: int = 0
    compiles: int = 0
    attempts: int = 0
    compile_time_s: float = 0.0
    graph_breaks: int = 0
    graph_break_reasons: dict[str, int] = field(default_factory=dict)
    recompiles: list[tuple[str | None, str | None]] = field(default_factory=list)
    failures: list[tuple[str | None, str, str | None]] = field(default_factory=list)
    restarts: list[tuple[str | None, str]] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict)
    structured_logging_overhead_s: float = 0.0
    torch_trace_only_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "frames": self.frames,
            "compiles": self.compiles,
            "attempts": self.attempts,
            "compile_time_s": round(self.compile_time_s, 6),
            "graph_breaks": self.graph_breaks,
            "graph_break_reasons": self.graph_break_reasons,
            "recompiles": [{"compile_id": c, "reason": r} for c, r in self.recompiles],
            "failures": [{"compile_id": c, "fail_type": t, "fail_reason": r} for c, t, r in self.failures],
            "restarts": [{"compile_id": c, "reason": r} for c, r in self.restarts],
            "cache": self.cache,
        }


def summarize_compiles(compiles: list[CompileInfo], trace_only: dict[str, SpanTotal]) -> Summary:
    """Headline counts over a list of compiles (of one log or several)."""
    s = Summary()
    s.frames = len({(c.rank, c.frame) for c in compiles})
    s.compiles = len(compiles)
    s.attempts = sum((c.attempt or 0) + 1 for c in compiles)
    s.compile_time_s = total_compile_time(compiles)
    reasons: Counter[str] = Counter()
    cache: Counter[str] = Counter()
    for c in compiles:
        s.graph_breaks += c.graph_breaks
        reasons.update(c.graph_break_reasons)
        if c.is_recompile:
            s.recompiles.append((c.compile_id, c.recompile_reason))
        if c.fail_type:
            s.failures.append((c.compile_id, c.fail_type, c.fail_reason))
        for r in c.restart_reasons:
            s.restarts.append((c.compile_id, r.strip().splitlines()[0][:200] if r.strip() else r))
        cache.update(c.cache)
        s.structured_logging_overhead_s += c.structured_logging_overhead_s or 0.0
    s.graph_break_reasons = dict(reasons.most_common())
    s.cache = dict(sorted(cache.items()))
    s.torch_trace_only_s = sum(t.total_s for t in trace_only.values())
    return s


@dataclass(slots=True)
class RankSkew:
    """Slowest against fastest rank by total compile time."""

    slowest_rank: int | None
    slowest_s: float
    fastest_rank: int | None
    fastest_s: float
    compiles_per_rank: dict[str, int]

    @property
    def spread_s(self) -> float:
        """Slowest minus fastest."""
        return self.slowest_s - self.fastest_s

    @property
    def ratio(self) -> float | None:
        """Slowest over fastest (None when the fastest took no time)."""
        return self.slowest_s / self.fastest_s if self.fastest_s > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "slowest_rank": self.slowest_rank,
            "slowest_s": round(self.slowest_s, 6),
            "fastest_rank": self.fastest_rank,
            "fastest_s": round(self.fastest_s, 6),
            "spread_s": round(self.spread_s, 6),
            "ratio": round(self.ratio, 4) if self.ratio is not None else None,
            "compiles_per_rank": self.compiles_per_rank,
        }


def rank_skew(traces: list[TraceReport]) -> RankSkew | None:
    """Compare ranks' total compile times; None with fewer than two logs."""
    if len(traces) < 2:
        return None
    times = [(total_compile_time(t.compiles), t) for t in traces]
    slow = max(times, key=lambda x: x[0])
    fast = min(times, key=lambda x: x[0])
    per_rank = {str(t.rank if t.rank is not None else t.path): len(t.compiles) for t in traces}
    return RankSkew(slow[1].rank, slow[0], fast[1].rank, fast[0], per_rank)
