"""What the report promises about data, each on a record built for it, with the exact value expected: units
of every duration field, the caches' every kind, `--latest`, oversized records, the A/B in both directions."""

from __future__ import annotations

import json
import os

import pytest
from compileprof.profiler.analysis.ab import paired
from compileprof.profiler.build import build_report
from compileprof.profiler.fold.metrics_record import PART_FIELDS, compile_from_metrics
from compileprof.profiler.model.spans import PhaseTree
from compileprof.profiler.render.json_report import report_to_dict
from conftest import FIXTURES, record_line, run_cli


def test_every_microsecond_part_is_read_in_seconds():
    meta = {name: 1_234_567 for name in PART_FIELDS}  # 1.234567 s each, in microseconds
    info = compile_from_metrics(meta, "0/0", 0, None, PhaseTree())
    assert info.parts_s == {name[: -len("_us")] + "_s": 1.234567 for name in PART_FIELDS}
    # a part given in seconds wins over the same part in microseconds
    info = compile_from_metrics({"gc_time_s": 2.0, "gc_time_us": 5}, "0/0", 0, None, PhaseTree())
    assert info.parts_s["gc_time_s"] == 2.0
    # milliseconds too, and the metrics' own fields in microseconds
    info = compile_from_metrics({"my_wait_ms": 250, "inductor_cumulative_compile_time_us": 3_000_000,
                                 "code_gen_time_s": 0.5, "structured_logging_overhead_us": 7_000},
                                "0/0", 0, None, PhaseTree())  # fmt: skip
    assert info.parts_s["my_wait_s"] == 0.25 and info.inductor_compile_time_s == 3.0
    assert info.code_gen_time_s == 0.5 and info.structured_logging_overhead_s == 0.007


def test_compile_start_times_are_read_in_their_unit():
    seconds = compile_from_metrics({"start_time": 1_700_000_000.5}, "0/0", 0, None, PhaseTree())
    micro = compile_from_metrics({"start_time_us": 1_700_000_000_500_000}, "0/0", 0, None, PhaseTree())
    assert seconds.start_s == micro.start_s == 1_700_000_000.5
    # AOTInductor's metrics time a compile by its start and end in microseconds
    aoti = compile_from_metrics({"start_time_us": 10_000_000, "end_time_us": 12_500_000}, None, 0, None, PhaseTree())
    assert aoti.compile_time_s == 2.5


def test_every_kind_of_cache_event_is_counted(tmp_path):
    # GIVEN one compile with an FX hit, miss and bypass and an AOT hit, miss and bypass (artifacts)
    env = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    kinds = ["fx_graph_cache_hit", "fx_graph_cache_miss", "fx_graph_cache_bypass", "aotautograd_cache_hit",
             "aotautograd_cache_miss", "aotautograd_cache_bypass"]  # fmt: skip
    log = tmp_path / "c.log"
    body = {k: json.dumps({"cache_bypass_reason": f"why {k}"}) for k in kinds}
    artifacts = [record_line("artifact", {"name": k, "encoding": "json"}, body[k], **env) for k in kinds]
    metrics = record_line("compilation_metrics", {"co_name": "f", "entire_frame_compile_time_s": 1.0}, **env)
    log.write_text("".join(artifacts) + metrics)
    d = report_to_dict(build_report(log, jobs=1))
    assert d["compiles"][0]["cache"] == dict.fromkeys(kinds, 1)
    assert d["summary"]["cache"] == dict.fromkeys(sorted(kinds), 1)
    assert d["summary"]["cache_bypass_reasons"] == {"why fx_graph_cache_bypass": 1, "why aotautograd_cache_bypass": 1}
    assert "fx bypass 1" in run_cli("report", str(log)).stdout


def test_latest_keeps_the_newest_log(tmp_path):
    old, new = tmp_path / "dedicated_log_torch_trace_old.log", tmp_path / "dedicated_log_torch_trace_new.log"
    old.write_bytes((FIXTURES / "graph_break.log").read_bytes())
    new.write_bytes((FIXTURES / "mlp.log").read_bytes())
    os.utime(old, (1_000_000_000, 1_000_000_000))
    os.utime(new, (2_000_000_000, 2_000_000_000))
    d = json.loads(run_cli("report", str(tmp_path), "--latest", "-f", "json").stdout)
    assert d["files"] == [str(new)] and d["totals"]["compiles"] == 1
    assert d["skipped_files"] == [{"path": str(old), "reason": "not the newest (--latest)"}]
    os.utime(old, (3_000_000_000, 3_000_000_000))
    d = json.loads(run_cli("report", str(tmp_path), "--latest", "-f", "json").stdout)
    assert d["files"] == [str(old)] and d["totals"]["compiles"] == 4


def test_an_oversized_record_is_counted_in_the_report(tmp_path, monkeypatch):
    from compileprof.profiler.trace import reader

    alone = report_to_dict(build_report(FIXTURES / "mlp.log", jobs=1))["parse"]
    monkeypatch.setattr(reader, "MAX_RECORD_BYTES", 256 << 10)  # mlp.log's largest record is smaller
    monkeypatch.setattr(reader, "CHUNK_SIZE", 16 << 10)
    huge = record_line("artifact", {"name": "huge", "encoding": "string"}, "x" * (300 << 10))
    log = tmp_path / "o.log"
    log.write_text((FIXTURES / "mlp.log").read_text() + huge)
    d = report_to_dict(build_report(log, jobs=1))
    assert d["parse"]["oversized"] == 1 and d["totals"]["compiles"] == 1
    assert d["parse"]["records"] == alone["records"] and d["parse"]["lines"] == alone["lines"] + 2


def test_the_ab_statistics_work_in_both_directions():
    off = [100.0 + (i % 5) for i in range(20)]
    faster = paired([x - 8.0 for x in off], off)  # 8 units faster, every round
    slower = paired([x + 8.0 for x in off], off)
    assert faster.delta == -8.0 and faster.ci95 == (-8.0, -8.0) and faster.significant
    assert slower.delta == 8.0 and slower.ci95 == (8.0, 8.0) and slower.significant
    mixed = paired([x + (3.0 if i % 2 else -3.0) for i, x in enumerate(off)], off)
    assert mixed.ci95[0] < 0 < mixed.ci95[1] and not mixed.significant
    with pytest.raises(ValueError):
        paired([], [])
