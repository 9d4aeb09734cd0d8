"""The gate's building blocks, each with the exact value it must give: the environment fingerprint, samples
of a run's repeats, the metric set of a report, the baseline file written and read back, diff rows, and
the Mann-Whitney test's exact and approximate paths."""

from __future__ import annotations

import json
import math
import re
import shutil

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.errors import CompileprofError
from compileprof.profiler.gate.baseline import (
    baseline_layers,
    baseline_metrics,
    pyproject_layer,
    read_baseline,
    write_baseline,
)
from compileprof.profiler.gate.compare import Verdict
from compileprof.profiler.gate.diff import DiffResult, diff_rows, evidence
from compileprof.profiler.gate.metrics import COUNT, INSTRUCTIONS, TIME, Metric, merge_samples, report_metrics
from compileprof.profiler.gate.samples import fingerprint, gather
from compileprof.profiler.gate.significance import mann_whitney_p
from compileprof.profiler.model.run import read_manifest
from conftest import FIXTURES

RUN = FIXTURES / "run_mlp"


def test_the_fingerprint_of_a_run_and_of_a_plain_trace():
    report = build_report(RUN, jobs=1)
    assert fingerprint(report, read_manifest(RUN)) == {
        "python": "3.11.7", "torch": "2.13.0+cpu", "device": "cpu", "cpu_count": 2, "cache": "both"}  # fmt: skip
    trace = build_report(FIXTURES / "mlp.log", jobs=1)
    assert fingerprint(trace, None) == {"python": None, "torch": "2.13.0+cpu", "device": "cpu", "cpu_count": None,
                                        "cache": None}  # fmt: skip


def _repeated_run(tmp_path, times: list[float]):
    """run_mlp with its cold child repeated (cold2, cold3...), each repeat's compile taking `times[i]` s."""
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    manifest = json.loads((run / "manifest.json").read_text())
    for i, seconds in enumerate(times[1:], 2):
        label = f"cold{i}"
        shutil.copytree(run / "cold", run / label)
        (log,) = (run / label / "trace").glob("*.log")
        text = re.sub(r'"entire_frame_compile_time_s": [0-9.]+', f'"entire_frame_compile_time_s": {seconds}',
                      log.read_text())  # fmt: skip
        log.write_text(text)
        manifest["children"][label] = {**manifest["children"]["cold"], "directory": label, "trace": f"{label}/trace"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def test_the_repeats_of_a_run_are_the_samples_of_its_times(tmp_path):
    cold = build_report(RUN, jobs=1).summary.compile_time_s
    run = _repeated_run(tmp_path, [cold, 7.25, 8.5])
    metrics, fp, reports = gather([run], jobs=1)
    # THEN each repeat is a sample of each time; counts are the same in every repeat
    assert sorted(metrics["compile_time_s"].samples) == sorted([cold, 7.25, 8.5])
    assert metrics["compiles"].samples == [1] and len(reports) == 1 and fp["cache"] == "both"
    # AND the measurement only the primary child made is kept once
    assert len(metrics["measure.asserts.delta_s"].samples) == 3
    # AND several runs given side by side add their samples
    metrics, _, reports = gather([run, RUN], jobs=1)
    assert len(metrics["compile_time_s"].samples) == 4 and len(reports) == 2


def test_a_run_that_did_not_finish_cannot_be_gathered(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "status": "failed"}))
    with pytest.raises(CompileprofError, match="the run did not finish \\(failed\\)") as err:
        gather([run], jobs=1)
    assert err.value.exit_code == 4


def test_the_metrics_of_a_report_are_its_exact_figures():
    report = build_report(FIXTURES / "graph_break.log", jobs=1)
    m = {name: (metric.kind, metric.samples) for name, metric in report_metrics(report).items()}
    assert m["compiles"] == (COUNT, [4]) and m["frames"] == (COUNT, [2]) and m["graph_breaks"] == (COUNT, [2])
    assert m["recompiles"] == (COUNT, [2]) and m["failures"] == (COUNT, [0]) and m["restarts"] == (COUNT, [2])
    assert m["guards"] == (COUNT, [42]) and m["asserts.size_stride"] == (COUNT, [4])
    assert m["cache.fx_graph_cache_miss"] == (COUNT, [4]) and "cache.fx_graph_cache_hit" not in m  # misses only
    assert m["compile_time_s"] == (TIME, [pytest.approx(8.513018)])
    assert m["phase.entire_frame_compile"][0] == TIME and "logging.torch_trace_only_s" not in m
    assert all(re.fullmatch(r"[A-Za-z0-9_.:-]+", name) for name in m)
    run = {name: metric.samples for name, metric in report_metrics(build_report(RUN, jobs=1)).items()}
    assert run["pieces.compiles"] == [3] and "piece.0.general.compile_time_s" in run
    assert "measure.asserts.delta_s" in run and "logging.torch_trace_only_s" in run


def test_samples_of_several_reports_merge_times_and_keep_the_worse_count():
    a = {"t": Metric("t", TIME, [1.0]), "c": Metric("c", COUNT, [3])}
    b = {"t": Metric("t", TIME, [2.0, 3.0]), "c": Metric("c", COUNT, [5]), "n": Metric("n", COUNT, [1])}
    merged = merge_samples([a, b, {"c": Metric("c", COUNT, [4])}])
    assert merged["t"].samples == [1.0, 2.0, 3.0] and merged["c"].samples == [5] and merged["n"].samples == [1]
    assert a["t"].samples == [1.0]  # the inputs are not changed
    assert Metric("m", TIME, [3.0, 1.0, 2.0, 10.0]).value == 2.5 and Metric("m", TIME, [5.0, 1.0, 3.0]).value == 3.0


def test_a_baseline_file_reads_back_what_was_written(tmp_path):
    path = tmp_path / "b.json"
    metrics = {"compiles": Metric("compiles", COUNT, [4]), "compile_time_s": Metric("compile_time_s", TIME, [1.5, 2.5])}
    old = {"tolerances": {"time": {"rel": 0.2}}, "metrics": {"compiles": {"tolerance": {"abs": 1}}}}
    write_baseline(path, metrics, {"torch": "2.13"}, old, "runs/x")
    data = read_baseline(path)
    assert data["kind"] == "compileprof-baseline" and data["schema_version"] == 1 and data["source"] == "runs/x"
    assert data["fingerprint"] == {"torch": "2.13"} and data["tolerances"] == {"time": {"rel": 0.2}}
    assert data["metrics"]["compiles"] == {"kind": "count", "value": 4, "samples": [4], "tolerance": {"abs": 1}}
    assert data["metrics"]["compile_time_s"] == {"kind": "time", "value": 2.0, "samples": [1.5, 2.5]}
    back = baseline_metrics(data)
    assert back["compile_time_s"].samples == [1.5, 2.5] and back["compiles"].kind == COUNT
    assert baseline_layers(data) == [{"time": {"rel": 0.2}}, {"compiles": {"abs": 1}}]
    assert baseline_layers(None) == [] and baseline_layers({"metrics": {}}) == []
    # a value without samples is one sample
    data["metrics"]["x"] = {"kind": "count", "value": 7}
    assert baseline_metrics(data)["x"].samples == [7.0]


@pytest.mark.parametrize(
    ("entry", "words"),
    [({"kind": "count"}, "has neither samples nor a value"),
     ({"kind": "rate", "value": 1}, "one of count, time, instructions"),
     ({"kind": "time", "value": 1, "tolerance": {"rel": -0.1}}, "tolerance.rel is -0.1")],
)  # fmt: skip
def test_a_baseline_entry_that_is_wrong_is_named(tmp_path, entry, words):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"kind": "compileprof-baseline", "metrics": {"m": entry}}))
    with pytest.raises(CompileprofError, match=re.escape(words)) as err:
        read_baseline(path)
    assert err.value.exit_code == 2 and str(path) in err.value.message
    path.write_text(json.dumps({"kind": "something-else", "metrics": {}}))
    with pytest.raises(CompileprofError, match="not a compileprof baseline"):
        read_baseline(path)


def test_pyproject_tolerances_are_read_from_the_nearest_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.compileprof.tolerances]\ntime = {rel = 0.25}\n")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    assert pyproject_layer(inner) == ({"time": {"rel": 0.25}}, tmp_path / "pyproject.toml")
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert pyproject_layer(inner) == ({}, inner / "pyproject.toml")
    (inner / "pyproject.toml").write_text("[tool.compileprof.tolerances]\ntime = {rel = -1}\n")
    with pytest.raises(CompileprofError, match=r"\[tool.compileprof\] tool.compileprof.tolerances.time.rel is -1,"):
        pyproject_layer(inner)


def test_diff_rows_give_change_and_relative_change():
    a = {"t": Metric("t", TIME, [2.0]), "gone": Metric("gone", COUNT, [1]), "zero": Metric("zero", COUNT, [0])}
    b = {"t": Metric("t", TIME, [3.0, 3.0]), "new": Metric("new", COUNT, [5]), "zero": Metric("zero", COUNT, [2])}
    rows = {r["name"]: r for r in diff_rows(a, b)}
    assert [r["name"] for r in diff_rows(a, b)] == ["gone", "new", "t", "zero"]
    assert rows["t"] == {"name": "t", "kind": TIME, "a": 2.0, "b": 3.0, "change": 1.0, "rel_change": 0.5,
                         "samples_a": 1, "samples_b": 2, "evidence": "untested", "p_value": None}  # fmt: skip
    assert (rows["zero"]["evidence"], rows["gone"]["evidence"]) == ("exact", "one side")
    assert rows["gone"]["b"] is None and rows["gone"]["change"] is None and rows["gone"]["samples_b"] == 0
    assert rows["new"]["a"] is None and rows["new"]["samples_a"] == 0
    assert rows["zero"]["change"] == 2 and rows["zero"]["rel_change"] is None  # no relative change from 0
    d = DiffResult("a", "b", [], {"torch": "1", "cpu_count": 2}, {"torch": "2", "cpu_count": 2})
    assert d.differing == ["torch"]


FAST5, SLOW5 = [1.0, 1.01, 1.02, 1.03, 1.04], [2.0, 2.01, 2.02, 2.03, 2.04]


@pytest.mark.parametrize(
    ("a", "b", "said", "p"),
    [(Metric("t", TIME, FAST5), Metric("t", TIME, SLOW5), "significant", 2 / 252),
     (Metric("t", TIME, FAST5), Metric("t", TIME, [1.0, 1.02, 1.05, 1.04, 1.03]), "noise", None),
     (Metric("t", TIME, FAST5[:4]), Metric("t", TIME, SLOW5), "untested", None),
     (Metric("i", INSTRUCTIONS, [1000.0]), Metric("i", INSTRUCTIONS, [1010.0]), "noise", None),
     (Metric("i", INSTRUCTIONS, [1000.0]), Metric("i", INSTRUCTIONS, [1011.0]), "exact", None),
     (Metric("c", COUNT, [3]), Metric("c", COUNT, [3]), "same", None)],
)  # fmt: skip
def test_a_diff_says_what_each_change_rests_on(a, b, said, p):
    got, p_value = evidence(a, b)
    assert got == said
    if p is not None:
        assert p_value == pytest.approx(p)
    elif said != "noise" or a.kind != TIME:
        assert p_value is None


def test_a_verdict_s_json_holds_its_change():
    v = Verdict("t", TIME, "REGRESSION", 2.0, 3.0, {"abs": 0.0, "rel": 0.1}, "p = 0.008", True, 0.008)
    assert v.to_dict() == {"name": "t", "kind": TIME, "status": "REGRESSION", "baseline": 2.0, "current": 3.0,
                           "change": 1.0, "rel_change": 0.5, "tolerance": {"abs": 0.0, "rel": 0.1}, "gated": True,
                           "p_value": 0.008, "note": "p = 0.008"}  # fmt: skip
    assert Verdict("t", TIME, "NEW", None, 3.0, {}).change is None
    assert Verdict("t", TIME, "PASS", 0.0, 3.0, {}).rel_change is None


def test_mann_whitney_exact_and_approximate_paths_agree_with_references():
    # exact (no ties, 20 x 20 = 400 pairs, the largest exact case): fully separated -> 2 / C(40, 20)
    lo, hi = [float(i) for i in range(20)], [float(i) for i in range(100, 120)]
    assert mann_whitney_p(lo, hi) == pytest.approx(2 / math.comb(40, 20), rel=1e-12)
    assert mann_whitney_p(hi, lo) == mann_whitney_p(lo, hi)  # two-sided: symmetric
    # one interleaving of 3 vs 3: U = 1, P(U <= 1) = 2/20, two-sided 0.2
    assert mann_whitney_p([1.0, 2.0, 4.0], [3.0, 5.0, 6.0]) == pytest.approx(0.2)
    # past 400 pairs: the normal approximation; the reference is scipy 1.17.1's
    # mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True).pvalue
    a, b = [float(i) for i in range(21)], [float(i) + 0.5 for i in range(21)]
    assert mann_whitney_p(a, b) == pytest.approx(0.8013831883084928, rel=1e-12)
    assert mann_whitney_p([2.0], [2.0]) == 1.0 and mann_whitney_p([1.0, 1.0], [1.0, 1.0]) == 1.0


@pytest.mark.parametrize(
    ("child", "parent", "moved"),
    [
        (-1.0, 0.0, True),  # the parent did not move: the child's time went elsewhere
        (-1.0, -0.5, False),  # the parent moved the same way by exactly half the child's change: real
        (-1.0, -0.4, True),  # by less than half: moved
        (-0.8, -0.5, False),  # changes below a second (their product under 1) still count as the same way
        (-1.0, +2.0, True),  # the parent went the other way
        (+1.0, 0.0, True),  # a slower child under a still parent: moved, said "not slower"
    ],
)
def test_a_phase_is_moved_exactly_when_its_parent_did_not_follow_by_half(child, parent, moved):
    from compileprof.profiler.gate.compare import IMPROVEMENT, MOVED, REGRESSION, _moved

    status = IMPROVEMENT if child < 0 else REGRESSION
    v = Verdict("phase.code_gen", TIME, status, 10.0, 10.0 + child, {"abs": 0.0, "rel": 0.0})
    p = Verdict("phase.inductor_compile", TIME, "PASS", 20.0, 20.0 + parent, {"abs": 0.0, "rel": 0.0})
    out = _moved(v, {"phase.inductor_compile": p})
    assert (out.status == MOVED) is moved and (out is v) is not moved
    if moved:
        went = "slower" if child > 0 else "faster"
        rel = f" ({parent / 20.0 * 100:+.1f}%)"
        assert out.note == (f"time moved, not {went}: its parent phase.inductor_compile changed {parent:+.3g} s{rel} "
                            f"while it changed {child:+.3g} s")  # fmt: skip
        assert out.gated is False and (out.baseline, out.current) == (v.baseline, v.current)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "not a readable baseline (Expecting property name enclosed in double quotes"),
        (b'{"kind": "something else", "metrics": {}}', "not a compileprof baseline (kind 'compileprof-baseline'"),
    ],
)
def test_a_bad_baseline_is_named_with_what_is_wrong_and_exit_2(tmp_path, content, words):
    from compileprof.profiler.errors import EXIT_USAGE

    path = tmp_path / "b.json"
    path.write_bytes(content)
    with pytest.raises(CompileprofError) as err:
        read_baseline(path)
    assert err.value.exit_code == EXIT_USAGE == 2
    assert str(err.value).startswith(f"{path}: ") and words in str(err.value)


def test_a_written_baseline_says_when_and_from_what(tmp_path):
    import time as clock

    path = tmp_path / "b.json"
    write_baseline(path, {"ops": Metric("ops", COUNT, [4.0])}, {"torch": "2.13"}, None, "runs/x")
    data = json.loads(path.read_text())
    assert data["source"] == "runs/x" and data["fingerprint"] == {"torch": "2.13"} and data["schema_version"] == 1
    stamp = clock.strptime(data["updated"], "%Y-%m-%dT%H:%M:%S%z")  # a local time with its offset
    assert abs(clock.mktime(stamp) - clock.time()) < 3600 * 24
