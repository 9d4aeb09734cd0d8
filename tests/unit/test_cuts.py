"""Any cut is exact: a log read in parts, at every record start (or a dense sample of them), gives the
report one pass gives, byte for byte, without falling back to reading it again in one pass. Every
fixture log is cut, and logs made to be hard: real logs joined with a span left open at each one's end
(as a killed process leaves it), several processes interleaved in one file, a backward long after its
forward. Where the fold was busy at a cut, the reader reads on from the state it had (read_cut), so
the parts are never thrown away."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from compileprof.profiler.analysis.combine import combine
from compileprof.profiler.fold import parallel
from compileprof.profiler.fold.log import fold_range
from compileprof.profiler.fold.parallel import finish_streams, read_cut
from compileprof.profiler.render.json_report import write_json
from conftest import FIXTURES, crlf_copy, event, one_process

LOGS = sorted(p for p in FIXTURES.rglob("*.log") if p.stat().st_size < 4_000_000)
FAST_CUTS, DENSE_CUTS = 4, 60  # record starts tried per log in the fast lane, and in the slow dense run


def _json(traces) -> bytes:
    buf = io.BytesIO()
    write_json(combine("x", traces), buf)
    return buf.getvalue()


def record_starts(data: bytes) -> list[int]:
    """Offsets where a line that is not a payload line (those begin with a TAB) begins, the first
    excepted: where a record, or damage, begins."""
    out, pos = [], data.find(b"\n")
    while pos != -1:
        if pos + 1 < len(data) and data[pos + 1 : pos + 2] not in (b"\t", b"\n", b"\r"):
            out.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return out


def sample(starts: list[int], n: int) -> list[int]:
    """`n` cut points spread evenly over the record starts (every one when there are fewer)."""
    if len(starts) <= n:
        return starts
    return [starts[i * len(starts) // n] for i in range(n)]


def assert_every_cut_exact(path: Path, n: int = FAST_CUTS) -> int:
    """Cut `path` at `n` record starts, one cut and then three at once; returns the cuts tried."""
    one_pass = _json(finish_streams(fold_range(path)))
    cuts = sample(record_starts(path.read_bytes()), n)
    for c in cuts:
        streams = read_cut(path, [c], parallel=False)
        assert streams is not None, f"{path.name}: a cut at byte {c} was thrown away"
        assert _json(finish_streams(streams)) == one_pass, f"{path.name}: cut at byte {c}"
    for i in range(0, len(cuts) - 2, 3):
        three = cuts[i : i + 3]
        streams = read_cut(path, three, parallel=False)
        assert streams is not None and _json(finish_streams(streams)) == one_pass, f"{path.name}: cuts {three}"
    return len(cuts)


@pytest.mark.parametrize("log", LOGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_cut_anywhere_reads_as_one_pass(log):
    assert assert_every_cut_exact(log) > 0


@pytest.mark.slow
@pytest.mark.parametrize("log", LOGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_cut_densely_reads_as_one_pass(log):
    assert assert_every_cut_exact(log, DENSE_CUTS) > 0


@pytest.mark.slow
@pytest.mark.parametrize("log", LOGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_written_with_crlf_cut_anywhere_reads_as_one_pass(log, tmp_path):
    # GIVEN the fixture with every line ending in CRLF (the reader reads those in place)
    assert assert_every_cut_exact(crlf_copy(log, tmp_path), DENSE_CUTS // 2) > 0


def test_logs_joined_with_spans_left_open_read_as_one_pass_at_any_cut(tmp_path):
    # GIVEN real logs of one process joined, each ending with a span a killed process left open (the
    # shape of a concatenated mix, where the old reader threw every split away)
    open_span = event("dynamo", "B", 9_000_000.0)
    parts = [FIXTURES / n for n in ("graph_break.log", "warm_cache.log", "cache_bypass.log", "mlp.log")]
    log = tmp_path / "joined.log"
    log.write_bytes(one_process(*[x for p in parts for x in (p.read_bytes(), open_span)]))
    # THEN every cut reads as one pass, none thrown away
    assert assert_every_cut_exact(log, 12) == 12


def test_several_processes_interleaved_read_as_one_pass_at_any_cut(tmp_path):
    a = (FIXTURES / "graph_break.log").read_bytes().splitlines(keepends=True)
    b = one_process((FIXTURES / "warm_cache.log").read_bytes(), pid=77).splitlines(keepends=True)
    log = tmp_path / "two.log"
    log.write_bytes(b"".join(x for pair in zip(a, b, strict=False) for x in pair))
    assert assert_every_cut_exact(log, 12) == 12


def test_a_busy_cut_is_read_on_not_read_again(tmp_path, monkeypatch):
    # GIVEN a log cut inside a compile (a span open across the cut)
    log = FIXTURES / "graph_break.log"
    data = log.read_bytes()
    inside = next(c for c in record_starts(data) if b'"ph": "B"' in data[c : c + 400] and c > len(data) // 3)
    reads: list[tuple] = []
    real = parallel.RangeFold.feed

    def counted(self, start=0, end=None):
        reads.append((start, end))
        return real(self, start, end)

    monkeypatch.setattr(parallel.RangeFold, "feed", counted)
    streams = read_cut(log, [inside], parallel=False)
    # THEN the first part is read once, the second from scratch (in parallel, in a real read) and, the cut
    # being busy, read on from where the first ended: never the whole log again
    assert streams is not None and reads == [(0, inside), (inside, len(data)), (inside, len(data))]
