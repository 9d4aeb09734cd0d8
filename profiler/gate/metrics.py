"""Flat, named metrics of a report (one run or trace), for `compileprof diff` and `compileprof check`.

Counts have no noise and are compared exactly; times are samples (one per repeated run or trace) and
are compared by median with a significance test; instruction counts (`run --count instructions`) are
nearly exact: one run is enough, compared within a relative tolerance. Every metric says which way is
worse (higher).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..model.instructions import Instructions
from ..model.report import Report

COUNT, TIME, INSTRUCTIONS = "count", "time", "instructions"
KINDS = (COUNT, TIME, INSTRUCTIONS)
SAMPLED = (TIME, INSTRUCTIONS)  # kinds whose repeats are samples (a count's repeats must agree)
# Phases worth a gate of their own (when the trace has them).
GATED_PHASES = (
    "entire_frame_compile", "bytecode_tracing", "backend_compile", "create_aot_dispatcher_function",
    "inductor_compile", "code_gen", "compile_file", "async_compile.wait", "build_guards",
)  # fmt: skip
_COUNT_FIELDS = {"guard_count": "guards", "graph_op_count": "ops", "graph_node_count": "nodes"}


@dataclass(slots=True)
class Metric:
    """One metric: its kind and its samples (a count has one)."""

    name: str
    kind: str  # COUNT, TIME or INSTRUCTIONS
    samples: list[float] = field(default_factory=list)

    @property
    def value(self) -> float:
        """The median sample (a count's only value)."""
        s = sorted(self.samples)
        n = len(s)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"kind": self.kind, "value": self.value, "samples": self.samples}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.:-]+", "_", text)


def report_metrics(report: Report) -> dict[str, Metric]:
    """The metrics of one report (one sample each)."""
    s = report.summary
    out: dict[str, Metric] = {}

    def count(name: str, value: float) -> None:
        out[name] = Metric(name, COUNT, [value])

    def time(name: str, value: float | None) -> None:
        if value is not None:
            out[name] = Metric(name, TIME, [value])

    count("compiles", s.compiles)
    count("frames", s.frames)
    count("graph_breaks", s.graph_breaks)
    count("recompiles", len(s.recompiles))
    count("failures", len(s.failures))
    count("restarts", len(s.restarts))
    for field_name, label in _COUNT_FIELDS.items():
        values = [c.counts[field_name] for c in report.compiles if field_name in c.counts]
        if values:
            count(label, sum(values))
    for kind, n in report.asserts.to_dict().items():
        count(f"asserts.{kind}", n)
    for event, n in s.cache.items():
        if event.endswith("_miss"):
            count(f"cache.{event}", n)
    pieces = report.pieces
    if pieces:
        count("pieces.compiles", len(pieces))
    time("compile_time_s", s.compile_time_s)
    for name in GATED_PHASES:
        if name in report.phases:
            time(f"phase.{name}", report.phases[name])
    time("logging.structured_logging_overhead_s", report.totals.structured_logging_overhead_s)
    if report.trace_only:
        time("logging.torch_trace_only_s", report.totals.torch_trace_only_s)
    for p in pieces:
        size = f"size{p.compile_range_start}" if p.is_single_size else "general"
        key = f"piece.{p.piecewise_index}.{size}.compile_time_s"
        if key in out:  # recompiles of the same piece: add up
            out[key].samples[0] += p.compile_time_s or 0.0
        else:
            time(key, p.compile_time_s)
    if report.measurements and report.measurements.get("asserts"):
        time("measure.asserts.delta_s", report.measurements["asserts"]["delta_s"])
    out.update(instruction_metrics(report.instructions))
    return {k: out[k] for k in out if _slug(k) == k}


def instruction_metrics(counted: Instructions | None) -> dict[str, Metric]:
    """`instructions.compile` and `instructions.phase.<path>` (`/` made `.`) of a counted child."""
    if counted is None:
        return {}
    out = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [float(counted.compile)])}
    for path, n in counted.phases.items():
        name = "instructions.phase." + path.replace("/", ".")
        out[name] = Metric(name, INSTRUCTIONS, [float(n)])
    return out


def merge_samples(reports: list[dict[str, Metric]]) -> dict[str, Metric]:
    """Several runs of the same thing: counts must agree (the first is kept; a mismatch is a count of
    its own value), times become samples."""
    merged: dict[str, Metric] = {}
    for metrics in reports:
        for name, m in metrics.items():
            if name not in merged:
                merged[name] = Metric(name, m.kind, list(m.samples))
            elif m.kind in SAMPLED:
                merged[name].samples.extend(m.samples)
            elif m.samples != merged[name].samples:
                merged[name].samples = [max(merged[name].samples[0], m.samples[0])]  # the worse count
    return merged
