"""Exact values of the reader's, the fold's and the cache explanation's smaller pieces, where the mutation
run (benchmarks/mutation.py) found changes no test noticed: a backward's figures from its metrics in both
units, the merge of a log's parts field by field, cache-key changes in words, the piece of a piecewise
lookup, envelopes with bad bytes, and the sanitizer of JSON values."""

from __future__ import annotations

import json

import pytest
from compileprof.profiler.analysis.cache_explain import SHORT, _field_changes, _short, change_text
from compileprof.profiler.fold.cache_keys import _piece
from compileprof.profiler.fold.metrics_record import backward_from_metrics, metrics_start
from compileprof.profiler.fold.parallel import merge_parts
from compileprof.profiler.model.cache_keys import Change
from compileprof.profiler.model.spans import PhaseTree, SpanTotal
from compileprof.profiler.model.trace import RuntimeCost, TraceReport
from compileprof.profiler.trace.reader import _envelope
from compileprof.profiler.trace.records import ParseStats
from compileprof.profiler.trace.values import Values
from compileprof.profiler.unicode import sanitized

# ---- a lazily compiled backward from its metrics -------------------------------------------------


def _tree_with(name: str, seconds: float) -> PhaseTree:
    tree = PhaseTree()
    tree.root.child(name).add_call(100.0, seconds)
    return tree


def test_a_backward_is_timed_by_its_span_and_every_figure_read_in_seconds():
    meta = {"inductor_compile_time_s": 1.5, "code_gen_time_s": 0.25, "structured_logging_overhead_s": 0.125,
            "start_time": 1700000000.5}  # fmt: skip
    b = backward_from_metrics(meta, _tree_with("entire_backward_compile", 2.0))
    assert (b.compile_time_s, b.inductor_compile_time_s, b.code_gen_time_s) == (2.0, 1.5, 0.25)
    assert (b.structured_logging_overhead_s, b.start_s) == (0.125, 1700000000.5)


def test_a_backward_without_its_span_is_timed_by_inductor_and_microsecond_fields_are_scaled():
    meta = {"inductor_cumulative_compile_time_us": 1_500_000, "inductor_code_gen_cumulative_compile_time_us": 250_000,
            "structured_logging_overhead_us": 125_000, "start_time_us": 1_700_000_000_500_000}  # fmt: skip
    b = backward_from_metrics(meta, _tree_with("something_else", 9.0))
    assert (b.compile_time_s, b.inductor_compile_time_s, b.code_gen_time_s) == (1.5, 1.5, 0.25)
    assert (b.structured_logging_overhead_s, b.start_s) == (0.125, 1700000000.5)
    assert backward_from_metrics({}, PhaseTree()).compile_time_s is None


def test_a_start_time_in_seconds_wins_and_a_bad_microsecond_one_is_ignored():
    v = Values()
    assert metrics_start({"start_time": 5.0, "start_time_us": 9_000_000}, v) == 5.0
    assert metrics_start({"start_time_us": 0}, v) == 0.0
    for bad in (-1, float("inf"), "12", True, 1e301):
        assert metrics_start({"start_time_us": bad}, v) is None


# ---- a log's parts merged ---------------------------------------------------------------------------


def _part(path: str = "x.log", **fields) -> TraceReport:
    return TraceReport(path, fields.pop("rank", None), fields.pop("torch_version", None), ParseStats(), **fields)


def test_parts_merge_field_by_field_as_one_pass_reads_them():
    first = _part(stray_begin=1, stray_end=2, device=None, versions={"python": "3.11"}, strings={1: "a.py"},
                  artifacts={"x": 1}, record_kinds={"str": 2}, first_s=10.0, last_s=20.0,
                  unattributed={"w": SpanTotal("w", 1000, 1)}, phase_total={"dynamo": 5},
                  phase_self={"dynamo": 1})  # fmt: skip
    first.parse.lines, first.parse.records = 10, 4
    second = _part(rank=3, torch_version="2.13", stray_begin=4, stray_end=8, device="cpu",
                   versions={"python": "3.12", "triton": "3.1"}, strings={2: "b.py"}, artifacts={"x": 2, "y": 1},
                   record_kinds={"str": 1, "chromium_event": 5}, first_s=5.0, last_s=30.0,
                   unattributed={"w": SpanTotal("w", 500, 2)}, phase_total={"dynamo": 7, "gc": 1},
                   phase_self={"dynamo": 2}, runtime={"0/0": RuntimeCost(records=1)},
                   background=[("w", 1.0, 2.0, "1/2")])  # fmt: skip
    second.parse.lines, second.parse.records = 5, 3
    whole = merge_parts([first, second])
    assert (whole.parse.lines, whole.parse.records, whole.parts) == (15, 7, 2)
    assert (whole.stray_begin, whole.stray_end, whole.rank, whole.torch_version, whole.device) == (5, 10, 3, "2.13",
                                                                                                   "cpu")  # fmt: skip
    assert whole.versions == {"python": "3.11", "triton": "3.1"}  # the first part that states one wins
    assert whole.strings == {1: "a.py", 2: "b.py"} and whole.artifacts == {"x": 3, "y": 1}
    assert whole.record_kinds == {"str": 3, "chromium_event": 5}
    assert (whole.first_s, whole.last_s) == (5.0, 30.0)
    assert whole.unattributed["w"].total_ns == 1500 and whole.unattributed["w"].count == 3
    assert whole.phase_total == {"dynamo": 12, "gc": 1} and whole.phase_self == {"dynamo": 3}
    assert whole.runtime["0/0"].records == 1 and whole.background == [("w", 1.0, 2.0, "1/2")]


def test_a_rank_and_a_torch_version_come_from_the_first_part_that_has_them():
    whole = merge_parts([_part(rank=0, torch_version="2.12", device="cuda"), _part(rank=5, torch_version="2.13",
                                                                                   device="cpu")])  # fmt: skip
    assert (whole.rank, whole.torch_version, whole.device) == (0, "2.12", "cuda")


# ---- cache-key changes in words ---------------------------------------------------------------------


def test_changes_read_as_short_lines_or_the_fields_that_differ():
    assert change_text(Change("gm", "added", None, "x\ny")) == "`gm` only in B: x y"
    assert change_text(Change("gm", "removed", "old", None)) == "`gm` only in A: old"
    assert change_text(Change("torch_version", "changed", "2.12", "2.13")) == "`torch_version`: 2.12 -> 2.13"
    flagged = change_text(Change("k", "changed", "0xdeadbeef1", "0xfeedface2", "a memory address"))
    assert flagged == ("`k`: 0xdeadbeef1 -> 0xfeedface2 (differs by a memory address only: unstable across "
                       "processes, a cache-key bug worth reporting upstream)")  # fmt: skip
    a = "Config(" + ", ".join(f"f{i}={i}" for i in range(30)) + ")"
    b = a.replace("f3=3", "f3=4").replace("f7=7", "f7=8")
    assert change_text(Change("cfg", "changed", a, b)) == "`cfg`: f3=3 -> f3=4; f7=7 -> f7=8"


def test_a_long_multiline_change_is_a_diff_of_at_most_twelve_lines():
    a = "\n".join(f"line {i}" for i in range(40))
    b = "\n".join(f"line {i}" if i % 2 else f"LINE {i}" for i in range(40))
    text = change_text(Change("src", "changed", a, b))
    lines = text.splitlines()
    assert lines[0] == "`src` differs:" and len(lines) == 14 and lines[-1].startswith("    ... ")
    assert lines[1].startswith("    @@") and all(x.startswith("    ") for x in lines[1:])
    more = int(lines[-1].split()[1])
    assert more > 0 and "    -line 0" in text and "    +LINE 0" in text and "line 39" not in text


def test_fields_of_one_line_reprs_compare_outside_brackets_and_at_most_four():
    assert _field_changes("A(x=1, y=[1, 2], z=3)", "A(x=1, y=[1, 3], z=4)") == [("y=[1, 2]", "y=[1, 3]"),
                                                                                 ("z=3", "z=4")]  # fmt: skip
    meta = "TensorMetadata(dtype=torch.float32, shape=torch.Size([2, 32]), requires_grad=False)"
    assert _field_changes(meta, meta.replace("[2, 32]", "[4, 32]")) == [("shape=torch.Size([2, 32])",
                                                                         "shape=torch.Size([4, 32])")]  # fmt: skip
    assert _field_changes("a, b", "a, b, c") == [] and _field_changes("ab", "ac") == []
    assert _field_changes("a\n, b", "a\n, c") == [] and _field_changes("a, b", "a, b") == []
    five = ", ".join(f"f{i}=0" for i in range(6)), ", ".join(f"f{i}={int(i < 5)}" for i in range(6))
    assert _field_changes(*five) == [] and len(_field_changes(*five, most=5)) == 5


def test_a_value_is_cut_to_the_short_length_with_an_ellipsis():
    assert _short(None) == "" and _short("a\nb") == "a b"
    assert _short("x" * SHORT) == "x" * SHORT
    assert _short("x" * (SHORT + 1)) == "x" * (SHORT - 3) + "..."


# ---- the piece a piecewise lookup belongs to ---------------------------------------------------------


class _Rec:
    def __init__(self, payload: object) -> None:
        self.payload = json.dumps(payload) if not isinstance(payload, str) else payload

    def text(self) -> str:
        return self.payload


def test_the_piece_of_a_compile_start_artifact():
    assert _piece(_Rec({"piecewise_index": 1, "is_single_size": True, "compile_range_start": 4})) == "piece 1, size 4"
    ranged = {"piecewise_index": 2, "is_single_size": False, "compile_range_start": 1, "compile_range_end": 16}
    assert _piece(_Rec(ranged)) == "piece 2, sizes 1..16"
    assert _piece(_Rec({"piecewise_index": 0})) == "piece 0, sizes .."
    assert _piece(_Rec({"piecewise_index": "1"})) is None and _piece(_Rec("[1]")) is None
    assert _piece(_Rec("not json")) is None


# ---- envelopes and sanitized values ------------------------------------------------------------------


def test_an_envelope_with_bad_bytes_is_read_and_said_to_have_them():
    assert _envelope(b'{"str": 1}') == ({"str": 1}, False)
    assert _envelope(b"[1]") == (None, False) and _envelope(b"not json") == (None, False)
    assert _envelope(b'{"str": "\xff"}') == ({"str": "\ufffd"}, True)
    assert _envelope(b'["\xff"]') == (None, True) and _envelope(b"\xff not json") == (None, True)


def test_sanitized_values_are_valid_unicode_with_64_bit_integers():
    bad = "a\udcffb"
    assert sanitized({bad: [bad, 2**64, -(2**63) - 1, 2**64 - 1, -(2**63), True, 1.5, None, (1, bad)]}) == {
        "a\ufffdb": ["a\ufffdb", str(2**64), str(-(2**63) - 1), 2**64 - 1, -(2**63), True, 1.5, None, [1, "a\ufffdb"]]
    }
    assert sanitized({1: "x"}) == {1: "x"}


@pytest.mark.parametrize("value", [0, 2**63, "plain", [], {}])
def test_sanitized_keeps_what_is_already_valid(value):
    assert sanitized(value) == value


# ---- records of one compile, each to its exact figure -------------------------------------------


def _compile_log(path):
    from conftest import event, record_line

    cid = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    # fmt: off
    lines = [
        event("dynamo", "B", 1_000_000.0), event("dynamo", "E", 2_000_000.0),
        record_line("symbolic_shape_specialization", {"symbol": "s0", "value": "8", "sources": ["L['x'].size()[0]",
                    "L['y'].size()[0]"], "reason": "Eq(s0, 8)\n  at model.py:3"}, **cid),
        record_line("artifact", {"name": "inductor_collective_schedule", "encoding": "json"},
                    json.dumps(["_c10d_functional.all_reduce_", None, "x" * 300]), **cid),
        record_line("compilation_metrics", {"entire_frame_compile_time_s": 1.0, "co_name": "forward"}, **cid),
        record_line("compilation_metrics_runtime", {"runtime_triton_autotune_time_us": 2_000_000, "start_time_us": 5,
                    "end_time_us": 9, "cudagraphify_time_us": None, "bad_us": "x", "zero_us": 0}, **cid),
        record_line("compilation_metrics_runtime", {"runtime_triton_autotune_time_us": 500_000}, **cid),
        event("entire_backward_compile", "B", 3_000_000.0), event("x_torch_trace_only", "B", 3_100_000.0),
        event("x_torch_trace_only", "E", 3_200_000.0), event("entire_backward_compile", "E", 3_500_000.0),
        record_line("bwd_compilation_metrics", {"inductor_compile_time_s": 0.4, "start_time": 1700000003.0}, **cid),
    ]
    # fmt: on
    path.write_text("".join(lines))
    return path


def test_a_compile_s_own_records_each_give_their_exact_figure(tmp_path):
    from compileprof.profiler.build import build_report

    report = build_report(_compile_log(tmp_path / "c.log"), jobs=1)
    (c,) = report.compiles
    assert c.specializations == ["s0 (L['x'].size()[0], L['y'].size()[0]) = 8: Eq(s0, 8)"]
    assert c.collectives == ["_c10d_functional.all_reduce_", "x" * 200]
    (_, cid, cost) = report.runtime[0]
    assert cid == "0/0" and cost.records == 2 and cost.metrics == {"runtime_triton_autotune_time": 2.5}
    assert report.traces[0].parse.bad_value == 1  # the one `_us` field that was not a number
    b = c.backward
    assert (b.compile_time_s, b.inductor_compile_time_s, b.trace_only_s) == (0.5, 0.4, 0.1)
    assert report.phases["entire_backward_compile"] == 0.5 and report.phases["x_torch_trace_only"] == 0.1
    assert report.phases["dynamo"] == 1.0
    assert [p["name"] for p in c.phases()] == ["dynamo", "entire_backward_compile"]


def test_large_payloads_are_checked_and_their_damage_counted(tmp_path):
    from compileprof.profiler.trace.reader import TraceReader
    from conftest import record_line

    big = "x" * (64 << 10)
    good = record_line("artifact", {"name": "a", "encoding": "string"}, big)
    bad = good[: good.index('"has_payload": "') + 16] + "0" * 32 + good[good.index('"has_payload": "') + 48 :]
    log = tmp_path / "big.log"
    log.write_text(good * 3 + bad * 70 + record_line("artifact", {"name": "small"}, "tiny"))
    reader = TraceReader(log)
    records = list(reader)
    assert len(records) == 3 + 70 + 1 and reader.stats.fail_payload_md5 == 70
    assert records[0].payload.count(b"x") == 64 << 10 and reader.stats.damage == 70


def test_bad_values_are_counted_under_the_field_they_were_found_in(tmp_path):
    # GIVEN records whose fields hold values of the wrong type
    from compileprof.profiler.build import build_report
    from conftest import record_line

    env = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    log = tmp_path / "bad.log"
    metrics = {"co_name": "f", "co_firstlineno": "ten", "pytorch_version": [2], "entire_frame_compile_time_s": 1.5}
    special = {"symbol": {"s": 0}, "value": 8, "reason": ["r"]}
    log.write_text(record_line("symbolic_shape_specialization", special, **env)
                   + record_line("compilation_metrics", metrics, **env))  # fmt: skip
    # WHEN the log is read
    report = build_report(log)
    # THEN each is counted once under its own field, and the rest of the records stands
    fields = report.parse.bad_value_fields
    assert {k: fields[k] for k in ("symbol", "reason", "co_firstlineno", "pytorch_version")} == dict.fromkeys(
        ("symbol", "reason", "co_firstlineno", "pytorch_version"), 1)  # fmt: skip
    (c,) = list(report.compiles)
    assert c.compile_time_s == 1.5 and c.co_firstlineno is None and c.specializations == ["None () = 8"]


def test_a_part_s_backward_whose_forward_no_part_holds_stays_an_orphan_in_order():
    from compileprof.profiler.model.compile import BackwardInfo

    early, late = BackwardInfo(1.0, None, None, None), BackwardInfo(2.0, None, None, None)
    first = _part(orphan_backwards=[("0/0", early)])
    second = _part(orphan_backwards=[("7/0", late)])
    whole = merge_parts([first, second])
    assert whole.orphan_backwards == [("0/0", early), ("7/0", late)]
