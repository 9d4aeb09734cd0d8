"""Totals over compiles: compile time, logging overhead, asserts, phase sums."""

from __future__ import annotations

from ..fold.sums import merge_span_totals, merge_sums
from ..model.asserts import AssertCounts, GraphAsserts
from ..model.compile import CompileInfo
from ..model.report import Totals
from ..model.spans import SpanTotal


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


def totals_of(
    compiles: list[CompileInfo], trace_only: list[dict[str, SpanTotal]], phases: list[dict[str, int]]
) -> Totals:
    """The totals of `compiles`, with the trace-only span tables and phase tables (nanoseconds) of their
    logs merged."""
    return Totals(
        compiles=len(compiles),
        compile_time_s=total_compile_time(compiles),
        backend_compile_time_s=sum(c.backend_compile_time_s or 0.0 for c in compiles),
        structured_logging_overhead_s=logging_overhead(compiles),
        overhead_reported=sum(c.structured_logging_overhead_s is not None for c in compiles),
        trace_only=merge_span_totals(trace_only),
        phases={name: v / 1e9 for name, v in merge_sums(phases).items()},
    )
