"""`compileprof run --measure`: the A/B measurements end to end (structure only, never timings)."""

from __future__ import annotations

import json

from conftest import run_cli, run_quiet

KINDS = {"size_stride", "alignment", "scalar", "nan", "aoti_checks"}


def test_measure_asserts_on_the_default_model(tmp_path, inductor_cache):
    out = tmp_path / "asserts"
    result = run_quiet(out, inductor_cache, "--measure", "asserts", "--rounds", "6", "--budget", "5", calls="5")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    a = report["measurements"]["asserts"]
    expected = {"median_on_s", "median_off_s", "delta_s", "ci95_s", "per_assert_s", "significant", "asserts_on",
                "asserts_off", "rounds", "calls_per_round", "threads", "device"}  # fmt: skip
    assert expected <= set(a)
    assert set(a["asserts_on"]) == KINDS and set(a["asserts_off"]) == KINDS
    assert a["asserts_on"]["size_stride"] > 0 and sum(a["asserts_off"].values()) == 0
    assert a["outputs_match"] is True
    assert a["rounds"] >= 4 and a["calls_per_round"] == 5 and a["threads"] == 1 and a["device"] == "cpu"
    assert a["ci95_s"][0] <= a["delta_s"] <= a["ci95_s"][1] and isinstance(a["significant"], bool)
    assert a["asserts_per_call"] == a["asserts_on"]["size_stride"] + a["asserts_on"]["alignment"]
    # the trace tells the variants apart; the model's own compile is what the report counts, the
    # asserts-off compile made for the measurement is reported apart (so check does not see it)
    assert {g["variant"] for g in report["asserts"]["graphs"]} == {"asserts_on"}
    assert report["summary"]["compiles"] == 1 and report["summary"]["recompiles"] == []
    assert report["measurement_compiles"]["variants"] == {"asserts_off": 1}
    md = (out / "report.md").read_text()
    assert "Runtime asserts: measured cost" in md


def test_measure_logging_reports_pairs_next_to_torchs_counter(tmp_path, inductor_cache):
    out = tmp_path / "logging"
    result = run_quiet(
        out, inductor_cache, "mlp", "--backend", "inductor", "--measure", "logging", "--pairs", "2", calls="0"
    )
    assert result.exit_code == 0, result.output
    m = json.loads((out / "report.json").read_text())["measurements"]["logging"]
    assert m["pairs"] == 2 and m["compiles_traced"] == 2
    assert m["median_on_s"] > 0 and m["median_off_s"] > 0 and m["torch_reported_s"] > 0
    assert m["enough_samples"] is False and m["significant"] is False  # two pairs cannot resolve anything
    console = run_cli("report", str(out))
    assert "Too few pairs (2)" in console.stdout
