"""Each class of log in the wild, on a fixture torch 2.13 wrote (tests/fixtures/make_fixtures.py), with
figures counted by hand from the log's records (see tests/fixtures/README.md), in JSON, console and
Markdown alike."""

from __future__ import annotations

import io
import json

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.render.console import render_console
from compileprof.profiler.render.json_report import report_to_dict
from compileprof.profiler.render.markdown import render_markdown
from compileprof.profiler.render.terminal import SafeConsole
from conftest import FIXTURES, one_process, record_line


def _views(path):
    report = build_report(path)
    buf = io.StringIO()
    render_console(report, SafeConsole(file=buf, width=200, color_system=None))
    return report_to_dict(report), buf.getvalue(), render_markdown(report, limit=100)


def test_two_ranks_of_a_gloo_job_diverge_and_every_row_names_its_rank():
    # GIVEN torchrun's two ranks: both compile forward (0/0) with an all_reduce; rank 1 alone compiles
    # `extra` twice (1/0, then a recompile 1/1), each with an all_reduce of its own
    d, console, md = _views(FIXTURES / "ranks2")
    assert [(r["rank"], r["rank_source"]) for r in d["ranks"]] == [(0, "records"), (1, "records")]
    assert [(c["compile_id"], c["rank"]) for c in d["compiles"]] == [("0/0", 0), ("0/0", 1), ("1/0", 1), ("1/1", 1)]
    # compile time: what the job waited for is the slowest rank (20.124401 + 1.370194 + 1.228111), not the sum
    assert d["rank_skew"]["slowest_rank"] == 1 and d["rank_skew"]["slowest_s"] == pytest.approx(22.722706)
    assert d["summary"]["compile_time_s"] == pytest.approx(20.713584 + 22.722706)
    assert "22.72 s on the slowest rank (1); 43.44 s summed" in console
    assert "22.72 s on the slowest rank (1); 43.44 s summed over 2 logs" in md
    # every per-compile, per-graph, per-recompile and per-phase row names its rank
    assert [g["rank"] for g in d["asserts"]["graphs"]] == [0, 1, 1, 1]
    assert d["summary"]["recompiles"] == [
        {"compile_id": "1/1", "rank": 1, "reason": "1/0: tensor 't' size mismatch at index 0. expected 8, actual 12"}
    ]
    assert "Phase totals by rank" in console and "| span | rank 0 | rank 1 | sum over ranks |" in md
    assert "0/0 rank 0 forward" in console and "0/0 rank 1 forward" in console
    # spans outside any compile (background compile threads), each rank's apart
    assert [[s["name"] for s in r["unattributed_spans"]] for r in d["ranks"]] == [["compile_file"], ["compile_file"]]
    assert "Spans outside any compile, by rank" in console
    # the collective schedule Inductor logged per graph
    assert d["compiles"][0]["collectives"] == [
        "torch.ops._c10d_functional.all_reduce_.default",
        "torch.ops._c10d_functional.wait_tensor.default",
    ]
    checks = {c["check"]: c for c in d["divergence"]}
    assert [c["check"] for c in d["divergence"] if c["diverged"]] == [
        "frames", "compile_ids", "graphs", "cache", "recompiles", "collectives",
    ]  # fmt: skip
    assert not checks["failures"]["diverged"] and checks["failures"]["groups"][0]["count"] == 0
    frames = checks["frames"]["groups"]
    assert [g["ranks"] for g in frames] == [[0], [1]]
    assert frames[1]["summary"] == "2 frames: forward program.py:16, extra program.py:22"
    assert frames[1]["first_difference"] == "#2: extra program.py:22 (end on rank 0)"
    assert [g["count"] for g in checks["compile_ids"]["groups"]] == [1, 3]
    assert checks["cache"]["groups"][1]["summary"] == "3 compiles: aot miss 3, fx miss 3"
    collectives = checks["collectives"]["groups"]
    assert [g["count"] for g in collectives] == [2, 6]
    assert collectives[1]["summary"] == (
        "6 collectives: _c10d_functional.all_reduce_ x3, _c10d_functional.wait_tensor x3"
    )
    assert "Divergence between ranks" in console and "collective ops" in console
    assert "### Divergence between ranks" in md and "| collectives | rank 0 | 2 collectives" in md


def test_a_directory_whose_files_share_a_rank_keeps_one_rank_per_file():
    # GIVEN rank 0's log, rank 1's log with every record rewritten to say rank 0, and a log naming no rank
    d, console, _ = _views(FIXTURES / "dup_ranks")
    # THEN the two rank logs are one job, their ranks told apart by their file names; the rankless log,
    # recorded days before them (mlp.log), is a job of its own: its rank is not made up
    assert [(r["rank"], r["rank_source"]) for r in d["ranks"]] == [(0, "file name"), (1, "file name"), (None, None)]
    assert [c["rank"] for c in d["compiles"]] == [0, 1, 1, 1, None]
    assert len(d["rank_conflicts"]) == 2 and "rank 0 in its records, shared" in d["rank_conflicts"][1]
    assert [(j["name"], j["ranks"]) for j in d["jobs"]] == [(".", [0, 1]), ("worker.log", [])]
    assert d["rank_skew"] is None  # ranks of different jobs are never compared
    assert d["jobs"][0]["rank_skew"]["slowest_rank"] == 1 and d["jobs"][0]["rank_skew"]["fastest_rank"] == 0
    assert "ranks chosen" in console


def test_payload_compile_ids_that_disagree_with_their_envelopes_lose():
    # GIVEN graph_break.log with every compilation_metrics payload saying compile_id "0/1"
    d, _, _ = _views(FIXTURES / "envelope_mismatch.log")
    truth = report_to_dict(build_report(FIXTURES / "graph_break.log"))
    assert [c["compile_id"] for c in d["compiles"]] == ["0/0", "1/0", "0/1", "1/1"]
    assert [c["phases"] for c in d["compiles"]] == [c["phases"] for c in truth["compiles"]]
    assert d["unattributed_spans"] == truth["unattributed_spans"]
    assert [g["compile_id"] for g in d["asserts"]["graphs"]] == ["0/0", "1/0", "0/1", "1/1"]
    assert d["totals"]["compile_time_s"] == pytest.approx(8.513018)


def test_a_warm_cache_hits_both_caches():
    # GIVEN mlp's program run twice on one Inductor cache; the second run's trace
    d, console, _ = _views(FIXTURES / "warm_cache.log")
    (c,) = d["compiles"]
    assert c["cache"] == {"fx_graph_cache_hit": 1, "aotautograd_cache_hit": 1}
    assert c["compile_time_s"] == pytest.approx(5.692442) and c["inductor_compile_time_s"] is None
    assert d["summary"]["cache"] == {"aotautograd_cache_hit": 1, "fx_graph_cache_hit": 1}
    assert "aot hit 1, fx hit 1" in console


def test_a_cache_bypass_says_why():
    # GIVEN a graph calling an allow_in_graph Python function: AOT autograd's cache cannot key it
    d, console, md = _views(FIXTURES / "cache_bypass.log")
    assert d["summary"]["cache"] == {"aotautograd_cache_bypass": 1, "fx_graph_cache_miss": 1}
    (reason,) = d["summary"]["cache_bypass_reasons"]
    assert reason.startswith("Unsupported call_function target <function scale at 0x")
    assert "bypassed because: Unsupported call_function target" in console and "bypassed because" in md


def test_caches_disabled_by_config_are_said_so_not_no_events():
    # GIVEN graph_break's program under TORCHINDUCTOR_FORCE_DISABLE_CACHES=1: no cache records at all
    d, console, md = _views(FIXTURES / "cache_disabled.log")
    assert d["summary"]["cache"] == {} and d["summary"]["cache_disabled"] == {"aot": 4, "fx": 4}
    assert all(c["cache_disabled"] == ["fx", "aot"] for c in d["compiles"])
    assert "disabled by config: aot in 4 compiles, fx in 4 compiles" in console
    assert "fx off, aot off" in console and "disabled by config" in md
    # AND a log with caches on says nothing of the kind
    assert report_to_dict(build_report(FIXTURES / "mlp.log"))["summary"]["cache_disabled"] == {}


def test_compiled_autograd_ids_and_its_cache_bypass():
    # GIVEN a training step under compiled autograd: the backward graph compiles as !0/1/0
    d, _, _ = _views(FIXTURES / "compiled_autograd.log")
    assert [(c["compile_id"], c["attempt"]) for c in d["compiles"]] == [("0/0", 1), ("!0/1/0", 0), ("2/0", 0)]
    assert d["compiles"][1]["cache"] == {"aotautograd_cache_bypass": 1, "fx_graph_cache_miss": 1}
    assert "compiled_autograd.ops.validate_outputs" in next(iter(d["summary"]["cache_bypass_reasons"]))
    assert d["summary"]["restarts"][0]["reason"] == "Unsupported Tensor.backward() call"
    assert d["asserts"]["size_stride"] == 9  # 5 in the forward graph, 4 in the backward


def test_an_export_that_succeeds_shows_its_program_guards_and_specializations():
    d, console, md = _views(FIXTURES / "export_ok.log")
    assert d["compiles"] == [] and d["parse"]["unknown"] == 0
    (e,) = d["exports"]
    assert (e["exports"], e["succeeded"], e["failed"]) == (1, 1, 0)
    attempt = e["attempts"][0]
    assert (attempt["program_nodes"], attempt["program_ops"]) == (6, 6)
    assert attempt["inputs"] == ["p_l_weight: PARAMETER target='l.weight'", "p_l_bias: PARAMETER target='l.bias'",
                                 "x: USER_INPUT"]  # fmt: skip
    assert attempt["range_constraints"] == "{s77: VR[3, int_oo]}"
    assert e["guards_added"] == 2
    assert e["guards"][0].startswith("Eq(s27, 16) at program.py:11") and e["guards"][1].startswith("s77 > 2 at")
    assert e["specialization_list"] == ["s27 (L['x'].size()[1]) = 16: range_refined_to_singleton"]
    assert (e["symbols"], e["unbacked_symbols"], e["data_dependent_errors"]) == (2, 0, 0)
    assert "torch.export     1 export: 1 succeeded, 0 failed" in console and "6 nodes (6 torch ops)" in console
    assert "### torch.export (`export_ok.log`): 1 export: 1 succeeded, 0 failed" in md


def test_an_export_that_fails_on_a_data_dependent_branch_says_where():
    d, console, _ = _views(FIXTURES / "export_fail.log")
    (e,) = d["exports"]
    assert (e["exports"], e["failed"], e["unbacked_symbols"], e["data_dependent_errors"]) == (1, 1, 1, 1)
    failure = e["attempts"][0]["failure"]
    assert failure.startswith("data-dependent guard `u0 > 3` at program.py:8: if n.shape[0] > 3:")
    assert "FAILED: data-dependent guard `u0 > 3`" in console


def test_a_log_without_compiles_or_exports_says_what_it_holds(tmp_path):
    # GIVEN a torch.export log written under TORCH_TRACE (export's records need TORCH_DTRACE)
    log = tmp_path / "plain.log"
    log.write_text(record_line("describe_tensor", {"id": 0, "ndim": 2}) + record_line("str", ["/a.py", 0]))
    _, console, md = _views(log)
    assert "No compiles in 1 log (records: describe_tensor 1, str 1)" in console and "TORCH\\_DTRACE=\\<dir\\>" in md


def _runtime_log(tmp_path):
    """mlp.log, then what its compile's code logs when it runs: a runtime autotuning span named after
    compile 0/0 (no envelope ids, as at run time) and a compilation_metrics_runtime record."""
    ts = 1.9e15
    payload = {"name": "CachingAutotuner.benchmark_all_configs", "ts": ts, "ph": "B", "cat": "dynamo_timed",
               "tid": 0, "pid": 0, "args": {"compile_id": "0/0", "is_backward": False}}  # fmt: skip
    begin = record_line("chromium_event", {}, json.dumps(payload))
    end = record_line("chromium_event", {}, json.dumps({**payload, "ph": "E", "ts": ts + 250_000}))
    metrics = {"compile_id": "0/0", "runtime_triton_autotune_time_us": 250_000, "duration_us": 250_000,
               "is_runtime": True, "start_time_us": 5}  # fmt: skip
    runtime = record_line("compilation_metrics_runtime", metrics, frame_id=0, frame_compile_id=0, attempt=0)
    log = tmp_path / "runtime.log"
    log.write_bytes(one_process((FIXTURES / "mlp.log").read_bytes(), begin, end, runtime))
    return log


def test_runtime_records_and_spans_belong_to_their_compile(tmp_path):
    d, console, md = _views(_runtime_log(tmp_path))
    (entry,) = d["runtime"]
    assert entry["compile_id"] == "0/0" and entry["records"] == 1
    assert entry["metrics_s"] == {"runtime_triton_autotune_time": 0.25, "duration": 0.25}
    assert entry["spans"] == [{"name": "CachingAutotuner.benchmark_all_configs", "total_s": 0.25, "count": 1}]
    unattributed = {s["name"] for s in d["unattributed_spans"]}
    assert "CachingAutotuner.benchmark_all_configs" not in unattributed
    # the compile's own figures are unchanged
    plain = report_to_dict(build_report(FIXTURES / "mlp.log"))
    assert d["totals"]["compile_time_s"] == plain["totals"]["compile_time_s"]
    assert "Run-time costs of compiled code" in console and "span CachingAutotuner.benchmark_all_configs" in console
    assert "| 0/0 | - | `metric runtime_triton_autotune_time` | 250.0 ms | 1 |" in md


def test_an_aot_inductor_compile_owns_its_spans():
    # GIVEN aoti_compile_and_package: its spans and its metrics record name no compile id
    d, console, md = _views(FIXTURES / "aoti.log")
    (c,) = d["compiles"]
    assert c["co_name"] == "compile_fx_aot" and c["compile_time_s"] == pytest.approx(40.074978)
    (root,) = c["phases"]
    assert root["name"] == "compile_fx_aot" and root["total_s"] == pytest.approx(40.08, abs=0.01)
    assert "compile_fx_aot" not in {s["name"] for s in d["unattributed_spans"]}
    assert d["totals"]["phases"]["AotCodeCompiler.compile"] == pytest.approx(23.48, abs=0.01)
    assert "└── compile_fx_aot  40.08 s total" in console
    assert "| compile time | 40.07 s |" in md and "| `compile_fx_aot` | 40.08 s | 100% |" in md
    assert "| compile | graph | size | align | scalar | nan | aoti |" in md
    # THEN the compile torch gave no id has a stable label, shared by its generated code
    assert c["compile_id"] == "aot 1" and d["asserts"]["graphs"][0]["compile_id"] == "aot 1"
    assert "| aot 1 | `inductor_aot_wrapper_code.cpp` | 0 | 0 | 0 | 0 | 6 |" in md
    assert "(size/stride 0, alignment 0, scalar 0, nan 0, AOTI input checks 6)" in console


def test_a_runtime_record_naming_no_compile_is_kept_under_a_question_mark(tmp_path):
    # GIVEN a compilation_metrics_runtime record with neither envelope ids nor a payload compile_id
    runtime = record_line("compilation_metrics_runtime", {"runtime_cudagraphify_time_us": 1_500_000})
    log = tmp_path / "runtime.log"
    log.write_bytes(one_process((FIXTURES / "mlp.log").read_bytes(), runtime))
    d, console, md = _views(log)
    assert d["runtime"] == [
        {"compile_id": "?", "rank": None, "records": 1, "metrics_s": {"runtime_cudagraphify_time": 1.5}, "spans": []}
    ]
    assert "metric runtime_cudagraphify_time" in console
    assert "| ? | - | `metric runtime_cudagraphify_time` | 1.50 s |" in md
