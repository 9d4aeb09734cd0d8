"""A large log read in parallel parts gives what one pass gives; a file of several ranks falls back to
one pass."""

from __future__ import annotations

import pytest
from compileprof.profiler.analysis.combine import combine
from compileprof.profiler.fold.parallel import fold_file
from compileprof.profiler.render.json_report import report_to_dict
from compileprof.profiler.trace.reader import compile_boundary
from conftest import FIXTURES


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
    # AND two parts were really read and merged, and give what one pass gives
    one, two = fold_file(log, jobs=1), fold_file(log, jobs=2, min_bytes=1)
    assert one.parts == 1 and two.parts == 2
    a, b = report_to_dict(combine("x", [one])), report_to_dict(combine("x", [two]))
    assert b["parse"] == a["parse"] and b["compiles"] == a["compiles"]
    assert b["asserts"] == a["asserts"] and b["summary"] == a["summary"]
    assert b["totals"]["compile_time_s"] == pytest.approx(a["totals"]["compile_time_s"])
    assert a["totals"]["compiles"] == 15


def test_a_file_of_several_ranks_is_read_in_one_pass(tmp_path):
    # GIVEN one file holding rank 0's records, then rank 1's
    body = (FIXTURES / "graph_break.log").read_bytes()
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    log.write_bytes(_with_rank(body, 0) + b"\n" + _with_rank(body, 1))
    # WHEN it is "large": the parts disagree on the rank, so the split is dropped for one pass
    trace = fold_file(log, jobs=2, min_bytes=1)
    # THEN the first rank wins, the other rank's records are counted, and nothing is merged
    assert trace.parts == 1 and trace.rank == 0
    assert len(trace.compiles) == 4 and trace.parse.other_rank == trace.parse.records
