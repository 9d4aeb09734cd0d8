"""Laws that hold for every input, checked with Hypothesis (a fixed seed in CI's fast lane):

- a log read in parts cut anywhere gives the report one pass gives;
- any string a log holds survives every renderer as text (HTML data, JSON, Markdown, JUnit, console);
- the gate is monotone: a worse sample never turns a regression into a pass;
- a duration's unit (`_us`, `_ms`, `_s`) is read back as the same number of seconds.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from compileprof.profiler.analysis.combine import combine
from compileprof.profiler.build import build_report
from compileprof.profiler.fold.log import fold_range
from compileprof.profiler.fold.metrics_record import compile_from_metrics
from compileprof.profiler.fold.parallel import finish_streams, read_cut
from compileprof.profiler.gate.compare import INCONCLUSIVE, REGRESSION, compare
from compileprof.profiler.gate.metrics import TIME, Metric
from compileprof.profiler.model.spans import PhaseTree
from compileprof.profiler.render.escaping import clean
from compileprof.profiler.render.json_report import write_json
from compileprof.profiler.render.registry import CHECK, REPORT, RenderOptions, renderer
from compileprof.profiler.trace.reader import compile_boundary
from compileprof.profiler.trace.values import MAX_SECONDS
from compileprof.profiler.unicode import xml_text
from conftest import FIXTURES, event, one_process, record_line
from fuzz.validity import check_html, check_junit, check_markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=int(os.environ.get("COMPILEPROF_HYPOTHESIS_EXAMPLES", "15")), deadline=None,
                    derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
LOG = one_process(*((FIXTURES / name).read_bytes() for name in ("warm_cache.log", "export_fail.log", "warm_cache.log",
                                                                  "cache_bypass.log")))  # fmt: skip


def _json(traces) -> bytes:
    buf = io.BytesIO()
    write_json(combine("x", traces), buf)
    return buf.getvalue()


def _record_starts(data: bytes) -> list[int]:
    """The offset of every record line (where a part of a log may begin)."""
    starts = [0] if not data.startswith(b"\t") else []
    pos = data.find(b"\n")
    while 0 <= pos < len(data) - 1:
        if data[pos + 1] != 9:
            starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return starts


class Joined(tuple):
    """(path, one pass's JSON, record starts), shown briefly when a law fails."""

    def __repr__(self) -> str:
        return f"Joined({self[0]})"


@pytest.fixture(scope="module")
def joined(tmp_path_factory) -> Joined:
    path = tmp_path_factory.mktemp("split") / "dedicated_log_torch_trace_x.log"
    path.write_bytes(LOG)
    return Joined((path, _json(finish_streams(fold_range(path))), _record_starts(LOG)))


def _read_as_the_reader_does(path: Path, cuts: list[int]) -> bytes:
    """The report of `path` cut at `cuts`: merged when the parts join exactly, else one pass (as fold_file)."""
    streams = read_cut(path, cuts, parallel=False)
    return _json(finish_streams(streams if streams is not None else fold_range(path)))


@SETTINGS
@given(st.lists(st.integers(min_value=1), min_size=1, max_size=4, unique=True))
def test_a_log_cut_anywhere_reads_as_one_pass(joined, picks):
    path, one_pass, starts = joined
    # WHEN the log is cut where the reader cuts it (the compile boundary after any byte), or at any record
    near = sorted({compile_boundary(path, p % len(LOG)) or 0 for p in picks} - {0})
    anywhere = sorted({starts[p % len(starts)] for p in picks} - {0})
    # THEN whatever the cuts, the report is one pass's, byte for byte (parts merged where they join
    # exactly, else the log read in one pass)
    assert _read_as_the_reader_does(path, near) == one_pass
    assert _read_as_the_reader_does(path, anywhere) == one_pass


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


def _log_with(tmp: Path, name: str) -> Path:
    """A compile whose function name, failure reason, graph-break reason and span name are `name`."""
    env = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    path = tmp / "dedicated_log_torch_trace_p.log"
    path.write_text(
        event("dynamo", "B", 1.0) + event(name, "B", 2.0) + event(name, "E", 3.0) + event("dynamo", "E", 9.0)
        + record_line("artifact", {"name": "dynamo_graph_break_reason", "encoding": "string"}, name, **env)
        + record_line("compilation_metrics", {"co_name": name, "entire_frame_compile_time_s": 1.0,
                                              "fail_type": "E", "fail_reason": name}, **env)
    )  # fmt: skip
    return path


@SETTINGS
@given(TEXT)
def test_any_string_survives_every_renderer_as_text(tmp_path, name):
    report = build_report(_log_with(tmp_path, name), jobs=1)

    def out(fmt: str, doc=report, kind=REPORT) -> bytes:
        buf = io.BytesIO()
        renderer(kind, fmt).write(doc, buf, RenderOptions(width=1000, limit=0))
        return buf.getvalue()

    data = json.loads(out("json"))
    assert data["compiles"][0]["co_name"] == name and data["compiles"][0]["fail_reason"] == name
    page = check_html(out("html"))
    assert page["compiles"][0]["co_name"] == name
    shown = check_markdown(out("markdown").decode()).replace("\u2060", "")
    expected = " ".join(clean(name).replace("\r", " ").replace("\t", " ").split())
    assert expected in " ".join(shown.split())
    console = out("console").decode()
    assert "\x1b" not in console and "\u202e" not in console
    assert " ".join(clean(name).split()) in " ".join(console.split()) or not clean(name).strip()
    from compileprof.profiler.gate.compare import CheckOutcome

    times = ({"t": Metric("t", TIME, [1.0])}, {"t": Metric("t", TIME, [2.0])})
    result = compare(*times, [], {"torch": name}, {"torch": "2.13"}, True)  # skipped: the torch versions differ
    suite = check_junit(out("junit", CheckOutcome(result, "x"), CHECK))
    assert f"torch {xml_text(name)} -> 2.13" in suite.find("testcase/skipped").get("message")


SAMPLES = st.lists(st.floats(min_value=0.1, max_value=100.0, allow_nan=False), min_size=5, max_size=8)


@SETTINGS
@given(SAMPLES, SAMPLES, st.integers(min_value=0, max_value=7), st.floats(min_value=0.0, max_value=50.0))
def test_a_worse_sample_never_turns_a_regression_into_a_pass(base, now, index, worse_by):
    fp = {"torch": "x"}

    def status(samples: list[float]) -> str:
        result = compare({"t": Metric("t", TIME, base)}, {"t": Metric("t", TIME, samples)}, [], fp, fp, True)
        return result.verdicts[0].status

    before = status(now)
    worse = list(now)
    worse[index % len(worse)] += worse_by
    after = status(worse)
    if before == REGRESSION:
        assert after == REGRESSION
    slower = Metric("t", TIME, now).value > Metric("t", TIME, base).value
    if before == INCONCLUSIVE and slower:  # past tolerance on the slow side: made worse, it stays there
        assert after in (INCONCLUSIVE, REGRESSION)


@SETTINGS
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([("_us", 1e-6), ("_ms", 1e-3), ("_s", 1.0)]))
def test_a_duration_s_unit_reads_back_as_seconds(value, unit):
    suffix, scale = unit
    meta = {f"my_phase_time{suffix}": value, "start_time_us": value, "entire_frame_compile_time_s": 1.0}
    info = compile_from_metrics(meta, "0/0", 0, None, PhaseTree())
    if value * scale <= MAX_SECONDS:
        assert info.parts_s["my_phase_time_s"] == pytest.approx(value * scale, rel=1e-12)
    else:  # past MAX_SECONDS a duration is a bad value: counted, not read
        assert "my_phase_time_s" not in info.parts_s
    assert info.start_s == pytest.approx(value / 1e6, rel=1e-12)
    micro = compile_from_metrics({"dynamo_cumulative_compile_time_us": value}, "0/0", 0, None, PhaseTree())
    assert micro.compile_time_s == (pytest.approx(value / 1e6, rel=1e-12) if value / 1e6 <= MAX_SECONDS else None)
