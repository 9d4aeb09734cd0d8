"""The piecewise backend: the split, its trace artifacts, and what `report` reads from them."""

from __future__ import annotations

import json

from compileprof.profiler.build import build_report
from compileprof.profiler.render.json_report import report_to_dict
from conftest import run_cli, run_quiet


def _records(run_dir, kind, name_end):
    """(meta, payload) of every record of `kind` whose name ends with `name_end`, from the run's raw log."""
    out = []
    (log,) = (run_dir / "cold" / "trace").glob("dedicated_log_torch_trace*.log")
    lines = log.read_text().splitlines()
    for i, line in enumerate(lines):
        start = line.find(" {")
        if start < 0 or line.startswith("\t"):
            continue
        obj = json.loads(line[start + 1 :])
        meta = obj.get(kind)
        if isinstance(meta, dict) and str(meta.get("name", "")).endswith(name_end):
            payload = []
            for nxt in lines[i + 1 :]:
                if not nxt.startswith("\t"):
                    break
                payload.append(nxt[1:])
            out.append((meta, "\n".join(payload)))
    return out


def test_tiny_llama_under_piecewise_with_two_compile_sizes(default_run):
    report = json.loads((default_run / "report.json").read_text())
    # two attention calls: 5 pieces, the 2 attention pieces eager, 3 compiled
    assert report["piecewise"]["pieces"] == 5
    assert report["piecewise"]["compiled_pieces"] == 3 and report["piecewise"]["splitting_pieces"] == 2
    assert report["piecewise"]["compile_sizes"] == [1, 4]
    pieces = report["pieces"]
    assert len(pieces) == 9  # 3 pieces x (general range + sizes 1 and 4)
    assert [p["piecewise_index"] for p in pieces] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [p["compile_range_start"] for p in pieces[:3]] == [1, 1, 4]
    assert [p["is_single_size"] for p in pieces[:3]] == [False, True, True]
    assert {p["submod_name"] for p in pieces} == {"submod_0", "submod_2", "submod_4"}
    assert all(p["time_source"] == "span" and p["compile_time_s"] > 0 for p in pieces)
    assert all(p["asserts"]["size_stride"] > 0 and p["ops"] > 0 for p in pieces)
    backend = report["compiles"][0]["backend_compile_time_s"]
    assert sum(p["compile_time_s"] for p in pieces) <= backend
    # the compile-start logging is a named span, as in vLLM
    spans = report["totals"]["torch_trace_only_spans"]
    assert spans["compileprof_log_compile_start_torch_trace_only"]["count"] == 9
    assert report["run"]["children"]["cold"]["check"]["match"] is True


def test_trace_artifacts_have_their_fields(default_run):
    ((_, payload),) = _records(default_run, "artifact", "compileprof_compilation_config")
    config_json = json.loads(payload)
    assert config_json["num_pieces"] == 5 and config_json["compile_sizes"] == [1, 4]
    assert "aten::scaled_dot_product_attention" in config_json["splitting_ops"]
    assert len(_records(default_run, "graph_dump", "compileprof_piecewise_split_graph")) == 1
    starts = [json.loads(p) for _, p in _records(default_run, "artifact", "compileprof_piecewise_compile_start")]
    assert len(starts) == 9
    fields = {"piecewise_index", "submod_name", "total_piecewise_compiles", "compile_range_start",
              "compile_range_end", "is_single_size"}  # fmt: skip
    assert all(fields <= set(s) and s["total_piecewise_compiles"] == 9 for s in starts)
    dumps = [m["name"] for m, _ in _records(default_run, "graph_dump", "")]
    assert {"compileprof_submod_0", "compileprof_submod_2", "compileprof_submod_4"} <= set(dumps)


def test_custom_split_ops(tmp_path, inductor_cache):
    out = tmp_path / "gelu"
    result = run_quiet(out, inductor_cache, "mlp", "--split-ops", "aten::gelu")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    # Linear | GELU | Linear | GELU | Linear
    assert report["piecewise"]["splitting_ops"] == ["aten::gelu"]
    assert report["piecewise"]["pieces"] == 5 and report["piecewise"]["compiled_pieces"] == 3
    assert len(report["pieces"]) == 3 and report["run"]["children"]["cold"]["check"]["match"] is True


def test_vllm_prefix_is_read_back_by_report(tmp_path, inductor_cache):
    out = tmp_path / "vllm"
    result = run_quiet(
        out, inductor_cache, "mlp", "--artifact-prefix", "vllm", "--split-ops", "", "--compile-sizes", "2"
    )
    assert result.exit_code == 0, result.output
    assert _records(out, "artifact", "vllm_piecewise_compile_start")
    assert _records(out, "artifact", "vllm_compilation_config")
    report = report_to_dict(build_report(out / "cold" / "trace"))
    assert report["piecewise"]["prefix"] == "vllm" and report["piecewise"]["pieces"] == 1
    assert [(p["prefix"], p["is_single_size"]) for p in report["pieces"]] == [("vllm", False), ("vllm", True)]
    assert "vllm_log_compile_start_torch_trace_only" in report["totals"]["torch_trace_only_spans"]
    console = run_cli("report", str(out / "cold" / "trace"))
    assert "Piecewise split (vllm)" in console.stdout
