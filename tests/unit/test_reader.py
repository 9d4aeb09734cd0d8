"""The streaming reader: records, payloads, and every kind of damage counted, never raised."""

from __future__ import annotations

from pathlib import Path

from compileprof.profiler.trace.reader import TraceReader
from conftest import FIXTURES, record_line


def read(path: Path, **kw):
    reader = TraceReader(path, **kw)
    return list(reader), reader


def test_records_payloads_and_compile_ids(tmp_path):
    # GIVEN a log with a payload record, a compiled-autograd record and a record of no compile
    log = tmp_path / "t.log"
    log.write_text(
        record_line(
            "artifact",
            {"name": "a", "encoding": "string"},
            "line one\nline two",
            frame_id=0,
            frame_compile_id=1,
            attempt=0,
        )
        + record_line("dynamo_start", {"stack": []}, compiled_autograd_id=1, frame_id=2, frame_compile_id=0)
        + record_line("str", ["/x.py", 0])
    )
    # WHEN it is read
    records, reader = read(log)
    # THEN each record is typed, ids are formatted as torch prints them, and payloads decode
    assert [r.kind for r in records] == ["artifact", "dynamo_start", "str"]
    assert records[0].compile_id == "0/1" and records[0].text() == "line one\nline two"
    assert records[1].compile_id == "!1/2/0"
    assert records[2].compile_id is None and reader.strings(records[2].pid) == {0: "/x.py"}
    assert records[2].pid == 2241  # the process id of the glog prefix
    assert reader.stats.lines == 5 and reader.stats.records == 3 and reader.stats.damage == 0


def test_rank_prefix_and_crlf_are_read(tmp_path):
    log = tmp_path / "t.log"
    text = record_line("artifact", {"name": "a", "encoding": "string"}, "p1\np2", prefix="[rank0]:")
    log.write_bytes(text.replace("\n", "\r\n").encode())
    records, reader = read(log)
    assert len(records) == 1 and records[0].text() == "p1\np2"
    assert reader.stats.damage == 0


def test_damage_is_counted_and_reading_goes_on(tmp_path):
    good = record_line("artifact", {"name": "ok", "encoding": "string"}, "payload")
    bad_md5 = good.replace("\tpayload", "\tPAYLOAD")
    log = tmp_path / "t.log"
    log.write_bytes(
        b"garbage line\n"
        + b'V1122 02:10:24.560000 1 a.py:1] {"artifact": \n'
        + bad_md5.encode()
        + record_line("brand_new", {"x": 1}).encode()
        + record_line("artifact", {"name": "r1"}, rank=0).encode()
        + record_line("artifact", {"name": "r2"}, rank=1).encode()
        + b'V1122 02:10:24.560000 1 a.py:1] {"artifact": {"name": "bad\xff"}}\n'
        + good.encode()
    )
    records, reader = read(log)
    s = reader.stats
    assert (s.fail_glog, s.fail_json, s.fail_payload_md5, s.unknown, s.other_rank, s.invalid_utf8) == (1, 1, 1, 1, 1, 1)
    assert s.unknown_kinds == {"brand_new": 1}
    # the md5-mismatched payload is kept; the other rank's record is skipped; the last good record is read
    assert records[0].text() == "PAYLOAD"
    assert [r.meta.get("name") for r in records if r.kind == "artifact"][-1] == "ok"
    assert reader.rank == 0


def test_truncated_last_record(tmp_path):
    full = record_line("artifact", {"name": "a", "encoding": "string"}, "one\ntwo\nthree")
    log = tmp_path / "t.log"
    log.write_text(full[:-8])  # cut inside the payload, no final newline
    records, reader = read(log)
    assert len(records) == 1 and reader.stats.fail_payload_md5 == 1 and reader.stats.truncated == 1


def test_missing_final_newline_is_not_damage(tmp_path):
    log = tmp_path / "t.log"
    log.write_text(record_line("artifact", {"name": "a"}, "x\ny").rstrip("\n"))
    records, reader = read(log)
    assert len(records) == 1 and reader.stats.damage == 0


def test_empty_file(tmp_path):
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    records, reader = read(log)
    assert records == [] and reader.stats.lines == 0


def test_tiny_chunks_give_the_same_result_as_one_chunk():
    # Records cut across chunk boundaries are carried over whole.
    path = FIXTURES / "graph_break.log"
    big, big_reader = read(path)
    small, small_reader = read(path, chunk_size=97)
    assert [(r.kind, r.compile_id, r.payload) for r in small] == [(r.kind, r.compile_id, r.payload) for r in big]
    assert small_reader.stats.to_dict() == big_reader.stats.to_dict()


def test_damaged_fixtures():
    expected = {
        "damaged_truncated.log": {"fail_payload_md5": 1, "truncated": 1},
        "damaged_payload.log": {"fail_payload_md5": 1},
        "damaged_garbage.log": {"fail_glog": 1, "fail_json": 1, "fail_payload_md5": 1, "unknown": 1},
        "damaged_utf8.log": {"fail_payload_md5": 1, "invalid_utf8": 2},
        "crlf_rank_prefixed.log": {},
        "mlp.log": {},
    }
    for name, damage in expected.items():
        _, reader = read(FIXTURES / name)
        got = {k: getattr(reader.stats, k) for k in reader.stats.DAMAGE if getattr(reader.stats, k)}
        assert got == damage, name


def test_payload_md5_is_checked_whatever_tabs_the_text_holds(tmp_path):
    # GIVEN payloads whose text holds TABs of its own (inside lines, at their start, a blank line)
    texts = ["a\tb\n\tc", "\t\tx", "one\n\ntwo", "plain"]
    log = tmp_path / "t.log"
    log.write_text("".join(record_line("artifact", {"name": f"p{i}"}, t) for i, t in enumerate(texts)))
    # WHEN read: THEN every md5 matches and each text comes back as written
    records, reader = read(log)
    assert reader.stats.fail_payload_md5 == 0 and [r.text() for r in records] == texts
    # AND a changed TAB is caught
    log.write_text(record_line("artifact", {"name": "p"}, "a\tb").replace("\ta\tb", "\ta b"))
    assert read(log)[1].stats.fail_payload_md5 == 1


def test_a_compile_id_of_the_wrong_type_is_counted_every_time_it_is_met(tmp_path):
    # GIVEN records whose frame ids are 1, then True and 1.0 (which equal 1 in Python), then 1 again
    log = tmp_path / "t.log"
    log.write_text(
        "".join(record_line("artifact", {"name": "a"}, frame_id=f, frame_compile_id=0) for f in (1, True, 1.0, 1, True))
    )
    records, reader = read(log)
    # THEN only the integer ids name a compile; each bad one is counted, none served from memory
    assert [r.compile_id for r in records] == ["1/0", None, None, "1/0", None]
    assert reader.stats.bad_value_fields == {"frame_id": 3}
