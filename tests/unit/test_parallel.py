"""A large log read in parallel parts gives byte for byte the JSON one pass gives; a file of several
ranks, or a cut where the fold still waits for something, falls back to one pass."""

from __future__ import annotations

import io
import json

import pytest
from compileprof.profiler.analysis.combine import combine
from compileprof.profiler.fold.parallel import fold_file
from compileprof.profiler.render.json_report import write_json
from compileprof.profiler.trace.reader import compile_boundary
from conftest import FIXTURES, event, one_process, record_line


def single(log, jobs: int, min_bytes: int | None = None):
    """The report of a log one process wrote (fold_file gives one per process)."""
    streams = processes(log, jobs, min_bytes)
    assert len(streams) == 1
    return streams[0]


def processes(log, jobs: int, min_bytes: int | None = None) -> list:
    """The reports of the processes that wrote into `log` (fixtures joined into one file were written by
    several)."""
    return fold_file(log, jobs=jobs) if min_bytes is None else fold_file(log, jobs=jobs, min_bytes=min_bytes)


def _json(traces) -> bytes:
    buf = io.BytesIO()
    write_json(combine("x", traces if isinstance(traces, list) else [traces]), buf)
    return buf.getvalue()


def _with_rank(log: bytes, rank: int) -> bytes:
    """Every record line of `log` with `"rank": rank` in its envelope (payload lines untouched)."""
    lines = log.split(b"\n")
    return b"\n".join(
        x if x.startswith(b"\t") or b"] {" not in x else x.replace(b"] {", b'] {"rank": %d, ' % rank, 1) for x in lines
    )


def test_split_at_compile_boundary_matches_one_pass(tmp_path):
    # GIVEN a log of several whole traces, "large" for a threshold of one byte
    unit = (FIXTURES / "graph_break.log").read_bytes() + (FIXTURES / "mlp.log").read_bytes()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(unit * 3)
    # THEN the split point opens a compile
    cut = compile_boundary(log, log.stat().st_size // 2)
    assert cut is not None and log.read_bytes()[cut:].split(b"\n", 2)[1] == b"\t{"
    # AND two, three, four parts were really read and merged, and give byte for byte what one pass gives
    one = processes(log, 1)  # the two fixtures were written by two processes
    assert [t.parts for t in one] == [1, 1] and sum(len(t.compiles) for t in one) == 15
    for jobs in (2, 3, 4):
        many = processes(log, jobs, 1)
        assert max(t.parts for t in many) == jobs
        assert _json(many) == _json(one)


@pytest.mark.parametrize("open_span", [True, False])
def test_a_cut_inside_an_open_span_is_read_in_one_pass(tmp_path, open_span):
    # GIVEN a background span (compile id None) still open where the log would be cut
    body = (FIXTURES / "mlp.log").read_bytes()
    begin = event("compile_file", "B", 1.0, compile_id=None).encode()
    end = event("compile_file", "E", 9e15, compile_id=None).encode()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(one_process(body, begin if open_span else b"", body, end if open_span else b""))
    one, two = single(log, 1), single(log, 2, 1)
    # THEN the split is dropped when a part ends with the span open, and the result is one pass's
    assert two.parts == (1 if open_span else 2)
    assert _json(two) == _json(one)


def test_a_file_of_several_ranks_is_read_in_one_pass(tmp_path):
    # GIVEN one file holding rank 0's records, then rank 1's
    body = (FIXTURES / "graph_break.log").read_bytes()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(_with_rank(body, 0) + b"\n" + _with_rank(body, 1))
    # WHEN it is "large": the parts disagree on the rank, so the split is dropped for one pass
    trace = single(log, 2, 1)
    # THEN the first rank wins, the other rank's records are counted, and nothing is merged
    assert trace.parts == 1 and trace.rank == 0
    assert len(trace.compiles) == 4 and trace.parse.other_rank == trace.parse.records


def test_a_log_of_exports_splits_at_export_records_and_matches_one_pass(tmp_path):
    # GIVEN exports that succeed and fail, between compiles, repeated (failed exports stay open until
    # the next export record begins, so only a cut there, or where no export is open, is exact)
    # (and compiled autograd, whose spans no metrics record claims)
    names = ("export_ok.log", "graph_break.log", "export_fail.log", "compiled_autograd.log")
    unit = b"".join((FIXTURES / n).read_bytes() for n in names)
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(one_process(unit * 4))
    one = single(log, 1)
    assert one.export is not None and len(one.export.attempts) == 8 and one.export.failed == 4
    assert "!0" not in {c.compile_id for c in one.compiles}
    # THEN it is read in parts (exports no longer forbid a split), and each gives what one pass gives
    splits = []
    for jobs in (2, 3, 4, 5):
        many = single(log, jobs, 1)
        splits.append(many.parts)
        assert _json(many) == _json(one)
    assert max(splits) > 1


def test_spans_no_metrics_claimed_are_not_cut_from_a_later_claim(tmp_path):
    # GIVEN compile 5/0's spans with its metrics record far later, after a compile boundary
    body = (FIXTURES / "graph_break.log").read_bytes() * 2
    early = (event("dynamo", "B", 1.0, compile_id="5/0") + event("dynamo", "E", 2e6, compile_id="5/0")).encode()
    metrics = record_line("compilation_metrics", {"co_name": "late"}, frame_id=5, frame_compile_id=0).encode()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(one_process(early, body, metrics))
    one, two = single(log, 1), single(log, 2, 1)
    # THEN the split is dropped (one pass gives the late metrics the early spans), and 5/0 has its tree
    assert two.parts == 1 and _json(two) == _json(one)
    late = next(c for c in json.loads(_json(one))["compiles"] if c["co_name"] == "late")
    assert [(p["name"], p["total_s"]) for p in late["phases"]] == [("dynamo", 1.999999)]  # (2e6 - 1) us


def test_an_open_export_cut_before_a_record_that_is_not_an_export_falls_back_to_one_pass(tmp_path):
    # GIVEN a failed export (open until the next export) and then a compile, cut at the compile
    fail, compile_ = (FIXTURES / "export_fail.log").read_bytes(), (FIXTURES / "graph_break.log").read_bytes()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    fail, compile_ = one_process(fail), one_process(compile_)
    log.write_bytes(fail + compile_)
    assert compile_boundary(log, len(fail)) == len(fail)
    one, two = single(log, 1), single(log, 2, 1)
    # THEN the parts are not merged: one pass's result
    assert two.parts == 1 and _json(two) == _json(one)
