"""The trace wing's small parts, each at its boundaries with exact values: typed value reads (what is
kept, what is counted as bad and under which field), glog times, payload blocks without a record, and
the envelope's rank and attempt bounds."""

from __future__ import annotations

import math
import os

import pytest
from compileprof.profiler.trace.reader import TraceReader
from compileprof.profiler.trace.records import Record
from compileprof.profiler.trace.values import MAX_INT, MAX_RANK, MAX_TEXT, Values
from conftest import record_line


def test_integers_are_kept_inclusive_of_both_bounds_and_counted_by_field_outside():
    v = Values()
    assert (v.int(0, "a"), v.int(7, "a", hi=7), v.int(MAX_INT, "a")) == (0, 7, MAX_INT)
    assert (v.int(8, "a", hi=7), v.int(-1, "b"), v.int(True, "b"), v.int(None, "c")) == (None, None, None, None)
    assert v.stats.bad_value == 3 and v.stats.bad_value_fields == {"a": 1, "b": 2}


def test_lists_of_integers_take_zero_and_refuse_negatives_or_other_types():
    v = Values()
    assert v.ints([0, 1, MAX_INT], "ids") == [0, 1, MAX_INT]
    assert (v.ints([0, -1], "ids"), v.ints(["1"], "ids"), v.ints(3, "ids")) == (None, None, None)
    assert v.stats.bad_value_fields == {"ids": 3}


def test_text_is_cut_at_exactly_max_text_characters():
    v = Values()
    assert v.str("x" * MAX_TEXT, "r") == "x" * MAX_TEXT
    assert v.str("y" * (MAX_TEXT + 5), "r") == "y" * MAX_TEXT and v.stats.bad_value == 0
    assert v.text(3, "r") == "3" and v.text([1], "r") is None and v.stats.bad_value_fields == {"r": 1}


def test_numbers_from_1e300_on_are_refused_and_those_below_kept():
    v = Values()
    assert v.number(9e299, "n") == 9e299 and v.number(10**299, "n") == 1e299
    assert v.number(1e300, "n") is None and v.number(10**301, "n") is None and v.number(math.nan, "n") is None
    assert v.seconds(-0.5, "s") is None and v.seconds(0.0, "s") == 0.0
    assert v.stats.bad_value_fields == {"n": 3, "s": 1}


def test_booleans_count_a_wrong_type_under_their_field():
    v = Values()
    assert (v.bool(True, "flag"), v.bool(None, "flag"), v.bool(1, "flag")) == (True, None, None)
    assert v.stats.bad_value_fields == {"flag": 1}


@pytest.mark.parametrize(
    ("stamp", "seconds"),
    [(b"02:10:24.560000", 2 * 3600 + 10 * 60 + 24.56), (b"23:59:59.5", 86399.5), (b"", None), (b"1:2", None)],
)
def test_a_glog_time_is_seconds_since_midnight(stamp, seconds):
    rec = Record("x", {}, None, None, None, stamp=stamp)
    assert rec.seconds_of_day() == (pytest.approx(seconds) if seconds is not None else None)
    assert rec.text() == ""  # no payload: empty text


def _read(tmp_path, data: bytes, **options: object) -> TraceReader:
    log = tmp_path / "t.log"
    log.write_bytes(data)
    reader = TraceReader(log, **options)  # type: ignore[arg-type]
    reader.records = list(reader)  # type: ignore[attr-defined]
    return reader


def test_payload_lines_with_no_record_before_them_count_one_each(tmp_path):
    data = b"\tstray one\n\tstray two\n\tstray three\n" + record_line("str", {"str": ["a.py", 0]}).encode()
    reader = _read(tmp_path, data)
    assert reader.stats.fail_glog == 3 and len(reader.records) == 1


def test_a_log_opening_with_a_windows_line_end_reads_clean(tmp_path):
    reader = _read(tmp_path, b"\r\n" + record_line("str", {"str": ["a.py", 0]}).replace("\n", "\r\n").encode())
    assert reader.stats.fail_glog == 0 and len(reader.records) == 1


@pytest.mark.parametrize(
    ("rank", "kept", "bad"),
    [(0, 0, 0), (MAX_RANK, MAX_RANK, 0), (MAX_RANK + 1, None, 1), (-1, None, 1), ("0", None, 1)],
)
def test_a_rank_is_read_from_0_to_its_bound(tmp_path, rank, kept, bad):
    reader = _read(tmp_path, record_line("str", {"str": ["a.py", 0]}, rank=rank).encode())
    assert reader.records[0].rank == kept and reader.stats.bad_value_fields.get("rank", 0) == bad


@pytest.mark.parametrize(("attempt", "kept", "bad"), [(0, 0, 0), (1 << 16, 1 << 16, 0), ((1 << 16) + 1, None, 1)])
def test_an_attempt_is_read_up_to_65536(tmp_path, attempt, kept, bad):
    line = record_line("dynamo_start", {"stack": []}, frame_id=0, frame_compile_id=0, attempt=attempt)
    reader = _read(tmp_path, line.encode())
    assert reader.records[0].attempt == kept and reader.stats.bad_value_fields.get("attempt", 0) == bad


def test_discovery_says_what_is_wrong_with_a_path_it_cannot_read(tmp_path):
    from compileprof.profiler.errors import CompileprofError
    from compileprof.profiler.trace.discover import discover, is_log

    with pytest.raises(CompileprofError, match="File name too long; pass a TORCH_TRACE log"):
        discover(tmp_path / ("x" * 5000))
    with pytest.raises(CompileprofError, match="no such file or directory; pass a TORCH_TRACE log"):
        discover(tmp_path / "missing.log")
    # a file that cannot be opened is not a log; one named like TORCH_TRACE's files is, unread
    (tmp_path / "sub.log").mkdir()
    assert is_log(tmp_path / "sub.log") is False
    assert is_log(tmp_path / "dedicated_log_torch_trace_x.log") is True
    # `-` reads standard input: the file it was redirected from, so it can be read in parts
    log = tmp_path / "in.log"
    log.write_text(record_line("str", {"frame_id": 0}))
    with open(log, "rb") as fh:
        saved = os.dup(0)
        os.dup2(fh.fileno(), 0)
        try:
            found = discover("-")
        finally:
            os.dup2(saved, 0)
            os.close(saved)
    assert found.logs == [log.resolve()]


def test_the_next_record_starts_at_the_first_line_that_is_not_a_payload_line():
    from compileprof.profiler.trace.reader import _next_record

    assert _next_record(b"V1 x\n", after_newline=True) == 0
    assert _next_record(b"\tpayload\nV1 x\n", after_newline=True) == 9
    assert _next_record(b"tail of a line\nV1 x\n", after_newline=False) == 15
    assert _next_record(b"", after_newline=True) is None  # an empty chunk holds none
    assert _next_record(b"\tp\n\tq\n", after_newline=True) is None


def test_a_cut_looks_for_an_export_record_line_after_its_first_byte(tmp_path):
    from compileprof.profiler.trace.reader import _export_begin, compile_boundary

    export = record_line("export", {})
    other = record_line("str", {"frame_id": 0})
    buf = (other + "\t" + export.split(" ", 4)[-1] + export).encode()  # a payload line quoting one, then one
    assert _export_begin(buf) == buf.rindex(b"V1122")
    assert _export_begin(export.encode()) is None  # a record at 0 is not a cut
    assert _export_begin((other + other).encode()) is None
    log = tmp_path / "e.log"
    log.write_text(other * 3 + export + other)
    assert compile_boundary(log, 1) == len(other) * 3
    assert compile_boundary(log, len(other) * 3) == len(other) * 3  # a record starting exactly there


def test_an_envelope_with_a_frame_and_no_compile_number_still_names_the_frame(tmp_path):
    log = tmp_path / "f.log"
    lines = [record_line("str", ["a.py", 1], frame_id=3), record_line("str", ["b.py", 2], compiled_autograd_id=2)]
    log.write_text("".join(lines))
    first, second = list(TraceReader(log))
    assert (first.compile_id, second.compile_id) == ("3/None", "!2")


def test_a_payload_of_valid_utf8_beyond_ascii_is_not_counted_as_damage(tmp_path):
    text = "x = torch.sin(a)  # größe, 尺寸, ✓"
    bad = record_line("artifact", {"name": "b"}, "ok").encode().replace(b"\tok", b"\tok\xff")  # no UTF-8
    reader = _read(tmp_path, record_line("artifact", {"name": "a"}, text).encode() + bad)
    assert reader.records[0].text() == text and reader.stats.invalid_utf8 == 1  # the second only


def _stats(tmp_path, data: bytes, **options: object):
    """The names of the artifacts read from `data`, and the reader's counters."""
    reader = _read(tmp_path, data, **options)
    return [r.meta["name"] for r in reader.records], reader.stats


def test_payload_lines_without_a_record_are_each_counted_and_an_empty_line_is_not(tmp_path):
    rec = record_line("artifact", {"name": "a"}).encode()
    names, stats = _stats(tmp_path, b"\torphan\n" + rec)
    assert names == ["a"] and stats.fail_glog == 1
    names, stats = _stats(tmp_path, rec + b"\n" + rec)
    assert names == ["a", "a"] and stats.fail_glog == 0
    names, stats = _stats(tmp_path, rec + b"\n\tx\n\ty\n" + rec)  # an empty line, then two payload lines
    assert names == ["a", "a"] and stats.fail_glog == 2


def test_a_byte_range_is_read_to_its_end_and_not_a_byte_past_it(tmp_path):
    first, second = record_line("artifact", {"name": "a"}).encode(), record_line("artifact", {"name": "b"}).encode()
    end = len(first)
    for chunk_size in (end - 1, end, 7, 1 << 20):  # the last read of the range is 1 byte, a whole chunk, ...
        names, stats = _stats(tmp_path, first + second, chunk_size=chunk_size, end=end)
        assert names == ["a"] and stats.bytes == end


def test_a_record_longer_than_a_chunk_ends_where_the_next_chunk_starts_a_record(tmp_path):
    payload = "x" * 300
    first = record_line("artifact", {"name": "a"}, payload).encode()
    if len(first) % 2:
        payload += "y"
        first = record_line("artifact", {"name": "a"}, payload).encode()
    second = record_line("artifact", {"name": "b"}).encode()
    # the first record fills two chunks exactly; the third chunk begins with the second record, and the two
    # together are past the record limit, so a reader that did not see the new record would skip both
    names, stats = _stats(tmp_path, first + second, chunk_size=len(first) // 2, max_record=len(first) + 10)
    assert names == ["a", "b"] and stats.oversized == 0 and stats.fail_payload_md5 == 0


def test_merged_counters_add_up_field_by_field_and_kind_by_kind():
    from compileprof.profiler.trace.records import ParseStats

    a = ParseStats(records=3, unknown=2, unknown_kinds={"x": 1, "y": 1}, bad_value_fields={"rank": 2})
    b = ParseStats(records=4, unknown=3, unknown_kinds={"x": 2, "z": 1})
    a.merge(b)
    assert (a.records, a.unknown) == (7, 5)
    assert a.unknown_kinds == {"x": 3, "y": 1, "z": 1} and a.bad_value_fields == {"rank": 2}


def test_an_empty_line_ending_in_cr_lf_at_a_buffer_s_start_is_an_empty_line(tmp_path):
    rec = record_line("artifact", {"name": "a"}).encode()
    names, stats = _stats(tmp_path, b"\r\n\tx\n" + rec)
    assert names == ["a"] and stats.fail_glog == 1  # the payload line after it has no record
