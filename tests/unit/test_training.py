"""Training jobs: the backward AOT autograd compiles lazily, on the first `.backward()`, after its forward's
metrics, is counted in the compile it belongs to, in every format, whenever it comes.

train_cold.log (tests/fixtures/README.md): a forward split by a graph break (0/0, 1/0), each frame's
backward compiled lazily in reverse order (1/0's, then 0/0's), and a compiled optimizer step (2/0 to 4/0).
The figures were counted by hand from the records: the five compilation_metrics'
entire_frame_compile_time_s sum to 11.737923 s; the two entire_backward_compile spans last 0.6778205 s
(1/0) and 0.85094275 s (0/0); structured_logging_overhead_s over the seven metrics records is 0.182401 s;
there are five fx_graph_cache_miss artifacts.
"""

from __future__ import annotations

import io
import json

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.model import rows
from compileprof.profiler.render.json_report import report_to_dict
from compileprof.profiler.render.registry import REPORT, RenderOptions, renderer
from conftest import FIXTURES, event, record_line, run_cli
from fuzz.validity import check_html, check_perfetto

COLD, WARM = FIXTURES / "train_cold.log", FIXTURES / "train_warm.log"


def render(path, fmt: str) -> str:
    buf = io.BytesIO()
    renderer(REPORT, fmt).write(build_report(path, jobs=1), buf, RenderOptions(width=200, limit=0))
    return buf.getvalue().decode()


def test_a_lazily_compiled_backward_is_counted_in_its_compile():
    d = report_to_dict(build_report(COLD, jobs=1))
    by_id = {c["compile_id"]: c for c in d["compiles"]}
    # THEN each forward frame carries its backward: time, cache lookup, logging overhead, beside its own
    assert by_id["0/0"]["forward_compile_time_s"] == 9.986603 and by_id["0/0"]["backward"]["compile_time_s"] == 0.850943
    assert by_id["0/0"]["compile_time_s"] == pytest.approx(9.986603 + 0.850943)
    assert by_id["1/0"]["backward"]["compile_time_s"] == 0.677821 and by_id["1/0"]["forward_compile_time_s"] == 0.833463
    assert by_id["0/0"]["backward"]["cache"] == {"fx_graph_cache_miss": 1}
    assert by_id["0/0"]["cache"] == {"aotautograd_cache_miss": 1, "fx_graph_cache_miss": 2}
    assert [c["backward"] is None for c in d["compiles"]] == [False, False, True, True, True]
    # AND the totals hold the backwards: compile time, FX misses as torch counted them, logging overhead
    assert d["totals"]["compile_time_s"] == pytest.approx(13.266686)
    assert d["summary"]["cache"] == {"aotautograd_cache_miss": 3, "fx_graph_cache_miss": 5}
    assert d["totals"]["structured_logging_overhead_s"] == pytest.approx(0.182401)
    # AND its spans are the compile's (a second root beside the forward's), not outside any compile
    assert [p["name"] for p in by_id["0/0"]["phases"]] == ["dynamo", "entire_backward_compile"]
    assert {s["name"] for s in d["unattributed_spans"]} == {"compile_file"}  # the kernel-compile workers'
    assert d["totals"]["phases"]["entire_backward_compile"] == pytest.approx(0.677821 + 0.850943, abs=2e-6)


def test_forward_and_backward_show_side_by_side_in_every_format(tmp_path):
    console, markdown = render(COLD, "console"), render(COLD, "markdown")
    assert "forward + its lazily compiled backward" in console
    assert "│ 0/0 a1 │ forward" in console and "10.84 s │   9.99 s │ 850.9 ms" in console  # attempt 1: a restart
    assert "| compile | forward | backward |" in markdown and "| 10.84 s | 9.99 s | 850.9 ms |" in markdown
    page = tmp_path / "r.html"
    assert run_cli("report", str(COLD), "-o", str(page)).exit_code == 0
    data = check_html(page.read_bytes())
    assert data["compiles"][0]["backward"]["compile_time_s"] == 0.850943
    assert "entire_backward_compile" in {n["name"] for n in data["flame"]["children"]}
    trace = tmp_path / "t.json"
    assert run_cli("report", str(COLD), "-f", "perfetto", "-o", str(trace)).exit_code == 0
    slices = [e for e in check_perfetto(trace.read_bytes()) if e.get("name") == "entire_backward_compile"]
    assert sorted(round(e["dur"] / 1e6, 6) for e in slices) == [0.677821, 0.850943]


def test_a_diff_of_cold_and_warm_counts_what_the_cache_saved_the_backward_too():
    result = run_cli("diff", str(COLD), str(WARM), "-f", "json")
    rows_ = {r["name"]: r for r in json.loads(result.stdout)["metrics"]}
    # the warm run's backwards came from the AOT autograd cache: nothing compiled lazily (1.670121 s in all)
    assert rows_["compile_time_s"]["b"] == pytest.approx(1.670121)
    assert rows_["compile_time_s"]["change"] == pytest.approx(1.670121 - 13.266686)


def _training_log(path, between: int):
    """A forward 0/0, `between` other compiles, then 0/0's backward (its spans, cache miss and metrics)."""
    recs = [event("dynamo", "B", 0.0), event("dynamo", "E", 1e6),
            record_line("compilation_metrics", {"co_name": "fwd", "entire_frame_compile_time_s": 1.0},
                        frame_id=0, frame_compile_id=0, attempt=0)]  # fmt: skip
    for i in range(1, between + 1):
        cid = f"{i}/0"
        recs += [event("dynamo", "B", 2e6 + i, compile_id=cid), event("dynamo", "E", 2e6 + i + 1, compile_id=cid),
                 record_line("compilation_metrics", {"co_name": f"f{i}", "entire_frame_compile_time_s": 1e-6},
                             frame_id=i, frame_compile_id=0, attempt=0)]  # fmt: skip
    env = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    recs += [event("entire_backward_compile", "B", 9e6), event("inductor_compile", "B", 9e6 + 1),
             event("inductor_compile", "E", 9.25e6), event("entire_backward_compile", "E", 9.5e6),
             record_line("artifact", {"name": "fx_graph_cache_miss", "encoding": "json"}, "{}", **env),
             record_line("bwd_compilation_metrics", {"compile_id": "0/0", "inductor_compile_time_s": 0.25,
                                                     "structured_logging_overhead_s": 0.01}, **env)]  # fmt: skip
    path.write_text("".join(recs))
    return path


def test_a_backward_long_after_its_forward_was_written_still_joins_it(tmp_path, monkeypatch):
    # GIVEN a backward that arrives after 40 other compiles, rows kept in memory only 8 at a time
    monkeypatch.setattr(rows, "KEEP", 8)
    monkeypatch.setattr(rows, "BATCH", 4)
    log = _training_log(tmp_path / "t.log", between=40)
    report = build_report(log, jobs=1)
    assert report.traces[0].compiles.spilled > 0  # 0/0's row was written to disk before its backward came
    first = report.compiles[0]
    # THEN it is still 0/0's: its span, its cache miss, its overhead; nothing left over
    assert first.backward is not None and first.backward.compile_time_s == pytest.approx(0.5)
    assert first.compile_time_s == pytest.approx(1.5) and first.cache == {"fx_graph_cache_miss": 1}
    assert report.summary.compile_time_s == pytest.approx(1.5 + 40e-6) and len(report.compiles) == 41
    assert "entire_backward_compile" not in report.unattributed


def test_a_backward_whose_forward_is_not_in_the_log_is_a_row_of_its_own(tmp_path):
    log = _training_log(tmp_path / "t.log", between=0)
    text = log.read_text()
    log.write_text(text[text.index("compilation_metrics") :].split("\n", 1)[1])  # the forward's records gone
    d = report_to_dict(build_report(log, jobs=1))
    (only,) = d["compiles"]
    assert only["compile_id"] == "0/0" and only["forward_compile_time_s"] is None
    assert only["compile_time_s"] == 0.5 and d["totals"]["compile_time_s"] == 0.5
