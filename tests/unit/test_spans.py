"""Span trees from chromium events: nesting, self time, background spans, stray events."""

from __future__ import annotations

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.fold.spans import PhaseBuilder
from compileprof.profiler.render.json_report import report_to_dict
from conftest import event


def ev(name, ph, ts, cid="0/0", **kw):
    return {"name": name, "ph": ph, "ts": ts, "args": {"compile_id": cid}, "tid": 0, "pid": 0, **kw}


def feed(builder, events, cid="0/0"):
    for e in events:
        builder.feed(e, e["args"]["compile_id"] if e["args"]["compile_id"] != "None" else None)


def test_nested_spans_give_total_self_and_count():
    b = PhaseBuilder()
    feed(
        b,
        [
            ev("dynamo", "B", 0),
            ev("backend_compile", "B", 100_000),
            ev("compile_file", "B", 200_000),
            ev("compile_file", "E", 300_000),
            ev("compile_file", "B", 400_000),
            ev("compile_file", "E", 450_000),
            ev("backend_compile", "E", 600_000),
        ],
    )
    tree = b.claim("0/0")
    feed(b, [ev("dynamo", "E", 1_000_000)])  # the outer E comes after the metrics record
    b.finish()
    (dynamo,) = tree.roots
    assert dynamo.total_s == pytest.approx(1.0) and dynamo.self_s == pytest.approx(0.5)
    backend = dynamo.children["backend_compile"]
    assert backend.total_s == pytest.approx(0.5) and backend.self_s == pytest.approx(0.35)
    cf = backend.children["compile_file"]
    assert cf.count == 2 and cf.total_s == pytest.approx(0.15) and cf.self_s == pytest.approx(0.15)
    assert b.stray_begin == b.stray_end == 0


def test_background_spans_are_flat_and_may_overlap():
    b = PhaseBuilder()
    # two overlapping background compiles (B B E E) of compile id "None"
    feed(
        b,
        [
            ev("compile_file", "B", 0, "None"),
            ev("compile_file", "B", 10, "None"),
            ev("compile_file", "E", 30, "None"),
            ev("compile_file", "E", 50, "None"),
        ],
    )
    b.finish()
    span = b.unattributed["compile_file"]
    assert span.count == 2 and span.total_s == pytest.approx(70e-6)


def test_stray_events_are_counted():
    b = PhaseBuilder()
    feed(
        b,
        [
            ev("orphan_end", "E", 5),
            ev("dynamo", "B", 0),
            ev("inner", "B", 1),
            ev("dynamo", "E", 10),
            ev("never_closed", "B", 20),
        ],
    )
    b.claim("0/0")
    b.finish()
    assert b.stray_end == 1  # orphan_end
    assert b.stray_begin == 2  # inner (closed over by dynamo's E) and never_closed


def test_trace_only_spans_and_instants():
    b = PhaseBuilder()
    feed(
        b,
        [
            ev("dynamo", "B", 0),
            ev("x_log_torch_trace_only", "B", 10),
            ev("x_log_torch_trace_only", "E", 40),
            ev("fx_graph_cache_miss", "i", 41),
            ev("dynamo", "E", 100),
        ],
    )
    tree = b.claim("0/0")
    b.finish()
    assert b.trace_only["x_log_torch_trace_only"].total_s == pytest.approx(30e-6)
    assert tree.instants == {"fx_graph_cache_miss": 1}


def test_same_compile_id_twice_gives_two_trees():
    # Concatenated logs repeat compile ids: each metrics record gets its own tree.
    b = PhaseBuilder()
    feed(b, [ev("dynamo", "B", 0)])
    first = b.claim("0/0")
    feed(b, [ev("dynamo", "E", 100), ev("dynamo", "B", 1000)])
    second = b.claim("0/0")
    feed(b, [ev("dynamo", "E", 1300)])
    b.finish()
    assert first.roots[0].total_s == pytest.approx(100e-6)
    assert second.roots[0].total_s == pytest.approx(300e-6)


def test_compile_without_metrics_is_folded_into_unattributed():
    b = PhaseBuilder()
    feed(b, [ev("dynamo", "B", 0, "3/0"), ev("dynamo", "E", 2_000_000, "3/0")])
    b.finish()
    assert b.unattributed["dynamo"].total_s == pytest.approx(2.0)


def test_a_bad_pid_inside_an_aot_compile_is_counted_once_per_event(tmp_path):
    # GIVEN an AOTInductor compile's spans (no compile id) where two events carry a list as their pid
    log = tmp_path / "aot.log"
    log.write_text(
        event("compile_fx_aot", "B", 1.0, compile_id=None)
        + event("inductor_compile", "B", 2.0, compile_id=None, pid=[1])
        + event("inductor_compile", "E", 3.0, compile_id=None, pid=[1])
        + event("compile_fx_aot", "E", 4.0, compile_id=None)
    )
    d = report_to_dict(build_report(log))
    # THEN each bad value is counted once, however many times the fold needs the event's thread
    assert d["parse"]["bad_value_fields"] == {"chromium.pid": 2}


def test_a_complete_event_inside_a_span_is_a_child_with_its_duration_and_start():
    # GIVEN a dynamo span holding complete ("X") events (0.2 s at 0.3 s, 0.1 s at 0.6 s), one more at the top
    b = PhaseBuilder()
    feed(b, [ev("dynamo", "B", 0), ev("autotune", "X", 300_000, dur=200_000), ev("autotune", "X", 600_000, dur=100_000),
             ev("dynamo", "E", 1_000_000),
             ev("guards_X", "X", 1_100_000, dur=50_000)])  # fmt: skip
    tree = b.claim("0/0")
    b.finish()
    # THEN the X event is dynamo's child, counted in dynamo's children, started where it says
    dynamo, top = tree.roots
    autotune = dynamo.children["autotune"]
    assert autotune.total_s == pytest.approx(0.3) and autotune.self_s == pytest.approx(0.3) and autotune.count == 2
    assert autotune.start_s == pytest.approx(0.3)
    assert dynamo.self_s == pytest.approx(0.7) and dynamo.total_s == pytest.approx(1.0)
    assert (top.name, top.total_s, top.start_s) == ("guards_X", pytest.approx(0.05), pytest.approx(1.1))
