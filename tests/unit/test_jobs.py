"""Everyone's directories: a file that several processes wrote into, and a folder that holds several jobs.

two_processes.log: the records of ranks2's two processes interleaved by their glog time (chromium events
say pid 0, tid 0 in both). jobs/: two loose single-process logs recorded 3.4 s apart (mlp.log ends at
02:56:53.9, graph_break.log starts at 02:56:57.3), small/ (a two-rank gloo job), shared/ (ranks2's and
ranks2_small's rank logs in one folder, recorded days apart). See tests/fixtures/README.md.
"""

from __future__ import annotations

import shutil

import pytest
from compileprof.profiler.analysis.jobs import group_jobs
from compileprof.profiler.build import build_report
from compileprof.profiler.model.trace import TraceReport
from compileprof.profiler.render.json_report import report_to_dict
from compileprof.profiler.trace.records import ParseStats
from conftest import FIXTURES, run_cli
from fuzz.validity import check_perfetto


def _totals(path) -> list[tuple]:
    d = report_to_dict(build_report(path, jobs=1))
    return [(r["rank"], r["totals"]["compiles"], r["totals"]["compile_time_s"]) for r in d["ranks"]]


def test_each_process_of_a_file_is_its_own_stream_of_compiles():
    d = report_to_dict(build_report(FIXTURES / "two_processes.log", jobs=1))
    # THEN the file is read as its two processes, each exactly as its own file reads
    assert [(r["name"], r["pid"]) for r in d["ranks"]] == [("two_processes.log (pid 23996)", 23996),
                                                           ("two_processes.log (pid 23997)", 23997)]  # fmt: skip
    assert _totals(FIXTURES / "two_processes.log") == _totals(FIXTURES / "ranks2") == [
        (0, 1, 20.713584), (1, 3, 22.722706)]  # fmt: skip
    assert d["parse"]["other_rank"] == 0 and d["stray_events"] == {"unmatched_begin": 0, "unmatched_end": 0}
    assert all(c["phases"] for c in d["compiles"]) and d["files"] == [str(FIXTURES / "two_processes.log")]
    # AND one job of two ranks, compared as the two rank files are
    assert [(j["name"], j["ranks"]) for j in d["jobs"]] == [(".", [0, 1])]
    assert d["rank_skew"]["spread_s"] == pytest.approx(22.722706 - 20.713584)


def test_spans_are_paired_within_a_process_only(tmp_path):
    # GIVEN a log cut inside an open span, then another process's whole log, joined into one file
    joined = tmp_path / "all.log"
    cut = (FIXTURES / "damaged_truncated.log").read_bytes()  # ends inside a payload, its spans open
    joined.write_bytes(cut + b"\n" + (FIXTURES / "graph_break.log").read_bytes())
    d = report_to_dict(build_report(joined, jobs=1))
    alone = report_to_dict(build_report(FIXTURES / "graph_break.log", jobs=1))
    second = d["ranks"][1]
    # THEN the second process reads as its own file does: the first's open spans do not swallow its spans
    assert second["totals"]["compile_time_s"] == alone["totals"]["compile_time_s"] == 8.513018
    assert second["totals"]["phases"] == alone["totals"]["phases"]
    trace = tmp_path / "t.json"
    assert run_cli("report", str(joined), "-f", "perfetto", "-o", str(trace)).exit_code == 0
    longest = max(e.get("dur", 0) for e in check_perfetto(trace.read_bytes()) if e.get("ph") == "X")
    assert longest < 30e6  # no slice spans the two processes (the longest compile takes 13 s)


def test_a_folder_of_several_jobs_is_reported_job_by_job():
    d = report_to_dict(build_report(FIXTURES / "jobs", jobs=1))
    jobs = [(j["name"], j["files"], j["ranks"], j["totals"]["compile_time_s"]) for j in d["jobs"]]
    assert jobs == [
        ("dedicated_log_torch_trace_a.log", ["dedicated_log_torch_trace_a.log"], [], 13.094458),
        ("dedicated_log_torch_trace_b.log", ["dedicated_log_torch_trace_b.log"], [], 8.513018),
        ("shared #1", [f"shared/dedicated_log_torch_trace_rank_{r}_x1.log" for r in (0, 1)], [0, 1], 43.43629),
        ("shared #2", [f"shared/dedicated_log_torch_trace_rank_{r}_y2.log" for r in (0, 1)], [0, 1], 23.812224),
        ("small", ["small/dedicated_log_torch_trace_rank_0.log", "small/dedicated_log_torch_trace_rank_1.log"],
         [0, 1], 23.812224),
    ]  # fmt: skip
    # THEN ranks are compared within a job only: no skew across jobs, each job's own
    assert d["rank_skew"] is None and d["divergence"] == []
    assert [j["rank_skew"]["slowest_rank"] if j["rank_skew"] else None for j in d["jobs"]] == [None, None, 1, 0, 0]
    assert [any(len(x["groups"]) > 1 for x in j["divergence"]) for j in d["jobs"]] == [False] * 2 + [True, False, False]
    assert d["summary"]["frames"] == 1 + 2 + 3 + 2 + 2 and d["summary"]["frames_per_rank"] == {}  # per job, per rank
    # AND the console names the jobs and files by their path under the folder
    out = run_cli("report", str(FIXTURES / "jobs")).stdout
    assert "8 in 5 jobs" in out and "112.67 s summed over 5 jobs; the slowest job, shared #1, 22.72 s" in out
    assert "shared/dedicated_log_torch_trace_rank_1_x1.log" in out and "Job shared #1" in out


def test_a_folder_of_one_job_is_unchanged(tmp_path):
    d = report_to_dict(build_report(FIXTURES / "ranks2", jobs=1))
    assert [(j["name"], j["ranks"]) for j in d["jobs"]] == [(".", [0, 1])]
    assert d["rank_skew"]["slowest_rank"] == 1 and d["jobs"][0]["rank_skew"] == d["rank_skew"]
    assert [r["name"] for r in d["ranks"]] == ["dedicated_log_torch_trace_rank_0.log",
                                               "dedicated_log_torch_trace_rank_1.log"]  # fmt: skip
    nested = tmp_path / "a" / "b"
    shutil.copytree(FIXTURES / "ranks2", nested)
    d = report_to_dict(build_report(tmp_path, jobs=1))
    assert [r["name"] for r in d["ranks"]] == ["a/b/dedicated_log_torch_trace_rank_0.log",
                                               "a/b/dedicated_log_torch_trace_rank_1.log"]  # fmt: skip
    assert [j["name"] for j in d["jobs"]] == ["a/b"]


def _trace(name: str, rank: int | None, first: float | None, last: float | None) -> TraceReport:
    t = TraceReport(path=f"/x/{name}", rank=rank, torch_version=None, parse=ParseStats(), name=name)
    t.first_s, t.last_s = first, last
    return t


@pytest.mark.parametrize(
    ("traces", "jobs"),
    [
        # distinct ranks recorded days apart: one job (the ranks of one job need not share a clock)
        ([("r0", 0, 0.0, 1.0), ("r1", 1, 9e6, 9e6 + 1)], [["r0", "r1"]]),
        # a rank repeats: the logs that ran together are one job
        ([("a0", 0, 0.0, 10.0), ("b0", 0, 100.0, 110.0), ("a1", 1, 1.0, 9.0), ("b1", 1, 101.0, 111.0)],
         [["a0", "a1"], ["b0", "b1"]]),
        # a rankless log that ran with a job is part of it; one that ran alone is a job of its own
        ([("r0", 0, 0.0, 10.0), ("r1", 1, 0.0, 10.0), ("driver", None, 2.0, 3.0), ("later", None, 50.0, 60.0)],
         [["r0", "r1", "driver"], ["later"]]),
        # rankless logs one after the other (a second apart and more) are separate runs
        ([("x", None, 0.0, 10.0), ("y", None, 11.5, 20.0), ("z", None, 19.0, 30.0)], [["x"], ["y", "z"]]),
        # no times known: rankless logs are each their own job
        ([("p", None, None, None), ("q", None, None, None)], [["p"], ["q"]]),
    ],
)  # fmt: skip
def test_job_rules(traces, jobs):
    groups = group_jobs([_trace(*t) for t in traces])
    assert [[t.name for t in g.traces] for g in groups] == jobs


def _recompiling_rank(path, rank: int, address: int) -> None:
    """A rank that compiles frame 0 twice, the recompile's reason naming an object id (a memory address)."""
    from conftest import record_line

    reason = f"___check_obj_id(L['fn'], {address})"
    path.write_text("".join(
        record_line("compilation_metrics", {"co_name": "f", "entire_frame_compile_time_s": 1.0,
                                            "recompile_reason": reason if n else None},
                    frame_id=0, frame_compile_id=n, attempt=0, rank=rank)
        for n in (0, 1)
    ))  # fmt: skip


def test_ranks_whose_reasons_differ_by_an_address_only_do_not_diverge(tmp_path):
    _recompiling_rank(tmp_path / "dedicated_log_torch_trace_rank_0.log", 0, 140234567890128)
    _recompiling_rank(tmp_path / "dedicated_log_torch_trace_rank_1.log", 1, 139871122334455)
    d = report_to_dict(build_report(tmp_path, jobs=1))
    (recompiles,) = [x for x in d["divergence"] if x["check"] == "recompiles"]
    # THEN the ranks agree, and the report says the addresses were masked to compare them
    assert not recompiles["diverged"]
    assert recompiles["note"] == "compared with memory addresses (0x..., id() values) masked"
    assert "Recompile reasons: compared with memory addresses" in run_cli("report", str(tmp_path)).stdout


def test_frames_of_several_ranks_say_how_they_split():
    out = run_cli("report", str(FIXTURES / "ranks2")).stdout
    assert "compiled frames  3 over 2 ranks (1 and 2 per rank, 2 distinct; 4 compiles, 4 attempts)" in out
    d = report_to_dict(build_report(FIXTURES / "ranks2", jobs=1))
    assert (d["summary"]["frames"], d["summary"]["frames_distinct"], d["summary"]["frames_per_rank"]) == (
        3, 2, {"0": 1, "1": 2})  # fmt: skip
