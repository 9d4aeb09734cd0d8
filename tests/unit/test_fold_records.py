"""Records the fold reads that the real fixtures rarely hold: generated code for other devices,
older torch's JSON guards, records whose metadata is not an object, recompile reasons written
before their compile, a compile whose spans never close, and more processes than the fold keeps."""

from __future__ import annotations

import json

import pytest
from compileprof.profiler.fold.log import MAX_PROCESSES, MAX_WAITING
from conftest import event, one_process, record_line, report_of

CID = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}


def _metrics(frame: int = 0, **meta: object) -> str:
    env = {"frame_id": frame, "frame_compile_id": 0, "attempt": 0}
    meta = {"co_name": f"f{frame}", "entire_frame_compile_time_s": 1.0, **meta}
    return record_line("compilation_metrics", meta, **env)


@pytest.mark.parametrize(
    ("code", "device"),
    [
        ("from torch._inductor.runtime import triton_heuristics\nimport triton\n", "cuda"),
        ("kernel = async_compile.triton('triton_poi_fused_0', '''...''')\n", "cuda"),
        ("aoti_torch_device_type_cuda()\n", "cuda"),
        ("cpp_fused_add_0 = async_compile.cpp_pybinding(...)\n", "cpu"),
        ("aoti_torch_device_type_cpu()\n", "cpu"),
        ("def call(args):\n    return args\n", None),
    ],
)
def test_the_device_is_read_from_the_generated_code(tmp_path, code, device):
    report = report_of(tmp_path, record_line("inductor_output_code", {"filename": "k.py"}, code, **CID), _metrics())
    assert report.device == device


def test_the_first_generated_code_that_names_a_device_decides_it(tmp_path):
    cpu = record_line("inductor_output_code", {"filename": "a.py"}, "cpp_fused_0 = 1", **CID)
    cuda = record_line("inductor_output_code", {"filename": "b.py"}, "import triton", **CID)
    assert report_of(tmp_path, cpu, cuda, _metrics()).device == "cpu"


def test_older_torch_s_json_guards_are_the_compile_s_guards(tmp_path):
    guards = [{"code": "L['x'].size()[0] == 4"}, {"code": None}, "not a guard", {"code": "x" * 300}]
    report = report_of(tmp_path, record_line("dynamo_guards", {}, json.dumps(guards), **CID), _metrics())
    (c,) = report.compiles
    assert c.guards == ["L['x'].size()[0] == 4", "x" * 200]


def test_records_whose_metadata_is_not_an_object_are_counted_and_passed_over(tmp_path):
    odd = [record_line(kind, [1, 2], **CID) for kind in ("compilation_metrics", "bwd_compilation_metrics",
                                                            "compilation_metrics_runtime", "artifact")]  # fmt: skip
    report = report_of(tmp_path, *odd, _metrics())
    assert [c.co_name for c in report.compiles] == ["f0"]
    assert report.runtime == [] and report.parse.bad_value == 0
    assert report.traces[0].record_kinds == {"compilation_metrics": 2, "bwd_compilation_metrics": 1,
                                             "compilation_metrics_runtime": 1, "artifact": 1}  # fmt: skip


def test_recompile_reasons_logged_before_the_compile_are_its_reason(tmp_path):
    said = json.dumps(["size mismatch at index 0. expected 4, actual 8", "x\nsecond line"])
    reasons = record_line("artifact", {"name": "recompile_reasons", "encoding": "json"}, said, **CID)
    (c,) = report_of(tmp_path, reasons, _metrics()).compiles
    assert c.recompile_reason == "size mismatch at index 0. expected 4, actual 8; x"
    # the metrics' own reason wins over the artifact's
    (c,) = report_of(tmp_path, reasons, _metrics(recompile_reason="own"), name="own.log").compiles
    assert c.recompile_reason == "own"


def test_a_compile_whose_spans_never_close_is_sealed_as_it_is_once_the_next_ones_are_waiting(tmp_path):
    # GIVEN compile 0's span left open, then MAX_WAITING + 1 compiles with closed spans
    lines = [event("dynamo", "B", 1.0, "0/0"), _metrics(0)]
    for f in range(1, MAX_WAITING + 2):
        lines += [event("dynamo", "B", 10.0 * f, f"{f}/0"), event("dynamo", "E", 10.0 * f + 4, f"{f}/0"), _metrics(f)]
    report = report_of(tmp_path, *lines)
    # THEN every compile is reported in log order, the first without its open span's time
    names = [c.co_name for c in report.compiles]
    assert names == [f"f{f}" for f in range(MAX_WAITING + 2)]
    assert report.compiles[1].phases()[0]["total_s"] == 4e-6


def test_records_of_processes_past_the_limit_join_the_last_one_kept(tmp_path):
    lines = [one_process(_metrics(p), pid=1000 + p).decode() for p in range(MAX_PROCESSES + 3)]
    report = report_of(tmp_path, *lines)
    assert len(report.compiles) == MAX_PROCESSES + 3 and len(report.traces) == MAX_PROCESSES
    assert [c.co_name for c in report.compiles[-4:]] == [f"f{p}" for p in range(MAX_PROCESSES - 1, MAX_PROCESSES + 3)]


def test_a_compile_is_handed_to_the_report_only_once_its_spans_closed_even_when_rows_spill(tmp_path, monkeypatch):
    from compileprof.profiler.model import rows

    # GIVEN rows spilled to disk as soon as they are appended (a row must not change once there)
    monkeypatch.setattr(rows, "KEEP", 0)
    monkeypatch.setattr(rows, "BATCH", 1)
    # WHEN compile 0's metrics come before its span ends, and compile 1 follows
    lines = [
        event("dynamo", "B", 1.0, "0/0"),
        _metrics(0),
        event("dynamo", "E", 5.0, "0/0"),
        event("dynamo", "B", 10.0, "1/0"),
        event("dynamo", "E", 12.0, "1/0"),
        _metrics(1),
    ]
    report = report_of(tmp_path, *lines)
    # THEN both rows hold their closed span's time, in log order
    assert [c.co_name for c in report.compiles] == ["f0", "f1"]
    assert [c.phases()[0]["total_s"] for c in report.compiles] == [4e-6, 2e-6]
