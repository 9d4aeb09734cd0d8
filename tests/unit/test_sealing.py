"""Finished compiles are sealed while the log is read, and the JSON is streamed compile by compile."""

from __future__ import annotations

import io
import re

import orjson
import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.fold.spans import PhaseBuilder
from compileprof.profiler.render.json_report import report_to_dict, write_json
from conftest import FIXTURES


def test_every_compile_is_sealed_with_its_tree_kept_as_json():
    report = build_report(FIXTURES / "graph_break.log", jobs=1)
    assert report.compiles and all(c.tree is None and c.phases_blob for c in report.compiles)
    first = report.compiles[0].phases()
    assert first[0]["name"] == "dynamo" and first[0]["children"]
    # the phase totals were summed before the trees were dropped
    raw = (FIXTURES / "graph_break.log").read_text()  # the same total, summed straight from the log's events
    events = re.findall(r'"name": "dynamo",\n\t"ts": ([0-9.]+),.*?"ph": "([BE])"', raw, re.S)
    expected = (sum(float(t) for t, ph in events if ph == "E") - sum(float(t) for t, ph in events if ph == "B")) / 1e6
    assert report.phases["dynamo"] == pytest.approx(expected) and report.phases["entire_frame_compile"] <= expected


def test_streamed_json_equals_the_document():
    report = build_report(FIXTURES / "graph_break.log", jobs=1)
    buf = io.BytesIO()
    write_json(report, buf)
    streamed = orjson.loads(buf.getvalue())
    assert streamed == orjson.loads(orjson.dumps(report_to_dict(report)))
    assert [c["compile_id"] for c in streamed["compiles"]] == ["0/0", "1/0", "0/1", "1/1"]


def test_open_compile_is_not_released():
    b = PhaseBuilder()
    b.feed({"name": "dynamo", "ph": "B", "ts": 0, "pid": 0, "tid": 0}, "0/0")
    tree = b.claim("0/0")
    assert b.is_open("0/0")
    b.feed({"name": "dynamo", "ph": "E", "ts": 10, "pid": 0, "tid": 0}, "0/0")
    assert not b.is_open("0/0")
    b.release("0/0", tree)
    assert tree.roots[0].total_s == 10e-6 and not b._stacks and not b._trees
