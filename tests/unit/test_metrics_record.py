"""compilation_metrics of any torch version -> CompileInfo: fallbacks, nulls and failures."""

from __future__ import annotations

import pytest
from compileprof.profiler.fold.metrics_record import compile_from_metrics, resolve_span_fallbacks
from compileprof.profiler.model.spans import PhaseNode, PhaseTree


def build(meta, compile_id="0/0"):
    return compile_from_metrics(meta, compile_id, 0, None, PhaseTree())


def test_seconds_fields_win_over_microseconds():
    c = build(
        {
            "entire_frame_compile_time_s": 2.5,
            "dynamo_cumulative_compile_time_us": 9_000_000,
            "structured_logging_overhead_s": 0.01,
            "structured_logging_overhead_us": 99_999,
        }
    )
    assert c.compile_time_s == 2.5 and c.structured_logging_overhead_s == 0.01


def test_microsecond_fallbacks():
    c = build(
        {
            "dynamo_cumulative_compile_time_us": 1_500_000,
            "structured_logging_overhead_us": 2500,
            "inductor_cumulative_compile_time_us": 1_000_000,
            "triton_compile_time_us": 250_000,
        }
    )
    assert c.compile_time_s == 1.5 and c.structured_logging_overhead_s == 0.0025
    assert c.inductor_compile_time_s == 1.0 and c.parts_s["triton_compile_time_s"] == 0.25


def test_nulls_everywhere_and_fail_type_without_reason():
    meta = dict.fromkeys(["entire_frame_compile_time_s", "co_name", "restart_reasons", "fail_reason", "guard_count"])
    meta["fail_type"] = "BackendCompilerFailed"
    c = build(meta)
    assert c.compile_time_s is None and c.co_name is None and c.restart_reasons == []
    assert c.fail_type == "BackendCompilerFailed" and c.fail_reason is None and c.counts == {}


def test_span_fallback_for_compile_time():
    tree = PhaseTree()
    tree.root.children["dynamo"] = PhaseNode(
        "dynamo", 3.0, 0.1, 1, {"entire_frame_compile": PhaseNode("entire_frame_compile", 2.9, 2.9, 1)}
    )
    c = compile_from_metrics({}, "1/0", 0, None, tree)
    resolve_span_fallbacks(c)
    assert c.compile_time_s == pytest.approx(2.9)


def test_recompile_is_read_from_the_compile_id():
    assert build({}, "0/1").is_recompile and not build({}, "0/0").is_recompile
    assert build({}, "!1/2/3").frame == "!1/2"
