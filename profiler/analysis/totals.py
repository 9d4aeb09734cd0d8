"""Totals over compiles: compile time, logging overhead, asserts, phase sums."""

from __future__ import annotations

from collections.abc import Iterable

from ..fold.sums import merge_span_totals, merge_sums
from ..model.asserts import AssertCounts, GraphAsserts
from ..model.compile import CompileInfo
from ..model.report import Totals
from ..model.spans import SpanTotal


def assert_totals(graphs: Iterable[GraphAsserts]) -> AssertCounts:
    """Asserts summed over every output-code record."""
    total = AssertCounts()
    for g in graphs:
        total.add(g.counts)
    return total


def totals_of(
    compiles: Iterable[CompileInfo], trace_only: list[dict[str, SpanTotal]], phases: list[dict[str, int]]
) -> Totals:
    """The totals of `compiles` (one pass over them), with the trace-only span tables and phase tables
    (nanoseconds) of their logs merged."""
    t = Totals(trace_only=merge_span_totals(trace_only))
    t.phases = {name: v / 1e9 for name, v in merge_sums(phases).items()}
    overhead = 0.0
    for c in compiles:
        t.compiles += 1
        t.compile_time_s += c.compile_time_s or 0.0
        t.backend_compile_time_s += c.backend_compile_time_s or 0.0
        if c.structured_logging_overhead_s is not None:
            t.overhead_reported += 1
            overhead += c.structured_logging_overhead_s
    t.structured_logging_overhead_s = overhead if t.overhead_reported else None
    return t
