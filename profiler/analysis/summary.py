"""Headline counts, where compile time goes, and how ranks compare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..model.compile import CompileInfo
from ..model.report import Note, RankSkew, RankView, Spend, Summary
from ..model.spans import SpanTotal


def top_spends(self_totals: dict[str, float], total: float, n: int = 5) -> list[Spend]:
    """The `n` span names with the most self time, with their share of the total compile time `total`."""
    spends = []
    for name, self_s in sorted(self_totals.items(), key=lambda kv: -kv[1])[:n]:
        spends.append(Spend(name, self_s, self_s / total if total else None))
    return spends


def _first_line(reason: str) -> str:
    return reason.strip().splitlines()[0][:200] if reason.strip() else reason


def summarize_compiles(compiles: Iterable[CompileInfo], trace_only: dict[str, SpanTotal]) -> Summary:
    """Headline counts over compiles (of one log or several), in one pass over them."""
    s = Summary()
    frames: set[tuple[int | None, str | None]] = set()
    reasons: Counter[str] = Counter()
    cache: Counter[str] = Counter()
    bypass: Counter[str] = Counter()
    disabled: Counter[str] = Counter()
    distinct: set[tuple] = set()
    for c in compiles:
        frames.add((c.rank, c.frame))
        distinct.add((c.co_filename, c.co_firstlineno, c.co_name) if c.co_filename else (c.frame,))
        s.compiles += 1
        s.attempts += (c.attempt or 0) + 1
        s.compile_time_s += c.compile_time_s or 0.0
        s.graph_breaks += c.graph_breaks
        reasons.update(c.graph_break_reasons)
        if c.is_recompile:
            s.recompiles.append(Note(c.compile_id, c.rank, "recompile", c.recompile_reason))
        if c.fail_type:
            s.failures.append(Note(c.compile_id, c.rank, c.fail_type, c.fail_reason))
        s.restarts.extend(Note(c.compile_id, c.rank, "restart", _first_line(r)) for r in c.restart_reasons)
        cache.update(c.cache)
        bypass.update(c.cache_bypass_reasons)
        disabled.update(c.cache_disabled)
        s.structured_logging_overhead_s += c.structured_logging_overhead_s or 0.0
    s.frames = len(frames)
    s.frames_distinct = len(distinct)
    per_rank = Counter("-" if rank is None else str(rank) for rank, _ in frames)
    s.frames_per_rank = dict(sorted(per_rank.items(), key=lambda kv: (kv[0] == "-", int(kv[0]) if kv[0] != "-" else 0)))
    s.graph_break_reasons = dict(reasons.most_common())
    s.cache = dict(sorted(cache.items()))
    s.cache_bypass_reasons = dict(bypass.most_common())
    s.cache_disabled = dict(sorted(disabled.items()))
    s.torch_trace_only_s = sum(t.total_s for t in trace_only.values())
    return s


def rank_skew(views: list[RankView]) -> RankSkew | None:
    """Compare ranks' total compile times; None with fewer than two logs."""
    if len(views) < 2:
        return None
    slow = max(views, key=lambda v: v.totals.compile_time_s)
    fast = min(views, key=lambda v: v.totals.compile_time_s)
    per_rank = {str(v.trace.rank if v.trace.rank is not None else v.trace.path): v.totals.compiles for v in views}
    return RankSkew(slow.trace.rank, slow.totals.compile_time_s, fast.trace.rank, fast.totals.compile_time_s, per_rank)
