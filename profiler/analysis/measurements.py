"""The `measurements` of a run: the A/B samples a child recorded, turned into medians, a paired
delta with its 95% CI, and the assert counts and logging figures the trace holds for each variant."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

from ..model.asserts import AssertCounts, GraphAsserts
from ..model.compile import CompileInfo
from ..model.pieces import PieceCompile
from ..model.report import CacheRun, WallAccount
from ..model.run import ASSERTS_OFF, ASSERTS_ON, LOGGING_ON, ChildRecord, RunManifest
from .ab import MIN_PAIRS, Paired, assert_target, bootstrap_ci, paired
from .noise import noise_warning


def _counts(graphs: Iterable[GraphAsserts], variant: str) -> AssertCounts:
    total = AssertCounts()
    for g in graphs:
        if g.variant == variant:
            total.add(g.counts)
    return total


def asserts_per_call(graphs: Iterable[GraphAsserts], pieces: list[PieceCompile], batch: int | None) -> int | None:
    """Asserts one forward call of the asserts-on variant executes: per piece the compile that serves
    `batch` (its single-size compile, else the general one), or every generated graph without pieces."""
    mine = [p for p in pieces if p.variant == ASSERTS_ON and p.asserts is not None]
    if mine:
        chosen: dict[int | None, PieceCompile] = {}
        for p in mine:
            exact = p.is_single_size and p.compile_range_start == batch
            if exact or (p.piecewise_index not in chosen and not p.is_single_size):
                chosen[p.piecewise_index] = p
        return sum(p.asserts.total for p in chosen.values() if p.asserts)
    on = [g for g in graphs if g.variant == ASSERTS_ON]
    return sum(g.counts.total for g in on) if on else None


def assert_measurement(
    raw: dict[str, Any], graphs: Iterable[GraphAsserts], pieces: list[PieceCompile]
) -> dict[str, Any]:
    """The contract's `measurements.asserts` from a child's samples and the trace."""
    result = paired(raw["samples_on_s"], raw["samples_off_s"])
    executed = asserts_per_call(graphs, pieces, raw.get("batch_size"))
    outputs = raw.get("outputs") or {}
    target = assert_target(result.delta, result.median_on)
    return {
        **result.to_dict(),
        **how_it_ended(raw, result, target),
        "share_of_forward": result.delta / result.median_on if result.median_on else None,
        "asserts_per_call": executed,
        "per_assert_s": result.delta / executed if executed else None,
        "asserts_on": _counts(graphs, ASSERTS_ON).to_dict(),
        "asserts_off": _counts(graphs, ASSERTS_OFF).to_dict(),
        "outputs_match": outputs.get("match"),
        "outputs_max_abs_diff": outputs.get("max_abs_err"),
        "rounds": raw["rounds"],
        "calls_per_round": raw["calls_per_round"],
        "threads": raw.get("threads"),
        "device": raw.get("device"),
        "batch_size": raw.get("batch_size"),
        "load": raw.get("load"),
        "cpus": raw.get("cpus"),
        "noise": noise_warning([raw["samples_on_s"], raw["samples_off_s"]], raw.get("load"), raw.get("cpus")),
    }


LOGGING_PRECISION = 0.01  # the logging A/B's aim: within 1% of a compile


def how_it_ended(raw: dict[str, Any], result: Paired, target: float) -> dict[str, Any]:
    """What ended a measurement (`budget`, `precision`, `rounds`), its budget and time, whether its
    interval reached `target` (a half-width, with at least MIN_PAIRS samples), and if not the budget
    that would, at the same pace (the half-width shrinks as one over the square root of the samples)."""
    width = (result.ci95[1] - result.ci95[0]) / 2
    elapsed = raw.get("elapsed_s")
    precise = width <= target and result.enough  # too few samples: their interval means nothing yet
    needed = None
    if not precise and isinstance(elapsed, (int, float)) and elapsed > 0:
        narrower = (width / target) ** 2 if 0 < target < width else 0.0
        needed = elapsed * max(MIN_PAIRS / result.pairs, narrower)
    return {
        "ended_by": raw.get("ended_by"),
        "budget_s": raw.get("budget_s"),
        "elapsed_s": elapsed,
        "half_width_s": width,
        "target_half_width_s": target,
        "precise": precise,
        "budget_needed_s": needed,
        "samples_needed": math.ceil(result.pairs * needed / elapsed) if needed else None,
    }


def _direct(per_compile: object) -> dict[str, Any]:
    """The logging timed directly in each traced compile of the A/B: its median and a 95% bootstrap
    interval over the compiles (its spread), in seconds per compile."""
    values = [v for v in per_compile if isinstance(v, (int, float))] if isinstance(per_compile, list) else []
    if not values:
        return {"direct_s": None, "direct_ci95_s": None}
    return {"direct_s": statistics.median(values), "direct_ci95_s": list(bootstrap_ci(values))}


def logging_measurement(raw: dict[str, Any], compiles: Iterable[CompileInfo]) -> dict[str, Any] | None:
    """The contract's `measurements.logging` from a child's samples and the traced compiles."""
    if not raw.get("samples_on_s") or len(raw["samples_on_s"]) != len(raw.get("samples_off_s", [])):
        return None
    result = paired(raw["samples_on_s"], raw["samples_off_s"])
    traced = [c for c in compiles if c.variant == LOGGING_ON]
    reported = [c.structured_logging_overhead_s for c in traced if c.structured_logging_overhead_s is not None]
    return {
        **result.to_dict(),
        **how_it_ended(raw, result, LOGGING_PRECISION * result.median_off),
        **_direct(raw.get("direct_on_s")),
        "noise": noise_warning([raw["samples_on_s"], raw["samples_off_s"]], raw.get("load"), raw.get("cpus")),
        "torch_reported_s": statistics.median(reported) if reported else None,
        "torch_trace_only_s": statistics.median([c.trace_only_s for c in traced]) if traced else None,
        "pairs": result.pairs,
        "compiles_traced": len(traced),
    }


def measurements(
    child: ChildRecord, graphs: Iterable[GraphAsserts], pieces: list[PieceCompile], compiles: Iterable[CompileInfo]
) -> dict[str, Any] | None:
    """`{"asserts": ..., "logging": ...}` for the measurements a child made; None when it made none."""
    out: dict[str, Any] = {}
    if child.measure_asserts:
        out["asserts"] = assert_measurement(child.measure_asserts, graphs, pieces)
    if child.measure_logging:
        logging = logging_measurement(child.measure_logging, compiles)
        if logging is not None:
            out["logging"] = logging
    return out or None


def direct_trace_cost(run: RunManifest | None, kinds: int = 3) -> list[tuple[str, float, int]]:
    """TORCH_TRACE logging timed directly in the run's primary child, during its compile step: the
    total, then its `kinds` costliest record types, as (label, seconds, calls); empty without it."""
    child = run.primary_child if run is not None else None
    cost = child.trace_cost if child is not None else None
    if not isinstance(cost, dict):
        return []
    step = (cost.get("by_step") or {}).get("compile")
    if not step:
        return []
    rows = [("trace_structured calls in the compile step (timed in the child)", step["seconds"], step["calls"])]
    by_kind = (cost.get("by_kind") or {}).get("compile") or {}
    for kind, cell in list(by_kind.items())[:kinds]:
        rows.append((f"  of which {kind}", cell["seconds"], cell["calls"]))
    return rows


def wall_accounts(run: RunManifest, cache_runs: Iterable[CacheRun]) -> list[WallAccount]:
    """Per child with a trace and a timed compile step: that step's wall time split into what the
    trace accounts for (its `dynamo` spans, else the compiles' own time; of it the backend and the
    pieces) and what it does not."""
    out = []
    for r in cache_runs:
        child = run.children.get(r.label)
        step = (child.steps_s or {}).get("compile") if child is not None else None
        if isinstance(step, (int, float)):
            traced = r.traced.get("dynamo") or r.compile_time_s  # the outermost span, else the metrics' time
            parts = {k: v for k, v in r.traced.items() if v and k != "dynamo"}
            forward = child.forward if isinstance(child.forward, dict) else {}
            run_s = forward.get("compiled_median_s")
            run_s = float(run_s) if isinstance(run_s, (int, float)) else None
            out.append(WallAccount(r.label, float(step), traced, parts, run_s))
    return out
