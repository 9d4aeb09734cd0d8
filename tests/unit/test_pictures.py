"""The HTML report and diff pages (their data, the flame tree they draw) and the Perfetto export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.render.html_report import MAX_NODES, diff_flame, merge_phases
from compileprof.profiler.render.json_report import report_to_dict
from conftest import FIXTURES, event, record_line, run_cli
from fuzz.validity import check_perfetto


def page_data(path: Path) -> dict:
    """The JSON data island of a generated page."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text.split('id="data">', 1)[1].split("</script>", 1)[0].replace("<\\/", "</"))


def nodes(tree: dict) -> int:
    return 1 + sum(nodes(c) for c in tree["children"])


def test_the_page_is_self_contained_and_holds_the_json_reports_figures(tmp_path):
    out = tmp_path / "r.html"
    result = run_cli("report", str(FIXTURES / "ranks2"), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    # nothing is fetched at view time: no external script, style, font or image
    assert "<script src" not in text and "<link" not in text and "http://" not in text.replace("http://www.w3.org", "")
    assert "@import" not in text and "url(" not in text
    data = page_data(out)
    expected = report_to_dict(build_report(FIXTURES / "ranks2"))
    # the totals, summary and asserts are the JSON report's; every compile is on the timeline
    assert data["totals"] == expected["totals"] and data["summary"] == expected["summary"]
    assert data["asserts"] == expected["asserts"] and data["compiles_total"] == len(expected["compiles"])
    assert [c["compile_id"] for c in data["compiles"]] == [c["compile_id"] for c in expected["compiles"]]
    assert all(c["phases"] and c["phases"][0]["start_s"] > 0 for c in data["compiles"])


def test_the_flame_tree_merges_every_compiles_phases_by_path():
    report = report_to_dict(build_report(FIXTURES / "graph_break.log"))
    flame = merge_phases([c["phases"] for c in report["compiles"]])
    # the root is all compiles; its children are the outermost spans, summed over compiles
    assert flame["total_s"] == pytest.approx(sum(p["total_s"] for c in report["compiles"] for p in c["phases"]))
    paths: set[tuple[str, ...]] = set()

    def walk(phases: list[dict], path: tuple[str, ...]) -> None:
        for p in phases:
            paths.add((*path, p["name"]))
            walk(p["children"], (*path, p["name"]))

    for c in report["compiles"]:
        walk(c["phases"], ())
    # one rectangle per distinct path (plus the root): what the chart draws
    assert nodes(flame) == len(paths) + 1
    # a node's total is the sum over compiles of that path's totals
    dynamo = next(k for k in flame["children"] if k["name"] == "dynamo")
    assert dynamo["total_s"] == pytest.approx(sum(p["total_s"] for c in report["compiles"] for p in c["phases"]
                                                  if p["name"] == "dynamo"), abs=1e-5)  # fmt: skip


def test_a_huge_tree_is_folded_and_says_so():
    wide = [[{"name": f"span{i}", "total_s": 1.0 + i, "self_s": 1.0, "count": 1, "children": []}] for i in range(6000)]
    flame = merge_phases(wide)
    assert nodes(flame) <= MAX_NODES + 1
    other = flame["children"][-1]
    assert other["name"].startswith("other (") and other["total_s"] > 0
    assert flame["total_s"] == pytest.approx(sum(1.0 + i for i in range(6000)))


def test_the_diff_flame_colours_each_phase_by_its_change():
    a = {"name": "r", "total_s": 3.0, "self_s": 0, "count": 1, "children": [
        {"name": "x", "total_s": 2.0, "self_s": 2.0, "count": 1, "children": []},
        {"name": "gone", "total_s": 1.0, "self_s": 1.0, "count": 1, "children": []}]}  # fmt: skip
    b = {"name": "r", "total_s": 5.0, "self_s": 0, "count": 1, "children": [
        {"name": "x", "total_s": 4.5, "self_s": 4.5, "count": 1, "children": []},
        {"name": "new", "total_s": 0.5, "self_s": 0.5, "count": 1, "children": []}]}  # fmt: skip
    d = diff_flame(a, b)
    kids = {k["name"]: k for k in d["children"]}
    assert (d["change_s"], kids["x"]["change_s"], kids["new"]["change_s"], kids["gone"]["change_s"]) == (
        2.0,
        2.5,
        0.5,
        -1.0,
    )
    assert kids["gone"]["total_s"] == 1.0 and kids["x"]["total_s"] == 4.5  # the larger side's width


def test_diff_writes_a_page_with_both_runs(tmp_path):
    out = tmp_path / "d.html"
    result = run_cli("diff", str(FIXTURES / "graph_break.log"), str(FIXTURES / "warm_cache.log"), "-o", str(out))
    assert result.exit_code == 0, result.output
    data = page_data(out)
    assert data["kind"] == "diff" and data["a"]["summary"]["compiles"] == 4 and data["rows"]
    assert data["flame"]["change_s"] == pytest.approx(data["flame"]["b_s"] - data["flame"]["a_s"], abs=1e-6)


# ---- Perfetto -------------------------------------------------------------------------------------


def check_trace_events(events: list[dict]) -> None:
    """The trace-event format's rules this export promises: every slice complete (X, dur >= 0), and on
    each track (pid, tid) slices nest: one begins inside another only if it also ends inside it."""
    tracks: dict[tuple, list[tuple[float, float]]] = {}
    for e in events:
        assert e["ph"] in ("X", "i", "M") and isinstance(e["pid"], int) and isinstance(e["tid"], int)
        if e["ph"] == "X":
            assert e["dur"] >= 0 and isinstance(e["ts"], (int, float))
            tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for spans in tracks.values():
        spans.sort(key=lambda s: (s[0], -s[1]))
        open_: list[float] = []
        for start, end in spans:
            while open_ and open_[-1] <= start:
                open_.pop()
            assert not open_ or end <= open_[-1] + 1e-3, "a slice crosses the end of the one it starts in"
            open_.append(end)


def test_perfetto_export_has_a_process_per_rank_and_valid_tracks(tmp_path):
    out = tmp_path / "t.json"
    assert run_cli("report", str(FIXTURES / "ranks2"), "-f", "perfetto", "-o", str(out)).exit_code == 0
    events = check_perfetto(out.read_bytes())
    check_trace_events(events)
    names = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert names == {0: "rank 0", 1: "rank 1"}
    # every compile's outermost span is a slice carrying its compile id; cache events are instants
    report = report_to_dict(build_report(FIXTURES / "ranks2"))
    dynamo = [e for e in events if e["name"] == "dynamo" and e["ph"] == "X"]
    assert sorted((e["pid"], e["args"]["compile_id"]) for e in dynamo) == sorted(
        (c["rank"], c["compile_id"]) for c in report["compiles"]
    )
    assert any(e["ph"] == "i" and "cache" in e["name"] for e in events)


def test_perfetto_closes_what_the_log_left_open_and_places_graph_breaks(tmp_path):
    log = tmp_path / "x.log"
    log.write_text(
        event("dynamo", "B", 1.0)
        + event("inner", "B", 2.0)
        + event("never_closed", "B", 3.0)
        + event("inner", "E", 10.0)
        + record_line(
            "artifact",
            {"name": "dynamo_graph_break_reason", "encoding": "string"},
            "Graph break: print",
            frame_id=0,
            frame_compile_id=0,
        )
        + event("dynamo", "B", 20.0)  # opened again inside itself, never closed: the log is cut here
        + event("compile_file", "B", 5.0, compile_id=None, tid=7)
    )
    out = tmp_path / "t.json"
    assert run_cli("report", str(log), "-f", "perfetto", "-o", str(out)).exit_code == 0
    events = check_perfetto(out.read_bytes())
    check_trace_events(events)
    by_name = {e["name"]: e for e in events if e["ph"] == "X" and e["name"] != "dynamo"}
    assert by_name["inner"]["dur"] == 8.0 and "unclosed" not in by_name["inner"]["args"]
    assert by_name["never_closed"]["args"]["unclosed"] is True and by_name["never_closed"]["dur"] == 7.0
    assert len([e for e in events if e["name"] == "dynamo"]) == 2
    brk = next(e for e in events if e["name"] == "graph break")
    assert brk["ph"] == "i" and brk["ts"] == 10.0 and brk["args"]["reason"] == "Graph break: print"
    background = next(e for e in events if e["name"] == "compile_file")
    assert background["tid"] != by_name["inner"]["tid"]


def test_perfetto_from_a_pipe_says_it_needs_a_file():
    data = (FIXTURES / "mlp.log").read_bytes()
    cmd = [sys.executable, "-m", "compileprof", "report", "-", "-f", "perfetto"]
    proc = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"needs a file" in proc.stderr and b"Traceback" not in proc.stderr


def test_a_log_without_spans_is_timed_from_its_metrics(tmp_path):
    # GIVEN an older torch's log: metrics with a start time and a compile time, no chromium events
    log = tmp_path / "old.log"
    metrics = {"co_name": "fn", "start_time": 1712154528.25, "entire_frame_compile_time_s": 0.5}
    log.write_text(record_line("compilation_metrics", metrics, frame_id=0, frame_compile_id=0))
    # THEN the page places the compile at that time, and Perfetto draws it as one slice
    html, trace = tmp_path / "r.html", tmp_path / "t.json"
    assert run_cli("report", str(log), "-o", str(html)).exit_code == 0
    assert page_data(html)["compiles"][0]["start_s"] == 1712154528.25
    assert run_cli("report", str(log), "-f", "perfetto", "-o", str(trace)).exit_code == 0
    (s,) = [e for e in check_perfetto(trace.read_bytes()) if e["ph"] == "X"]
    assert (s["ts"], s["dur"], s["args"]["compile_id"]) == (1712154528250000.0, 500000.0, "0/0")


def test_hostile_clocks_and_names_are_counted_not_drawn(tmp_path):
    # GIVEN spans whose begin and end are 2e308 us apart (an infinite duration) and a reason artifact
    # whose name is a list (both found by the fuzzer)
    log = tmp_path / "x.log"
    log.write_text(
        event("dynamo", "B", -1e308)
        + event("dynamo", "E", 1e308)
        + event("compile_file", "B", -1e308, compile_id=None)
        + event("compile_file", "E", 1e308, compile_id=None)
        + record_line("artifact", {"name": ["dynamo_graph_break_reason"]}, "x", frame_id=0, frame_compile_id=0)
    )
    # THEN every format is written; the impossible spans are counted as bad values, not summed
    for fmt in ("json", "html", "perfetto"):
        out = tmp_path / f"r.{fmt}"
        assert run_cli("report", str(log), "-f", fmt, "-o", str(out)).exit_code == 0
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["parse"]["bad_value_fields"]["chromium.span"] == 2
    events = check_perfetto((tmp_path / "r.perfetto").read_bytes())
    assert [e for e in events if e["ph"] == "X"] == [] and not any(e["name"] == "graph break" for e in events)


def test_perfetto_draws_logs_days_apart_each_from_its_own_start_and_says_so(tmp_path):
    day = 86400e6
    logs = tmp_path / "job"
    logs.mkdir()
    for rank, start in ((0, 1.7e15), (1, 1.7e15 + 3 * day)):
        lines = [record_line("chromium_event", {}, __import__("json").dumps(
            {"name": "dynamo", "ts": start + t, "ph": ph, "args": {"compile_id": "0/0"}, "cat": "dynamo_timed",
             "tid": 0, "pid": 0}), rank=rank, frame_id=0, frame_compile_id=0, attempt=0)
                 for t, ph in ((0, "B"), (2e6, "E"))]  # fmt: skip
        (logs / f"dedicated_log_torch_trace_rank_{rank}_x.log").write_text("".join(lines))
    out = tmp_path / "t.json"
    assert run_cli("report", str(logs), "-f", "perfetto", "-o", str(out)).exit_code == 0
    doc = json.loads(out.read_text())
    events = [e for e in check_perfetto(out.read_bytes()) if e["ph"] == "X"]
    assert sorted(e["ts"] for e in events) == [1.7e15, 1.7e15]  # both from the earliest start
    assert doc["otherData"]["clock_offsets_s"] == {"rank 0": 0.0, "rank 1": 3 * 86400.0}
    assert "own first event" in doc["otherData"]["clocks"]


def test_the_page_holds_each_compile_s_whole_tree_until_its_node_budget(monkeypatch):
    from compileprof.profiler.render import html_report

    report = build_report(FIXTURES / "mlp.log")
    deepest = lambda nodes: 1 + max((deepest(n["children"]) for n in nodes), default=0) if nodes else 0  # noqa: E731
    full = html_report.page_data(report)
    assert deepest(full["compiles"][0]["phases"]) > html_report.TIMELINE_DEPTH and full["phases_cut"] == 0
    monkeypatch.setattr(html_report, "MAX_PAGE_NODES", 10)
    cut = html_report.page_data(report)
    assert deepest(cut["compiles"][0]["phases"]) == html_report.TIMELINE_DEPTH and cut["phases_cut"] == 1


def test_the_page_says_what_the_console_says_about_a_run():
    from compileprof.profiler.render.html_report import page_data
    from compileprof.profiler.render.run_view import assert_sentences, wall_sentences

    report = build_report(FIXTURES / "run_mlp")
    said = page_data(report)["said"]
    assert said["asserts"] == assert_sentences(report.measurements["asserts"])
    assert said["run"]["wall"] == wall_sentences(report.run) and said["run"]["check"].startswith("compiled output")


def test_a_phase_called_several_times_keeps_each_call():
    report = build_report(FIXTURES / "graph_break.log")
    many = [n for c in report.compiles for n in _walk(c.phases()) if n["count"] > 1]
    assert many and all(len(n["calls"]) == min(n["count"], 64) for n in many)
    assert all(abs(sum(d for _, d in n["calls"]) - n["total_s"]) < 1e-5 for n in many if n["count"] <= 64)


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n["children"])
