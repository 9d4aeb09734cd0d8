"""Piece compiles read from a hand-built vLLM-style log, and the piecewise split of a traced module."""

from __future__ import annotations

import json

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.render.json_report import report_to_dict
from conftest import record_line


def _stamped(line: str, hhmmss: str) -> str:
    return line.replace("02:10:24.560000", hhmmss)


def test_vllm_trace_without_compile_spans_is_timed_by_log_timestamps(tmp_path):
    # GIVEN a vLLM-style log: config, two compile starts, cache events, then the frame's metrics
    start = {"piecewise_index": 0, "submod_name": "submod_0", "total_piecewise_compiles": 2,
             "compile_range_start": 1, "compile_range_end": 8192, "is_single_size": False}  # fmt: skip
    cid = {"frame_id": 0, "frame_compile_id": 0}
    config = {"splitting_ops": ["vllm::unified_attention"], "compile_sizes": [8]}
    sized = {**start, "compile_range_start": 8, "compile_range_end": 8, "is_single_size": True}

    def art(name, payload):
        return record_line("artifact", {"name": name, "encoding": "json"}, json.dumps(payload), **cid)

    lines = [
        art("vllm_compilation_config", config),
        art("vllm_piecewise_compile_start", start),
        art("fx_graph_cache_miss", {}),
        art("vllm_piecewise_compile_start", sized),
        art("fx_graph_cache_hit", {}),
        record_line("compilation_metrics", {"co_name": "forward", "entire_frame_compile_time_s": 5.0}, **cid),
    ]
    stamps = ["02:10:20.000000", "02:10:21.000000", "02:10:22.500000", "02:10:23.000000", "02:10:23.250000",
              "02:10:23.500000"]  # fmt: skip
    log = tmp_path / "vllm.log"
    log.write_text("".join(_stamped(line, st) for line, st in zip(lines, stamps, strict=True)))
    report = report_to_dict(build_report(log))
    # THEN each piece compile lasts from its start record to the next start (or the metrics)
    assert [p["compile_time_s"] for p in report["pieces"]] == pytest.approx([2.0, 0.5])  # under a second too
    assert [p["time_source"] for p in report["pieces"]] == ["log timestamps"] * 2
    assert [p["cache"] for p in report["pieces"]] == [{"fx_graph_cache_miss": 1}, {"fx_graph_cache_hit": 1}]
    assert report["piecewise"]["splitting_ops"] == ["vllm::unified_attention"]
    assert report["piecewise"]["compiled_pieces"] == 1


def test_split_graph_keeps_order_and_isolates_splitting_ops():
    torch = pytest.importorskip("torch")
    from compileprof.backends.piecewise import op_name, split_graph

    class M(torch.nn.Module):
        def forward(self, x):
            y = torch.nn.functional.gelu(x + 1)
            z = torch.nn.functional.gelu(y)  # consecutive splitting ops share one piece
            return z * 2

    gm = torch.fx.symbolic_trace(M())
    assert [op_name(n) for n in gm.graph.nodes if n.op == "call_function"] == [None, "aten::gelu", "aten::gelu", None]
    split, pieces = split_graph(gm, ["aten::gelu"])
    assert [(p.name, p.is_splitting, p.index) for p in pieces] == [
        ("submod_0", False, 0), ("submod_1", True, None), ("submod_2", False, 1)
    ]  # fmt: skip
    x = torch.randn(3)
    assert torch.allclose(split(x), M()(x))
    _, one = split_graph(gm, [])
    assert len(one) == 1 and not one[0].is_splitting
