"""Details of the fold that a planted bug got past: a piece compile's every field and how it was
timed, a split's stated counts, Inductor's config of a compile, distinct cache component sets in one
pool, backward phases summed over compiles, an orphan backward merged from a part, the record-start
search, and which logs a directory gives."""

from __future__ import annotations

import json
import os

from compileprof.profiler.build import build_report
from compileprof.profiler.fold.cache_keys import _Pool
from compileprof.profiler.fold.graphs import config_of
from compileprof.profiler.trace.discover import find_logs
from compileprof.profiler.trace.reader import _first
from conftest import event, record_line

CID = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}


def _artifact(name: str, payload: object) -> str:
    return record_line("artifact", {"name": name, "encoding": "json"}, json.dumps(payload), **CID)


def test_a_piece_compile_keeps_every_field_its_start_states_and_its_span_time(tmp_path):
    start = {"piecewise_index": 1, "submod_name": "submod_2", "total_piecewise_compiles": 6, "compile_range_start": 8,
             "compile_range_end": 16, "is_single_size": False}  # fmt: skip
    config = {"splitting_ops": ["vllm::unified_attention"], "compile_sizes": [1, 8], "num_pieces": 5,
              "num_compiled_pieces": 3, "num_splitting_pieces": 2}  # fmt: skip
    log = tmp_path / "p.log"
    log.write_text(
        _artifact("vllm_compilation_config", config) + _artifact("vllm_piecewise_compile_start", start)
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
