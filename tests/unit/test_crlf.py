"""Logs whose lines end with CRLF (they went through Windows, or a tool that writes CRLF) read as the
same log with LF: the same report, byte for byte, with no damage counted, cut where the LF log is cut.
The reader reads CRLF in place (no copy of the buffer): a header's CR is left out, a chromium event's
payload is kept as written and every other payload's CRLFs become LFs."""

from __future__ import annotations

import io

import pytest
from compileprof.profiler.analysis.combine import combine
from compileprof.profiler.fold.log import fold_range
from compileprof.profiler.fold.parallel import finish_streams, read_cut
from compileprof.profiler.render.json_report import write_json
from compileprof.profiler.trace.reader import TraceReader, compile_boundary
from conftest import FIXTURES, crlf_copy, event, record_line

LOGS = sorted(p for p in FIXTURES.rglob("*.log") if p.stat().st_size < 4_000_000)


def _json(traces, path) -> bytes:
    for t in traces:
        t.path = str(path)  # the LF log's name, so the two reports can be compared byte for byte
    buf = io.BytesIO()
    write_json(combine("x", traces), buf)
    return buf.getvalue()


@pytest.mark.parametrize("log", LOGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_written_with_crlf_reads_as_with_lf(log, tmp_path):
    crlf = crlf_copy(log, tmp_path)
    lf = finish_streams(fold_range(log))
    damage = lf[0].parse.damage
    both = finish_streams(fold_range(crlf))
    assert both[0].parse.damage == damage  # CRLF adds no damage (the fixtures' own is counted alike)
    for t in both:  # the bytes differ (a CR per line); everything read from them does not
        t.parse.bytes = next(x for x in lf if x.pid == t.pid).parse.bytes
    assert _json(both, log) == _json(lf, log)


def test_crlf_payload_damage_and_tabs_of_their_own_are_read_as_with_lf(tmp_path):
    # GIVEN a CRLF log: a chromium event, a payload whose text has TABs of its own (hashed the exact
    # way), a payload whose md5 differs, a lone CR inside a line (text, kept), a chromium event whose
    # JSON has a TAB for space (kept as written, hashed the exact way), an empty CRLF line followed by
    # payload lines with no record, and a last record without a final newline
    tabs = record_line("artifact", {"name": "t", "encoding": "string"}, "a\tb\n\tc")
    bad = record_line("artifact", {"name": "bad", "encoding": "string"}, "p").replace("\tp", "\tq")
    lone = record_line("artifact", {"name": "cr", "encoding": "string"}, "x\ry\nz")
    spaced = '{"name":\t"x",\n"ph": "i", "ts": 1.5, "pid": 0, "tid": 0, "args": {"compile_id": "0/0"}}'
    tabbed = record_line("chromium_event", {}, spaced, frame_id=0, frame_compile_id=0)  # a TAB as JSON space
    text = event("dynamo", "B", 1.0) + tabs + bad + lone + tabbed + "\n\tstray\n" + event("dynamo", "E", 2.0)
    log = tmp_path / "w.log"
    log.write_bytes(text.replace("\n", "\r\n").encode()[:-2])
    # WHEN it is read
    reader = TraceReader(log)
    records = list(reader)
    # THEN the texts are the LF log's, the one bad md5 and the stray payload line are the only damage
    kinds = ["chromium_event", "artifact", "artifact", "artifact", "chromium_event", "chromium_event"]
    assert [r.kind for r in records] == kinds
    assert records[1].text() == "a\tb\n\tc" and records[2].text() == "q" and records[3].text() == "x\ry\nz"
    assert b"\r" in records[0].payload and records[0].text().startswith("{") and "\r" not in records[0].text()
    assert b"\r\n" not in records[1].payload
    assert reader.stats.fail_payload_md5 == 1 and reader.stats.fail_glog == 1 and reader.stats.truncated == 0
    assert b"\r" in records[4].payload and records[4].text() == spaced  # hashed the exact way, CRLF as LF
    assert reader.stats.damage == 2 and reader.stats.records == 6


def test_a_crlf_log_is_cut_at_compile_boundaries_as_its_lf_twin(tmp_path):
    # GIVEN a fixture with several compiles, written with CRLF
    src = FIXTURES / "graph_break.log"
    crlf = crlf_copy(src, tmp_path)
    data = crlf.read_bytes()
    # WHEN a cut is looked for in its middle
    cut = compile_boundary(crlf, len(data) // 2)
    # THEN it is found at a record holding a dynamo B event, and the parts read as one pass
    assert cut is not None and data[cut - 2 : cut] == b"\r\n"
    assert b'"chromium_event"' in data[cut : data.index(b"\n", cut)]
    lf_cut = compile_boundary(src, len(src.read_bytes()) // 2)
    assert data[:cut].count(b"\n") == src.read_bytes()[:lf_cut].count(b"\n")  # the same record as the LF log's
    one = _json(finish_streams(fold_range(crlf)), src)
    assert _json(finish_streams(read_cut(crlf, [cut], parallel=False)), src) == one
