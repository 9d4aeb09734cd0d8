"""`compileprof check` and `compileprof diff` on real runs (a model with and without a graph break)."""

from __future__ import annotations

import json
import textwrap
from xml.etree import ElementTree as ET

import pytest
from compileprof.profiler.errors import EXIT_OK, EXIT_REGRESSION, EXIT_STALE, EXIT_USAGE
from compileprof.profiler.gate.compare import PASS, REGRESSION
from conftest import run_cli, run_quiet

FACTORY = textwrap.dedent(
    """
    import torch

    class Net(torch.nn.Module):
        def __init__(self, graph_break):
            super().__init__()
            self.a, self.b, self.graph_break = torch.nn.Linear(8, 8), torch.nn.Linear(8, 4), graph_break

        def forward(self, x):
            h = torch.relu(self.a(x))
            if self.graph_break:
                torch._dynamo.graph_break()
            return self.b(h)

    def build(batch=2, graph_break=False, **kwargs):
        return Net(graph_break), (torch.randn(batch, 8),)
    """
)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, inductor_cache):
    """The same model spec run twice: as is, and with an added graph break (eager backend: Dynamo only)."""
    root = tmp_path_factory.mktemp("gate")
    (root / "net.py").write_text(FACTORY)
    spec = f"{root / 'net.py'}:build"
    plain, broken = root / "plain", root / "broken"
    assert run_quiet(plain, inductor_cache, spec, "--backend", "eager").exit_code == 0
    result = run_quiet(broken, inductor_cache, spec, "--backend", "eager", "--model-arg", "graph_break=true")
    assert result.exit_code == 0, result.output
    return plain, broken


def _check(*args):
    return run_cli("check", *args)


def test_baseline_round_trip(two_runs, tmp_path):
    plain, _ = two_runs
    baseline = tmp_path / "compileprof-baseline.json"
    assert _check(str(plain), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    data = json.loads(baseline.read_text())
    assert data["metrics"]["graph_breaks"] == {"kind": "count", "value": 0, "samples": [0]}
    assert data["fingerprint"]["torch"].startswith("2.") and data["fingerprint"]["cache"] == "cold"
    result = _check(str(plain), "--baseline", str(baseline), "--format", "json")
    assert result.exit_code == EXIT_OK
    verdicts = json.loads(result.stdout)["verdicts"]
    assert {v["status"] for v in verdicts} == {PASS}
    # refreshing with the same figures changes nothing
    again = _check(str(plain), "--baseline", str(baseline), "--update-baseline")
    assert "0 entries changed" in again.stdout


def test_an_added_graph_break_fails(two_runs, tmp_path):
    plain, broken = two_runs
    baseline = tmp_path / "b.json"
    _check(str(plain), "--baseline", str(baseline), "--update-baseline")
    result = _check(str(broken), "--baseline", str(baseline), "--format", "json")
    assert result.exit_code == EXIT_REGRESSION
    by_name = {v["name"]: v for v in json.loads(result.stdout)["verdicts"]}
    assert by_name["graph_breaks"]["status"] == REGRESSION and by_name["graph_breaks"]["change"] == 1
    console = _check(str(broken), "--baseline", str(baseline))
    assert "REGRESSION" in console.stdout and "--update-baseline" in console.stdout


def test_an_improvement_means_a_stale_baseline(two_runs, tmp_path):
    plain, _ = two_runs
    baseline = tmp_path / "b.json"
    _check(str(plain), "--baseline", str(baseline), "--update-baseline")
    data = json.loads(baseline.read_text())
    data["metrics"]["graph_breaks"].update(value=1, samples=[1])  # the baseline expected a break
    baseline.write_text(json.dumps(data))
    result = _check(str(plain), "--baseline", str(baseline))
    assert result.exit_code == EXIT_STALE and "IMPROVEMENT" in result.stdout


def test_a_fingerprint_mismatch_skips_time_checks(two_runs, tmp_path):
    plain, _ = two_runs
    baseline = tmp_path / "b.json"
    _check(str(plain), "--baseline", str(baseline), "--update-baseline")
    data = json.loads(baseline.read_text())
    data["fingerprint"]["torch"] = "2.0.0"
    for m in data["metrics"].values():
        if m["kind"] == "time":
            m.update(value=m["value"] * 10, samples=[s * 10 for s in m["samples"]])
    baseline.write_text(json.dumps(data))
    result = _check(str(plain), "--baseline", str(baseline), "--format", "json", "--fail-on", "time")
    doc = json.loads(result.stdout)
    assert result.exit_code == EXIT_OK and doc["fingerprint_match"] is False
    times = [v for v in doc["verdicts"] if v["kind"] == "time"]
    assert times and {v["status"] for v in times} == {"SKIPPED"}
    assert "torch 2.0.0 ->" in times[0]["note"]


def test_junit_xml_and_step_summary_are_well_formed(two_runs, tmp_path, monkeypatch):
    plain, broken = two_runs
    baseline, junit, summary = tmp_path / "b.json", tmp_path / "junit.xml", tmp_path / "summary.md"
    _check(str(plain), "--baseline", str(baseline), "--update-baseline")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_cli("check", str(broken), "--baseline", str(baseline), "--junit-xml", str(junit))
    assert result.exit_code == EXIT_REGRESSION
    suite = ET.parse(junit).getroot()
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "graph_breaks" in failed and int(suite.get("failures")) == len(failed)
    md = summary.read_text()
    assert md.startswith("## compileprof check: FAIL")
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len({row.count("|") for row in rows}) == 1 and set(rows[1].replace("|", "")) == {"-"}
    # the JUnit file is not overwritten without --force
    again = run_cli("check", str(broken), "--baseline", str(baseline), "--junit-xml", str(junit))
    assert again.exit_code == EXIT_USAGE


def test_diff_of_two_real_runs(two_runs):
    plain, broken = two_runs
    result = run_cli("diff", str(plain), str(broken), "--format", "json")
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)["metrics"]}
    assert rows["graph_breaks"]["a"] == 0 and rows["graph_breaks"]["b"] == 1
    assert rows["frames"]["b"] > rows["frames"]["a"]
    console = run_cli("diff", str(plain), str(broken))
    assert "graph_breaks" in console.stdout and "compile_time_s" in console.stdout


def test_repeat_gives_time_samples(tmp_path, inductor_cache):
    from compileprof.profiler.gate.samples import gather

    out = tmp_path / "rep"
    result = run_quiet(out, inductor_cache, "mlp", "--backend", "eager", "--repeat", "2", calls="0")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["children"]) == ["cold", "cold2"] and manifest["repeat"] == 2
    metrics, fp, _ = gather([out])
    assert len(metrics["compile_time_s"].samples) == 2 and metrics["compiles"].samples == [1]
    assert fp["cache"] == "cold"
