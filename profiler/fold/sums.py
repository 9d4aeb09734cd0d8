"""Per-name tables of seconds: a compile's span sums added to a log's, and tables of several parts merged."""

from __future__ import annotations

from ..model.compile import CompileInfo
from ..model.spans import SpanTotal, ns


def add_phase_sums(compile_: CompileInfo, totals: dict[str, int], selfs: dict[str, int]) -> None:
    """Add a compile's time per span name (total and self, in whole nanoseconds) to running tables;
    call before sealing it. A span nested in one of its own name counts twice in `totals`, as in the tree.
    """
    if compile_.tree is None:
        return
    for node in compile_.tree.root.walk():
        if node.count:
            totals[node.name] = totals.get(node.name, 0) + ns(node.total_s)
            selfs[node.name] = selfs.get(node.name, 0) + ns(node.self_s)


def merge_sums(tables: list[dict[str, int]]) -> dict[str, int]:
    """Sum per-name tables of nanoseconds, largest first (ties by name, so the order is the same
    however the tables were split)."""
    merged: dict[str, int] = {}
    for table in tables:
        for name, v in table.items():
            merged[name] = merged.get(name, 0) + v
    return dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))


def merge_span_totals(tables: list[dict[str, SpanTotal]]) -> dict[str, SpanTotal]:
    """Sum per-name span totals of several logs, largest first (ties by name)."""
    merged: dict[str, SpanTotal] = {}
    for table in tables:
        for name, t in table.items():
            m = merged.setdefault(name, SpanTotal(name))
            m.total_ns += t.total_ns
            m.count += t.count
    return dict(sorted(merged.items(), key=lambda kv: (-kv[1].total_ns, kv[0])))
