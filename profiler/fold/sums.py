"""Per-name tables of seconds: a compile's span sums added to a log's, and tables of several parts merged."""

from __future__ import annotations

from ..model.compile import CompileInfo
from ..model.spans import SpanTotal


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


def merge_span_totals(tables: list[dict[str, SpanTotal]]) -> dict[str, SpanTotal]:
    """Sum per-name span totals of several logs, largest first."""
    merged: dict[str, SpanTotal] = {}
    for table in tables:
        for name, t in table.items():
            m = merged.setdefault(name, SpanTotal(name))
            m.total_s += t.total_s
            m.count += t.count
    return dict(sorted(merged.items(), key=lambda kv: -kv[1].total_s))
