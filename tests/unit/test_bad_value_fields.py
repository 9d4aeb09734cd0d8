"""Every typed field the reader and the fold read: a value of the wrong type is dropped, the record
stands, and the damage is counted once under that field's own name (`parse.bad_value_fields`), the
name README's Reliability section tells a user to look for in their log."""

from __future__ import annotations

import json

import pytest
from compileprof.profiler.build import build_report
from conftest import artifact_line, event, record_line

BAD = {"not": "a scalar"}  # wrong for every typed read: int, str, text, number, bool, key, lists
CID = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}


def _metrics(**meta: object) -> str:
    return record_line("compilation_metrics", {"co_name": "f", "entire_frame_compile_time_s": 1.0, **meta}, **CID)


def _stack(**frame: object) -> str:
    return record_line("dynamo_start", {"stack": [{"filename": "m.py", "line": 3, "name": "f", **frame}]}, **CID)


def _export(kind: str, **meta: object) -> str:
    begin = record_line("export", {}, None)
    return begin + record_line(kind, meta, None)


def _chromium(**fields: object) -> str:
    e = {"name": "dynamo", "ph": "X", "ts": 1000.0, "dur": 5.0, "pid": 1, "tid": 1, "args": {}, **fields}
    payload = json.dumps(e)
    return record_line("chromium_event", {}, payload, **CID)


# fmt: off
CASES = {
    # the record envelope (the reader)
    "frame_id": record_line("compilation_metrics", {"co_name": "f"}, frame_id=BAD, frame_compile_id=0, attempt=0),
    "frame_compile_id": record_line("compilation_metrics", {"co_name": "f"}, frame_id=0, frame_compile_id=BAD),
    "attempt": record_line("compilation_metrics", {"co_name": "f"}, frame_id=0, frame_compile_id=0, attempt=BAD),
    "rank": record_line("compilation_metrics", {"co_name": "f"}, rank=BAD, **CID),
    "compiled_autograd_id": record_line("compilation_metrics", {"co_name": "f"}, compiled_autograd_id=BAD, **CID),
    # a compile's metrics
    "co_name": _metrics(co_name=BAD),
    "co_filename": _metrics(co_filename=BAD),
    "co_firstlineno": _metrics(co_firstlineno=BAD),
    "fail_type": _metrics(fail_type=BAD),
    "fail_reason": _metrics(fail_reason=BAD),
    "restart_reasons": _metrics(restart_reasons=BAD),
    "recompile_reason": _metrics(recompile_reason=BAD),
    "start_time": _metrics(start_time=BAD),
    "start_time_us": _metrics(start_time_us=BAD),
    "pytorch_version": _metrics(pytorch_version=BAD),
    "python_version": _metrics(python_version=BAD),
    "triton_version": _metrics(triton_version=BAD),
    "cuda_version": _metrics(cuda_version=BAD),
    "backend_compile_time_s": _metrics(backend_compile_time_s=BAD),
    "guard_count": _metrics(guard_count=BAD),
    "compile_id": record_line("compilation_metrics", {"co_name": "f", "compile_id": BAD}),
    # a lazily compiled backward's metrics
    "start_time_us@bwd": record_line("bwd_compilation_metrics", {"start_time_us": BAD}, **CID),
    "inductor_compile_time_s@bwd": record_line("bwd_compilation_metrics", {"inductor_compile_time_s": BAD}, **CID),
    "inductor_cumulative_compile_time_us@bwd": record_line(
        "bwd_compilation_metrics", {"inductor_cumulative_compile_time_us": BAD}, **CID),
    # other records of a compile
    "artifact.name": record_line("artifact", {"name": BAD}, "x", **CID),
    "output_code.filename": record_line("inductor_output_code", {"filename": BAD}, "code", **CID),
    "graph_dump.name": record_line("graph_dump", {"name": BAD}, "graph", **CID),
    "stack.filename": _stack(filename=BAD),
    "stack.line": _stack(line=BAD),
    "stack.name": _stack(name=BAD),
    "symbol": record_line("symbolic_shape_specialization", {"symbol": BAD, "value": "8"}, **CID),
    "value": record_line("symbolic_shape_specialization", {"symbol": "s0", "value": BAD}, **CID),
    "sources": record_line("symbolic_shape_specialization", {"symbol": "s0", "sources": BAD}, **CID),
    "reason": record_line("symbolic_shape_specialization", {"symbol": "s0", "reason": BAD}, **CID),
    "cache_bypass_reason": artifact_line("fx_graph_cache_bypass", {"cache_bypass_reason": BAD}),
    "variant": artifact_line("compileprof_measure_variant", {"variant": BAD}),
    # the piecewise backend's records
    "piecewise_index": artifact_line("vllm_piecewise_compile_start", {"piecewise_index": BAD}),
    "submod_name": artifact_line("vllm_piecewise_compile_start", {"submod_name": BAD}),
    "total_piecewise_compiles": artifact_line("vllm_piecewise_compile_start", {"total_piecewise_compiles": BAD}),
    "compile_range_start": artifact_line("vllm_piecewise_compile_start", {"compile_range_start": BAD}),
    "compile_range_end": artifact_line("vllm_piecewise_compile_start", {"compile_range_end": BAD}),
    "is_single_size": artifact_line("vllm_piecewise_compile_start", {"is_single_size": BAD}),
    "splitting_ops": artifact_line("vllm_compilation_config", {"splitting_ops": BAD}),
    "compile_sizes": artifact_line("vllm_compilation_config", {"compile_sizes": BAD}),
    "num_pieces": artifact_line("vllm_compilation_config", {"num_pieces": BAD}),
    "num_compiled_pieces": artifact_line("vllm_compilation_config", {"num_compiled_pieces": BAD}),
    "num_splitting_pieces": artifact_line("vllm_compilation_config", {"num_splitting_pieces": BAD}),
    # export
    "guard.expr": _export("guard_added", expr=BAD),
    "guard_on_data_dependent_error.expr": _export("guard_on_data_dependent_error", expr=BAD),
    "fake_kernel.op": _export("missing_fake_kernel", op=BAD),
    "fake_kernel.reason": _export("missing_fake_kernel", op="aten::x", reason=BAD),
    "loc": _export("guard_added", expr="s0 > 2", stack=[{"filename": "p.py", "line": 1, "loc": BAD}]),
    "stack.filename@export": _export("guard_added", expr="s0 > 2", stack=[{"filename": BAD, "line": 1}]),
    "stack.line@export": _export("guard_added", expr="s0 > 2", stack=[{"filename": "p.py", "line": BAD}]),
    # chromium events
    "chromium.name": _chromium(name=BAD),
    "chromium.ph": _chromium(ph=BAD),
    "chromium.ts": _chromium(ts=BAD),
    "chromium.dur": _chromium(dur=BAD),
    "chromium.pid": _chromium(pid=BAD),
    "chromium.tid": _chromium(tid=BAD),
}
# fmt: on


@pytest.mark.parametrize("field", sorted(CASES))
def test_a_bad_value_is_counted_once_under_its_own_field(field, tmp_path):
    # GIVEN a log whose one damaged value is in `field`, between two good records
    log = tmp_path / "bad.log"
    log.write_text(event("x", "B", 10.0) + CASES[field] + event("x", "E", 20.0))
    # WHEN it is read
    report = build_report(log, jobs=1)
    # THEN the damage is counted once, under that field's name, and the good records stand
    assert report.parse.bad_value_fields == {field.split("@")[0]: 1}  # `@where`: the same field elsewhere
    assert report.parse.bad_value == 1 and report.parse.records == 2 + CASES[field].count("V1122")
