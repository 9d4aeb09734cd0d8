"""Edges of the fold that planted bugs got past: the waiting limit at its bound, records whose metadata
is not an object, a compile named only in its payload, AOTInductor labels in order, spans of no
compile that only TORCH_TRACE ran, instants counted per name, a forward's inputs, cache lookups of
the AOT cache and of a piecewise backend's pieces, the caches a config turned off, a rank read from
a file name, the size at which a log is split, restart reasons where graph-break artifacts exist,
which compile the waiting limit seals, a record-less part between cuts, a piecewise split met in a
later part, and the rank of a compile's graphs."""

from __future__ import annotations

import pytest
from compileprof.profiler.fold import parallel
from compileprof.profiler.fold.cache_keys import read_lookups
from compileprof.profiler.fold.graphs import normalize
from compileprof.profiler.fold.log import MAX_WAITING, fold_range
from compileprof.profiler.fold.metrics_record import caches_disabled
from compileprof.profiler.fold.parallel import finish_streams, fold_file, read_cut
from compileprof.profiler.fold.spans import PhaseBuilder
from conftest import FIXTURES, artifact_line, event, one_process, record_line, report_of, write_log

CID = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}


def _metrics(frame: int = 0, **meta: object) -> str:
    env = {"frame_id": frame, "frame_compile_id": 0, "attempt": 0}
    return record_line("compilation_metrics", {"co_name": f"f{frame}", **meta}, **env)


def _closed(frame: int, start: float, length: float = 4.0) -> list[str]:
    cid = f"{frame}/0"
    return [event("dynamo", "B", start, cid), event("dynamo", "E", start + length, cid), _metrics(frame)]


def test_a_compile_waits_for_its_open_span_while_up_to_max_waiting_compiles_wait_with_it(tmp_path):
    # GIVEN compile 0's span open while MAX_WAITING - 1 later compiles arrive (MAX_WAITING waiting)
    lines = [event("dynamo", "B", 1.0, "0/0"), _metrics(0)]
    for f in range(1, MAX_WAITING):
        lines += _closed(f, 100.0 * f)
    lines.append(event("dynamo", "E", 9.0, "0/0"))  # then its span ends
    report = report_of(tmp_path, *lines)
    # THEN it was not sealed early: it holds its span's whole time, and every compile keeps log order
    assert report.compiles[0].phases()[0]["total_s"] == 8e-6
    assert [c.co_name for c in report.compiles] == [f"f{f}" for f in range(MAX_WAITING)]


@pytest.mark.parametrize("meta", [None, 5, "text", [1, 2]])
def test_records_whose_metadata_is_no_object_are_passed_over(tmp_path, meta):
    start = record_line("dynamo_start", meta, **CID)
    lookup = record_line("artifact", {"name": "aotautograd_cache_hash", "encoding": "json"}, "[1, 2]", **CID)
    (c,) = report_of(tmp_path, start, lookup, _metrics(0)).compiles
    assert c.co_name == "f0" and c.user_stack == [] and c.cache == {}


def test_a_runtime_record_without_envelope_ids_belongs_to_the_compile_its_payload_names(tmp_path):
    runtime = record_line("compilation_metrics_runtime", {"compile_id": "3/1", "runtime_triton_autotune_time_us": 2000})
    report = report_of(tmp_path, runtime)
    ((rank, key, cost),) = report.runtime
    assert (rank, key) == (None, "3/1") and cost.records == 1
    assert cost.metrics == {"runtime_triton_autotune_time": 0.002}


def test_aotinductor_compiles_are_labelled_in_log_order(tmp_path):
    lines = []
    for n in range(3):
        lines += [event("compile_fx_aot", "B", 100.0 * n, None), event("compile_fx_aot", "E", 100.0 * n + 5, None)]
        lines.append(record_line("compilation_metrics", {"co_name": f"aot{n}"}))
    report = report_of(tmp_path, *lines)
    assert [c.compile_id for c in report.compiles] == ["aot 1", "aot 2", "aot 3"]


def test_spans_of_no_compile_that_only_torch_trace_ran_are_its_cost_too():
    b = PhaseBuilder()
    for ph, ts in (("B", 10.0), ("E", 40.0), ("B", 50.0), ("E", 60.0)):
        b.feed({"name": "log_torch_trace_only", "ph": ph, "ts": ts, "tid": 1, "pid": 0, "args": {}}, None)
    b.finish()
    assert b.trace_only["log_torch_trace_only"].total_s == pytest.approx(40e-6)
    assert b.trace_only["log_torch_trace_only"].count == 2
    assert b.unattributed["log_torch_trace_only"].total_s == pytest.approx(40e-6)


def test_instants_are_counted_per_name():
    b = PhaseBuilder()
    for name in ("fx_graph_cache_miss", "fx_graph_cache_miss", "aotautograd_cache_hit"):
        b.feed({"name": name, "ph": "i", "ts": 1.0, "tid": 0, "pid": 0, "args": {}}, "0/0")
    assert b.claim("0/0").instants == {"fx_graph_cache_miss": 2, "aotautograd_cache_hit": 1}


def test_a_graph_s_inputs_are_its_first_forward_s_parameters_only():
    code = (
        "class GraphModule(torch.nn.Module):\n"
        '    def forward(self, L_x_: "f32[8][1]cpu", L_y_: "f32[2, 3][3, 1]cpu"):\n'
        '        sin: "f32[8][1]cpu" = torch.sin(L_x_)\n'
        "    class submod_0(torch.nn.Module):\n"
        '        def forward(self, z_1: "f32[4][1]cpu"):\n'
        '            returned: "f32[4][1]cpu" = torch.cos(z_1)\n'
        "            return (returned,)\n"
    )
    _lines, nodes, ops, inputs = normalize(code)
    assert inputs == [("L_x_", "f32[8]"), ("L_y_", "f32[2, 3]")]
    assert nodes == 2 and ops == {"torch.sin": 1, "torch.cos": 1}  # a node named `returned` is a node


def _lookup_log(tmp_path, *lines: str):
    log = tmp_path / "cache.log"
    log.write_text("".join(lines))
    return read_lookups(log)


def test_lookups_name_their_cache_and_the_piece_a_piecewise_backend_was_compiling(tmp_path):
    start = {"piecewise_index": 1, "compile_range_start": 4, "compile_range_end": 4, "is_single_size": True}
    lookups = _lookup_log(
        tmp_path,
        artifact_line("fx_graph_cache_miss", {"key": "fa", "components": []}),
        artifact_line("vllm_piecewise_compile_start", start),
        artifact_line("aotautograd_cache_hit", {"key": "ab", "components": []}),
    )
    assert [(x.cache, x.state, x.key, x.piece) for x in lookups] == [
        ("fx", "miss", "fa", None),
        ("aot", "hit", "ab", "piece 1, size 4"),
    ]


def test_a_cache_a_config_turned_off_is_named_only_when_it_left_no_event():
    functorch = '{"enable_autograd_cache": false}'
    assert caches_disabled({"functorch_config": functorch}, {}) == ["aot"]
    assert caches_disabled({"functorch_config": functorch}, {"aotautograd_cache_miss": 1}) == []
    assert caches_disabled({"functorch_config": functorch}, {"fx_graph_cache_miss": 1}) == ["aot"]


def test_a_single_process_log_without_a_rank_takes_its_file_name_s(tmp_path):
    (report,) = fold_file(write_log(tmp_path / "dedicated_log_torch_trace_rank_3.log", _metrics(0)), jobs=1)
    assert (report.rank, report.rank_source) == (3, "file name")
    (other,) = fold_file(write_log(tmp_path / "plain.log", _metrics(0)), jobs=1)
    assert (other.rank, other.rank_source) == (None, None)


def test_a_log_of_exactly_the_split_size_is_read_in_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1)  # parts of any size: the bound is min_bytes
    log = write_log(tmp_path / "three.log", *_closed(0, 1.0), *_closed(1, 100.0), *_closed(2, 200.0))
    size = log.stat().st_size
    (split,) = fold_file(log, jobs=2, min_bytes=size)
    (whole,) = fold_file(log, jobs=2, min_bytes=size + 1)
    assert (split.parts, whole.parts) == (2, 1)
    assert [c.co_name for c in split.compiles] == [c.co_name for c in whole.compiles] == ["f0", "f1", "f2"]


def test_a_second_backward_of_the_same_compile_is_timed_by_its_own_spans(tmp_path):
    bwd = record_line("bwd_compilation_metrics", {"inductor_compile_time_s": 0.1}, **CID)
    name = "entire_backward_compile"
    first = [event(name, "B", 3e6), event(name, "E", 3.5e6), bwd]
    second = [event(name, "B", 4e6), event(name, "E", 4.25e6), bwd]
    lines = [event("dynamo", "B", 1e6), event("dynamo", "E", 2e6), _metrics(0), *first, *second]
    report = report_of(tmp_path, *lines)
    assert report.phases["entire_backward_compile"] == 0.75  # each span counted once
    assert report.traces[0].ended_idle  # a backward's tree released: the log may be cut after it


def test_a_span_longer_than_max_seconds_is_counted_as_damage_and_taken_as_zero():
    from compileprof.profiler.trace.values import MAX_SECONDS

    b = PhaseBuilder()
    for ph, ts in (("B", 0.0), ("E", (MAX_SECONDS + 1) * 1e6)):
        b.feed({"name": "dynamo", "ph": ph, "ts": ts, "tid": 0, "pid": 0, "args": {}}, "0/0")
    (node,) = b.claim("0/0").roots
    assert node.total_s == 0.0 and b.values.stats.bad_value_fields == {"chromium.span": 1}


def test_a_chromium_event_without_a_payload_is_passed_over(tmp_path):
    empty = record_line("chromium_event", {}, **CID)
    (c,) = report_of(tmp_path, empty, *_closed(0, 1.0)[:2], _metrics(0)).compiles
    assert c.co_name == "f0" and c.phases()[0]["total_s"] == 4e-6


def test_a_compile_budget_keeps_a_text_that_fills_it_exactly():
    import zlib

    from compileprof.profiler.fold.graphs import Budget

    text = "x = torch.sin(a)\n" * 20
    size = len(zlib.compress(text.encode(), 6))
    assert Budget(size).keep(text) is not None  # nothing left after it, and it is kept
    assert Budget(size - 1).keep(text) is None


def test_the_torch_version_artifact_names_the_log_s_torch(tmp_path):
    version = artifact_line("torch_version", {"pytorch_version": "2.13.0+cpu"})
    assert report_of(tmp_path, version, _metrics(0)).traces[0].torch_version == "2.13.0+cpu"


def test_restart_reasons_are_no_graph_breaks_in_a_log_whose_torch_writes_graph_break_artifacts(tmp_path):
    # GIVEN compile 0 with a graph-break artifact, and compile 1 restarted for a reason that names a
    # graph break but logged no artifact (a torch that writes the artifacts does so for every break)
    breaks = artifact_line("dynamo_graph_break_reason", "Unsupported: print", **CID)
    restarted = _metrics(1, restart_reasons=["graph break in f1: skip"])
    report = report_of(tmp_path, breaks, _metrics(0), restarted)
    # THEN compile 1 counts no break (restart reasons stand for breaks only in logs without artifacts)
    first, second = report.compiles
    assert (first.graph_breaks, second.graph_breaks, second.graph_break_reasons) == (1, 0, [])
    # and in a log without any graph-break artifact, the restart is read as the break
    (alone,) = report_of(tmp_path, restarted, name="old.log").compiles
    assert alone.graph_break_reasons == ["graph break in f1: skip"]


def test_a_compile_sealed_at_the_waiting_limit_keeps_none_of_a_span_that_closes_later(tmp_path):
    # GIVEN compile 0's span open while MAX_WAITING + 1 later compiles arrive, then it closes
    lines = [event("dynamo", "B", 1.0, "0/0"), _metrics(0)]
    for f in range(1, MAX_WAITING + 2):
        lines += _closed(f, 100.0 * f)
    lines.append(event("dynamo", "E", 9.0, "0/0"))
    report = report_of(tmp_path, *lines)
    # THEN compile 0 (the oldest waiting) was sealed as it was at the limit: without that span's time
    first = report.compiles[0]
    assert first.co_name == "f0" and [p["total_s"] for p in first.phases()] == [0.0]
    assert report.compiles[1].phases()[0]["total_s"] == 4e-6


def test_a_record_less_stretch_between_cuts_adds_its_damage_to_the_file_s_counters(tmp_path):
    # GIVEN two real logs with lines that hold no record between them, cut at both ends of those lines
    head = one_process((FIXTURES / "graph_break.log").read_bytes())
    garbage = b"not a record\n" * 5
    log = tmp_path / "joined.log"
    log.write_bytes(head + garbage + one_process((FIXTURES / "mlp.log").read_bytes()))
    one = finish_streams(fold_range(log))
    # WHEN it is read in three parts, the middle one only those lines
    parts = finish_streams(read_cut(log, [len(head), len(head) + len(garbage)], parallel=False))
    # THEN one process, whose counters hold the damage once, as one pass reads it
    assert len(parts) == len(one) == 1 and parts[0].parse.fail_glog == one[0].parse.fail_glog == 5
    assert parts[0].parse.records == one[0].parse.records and len(parts[0].compiles) == len(one[0].compiles)


def test_a_piecewise_split_met_only_in_a_later_part_is_the_log_s(tmp_path):
    # GIVEN a log of a plain compile, then a piecewise backend's run, cut between them
    head = one_process((FIXTURES / "graph_break.log").read_bytes())
    piecewise = one_process(next((FIXTURES / "run_mlp" / "cold" / "trace").glob("*.log")).read_bytes())
    log = tmp_path / "joined.log"
    log.write_bytes(head + piecewise)
    one = finish_streams(fold_range(log))[0].piecewise
    (merged,) = finish_streams(read_cut(log, [len(head)], parallel=False))
    # THEN the merged report keeps the split the second part read, as one pass does
    assert one is not None and merged.parts == 2 and merged.piecewise == one


def test_graphs_of_a_ranked_log_are_kept_under_that_rank(tmp_path):
    from compileprof.profiler.fold.graphs import read_compiled

    graph = record_line("dynamo_output_graph", {}, "def forward(self, x):\n    y = torch.sin(x)\n", rank=3, **CID)
    log = write_log(tmp_path / "r.log", graph)
    (compiled,) = read_compiled([log]).values()
    assert (compiled.rank, compiled.key) == (3, (3, "0/0")) and "dynamo_output_graph" in compiled.graphs


def test_logs_are_split_from_a_smaller_size_where_processes_fork_than_where_they_start_afresh(tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1)
    log = write_log(tmp_path / "three.log", *_closed(0, 1.0), *_closed(1, 100.0), *_closed(2, 200.0))
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", log.stat().st_size)  # forked: this log is split
    monkeypatch.setattr(parallel, "SPAWNED_MIN_BYTES", log.stat().st_size + 1)  # started afresh: not yet
    parts = {}
    for platform in ("linux", "darwin", "win32"):
        monkeypatch.setattr(sys, "platform", platform)
        parts[platform] = fold_file(log, jobs=2)[0].parts
    assert parts == {"linux": 2, "darwin": 1, "win32": 1}
