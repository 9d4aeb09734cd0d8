"""The report contract against figures computed by hand from the fixtures (see fixtures/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.render.json_report import report_to_dict
from conftest import FIXTURES, event, record_line

CONTRACT_KEYS = {"schema_version", "parse", "compiles", "totals", "asserts"}


def test_graph_break_fixture_totals():
    # GIVEN the graph-break fixture: fn breaks on print(); a second shape recompiles both frames
    d = report_to_dict(build_report(FIXTURES / "graph_break.log"))
    assert CONTRACT_KEYS <= d.keys() and d["schema_version"] == 1
    assert set(d["parse"]) >= {"lines", "records", "fail_glog", "fail_json", "fail_payload_md5", "unknown"}
    # THEN: four compilation_metrics records in log order, with their own figures
    assert [c["compile_id"] for c in d["compiles"]] == ["0/0", "1/0", "0/1", "1/1"]
    assert [c["attempt"] for c in d["compiles"]] == [1, 0, 1, 0]
    assert d["compiles"][0]["compile_time_s"] == 6.668719
    assert d["compiles"][0]["graph_breaks"] == 1 and d["compiles"][1]["graph_breaks"] == 0
    assert "size mismatch" in d["compiles"][2]["recompile_reason"]
    # sums by hand: 6.668719 + 0.608267 + 0.622508 + 0.613524 and 0.022671 + 0.011512 + 0.011206 + 0.011215
    assert d["totals"]["compiles"] == 4
    assert d["totals"]["compile_time_s"] == pytest.approx(8.513018)
    assert d["totals"]["structured_logging_overhead_s"] == pytest.approx(0.056604)
    assert d["summary"]["graph_breaks"] == 2 and len(d["summary"]["recompiles"]) == 2
    assert d["summary"]["cache"] == {"aotautograd_cache_miss": 4, "fx_graph_cache_miss": 4}
    # one size/stride assert per graph (the input), nothing else
    assert (d["asserts"]["size_stride"], d["asserts"]["alignment"], d["asserts"]["scalar"], d["asserts"]["nan"]) == (
        4,
        0,
        0,
        0,
    )
    assert [g["compile_id"] for g in d["asserts"]["graphs"]] == ["0/0", "1/0", "0/1", "1/1"]


def test_phase_tree_is_consistent():
    d = report_to_dict(build_report(FIXTURES / "graph_break.log"))
    first = d["compiles"][0]
    (dynamo,) = first["phases"]
    assert dynamo["name"] == "dynamo" and dynamo["count"] == 1
    efc = dynamo["children"][0]
    assert efc["name"] == "entire_frame_compile"
    # the span agrees with the metrics field to the microsecond rounding of the log
    assert efc["total_s"] == pytest.approx(first["compile_time_s"], abs=2e-3)

    def check(node):
        assert node["self_s"] <= node["total_s"] + 1e-9
        assert sum(c["total_s"] for c in node["children"]) <= node["total_s"] + 1e-6
        for c in node["children"]:
            check(c)

    check(dynamo)
    assert d["totals"]["phases"]["backend_compile"] == pytest.approx(
        sum(c["backend_compile_time_s"] for c in d["compiles"]), rel=0.01
    )


def test_trace_only_spans_and_logging_share():
    # The mlp fixture's backend wraps an artifact in dynamo_timed("fixture_log_compile_start_torch_trace_only")
    d = report_to_dict(build_report(FIXTURES / "mlp.log"))
    spans = d["totals"]["torch_trace_only_spans"]
    assert list(spans) == ["fixture_log_compile_start_torch_trace_only"]
    assert spans["fixture_log_compile_start_torch_trace_only"]["count"] == 1
    assert d["totals"]["torch_trace_only_s"] == pytest.approx(0.0003215, abs=1e-6)
    assert d["totals"]["structured_logging_overhead_s"] == pytest.approx(0.023942)
    assert d["totals"]["structured_logging_share"] == pytest.approx(0.023942 / 13.094458, abs=1e-6)
    assert d["asserts"]["size_stride"] == 5 and len(d["asserts"]["graphs"][0]["guarded_inputs"]) == 5
    assert d["torch_versions"] == ["2.13.0+cpu"] and d["device"] == "cpu"


def test_directory_of_ranks(tmp_path):
    shutil.copy(FIXTURES / "mlp.log", tmp_path / "dedicated_log_torch_trace_rank_0_abc.log")
    shutil.copy(FIXTURES / "graph_break.log", tmp_path / "dedicated_log_torch_trace_rank_1_def.log")
    d = report_to_dict(build_report(tmp_path, jobs=2))
    assert [r["rank"] for r in d["ranks"]] == [0, 1]
    assert d["totals"]["compiles"] == 5
    assert d["totals"]["compile_time_s"] == pytest.approx(13.094458 + 8.513018)
    assert [c["rank"] for c in d["compiles"]] == [0, 1, 1, 1, 1]
    skew = d["rank_skew"]
    assert skew["slowest_rank"] == 0 and skew["fastest_rank"] == 1
    assert skew["spread_s"] == pytest.approx(13.094458 - 8.513018)
    assert d["parse"]["records"] == d["ranks"][0]["parse"]["records"] + d["ranks"][1]["parse"]["records"]
    latest = report_to_dict(build_report(tmp_path, latest=True))
    assert len(latest["ranks"]) == 1


def test_file_with_several_ranks_counts_the_first(tmp_path):
    log = tmp_path / "mixed.log"
    metrics = {"co_name": "f", "entire_frame_compile_time_s": 1.0}
    log.write_text(
        record_line("compilation_metrics", metrics, rank=3, frame_id=0, frame_compile_id=0, attempt=0)
        + record_line("compilation_metrics", metrics, rank=4, frame_id=0, frame_compile_id=0, attempt=0)
    )
    d = report_to_dict(build_report(log))
    assert d["parse"]["other_rank"] == 1 and d["totals"]["compiles"] == 1 and d["ranks"][0]["rank"] == 3


def test_damaged_log_still_reports_what_it_read():
    d = report_to_dict(build_report(FIXTURES / "damaged_truncated.log"))
    assert d["parse"]["truncated"] == 1 and d["parse"]["fail_payload_md5"] == 1
    assert d["totals"]["compiles"] == 0  # cut before the metrics record
    assert d["unattributed_spans"]  # the compile's spans are still shown
    assert d["stray_events"]["unmatched_begin"] == 10  # 55 B events and 45 E (grep -c '"ph": "B"' on the file)


def test_null_fail_reason_and_missing_fields(tmp_path):
    log = tmp_path / "t.log"
    log.write_text(
        event("dynamo", "B", 0)
        + record_line(
            "compilation_metrics",
            {
                "co_name": "f",
                "fail_type": "BackendCompilerFailed",
                "fail_reason": None,
                "entire_frame_compile_time_s": None,
            },
            frame_id=0,
            frame_compile_id=0,
            attempt=0,
        )
        + event("dynamo", "E", 500_000)
    )
    d = report_to_dict(build_report(log))
    (c,) = d["compiles"]
    assert c["fail_type"] == "BackendCompilerFailed" and c["fail_reason"] is None
    assert c["compile_time_s"] is None and d["totals"]["compile_time_s"] == 0
    assert d["summary"]["failures"] == [
        {"compile_id": "0/0", "rank": None, "fail_type": "BackendCompilerFailed", "fail_reason": None}
    ]


def test_empty_file_gives_an_empty_report(tmp_path):
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    d = report_to_dict(build_report(log))
    assert d["totals"]["compiles"] == 0 and d["parse"]["lines"] == 0


def test_cache_events_from_instants_when_no_artifact(tmp_path):
    log = tmp_path / "t.log"
    log.write_text(
        event("dynamo", "B", 0)
        + event("fx_graph_cache_hit", "i", 10)
        + event("autograd_cache_miss", "i", 20)
        + record_line(
            "compilation_metrics",
            {"co_name": "f", "inductor_fx_local_cache_hit_count": 7},
            frame_id=0,
            frame_compile_id=0,
            attempt=0,
        )
        + event("dynamo", "E", 500_000)
    )
    (c,) = report_to_dict(build_report(log))["compiles"]
    assert c["cache"] == {"fx_graph_cache_hit": 1, "aotautograd_cache_miss": 1}


def test_the_envelope_names_the_compile_when_the_payload_disagrees(tmp_path):
    # GIVEN a compile whose records say 0/0 but whose metrics payload says 0/1 (seen in real logs)
    log = tmp_path / "x.log"
    metrics = {"compile_id": "0/1", "co_name": "f", "entire_frame_compile_time_s": 2.0}
    log.write_text(
        event("dynamo", "B", 0.0)
        + event("entire_frame_compile", "B", 1.0)
        + event("entire_frame_compile", "E", 2_000_001.0)
        + event("dynamo", "E", 2_000_002.0)
        + record_line("compilation_metrics", metrics, frame_id=0, frame_compile_id=0, attempt=0)
    )
    d = report_to_dict(build_report(log))
    # THEN it is compile 0/0 everywhere: its spans are its tree, none is left outside any compile
    (c,) = d["compiles"]
    assert c["compile_id"] == "0/0" and not c["is_recompile"] and d["summary"]["recompiles"] == []
    assert c["phases"][0]["name"] == "dynamo" and d["unattributed_spans"] == []


def test_files_that_share_a_rank_stay_separate_ranks(tmp_path):
    # GIVEN three files whose records all say rank 0, named rank_0..rank_2 by the launcher
    body = (FIXTURES / "graph_break.log").read_text()
    stamped = "\n".join(x.replace("] {", '] {"rank": 0, ', 1) if "] {" in x else x for x in body.split("\n"))
    for r in range(3):
        (tmp_path / f"dedicated_log_torch_trace_rank_{r}_x.log").write_text(stamped)
    d = report_to_dict(build_report(tmp_path))
    # THEN there are three ranks, from the file names, every row names its own, and the conflict is said
    assert [r["rank"] for r in d["ranks"]] == [0, 1, 2] and {r["rank_source"] for r in d["ranks"]} == {"file name"}
    assert [c["rank"] for c in d["compiles"]] == [0] * 4 + [1] * 4 + [2] * 4
    assert {g["rank"] for g in d["asserts"]["graphs"]} == {0, 1, 2}
    assert len(d["rank_conflicts"]) == 3 and "rank 0 in its records, shared" in d["rank_conflicts"][0]
    assert d["rank_skew"]["compiles_per_rank"] == {"0": 4, "1": 4, "2": 4}
    # AND without rank_N names the files are numbered
    for r in range(3):
        (tmp_path / f"dedicated_log_torch_trace_rank_{r}_x.log").rename(
            tmp_path / f"dedicated_log_torch_trace_{'abc'[r]}.log"
        )
    d = report_to_dict(build_report(tmp_path))
    # THEN three processes that ran at the same time all saying rank 0 are three jobs of one rank each
    # (one job has one rank 0), never compared as ranks
    assert [r["rank"] for r in d["ranks"]] == [0, 0, 0] and {r["rank_source"] for r in d["ranks"]} == {"records"}
    assert [j["ranks"] for j in d["jobs"]] == [[0], [0], [0]] and d["rank_skew"] is None


def test_every_log_under_a_directory_is_found_whatever_its_name(tmp_path):
    # GIVEN torch's logs in a subfolder, a renamed log at the top, and a file that is not a log
    (tmp_path / "sub").mkdir()
    shutil.copy(FIXTURES / "mlp.log", tmp_path / "sub" / "dedicated_log_torch_trace_rank_0_a.log")
    shutil.copy(FIXTURES / "graph_break.log", tmp_path / "rank1.txt")
    (tmp_path / "notes.md").write_text("# not a log\n")
    d = report_to_dict(build_report(tmp_path))
    # THEN both logs are read, and the skipped file is named with the reason
    assert sorted(Path(f).name for f in d["files"]) == ["dedicated_log_torch_trace_rank_0_a.log", "rank1.txt"]
    assert [Path(s["path"]).name for s in d["skipped_files"]] == ["notes.md"]
    assert "not a TORCH_TRACE log" in d["skipped_files"][0]["reason"]


def test_cache_outcomes_from_every_record_that_states_them(tmp_path):
    # GIVEN an FX miss artifact, an AOT autograd lookup recorded only as a hash artifact, and a bypass
    env = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    art = {"encoding": "json"}
    reason = "Unsupported call_function target flex_attention. \n Function module: torch.ops.higher_order"
    log = tmp_path / "x.log"
    log.write_text(
        record_line("artifact", {"name": "fx_graph_cache_miss", **art}, "{}", **env)
        + record_line("artifact", {"name": "aotautograd_cache_hash", **art}, '{"cache_state": "miss"}', **env)
        + record_line("compilation_metrics", {"co_name": "f"}, **env)
        + record_line("artifact", {"name": "aotautograd_cache_bypass", **art},
                      json.dumps({"cache_bypass_reason": reason}), frame_id=1, frame_compile_id=0)
        + record_line("compilation_metrics", {"co_name": "g"}, frame_id=1, frame_compile_id=0, attempt=0)
    )  # fmt: skip
    d = report_to_dict(build_report(log))
    # THEN the AOT miss counts, and the bypass says why
    assert d["compiles"][0]["cache"] == {"fx_graph_cache_miss": 1, "aotautograd_cache_miss": 1}
    assert d["compiles"][1]["cache"] == {"aotautograd_cache_bypass": 1}
    assert d["summary"]["cache_bypass_reasons"] == {"Unsupported call_function target flex_attention.": 1}


def test_each_compile_says_where_it_was_called_from_and_what_it_guards():
    d = report_to_dict(build_report(FIXTURES / "graph_break.log"))
    first, resumed = d["compiles"][0], d["compiles"][1]
    # the user's stack, file names resolved from the log's table of interned names, innermost last
    assert first["user_stack"] == ["<string>:7 in fn"]
    assert resumed["user_stack"] == ["<string>:14 in <module>", "<string>:9 in torch_dynamo_resume_in_fn_at_9"]
    # the first guards are on the frame's own inputs, and the count is torch's
    assert first["guards"][0].startswith("TENSOR_MATCH: check_tensor(L['x']") and "size=[8]" in first["guards"][0]
    assert len(first["guards"]) == 5 and first["counts"]["guard_count"] > 5


def test_versions_come_from_wherever_the_log_states_them():
    d = report_to_dict(build_report(FIXTURES / "mlp.log"))
    assert d["versions"] == {"torch": ["2.13.0+cpu"], "python": ["3.11.7"]}  # triton "" and cuda null: not stated


def test_an_aot_inductor_compile_is_timed_named_and_its_checks_counted():
    d = report_to_dict(build_report(FIXTURES / "aoti.log"))
    (c,) = d["compiles"]
    # timed from the metrics' start and end timestamps; named for what compiled it
    assert c["co_name"] == "compile_fx_aot" and c["compile_time_s"] == pytest.approx(40.074978)
    assert d["device"] == "cpu"
    # the C++ wrapper's input checks: dtype, two sizes, two strides, device
    assert d["asserts"]["aoti_checks"] == 6 and d["asserts"]["graphs"][0]["language"] == "cpp"


def test_guards_shown_are_the_first_on_inputs_then_the_first_global_ones(tmp_path):
    # GIVEN two compiles' C++ guard trees: one with seven input guards after two global ones, one
    # with a single input guard (the tree is read only until five input guards are found)
    def tree(inputs: int) -> str:
        lines = ["TREE_GUARD_MANAGER:", "+- RootGuardManager", "| +- GLOBAL_STATE: ___check_global_state()"]
        lines.append("| +- DEFAULT_DEVICE: utils_device.CURRENT_DEVICE == None  # output_graph.py:1 in init")
        for i in range(inputs):
            lines.append(f"| +- GuardManager: source=L['x{i}'], accessed_by=X")
            lines.append(f"| | +- TENSOR_MATCH: check_tensor(L['x{i}'])")
        return "\n".join(lines)

    log = tmp_path / "g.log"
    metrics = {"co_name": "f", "entire_frame_compile_time_s": 1.0}
    log.write_text(
        "".join(
            record_line("dynamo_cpp_guards_str", {}, tree(n), frame_id=i, frame_compile_id=0)
            + record_line("compilation_metrics", metrics, frame_id=i, frame_compile_id=0)
            for i, n in enumerate((7, 1))
        )
    )
    many, one = report_to_dict(build_report(log))["compiles"]
    # THEN the first has its first five input guards, the second its one, then the global ones in order
    assert many["guards"] == [f"TENSOR_MATCH: check_tensor(L['x{i}'])" for i in range(5)]
    assert one["guards"] == [
        "TENSOR_MATCH: check_tensor(L['x0'])",
        "GLOBAL_STATE: ___check_global_state()",
        "DEFAULT_DEVICE: utils_device.CURRENT_DEVICE == None",
    ]


def test_a_runs_compile_step_is_accounted_for_to_its_wall_time():
    d = report_to_dict(build_report(FIXTURES / "run_mlp"))
    accounts = {a["label"]: a for a in d["run"]["wall_accounting"]}
    steps = {label: c["steps_s"]["compile"] for label, c in d["run"]["children"].items()}
    for label, a in accounts.items():
        # the parts add up to the wall: what the trace shows plus what it does not
        assert a["compile_step_s"] == steps[label]
        assert abs(a["traced_s"] + a["untraced_s"] - a["compile_step_s"]) < 1e-5 and a["untraced_s"] > 0
        assert a["traced_parts_s"]["pieces"] <= a["traced_parts_s"]["backend_compile"] <= a["traced_s"]
    assert set(accounts) == {"cold", "warm"}
