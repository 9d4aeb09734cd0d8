"""TORCH_TRACE logging timed directly: every trace_structured call, however its caller bound it."""

from __future__ import annotations

import logging

import pytest

torch = pytest.importorskip("torch")


def test_every_trace_structured_call_is_timed_outermost_only_and_only_while_tracing():
    from compileprof.profiler.run.trace_cost import TraceCost, install
    from torch._logging import _internal
    from torch._logging import trace_structured as bound_at_import  # how most of torch calls it

    assert install(torch, TraceCost())
    cost = TraceCost()
    assert install(torch, cost)  # installing again times into the new totals (and does not wrap twice)
    cost.step = "compile"
    handler, saved = logging.NullHandler(), list(_internal.trace_log.handlers)
    for h in saved:
        _internal.trace_log.removeHandler(h)
    try:
        # no handler: not logging, not counted
        bound_at_import("artifact", lambda: {"name": "x", "encoding": "string"}, payload_fn=lambda: "p")
        assert cost.by_step == {}
        _internal.trace_log.addHandler(handler)
        miss = {"name": "fx_graph_cache_miss", "encoding": "json"}
        bound_at_import("artifact", lambda: miss, payload_fn=lambda: "{}")

        def nested_payload() -> str:  # a payload function that itself logs: part of its caller's cost
            _internal.trace_structured("str", lambda: ("inner", 1))
            return "outer"

        _internal.trace_structured("inductor_output_code", lambda: {}, payload_fn=nested_payload)
    finally:
        _internal.trace_log.removeHandler(handler)
        for h in saved:
            _internal.trace_log.addHandler(h)
    d = cost.to_dict()
    assert d["by_step"]["compile"]["calls"] == 2 and d["by_step"]["compile"]["seconds"] > 0
    assert set(d["by_kind"]["compile"]) == {"artifact:fx_graph_cache_miss", "inductor_output_code"}
    assert d["by_compile"] == {"none": {"calls": 2, "seconds": d["by_step"]["compile"]["seconds"]}}
