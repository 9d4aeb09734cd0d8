"""The `measurements` of a run from its child's raw samples and the trace, each figure to its exact
value: the logging A/B (torch's own figure, the trace-only spans, the direct timing), the direct
trace cost rows, and the asserts a forward call executes without a piecewise split."""

from __future__ import annotations

from types import SimpleNamespace

from compileprof.profiler.analysis.ab import MIN_PAIRS, paired
from compileprof.profiler.analysis.measurements import (
    assert_measurement,
    asserts_per_call,
    direct_trace_cost,
    how_it_ended,
    logging_measurement,
    measurements,
)
from compileprof.profiler.model.asserts import AssertCounts, GraphAsserts
from compileprof.profiler.model.pieces import PieceCompile
from compileprof.profiler.model.run import ASSERTS_OFF, ASSERTS_ON, LOGGING_ON, ChildRecord

ON = [1.10, 1.20, 1.15, 1.30, 1.25, 1.05]
OFF = [1.00, 1.10, 1.10, 1.20, 1.15, 1.00]  # differences 0.10 0.10 0.05 0.10 0.10 0.05: median 0.10


def _compile(variant: str | None, overhead: float | None, trace_only: float) -> SimpleNamespace:
    return SimpleNamespace(variant=variant, structured_logging_overhead_s=overhead, trace_only_s=trace_only)


def test_the_logging_measurement_gives_each_figure_from_its_own_source():
    raw = {"samples_on_s": ON, "samples_off_s": OFF, "direct_on_s": [0.03, "x", 0.01, 0.02, None], "elapsed_s": 30.0,
           "budget_s": 120.0, "ended_by": "budget"}  # fmt: skip
    compiles = [_compile(LOGGING_ON, 0.02, 0.011), _compile(LOGGING_ON, 0.04, 0.013), _compile(LOGGING_ON, None, 0.015),
                _compile(None, 9.0, 9.0)]  # fmt: skip
    m = logging_measurement(raw, compiles)
    assert abs(m["delta_s"] - 0.10) < 1e-12 and abs(m["median_on_s"] - 1.175) < 1e-12 and m["median_off_s"] == 1.10
    assert m["pairs"] == 6 and m["compiles_traced"] == 3  # the untraced variant's compile is not one of them
    assert abs(m["torch_reported_s"] - 0.03) < 1e-12  # the median of what torch reported (None: not reported)
    assert m["torch_trace_only_s"] == 0.013  # the median over every traced compile
    assert m["direct_s"] == 0.02 and 0.01 <= m["direct_ci95_s"][0] <= m["direct_ci95_s"][1] <= 0.03
    assert (m["ended_by"], m["budget_s"], m["elapsed_s"]) == ("budget", 120.0, 30.0)
    # the aim: 1% of a compile without the trace
    assert abs(m["target_half_width_s"] - 0.011) < 1e-12


def test_a_logging_measurement_needs_paired_samples_and_direct_timings_are_optional():
    assert logging_measurement({"samples_on_s": [], "samples_off_s": []}, []) is None
    assert logging_measurement({"samples_on_s": ON, "samples_off_s": OFF[:5]}, []) is None
    assert logging_measurement({"samples_on_s": ON}, []) is None
    m = logging_measurement({"samples_on_s": ON, "samples_off_s": OFF, "direct_on_s": "x"}, [])
    assert m["direct_s"] is None and m["direct_ci95_s"] is None
    assert m["torch_reported_s"] is None and m["torch_trace_only_s"] is None and m["compiles_traced"] == 0


def test_measurements_holds_what_the_child_measured():
    child = ChildRecord("cold", "cold/trace", "ok", measure_logging={"samples_on_s": ON, "samples_off_s": OFF})
    out = measurements(child, [], [], [])
    assert list(out) == ["logging"] and out["logging"]["pairs"] == 6
    unpaired = ChildRecord("cold", "cold/trace", "ok", measure_logging={"samples_on_s": ON, "samples_off_s": OFF[:2]})
    assert measurements(unpaired, [], [], []) is None
    assert measurements(ChildRecord("cold", "cold/trace", "ok"), [], [], []) is None


def _run(trace_cost: object) -> SimpleNamespace:
    return SimpleNamespace(primary_child=ChildRecord("cold", "cold/trace", "ok", trace_cost=trace_cost))


def test_the_direct_trace_cost_is_the_compile_step_then_its_costliest_kinds_in_order():
    kinds = {"artifact": {"seconds": 0.3, "calls": 40}, "chromium_event": {"seconds": 0.2, "calls": 900},
             "graph_dump": {"seconds": 0.1, "calls": 3}, "str": {"seconds": 0.05, "calls": 7}}  # fmt: skip
    cost = {"by_step": {"compile": {"seconds": 0.7, "calls": 950}, "warmup": {"seconds": 9, "calls": 9}},
            "by_kind": {"compile": kinds}}  # fmt: skip
    rows = direct_trace_cost(_run(cost))
    assert rows == [
        ("trace_structured calls in the compile step (timed in the child)", 0.7, 950),
        ("  of which artifact", 0.3, 40),
        ("  of which chromium_event", 0.2, 900),
        ("  of which graph_dump", 0.1, 3),
    ]
    assert len(direct_trace_cost(_run(cost), kinds=1)) == 2
    no_kinds = {"by_step": {"compile": {"seconds": 0.7, "calls": 950}}}
    assert direct_trace_cost(_run(no_kinds)) == [rows[0]]
    for nothing in (None, "x", {}, {"by_step": {"warmup": {"seconds": 1, "calls": 1}}}):
        assert direct_trace_cost(_run(nothing)) == []
    assert direct_trace_cost(None) == [] and direct_trace_cost(SimpleNamespace(primary_child=None)) == []


def _graph(variant: str | None, size_stride: int, scalar: int = 0) -> GraphAsserts:
    return GraphAsserts("0/0", None, "k.py", AssertCounts(size_stride=size_stride, scalar=scalar), variant=variant)


def test_without_pieces_a_call_executes_every_asserts_on_graph():
    graphs = [_graph(ASSERTS_ON, 3, 1), _graph(ASSERTS_ON, 2), _graph(ASSERTS_OFF, 0), _graph(None, 7)]
    assert asserts_per_call(graphs, [], 4) == 6
    assert asserts_per_call([_graph(ASSERTS_OFF, 0), _graph(None, 7)], [], 4) is None
    assert asserts_per_call([_graph(ASSERTS_ON, 0)], [], 4) == 0  # measured, and none: 0, not unknown


def _piece(index: int, single: bool, start: int | None, asserts: int) -> PieceCompile:
    return PieceCompile("vllm", index, f"submod_{index}", 2, start, start, single, "0/0", None,
                        asserts=AssertCounts(size_stride=asserts), variant=ASSERTS_ON)  # fmt: skip


def test_a_call_executes_per_piece_the_compile_for_its_batch_else_the_general_one():
    pieces = [_piece(0, False, None, 10), _piece(0, True, 8, 3), _piece(1, False, None, 20), _piece(1, True, 4, 5)]
    assert asserts_per_call([], pieces, 8) == 3 + 20  # piece 0 has a compile for 8, piece 1 only the general one
    assert asserts_per_call([], pieces, 4) == 10 + 5
    assert asserts_per_call([], pieces, 2) == 10 + 20
    raw = {"samples_on_s": [1.1] * 6, "samples_off_s": [1.0] * 6, "rounds": 6, "calls_per_round": 20, "batch_size": 4}
    m = assert_measurement(raw, [], pieces)
    assert m["asserts_per_call"] == 15 and abs(m["per_assert_s"] - 0.1 / 15) < 1e-12


def test_a_busy_machine_is_said_in_the_asserts_measurement_s_noise():
    raw = {"samples_on_s": [1.1] * 6, "samples_off_s": [1.0] * 6, "rounds": 6, "calls_per_round": 20,
           "load": [4.0, 4.0], "cpus": 2}  # fmt: skip
    assert assert_measurement(raw, [], [])["noise"].startswith("Noisy: the machine was busy (load average 4.0 on 2")
    assert assert_measurement({**raw, "load": [0.5, 0.5]}, [], [])["noise"] is None


def test_too_few_pairs_ask_for_the_time_that_would_give_enough():
    result = paired([1.5, 2.5, 1.5, 2.5], [1.0, 2.0, 1.0, 2.0])  # 4 pairs, every difference 0.5: no spread
    m = how_it_ended({"elapsed_s": 10.0, "ended_by": "budget"}, result, target=0.05)
    assert m["half_width_s"] == 0.0 and not m["precise"]  # narrow enough, but MIN_PAIRS not reached
    assert m["budget_needed_s"] == 10.0 * MIN_PAIRS / 4 and m["samples_needed"] == MIN_PAIRS
