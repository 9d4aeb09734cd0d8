"""The gate's decisions on synthetic samples, its configuration, and what it refuses."""

from __future__ import annotations

import json

from compileprof.profiler.errors import EXIT_USAGE
from compileprof.profiler.gate.baseline import pyproject_layer
from compileprof.profiler.gate.compare import INCONCLUSIVE, PASS, REGRESSION, compare, tolerance_for
from compileprof.profiler.gate.metrics import Metric
from compileprof.profiler.gate.significance import mann_whitney_p
from conftest import FIXTURES, run_cli


def test_a_failed_run_cannot_be_checked(tmp_path):
    run = tmp_path / "failed"
    run.mkdir()
    manifest = json.loads((FIXTURES / "run_mlp" / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "status": "failed"}))
    result = run_cli("check", str(run), "--baseline", str(tmp_path / "b.json"), "--update-baseline")
    assert result.exit_code == 4 and "did not finish" in result.output


def test_missing_baseline_is_a_usage_error(tmp_path):
    result = run_cli("check", str(tmp_path), "--baseline", str(tmp_path / "none.json"))
    assert result.exit_code == EXIT_USAGE and "--update-baseline" in result.output


def _time(name, samples):
    return {name: Metric(name, "time", samples)}


def test_times_fail_only_past_tolerance_and_significant():
    fp = {"torch": "x"}
    base = _time("compile_time_s", [1.0, 1.02, 0.98, 1.01, 0.99])
    slower = _time("compile_time_s", [1.5, 1.52, 1.49, 1.51, 1.48])
    (v,) = compare(base, slower, [], fp, fp, fail_on_time=True).verdicts
    assert v.status == REGRESSION and v.gated and v.p_value < 0.01
    (v,) = compare(base, slower, [], fp, fp, fail_on_time=False).verdicts
    assert v.status == REGRESSION and not v.gated  # advisory without --fail-on time
    noisy = _time("compile_time_s", [0.6, 1.9, 1.0, 2.1, 0.7])
    (v,) = compare(base, noisy, [], fp, fp, fail_on_time=True).verdicts
    assert v.status in (INCONCLUSIVE, PASS) and not (v.status == REGRESSION)
    (v,) = compare(_time("t", [1.0]), _time("t", [2.0]), [], fp, fp, fail_on_time=True).verdicts
    assert v.status == INCONCLUSIVE and "samples" in v.note


def test_tolerances_layer_in_order(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.compileprof.tolerances]\ntime = {rel = 0.2}\n"phase.*" = {rel = 0.3}\n'
    )
    layer, path = pyproject_layer(tmp_path)
    assert path == tmp_path / "pyproject.toml"
    assert tolerance_for("compile_time_s", "time", [layer]) == {"abs": 0.0, "rel": 0.2}
    assert tolerance_for("phase.code_gen", "time", [layer])["rel"] == 0.3
    assert tolerance_for("phase.code_gen", "time", [layer, {"phase.code_gen": {"rel": 0.5}}])["rel"] == 0.5
    assert tolerance_for("graph_breaks", "count", [layer]) == {"abs": 0.0, "rel": 0.0}


def test_mann_whitney_with_ties_matches_the_reference():
    # GIVEN samples with ties inside and across the groups: the normal approximation with tie
    # correction and continuity, as scipy 1.17.1 mannwhitneyu(method="asymptotic") gives 0.008732768512539242
    p = mann_whitney_p([1.0, 2.0, 2.0, 3.0, 3.0, 3.0], [3.0, 4.0, 4.0, 5.0, 5.0, 6.0])
    assert abs(p - 0.008732768512539242) < 1e-12
    # without ties, 5 vs 5 fully separated: the exact two-sided p is 2 / C(10, 5)
    assert mann_whitney_p([1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10]) == 2 / 252
    # all equal: no evidence at all
    assert mann_whitney_p([1.0] * 5, [1.0] * 5) == 1.0


def test_refresh_adds_updates_and_removes_entries(tmp_path, monkeypatch):
    # GIVEN a baseline made from the graph-break trace (no pyproject above tmp_path to change tolerances)
    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "b.json"
    first = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "--update-baseline")
    assert first.exit_code == 0 and "wrote baseline" in first.stdout
    before = json.loads(baseline.read_text())["metrics"]
    before["no.longer.measured"] = {"kind": "count", "value": 1, "samples": [1]}
    data = json.loads(baseline.read_text())
    data["metrics"] = before
    baseline.write_text(json.dumps(data))
    # WHEN it is refreshed from the mlp trace (one compile, with a trace-only span)
    result = run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline), "--update-baseline")
    after = json.loads(baseline.read_text())["metrics"]
    # THEN counts that changed are updated, the new metric is added, the gone one removed
    assert result.exit_code == 0
    assert "UPDATED  compiles: 4 -> 1 (-3 (-75.0%))" in result.stdout
    assert "REMOVED  no.longer.measured" in result.stdout and "no.longer.measured" not in after
    assert set(after) - set(before) == {"logging.torch_trace_only_s"}
    assert "NEW      logging.torch_trace_only_s: " in result.stdout
    assert after["compiles"]["value"] == 1 and after["graph_breaks"]["value"] == 0
    changed = result.stdout.count("\n  ")
    assert f"updated baseline {baseline}: {changed} entries changed:" in result.stdout


def test_check_markdown_and_json_agree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "b.json"
    run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline), "--update-baseline")
    md = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "-f", "markdown")
    js = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "-f", "json")
    assert md.exit_code == js.exit_code == 1
    verdicts = json.loads(js.stdout)["verdicts"]
    rows = [line for line in md.stdout.splitlines() if line.startswith("| ") and "`" in line]
    assert md.stdout.startswith("## compileprof check: FAIL")
    assert len(rows) == len(verdicts)  # one table row per metric, regressions first
    assert rows[0].startswith("| REGRESSION | `")
    assert "| REGRESSION | `graph_breaks` | 0 | 2 | +2 | exact |" in md.stdout


def _five(value: float) -> list[float]:
    return [value * (1 + d) for d in (-0.004, -0.002, 0.0, 0.002, 0.004)]


def test_a_phase_whose_time_moved_under_its_parent_is_moved_not_improved():
    # GIVEN code generation 87% faster while its parent, Inductor's compile, and the total got 3% slower
    # (the work moved into autotuning, under the same parent)
    fp = {"torch": "x"}
    names = {"compile_time_s": (10.0, 10.3), "phase.inductor_compile": (8.0, 8.24), "phase.code_gen": (5.0, 0.665)}
    base = {n: Metric(n, "time", _five(a)) for n, (a, _) in names.items()}
    now = {n: Metric(n, "time", _five(b)) for n, (_, b) in names.items()}
    result = compare(base, now, [], fp, fp, fail_on_time=True)
    by = {v.name: v for v in result.verdicts}
    # THEN code_gen is MOVED (advisory, naming its parent), not an improvement: the exit is 0, not 3
    assert by["phase.code_gen"].status == "MOVED" and not by["phase.code_gen"].gated
    assert "its parent phase.inductor_compile changed +0.24 s (+3.0%)" in by["phase.code_gen"].note
    assert by["compile_time_s"].status == PASS and result.exit_code == 0 and not result.improvements
    # AND a phase that got faster with its parent is still an improvement (exit 3 with nothing worse)
    now = {n: Metric(n, "time", _five(a * 0.5)) for n, (a, _) in names.items()}
    result = compare(base, now, [], fp, fp, fail_on_time=True)
    assert {v.status for v in result.verdicts} == {"IMPROVEMENT"} and result.exit_code == 3
