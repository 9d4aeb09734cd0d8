"""Details of the fold that a planted bug got past: a piece compile's every field and how it was
timed, a split's stated counts, Inductor's config of a compile, distinct cache component sets in one
pool, backward phases summed over compiles, an orphan backward merged from a part, the record-start
search, and which logs a directory gives."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from compileprof.profiler.build import build_report
from compileprof.profiler.fold.cache_keys import _Pool
from compileprof.profiler.fold.graphs import config_of
from compileprof.profiler.trace.discover import find_logs
from compileprof.profiler.trace.reader import _first
from conftest import artifact_line, event, record_line

CID = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}


def test_a_piece_compile_keeps_every_field_its_start_states_and_its_span_time(tmp_path):
    start = {"piecewise_index": 1, "submod_name": "submod_2", "total_piecewise_compiles": 6, "compile_range_start": 8,
             "compile_range_end": 16, "is_single_size": False}  # fmt: skip
    config = {"splitting_ops": ["vllm::unified_attention"], "compile_sizes": [1, 8], "num_pieces": 5,
              "num_compiled_pieces": 3, "num_splitting_pieces": 2}  # fmt: skip
    log = tmp_path / "p.log"
    log.write_text(
        artifact_line("vllm_compilation_config", config) + artifact_line("vllm_piecewise_compile_start", start)
        + event("vllm_compile_piece", "B", 1_000_000.0) + event("vllm_compile_piece", "E", 1_250_000.0)
        + record_line("compilation_metrics", {"co_name": "forward", "entire_frame_compile_time_s": 1.0}, **CID)
    )  # fmt: skip
    report = build_report(log, jobs=1)
    (piece,) = report.pieces
    assert {k: v for k, v in piece.to_dict().items() if k in start} == start
    assert (piece.compile_time_s, piece.time_source, piece.prefix) == (0.25, "span", "vllm")
    split = report.piecewise
    assert (split.pieces, split.compiled_pieces, split.splitting_pieces) == (5, 3, 2)
    assert split.splitting_ops == ["vllm::unified_attention"] and split.compile_sizes == [1, 8]


def test_inductor_s_config_is_read_as_its_scalar_settings():
    meta = {"inductor_config": json.dumps({"max_autotune": True, "cpp.threads": 4, "_private": 1, "list": [1],
                                           "name": "x", "none": None})}  # fmt: skip
    assert config_of(meta) == {"inductor_config.max_autotune": True, "inductor_config.cpp.threads": 4,
                               "inductor_config.name": "x", "inductor_config.none": None}  # fmt: skip
    for bad in ({}, {"inductor_config": 5}, {"inductor_config": "{"}, {"inductor_config": "[1]"}):
        assert config_of(bad) == {}


def test_a_pool_keeps_each_set_of_components_apart_and_shares_what_repeats():
    pool = _Pool()
    a = pool.components(["[aaa] torch_version: 2.13", "[bbb] config: x"])
    b = pool.components(["[aaa] torch_version: 2.13", "[ccc] config: y", 5])
    assert a == {"torch_version": ("aaa", "2.13"), "config": ("bbb", "x")}
    assert b == {"torch_version": ("aaa", "2.13"), "config": ("ccc", "y")}
    assert pool.components(["[aaa] torch_version: 2.13", "[bbb] config: x"]) is a  # a set met before: shared
    assert b["torch_version"] is a["torch_version"]  # a value met before: shared


def test_backward_phases_are_summed_over_every_compile(tmp_path):
    lines = []
    for f in range(2):
        cid = f"{f}/0"
        env = {"frame_id": f, "frame_compile_id": 0, "attempt": 0}
        lines += [
            event("dynamo", "B", 100.0 * f, cid), event("dynamo", "E", 100.0 * f + 10, cid),
            record_line("compilation_metrics", {"co_name": "f", "entire_frame_compile_time_s": 1.0}, **env),
            event("entire_backward_compile", "B", 100.0 * f + 50, cid),
            event("entire_backward_compile", "E", 100.0 * f + 50 + 20 * (f + 1), cid),
            record_line("bwd_compilation_metrics", {"inductor_compile_time_s": 0.1}, **env),
        ]  # fmt: skip
    log = tmp_path / "b.log"
    log.write_text("".join(lines))
    report = build_report(log, jobs=1)
    assert abs(report.phases["entire_backward_compile"] - 60e-6) < 1e-12
    assert report.traces[0].phase_self["entire_backward_compile"] == 60_000  # in nanoseconds, summed exactly


def test_the_record_start_search_takes_the_first_hit_it_accepts_from_the_start_of_the_buffer():
    assert _first(b"ab ab ab", b"ab", lambda hit: hit) == 0
    assert _first(b"ab ab ab", b"ab", lambda hit: hit if hit > 0 else None) == 3
    assert _first(b"ab ab ab", b"ab", lambda hit: None) is None
    assert _first(b"xyz", b"ab", lambda hit: hit) is None


def test_a_directory_gives_every_log_in_name_order_and_latest_only_the_newest(tmp_path):
    for i, name in enumerate(("dedicated_log_torch_trace_b.log", "dedicated_log_torch_trace_a.log")):
        p = tmp_path / name
        p.write_text(record_line("str", {"frame_id": 0}))
        os.utime(p, (1_700_000_000 + i, 1_700_000_000 + i))
    assert [p.name for p in find_logs(tmp_path)] == ["dedicated_log_torch_trace_a.log",
                                                     "dedicated_log_torch_trace_b.log"]  # fmt: skip
    assert [p.name for p in find_logs(tmp_path, latest=True)] == ["dedicated_log_torch_trace_a.log"]


class _LocalRay:
    """Ray's task API run in this process: what fold_files_on_ray asks of a cluster of `cpus` CPUs,
    recording the batches it sends (the real two-node cluster is in tests/e2e/test_ray.py)."""

    def __init__(self, cpus: int) -> None:
        self.cpus, self.batches = cpus, []

    def cluster_resources(self) -> dict:
        return {"CPU": self.cpus}

    def remote(self, num_cpus: int):
        def wrap(fn):
            return SimpleNamespace(remote=lambda batch: (self.batches.append(batch), fn(batch))[1])

        return wrap

    def get(self, refs: list) -> list:
        return refs


def test_logs_folded_as_ray_tasks_are_sent_in_balanced_batches_and_come_back_in_order(tmp_path, monkeypatch):
    from compileprof.profiler.fold import on_ray
    from compileprof.profiler.fold.parallel import fold_files

    paths = []
    for i in range(11):
        p = tmp_path / f"dedicated_log_torch_trace_rank_{i}_x.log"
        p.write_text(record_line("compilation_metrics", {"co_name": f"f{i}"}, **CID, rank=i))
        paths.append(p)
    fake = _LocalRay(cpus=1)  # 1 CPU: BATCHES_PER_CPU batches of 3, 3, 3 and 2 files
    monkeypatch.setattr(on_ray, "connect", lambda address: fake)
    streams = on_ray.fold_files_on_ray(paths, "auto")
    assert [len(b) for b in fake.batches] == [3, 3, 3, 2]
    assert [b for batch in fake.batches for b in batch] == [str(p) for p in paths]
    assert [t.rank for t in streams] == list(range(11))
    assert [t.rank for t in streams] == [t.rank for t in fold_files(paths, jobs=1)]
    fake.batches.clear()
    on_ray.fold_files_on_ray(paths[:2], "auto")
    assert fake.batches == [[str(paths[0])], [str(paths[1])]]  # never more batches than files


def test_a_log_ray_cannot_read_by_path_is_refused_with_what_to_do(tmp_path, monkeypatch):
    import pytest
    from compileprof.profiler.errors import EXIT_USAGE, CompileprofError
    from compileprof.profiler.fold import on_ray

    monkeypatch.setattr(on_ray, "connect", lambda address: _LocalRay(2))
    with pytest.raises(CompileprofError, match="report --ray reads files by path on every node; save it first") as e:
        on_ray.fold_files_on_ray([tmp_path / "gone.log"], "auto")
    assert e.value.exit_code == EXIT_USAGE


def test_standard_input_from_a_pipe_is_read_as_the_pipe():
    from compileprof.profiler.trace.discover import _stdin

    r, w = os.pipe()
    saved = os.dup(0)
    os.dup2(r, 0)
    try:
        assert _stdin() == Path("/dev/stdin")
    finally:
        os.dup2(saved, 0)
        for fd in (saved, r, w):
            os.close(fd)


def test_a_fake_kernel_record_without_an_object_is_still_counted(tmp_path):
    log = tmp_path / "e.log"
    log.write_text(record_line("export", {}) + record_line("missing_fake_kernel", [1]))
    export = build_report(log, jobs=1).traces[0].export
    assert export.fake_kernel_issues == 1 and export.fake_kernel_list == ["missing fake kernel: ?"]


def test_a_phase_run_twice_keeps_when_each_call_started_in_seconds(tmp_path):
    log = tmp_path / "calls.log"
    log.write_text(
        event("dynamo", "B", 1_000_000.0) + event("inductor", "B", 1_100_000.0) + event("inductor", "E", 1_300_000.0)
        + event("inductor", "B", 1_500_000.0) + event("inductor", "E", 1_600_000.0) + event("dynamo", "E", 2_000_000.0)
        + record_line("compilation_metrics", {"co_name": "f", "entire_frame_compile_time_s": 1.0}, **CID)
    )  # fmt: skip
    (c,) = build_report(log, jobs=1).compiles
    (dynamo,) = c.phases()
    (inductor,) = dynamo["children"]
    assert (dynamo["start_s"], inductor["start_s"], inductor["count"]) == (1.0, 1.1, 2)
    assert inductor["calls"] == [[1.1, 0.2], [1.5, 0.1]]


def test_generated_code_is_cpp_by_its_file_name_or_an_extern_c_block_and_keeps_its_rank():
    from compileprof.profiler.fold.asserts import graph_asserts

    assert graph_asserts("x = 1", "0/0", 3, "k.py").language == "python"
    assert graph_asserts("x = 1", "0/0", 3, "wrapper.cpp").language == "cpp"
    assert graph_asserts("x = 1", "0/0", 3, "wrapper.h").language == "cpp"
    assert graph_asserts('#include <x>\nextern "C" void run();', "0/0", 3, None).language == "cpp"
    g = graph_asserts("x = 1", "2/1", 3, "k.py")
    assert (g.compile_id, g.rank, g.filename) == ("2/1", 3, "k.py")


def test_a_span_of_no_compile_is_summed_under_its_own_name(tmp_path):
    log = tmp_path / "bg.log"
    spans = [event("gc", "B", 1_000.0, None), event("gc", "E", 3_000.0, None),
             event("gc", "X", 5_000.0, None, dur=500.0), event("fsync", "X", 9_000.0, None, dur=250.0)]  # fmt: skip
    log.write_text("".join(spans))
    spans = {s.name: (s.total_ns, s.count) for s in build_report(log, jobs=1).unattributed.values()}
    assert spans == {"gc": (2_500_000, 2), "fsync": (250_000, 1)}


def test_generated_code_whose_record_has_no_object_is_still_read(tmp_path):
    log = tmp_path / "code.log"
    log.write_text(record_line("inductor_output_code", [1], "cpp_fused_0 = 1\nassert_size_stride(x, (2,), (1,))",
                               **CID))  # fmt: skip
    report = build_report(log, jobs=1)
    (graph,) = report.graphs
    assert graph.filename is None and graph.counts.size_stride == 1 and report.device == "cpu"


def test_a_backward_with_no_forward_is_a_row_of_its_own_with_its_times(tmp_path):
    log = tmp_path / "bwd.log"
    log.write_text(record_line("bwd_compilation_metrics", {"inductor_compile_time_s": 0.4, "code_gen_time_s": 0.1},
                               frame_id=3, frame_compile_id=0))  # fmt: skip
    (c,) = build_report(log, jobs=1).compiles
    assert (c.compile_id, c.inductor_compile_time_s, c.code_gen_time_s) == ("3/0", 0.4, 0.1)


def test_code_is_kept_up_to_max_text_characters_within_the_budget():
    from compileprof.profiler.fold.graphs import MAX_TEXT, Budget

    budget = Budget(limit=1 << 30)
    assert budget.keep("x" * MAX_TEXT) is not None and budget.keep("x" * (MAX_TEXT + 1)) is None
    small = Budget(limit=10)
    assert small.keep("abc" * 100) is None and small.keep("a") is None  # spent: nothing more is kept


def test_a_cache_lookup_s_key_and_components_are_read(tmp_path):
    from compileprof.profiler.fold.cache_keys import read_lookups

    body = {"key": "fabc", "components": ["[h1] torch_version: 2.13", "[h2] graph: x = f(a)"]}
    log = tmp_path / "dedicated_log_torch_trace_c.log"
    log.write_text(artifact_line("fx_graph_cache_miss", body) + artifact_line("fx_graph_cache_hit", {"key": 5}))
    miss, hit = read_lookups(log)
    assert (miss.cache, miss.state, miss.key, miss.compile_id) == ("fx", "miss", "fabc", "0/0")
    assert miss.components == {"torch_version": ("h1", "2.13"), "graph": ("h2", "x = f(a)")}
    assert (hit.state, hit.key, hit.components) == ("hit", None, {})


def test_a_metrics_record_with_only_its_payload_s_id_claims_that_compile_s_spans(tmp_path):
    log = tmp_path / "p.log"
    log.write_text(event("dynamo", "B", 1_000.0, "4/0") + event("dynamo", "E", 3_000.0, "4/0")
                   + record_line("compilation_metrics", {"co_name": "f", "compile_id": "4/0"}))  # fmt: skip
    (c,) = build_report(log, jobs=1).compiles
    assert c.compile_id == "4/0" and [(p["name"], p["total_s"]) for p in c.phases()] == [("dynamo", 0.002)]


def test_only_an_aot_inductor_compile_is_named_compile_fx_aot(tmp_path):
    log = tmp_path / "n.log"
    stack = record_line("dynamo_start", {"stack": [{"filename": "m.py", "line": 3, "name": "f"}]}, **CID)
    log.write_text(stack + record_line("compilation_metrics", {"entire_frame_compile_time_s": 1.0}, **CID))
    (c,) = build_report(log, jobs=1).compiles
    assert c.co_name is None and c.user_stack == ["m.py:3 in f"]  # its earlier records were attached


def test_a_split_s_splitting_pieces_are_its_pieces_less_the_compiled_ones_when_not_stated(tmp_path):
    config = {"num_pieces": 5, "num_compiled_pieces": 3}
    log = tmp_path / "s.log"
    log.write_text(artifact_line("vllm_compilation_config", config))
    split = build_report(log, jobs=1).piecewise
    assert (split.pieces, split.compiled_pieces, split.splitting_pieces) == (5, 3, 2)


def test_a_rank_stated_by_the_records_is_said_to_come_from_them(tmp_path):
    log = tmp_path / "dedicated_log_torch_trace_rank_9_x.log"
    log.write_text(record_line("compilation_metrics", {"co_name": "f"}, rank=2, **CID))
    trace = build_report(log, jobs=1).traces[0]
    assert (trace.rank, trace.rank_source) == (2, "records")


def test_asserts_on_graph_inputs_name_those_inputs():
    from compileprof.profiler.fold.asserts import count_asserts

    code = ("    assert_size_stride(arg0_1, (2, 3), (3, 1))\n    assert_size_stride(primals_2, (3,), (1,))\n"
            "    assert_size_stride(buf0, (2,), (1,), 'torch.ops.aten.mm.default')\n")  # fmt: skip
    counts, inputs, ops = count_asserts(code)
    assert counts.size_stride == 3 and inputs == ["arg0_1", "primals_2"] and ops == {"torch.ops.aten.mm.default": 1}


def test_a_complete_event_of_zero_duration_is_a_call_not_damage(tmp_path):
    log = tmp_path / "z.log"
    log.write_text(event("dynamo", "X", 1_000.0, dur=0.0)
                   + record_line("compilation_metrics", {"co_name": "f"}, **CID))  # fmt: skip
    report = build_report(log, jobs=1)
    assert report.parse.bad_value == 0 and report.compiles[0].phases()[0]["count"] == 1


def test_a_payload_that_is_not_utf8_reads_as_text_with_replacement_characters():
    from compileprof.profiler.trace.records import Record

    rec = Record.__new__(Record)
    rec.payload = b"\tok \xff\xfe end\n\tline 2\n"  # as written: each line after a TAB
    assert rec.text() == "ok \ufffd\ufffd end\nline 2"
