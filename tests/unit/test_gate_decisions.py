"""The gate's decisions, each pinned where a planted bug would move it: the significance test, alpha, the
fewest samples, tolerance boundaries, missing metrics, exit codes, the refresh margin, the step summary.
Every test here would fail if the rule it names were loosened or tightened by one step."""

from __future__ import annotations

import json

import pytest
from compileprof.profiler.gate import compare as gate
from compileprof.profiler.gate.compare import (
    ALPHA,
    IMPROVEMENT,
    INCONCLUSIVE,
    MIN_SAMPLES,
    MISSING,
    NEW,
    PASS,
    REGRESSION,
    SKIPPED,
    compare,
    moved_past_third,
)
from compileprof.profiler.gate.metrics import COUNT, TIME, Metric
from compileprof.profiler.gate.significance import mann_whitney_p
from conftest import FIXTURES, run_cli

FP = {"torch": "2.13"}


def _one(name: str, kind: str, base: list[float], now: list[float], fail_on_time: bool = True, tol=None):
    layers = [{name: tol}] if tol else []
    result = compare({name: Metric(name, kind, base)}, {name: Metric(name, kind, now)}, layers, FP, FP, fail_on_time)
    (verdict,) = result.verdicts
    return verdict, result


def test_the_rules_are_the_documented_ones():
    tolerances = {COUNT: {"abs": 0.0, "rel": 0.0}, TIME: {"abs": 0.0, "rel": 0.10},
                  "instructions": {"abs": 0.0, "rel": 0.01}}  # fmt: skip
    assert (ALPHA, MIN_SAMPLES, gate.DEFAULT_TOLERANCE) == (0.01, 5, tolerances)


def test_a_change_past_tolerance_that_is_not_significant_is_inconclusive():
    # GIVEN medians 20% apart (past the 10% tolerance) but samples that overlap: p = 0.31 (not < 0.01)
    base, now = [1.0, 1.1, 1.2, 1.3, 1.4], [1.05, 1.15, 1.44, 1.45, 1.5]
    assert mann_whitney_p(base, now) == pytest.approx(0.3095, abs=1e-4)
    v, result = _one("compile_time_s", TIME, base, now)
    assert v.status == INCONCLUSIVE and not v.gated and result.exit_code == 0 and "p = 0.31" in v.note


def test_p_between_alpha_and_five_percent_is_not_enough():
    # GIVEN 6 vs 6 samples whose exact p is 0.026, medians past a 1% tolerance: significant at 5%, not at 1%
    base, now = [1.0, 1.01, 1.02, 1.03, 1.04, 1.05], [1.06, 1.07, 1.08, 1.09, 1.1, 1.015]
    assert mann_whitney_p(base, now) == pytest.approx(0.02597, abs=1e-4)
    v, _ = _one("compile_time_s", TIME, base, now, tol={"rel": 0.01})
    assert v.status == INCONCLUSIVE and "p = 0.026" in v.note
    # and one sample further apart (p = 0.0087) it decides
    v, _ = _one("compile_time_s", TIME, base, [1.06, 1.07, 1.08, 1.09, 1.1, 1.035], tol={"rel": 0.01})
    assert v.status == REGRESSION and v.p_value == pytest.approx(0.00866, abs=1e-4)


def test_five_samples_a_side_are_the_fewest_that_decide():
    fast, slow = [1.0, 1.01, 1.02, 1.03, 1.04], [2.0, 2.01, 2.02, 2.03, 2.04]
    v, result = _one("compile_time_s", TIME, fast, slow)
    assert v.status == REGRESSION and v.p_value == pytest.approx(2 / 252) and result.exit_code == 1
    v, result = _one("compile_time_s", TIME, fast[:4], slow[:4])  # fully separated, but 4 vs 4
    assert v.status == INCONCLUSIVE and "4 vs 4 samples" in v.note and result.exit_code == 0
    v, _ = _one("compile_time_s", TIME, slow, fast)
    assert v.status == IMPROVEMENT


def test_tolerance_boundaries_are_inclusive():
    # exactly at the tolerance passes; one step past it does not (binary-exact figures)
    assert _one("t", TIME, [8.0] * 5, [8.5] * 5, tol={"abs": 0.5, "rel": 0.0})[0].status == PASS
    assert _one("t", TIME, [8.0] * 5, [8.5 + 2**-10] * 5, tol={"abs": 0.5, "rel": 0.0})[0].status != PASS
    assert _one("t", TIME, [8.0] * 5, [9.0] * 5, tol={"rel": 0.125})[0].status == PASS
    assert _one("t", TIME, [8.0] * 5, [9.0 + 2**-10] * 5, tol={"rel": 0.125})[0].status != PASS
    # the larger of abs and rel allows
    assert _one("t", TIME, [8.0] * 5, [9.0] * 5, tol={"abs": 1.0, "rel": 0.01})[0].status == PASS
    # counts are exact in both directions by default
    assert _one("guards", COUNT, [10], [10])[0].status == PASS
    assert _one("guards", COUNT, [10], [11])[0].status == REGRESSION
    assert _one("guards", COUNT, [10], [9])[0].status == IMPROVEMENT
    assert _one("guards", COUNT, [10], [12], tol={"abs": 2})[0].status == PASS


def test_exit_codes_of_the_decisions():
    assert _one("guards", COUNT, [10], [11])[1].exit_code == 1  # a regression fails
    assert _one("guards", COUNT, [10], [9])[1].exit_code == 3  # only improvements: the baseline is stale
    assert _one("guards", COUNT, [10], [10])[1].exit_code == 0
    both = compare({"a": Metric("a", COUNT, [1]), "b": Metric("b", COUNT, [1])},
                   {"a": Metric("a", COUNT, [2]), "b": Metric("b", COUNT, [0])}, [], FP, FP, False)  # fmt: skip
    assert both.exit_code == 1  # a regression beside an improvement still fails
    # an advisory time regression (no --fail-on time) does not fail
    v, result = _one("compile_time_s", TIME, [1.0, 1.01, 1.02, 1.03, 1.04], [2.0, 2.01, 2.02, 2.03, 2.04], False)
    assert v.status == REGRESSION and not v.gated and result.exit_code == 0


def test_a_metric_the_baseline_has_and_the_run_lacks_fails_and_a_new_one_does_not():
    base = {"guards": Metric("guards", COUNT, [3]), "compiles": Metric("compiles", COUNT, [1])}
    now = {"compiles": Metric("compiles", COUNT, [1]), "ops": Metric("ops", COUNT, [9])}
    result = compare(base, now, [], FP, FP, False)
    by = {v.name: v for v in result.verdicts}
    assert by["guards"].status == MISSING and by["guards"].gated and result.exit_code == 1
    assert by["ops"].status == NEW and not by["ops"].gated
    assert [v.name for v in result.failing] == ["guards"]


def test_a_different_environment_skips_times_but_never_counts():
    base = {"t": Metric("t", TIME, [1.0] * 5), "c": Metric("c", COUNT, [1])}
    now = {"t": Metric("t", TIME, [9.0] * 5), "c": Metric("c", COUNT, [2])}
    result = compare(base, now, [], {"torch": "2.12"}, {"torch": "2.13"}, True)
    by = {v.name: v for v in result.verdicts}
    assert by["t"].status == SKIPPED and by["c"].status == REGRESSION and result.exit_code == 1
    assert "torch 2.12 -> 2.13" in by["t"].note


def test_the_refresh_margin_is_a_third_of_the_tolerance():
    tol = {"abs": 0.0, "rel": 0.375}
    b = Metric("t", TIME, [8.0])
    assert not moved_past_third(b, Metric("t", TIME, [9.0]), tol)  # 12.5%: exactly a third of 37.5%
    assert moved_past_third(b, Metric("t", TIME, [9.0 + 2**-20]), tol)
    counts = (Metric("c", COUNT, [3]), Metric("c", COUNT, [4]))
    assert moved_past_third(*counts, {"abs": 6.0, "rel": 0.0})  # counts: any move


def test_check_exits_3_on_improvements_only_and_1_on_a_missing_metric(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "b.json"
    assert run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline),
                   "--update-baseline").exit_code == 0  # fmt: skip
    # GIVEN a baseline that holds one more of every count than the run has: only improvements
    data = json.loads(baseline.read_text())
    for entry in data["metrics"].values():
        if entry["kind"] == "count":
            entry["value"] += 1
            entry["samples"] = [entry["value"]]
    baseline.write_text(json.dumps(data))
    stale = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "-f", "json")
    d = json.loads(stale.stdout)
    assert stale.exit_code == 3 and d["status"] == "STALE" and d["exit_code"] == 3
    assert {v["status"] for v in d["verdicts"] if v["kind"] == "count"} == {IMPROVEMENT}
    data["metrics"]["asserts.widgets"] = {"kind": "count", "value": 1, "samples": [1]}
    baseline.write_text(json.dumps(data))
    missing = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline))
    assert missing.exit_code == 1 and "MISSING" in missing.stdout and "asserts.widgets" in missing.stdout


def test_the_step_summary_is_appended_to_not_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    baseline, summary = tmp_path / "b.json", tmp_path / "summary.md"
    summary.write_text("## an earlier step's summary\n")
    run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline), "--update-baseline")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline)).exit_code == 0
    assert run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline)).exit_code == 0
    text = summary.read_text()
    assert text.startswith("## an earlier step's summary\n") and text.count("## compileprof check: PASS") == 2


def test_check_console_and_junit_name_every_verdict(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    baseline, junit = tmp_path / "b.json", tmp_path / "j.xml"
    run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline), "--update-baseline")
    result = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "--junit-xml", str(junit))
    assert result.exit_code == 1
    assert "REGRESSION" in result.stdout and "graph_breaks" in result.stdout and "FAIL: " in result.stdout
    assert "to accept these figures: compileprof check" in result.stdout
    from xml.etree import ElementTree as ET

    suite = ET.fromstring(junit.read_bytes())
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["graph_breaks"].find("failure").get("type") == "REGRESSION"
    assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases.values()))
    assert int(suite.get("tests")) == len(cases) == len(json.loads(
        run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "-f", "json").stdout
    )["verdicts"])  # fmt: skip


TIME_TOL, COUNT_TOL = {"abs": 0.0, "rel": 0.1}, {"abs": 0.0, "rel": 0.0}
FAST, SLOW = [1.0, 1.01, 1.02, 1.03, 1.04], [2.0, 2.01, 2.02, 2.03, 2.04]


@pytest.mark.parametrize(
    ("base", "now", "fail_on_time", "fp_now", "expected"),
    [
        (None, Metric("t", TIME, [1.0]), True, FP, gate.Verdict("t", TIME, NEW, None, 1.0, TIME_TOL,
                                                                "not in the baseline", gated=False)),
        (Metric("t", TIME, [1.0]), None, True, FP, gate.Verdict("t", TIME, MISSING, 1.0, None, TIME_TOL,
                                                                "in the baseline, not measured now", gated=True)),
        (Metric("t", TIME, [1.0]), Metric("t", TIME, [9.0]), True, {"torch": "x"},
         gate.Verdict("t", TIME, SKIPPED, 1.0, 9.0, TIME_TOL, "environment differs: torch 2.13 -> x", gated=False)),
        (Metric("t", TIME, [1.0]), Metric("t", TIME, [1.05]), True, FP,
         gate.Verdict("t", TIME, PASS, 1.0, 1.05, TIME_TOL, gated=True)),
        (Metric("t", TIME, [1.0]), Metric("t", TIME, [1.05]), False, FP,
         gate.Verdict("t", TIME, PASS, 1.0, 1.05, TIME_TOL, gated=False)),
        (Metric("c", COUNT, [3]), Metric("c", COUNT, [4]), False, FP,
         gate.Verdict("c", COUNT, REGRESSION, 3, 4, COUNT_TOL)),
        (Metric("c", COUNT, [3]), Metric("c", COUNT, [2]), False, FP,
         gate.Verdict("c", COUNT, IMPROVEMENT, 3, 2, COUNT_TOL)),
        (Metric("t", TIME, FAST), Metric("t", TIME, SLOW[:4]), True, FP,
         gate.Verdict("t", TIME, INCONCLUSIVE, 1.02, Metric("t", TIME, SLOW[:4]).value, TIME_TOL,
                      "past tolerance, but 5 vs 4 samples cannot show significance (need 5 each: compileprof run "
                      "--repeat)", gated=False)),
        (Metric("t", TIME, FAST[:4]), Metric("t", TIME, SLOW), True, FP,
         gate.Verdict("t", TIME, INCONCLUSIVE, Metric("t", TIME, FAST[:4]).value, 2.02, TIME_TOL,
                      "past tolerance, but 4 vs 5 samples cannot show significance (need 5 each: compileprof run "
                      "--repeat)", gated=False)),
        (Metric("t", TIME, FAST), Metric("t", TIME, SLOW), True, FP,
         gate.Verdict("t", TIME, REGRESSION, 1.02, 2.02, TIME_TOL, "p = 0.0079", gated=True, p_value=2 / 252)),
        (Metric("t", TIME, SLOW), Metric("t", TIME, FAST), False, FP,
         gate.Verdict("t", TIME, IMPROVEMENT, 2.02, 1.02, TIME_TOL, "p = 0.0079", gated=False, p_value=2 / 252)),
        (Metric("t", TIME, [1.0, 1.1, 1.2, 1.3, 1.4]), Metric("t", TIME, [1.05, 1.15, 1.44, 1.45, 1.5]), True, FP,
         gate.Verdict("t", TIME, INCONCLUSIVE, 1.2, 1.44, TIME_TOL, "past tolerance but p = 0.31", gated=False,
                      p_value=pytest.approx(0.30952380952380953))),
    ],
)  # fmt: skip
def test_each_decision_gives_exactly_this_verdict(base, now, fail_on_time, fp_now, expected):
    name = expected.name
    result = compare({name: base} if base else {}, {name: now} if now else {}, [], FP, fp_now, fail_on_time)
    assert result.verdicts == [expected]
    (got,) = result.verdicts
    assert got.to_dict()["change"] == (None if base is None or now is None else now.value - base.value)


def test_tolerance_prefixes_match_their_metrics_only():
    layer = {"piece.1*": {"rel": 0.5}, "phase.*": {"abs": 2.0}, "time": {"rel": 0.2}, "count": {"abs": 1.0}}
    assert gate.tolerance_for("piece.1.general.compile_time_s", TIME, [layer]) == {"abs": 0.0, "rel": 0.5}
    assert gate.tolerance_for("piece.2.general.compile_time_s", TIME, [layer]) == {"abs": 0.0, "rel": 0.2}
    assert gate.tolerance_for("phase.code_gen", TIME, [layer]) == {"abs": 2.0, "rel": 0.2}
    assert gate.tolerance_for("phases", TIME, [layer]) == {"abs": 0.0, "rel": 0.2}
    assert gate.tolerance_for("guards", COUNT, [layer]) == {"abs": 1.0, "rel": 0.0}
    # later layers win, a metric's own entry over a prefix, a prefix over a kind
    assert gate.tolerance_for("phase.code_gen", TIME, [layer, {"phase.code_gen": {"abs": 3.0}}])["abs"] == 3.0
    assert gate.tolerance_for("phase.code_gen", TIME, [{"phase.code_gen": {"abs": 3.0}}, layer])["abs"] == 2.0


def test_a_phase_within_tolerance_stays_pass_whatever_its_parent_did():
    names = {"phase.inductor_compile": (8.0, 6.0), "phase.code_gen": (5.0, 5.2)}
    base = {n: Metric(n, TIME, [a * (1 + d) for d in (-0.01, -0.005, 0, 0.005, 0.01)]) for n, (a, _) in names.items()}
    now = {n: Metric(n, TIME, [b * (1 + d) for d in (-0.01, -0.005, 0, 0.005, 0.01)]) for n, (_, b) in names.items()}
    by = {v.name: v for v in compare(base, now, [], FP, FP, True).verdicts}
    assert by["phase.code_gen"].status == PASS and by["phase.inductor_compile"].status == IMPROVEMENT
    # and a phase that followed its parent (the same way, at least half as much) is what it is
    now["phase.code_gen"] = Metric("phase.code_gen", TIME, [3.0 * (1 + d) for d in (-0.01, -0.005, 0, 0.005, 0.01)])
    by = {v.name: v for v in compare(base, now, [], FP, FP, True).verdicts}
    assert by["phase.code_gen"].status == IMPROVEMENT  # -2.0 s under a parent that moved -2.0 s
    # a parent that moved the same way by less than half of it: the phase's time moved
    spread = (-0.01, 0, 0.01, -0.005, 0.005)
    now["phase.inductor_compile"] = Metric("phase.inductor_compile", TIME, [7.2 * (1 + d) for d in spread])
    by = {v.name: v for v in compare(base, now, [], FP, FP, True).verdicts}
    assert by["phase.code_gen"].status == "MOVED" and not by["phase.code_gen"].gated
    note = by["phase.code_gen"].note
    assert "its parent phase.inductor_compile changed -0.8 s (-10.0%) while it changed -2 s" in note
    # the nearest measured ancestor counts: without inductor_compile, code_gen's parent is the total
    base2 = {"compile_time_s": Metric("compile_time_s", TIME, [v + 10 for v in base["phase.code_gen"].samples]),
             "phase.code_gen": base["phase.code_gen"]}  # fmt: skip
    now2 = {"compile_time_s": Metric("compile_time_s", TIME, [v + 12 for v in now["phase.code_gen"].samples]),
            "phase.code_gen": now["phase.code_gen"]}  # fmt: skip
    by = {v.name: v for v in compare(base2, now2, [], FP, FP, True).verdicts}
    assert by["phase.code_gen"].status == "MOVED" and "its parent compile_time_s" in by["phase.code_gen"].note


def test_check_output_in_a_log_is_one_line_per_verdict_however_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "b.json"
    run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline), "--update-baseline")
    result = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline))
    lines = result.stdout.splitlines()
    verdicts = json.loads(run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline),
                                  "-f", "json").stdout)["verdicts"]  # fmt: skip
    end = next(i for i, x in enumerate(lines) if x.startswith("FAIL: "))  # the summary follows the verdicts
    for v in verdicts:  # each verdict's whole line, its note included, is one line of the output
        (line,) = [x for x in lines[:end] if f" {v['name']} " in x]
        assert v["status"] in line and (not v["note"] or v["note"] in line)
    assert end == len(verdicts) + sum(x.startswith("note:") for x in lines)
    # then what changed since the baseline's run (mlp.log, still there): a title and a line per compile,
    # each one line however long; then the command that accepts the figures
    changes = lines[end + 1 : -1]
    assert changes[0].startswith("What changed in what was compiled") and len(changes) == 1 + 4
    assert lines[-1].startswith("to accept these figures: ")
