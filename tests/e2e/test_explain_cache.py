"""`compileprof explain-cache` on real runs: one Inductor cache shared by runs that differ in one thing."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import run_cli

FACTORY = textwrap.dedent(
    """
    import torch

    def build(batch=2, **kwargs):
        model = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
        return model, (torch.randn(batch, 16),)
    """
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run A fills a cache; B uses it unchanged; C changes an Inductor option; D the batch size; E an
    environment variable torch reads into its config."""
    root = tmp_path_factory.mktemp("explain")
    (root / "models.py").write_text(FACTORY)
    cache = root / "cache"
    common = ["--backend", "inductor", "--cache-dir", str(cache), "--calls", "2", "--quiet"]
    plan = {"a": [], "b": [], "c": ["--inductor-option", "size_asserts=False"], "d": ["--batch", "3"], "e": []}
    out = {}
    mp = pytest.MonkeyPatch()
    for name, extra in plan.items():
        if name == "e":
            mp.setenv("TORCHINDUCTOR_SCALAR_ASSERTS", "0")
        result = run_cli("run", f"{root / 'models.py'}:build", "--out", str(root / name), *common, *extra)
        assert result.exit_code == 0, result.output
        out[name] = root / name
    mp.undo()
    return out


def explain(a, b) -> dict:
    result = run_cli("explain-cache", str(a), str(b), "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def changed(d: dict) -> set[tuple[str, str, str]]:
    return {(c["component"], c["a"], c["b"]) for m in d["misses"] for c in m["changes"]}


def test_a_warm_rerun_hits_and_there_is_nothing_to_explain(runs):
    d = explain(runs["a"], runs["b"])
    assert d["misses"] == [] and d["hits_b"] >= 1


def test_a_changed_inductor_option_is_named_with_both_values(runs):
    d = explain(runs["a"], runs["c"])
    fx = [m for m in d["misses"] if m["cache"] == "fx"]
    assert fx and all(m["matched"] == "same compile in A" for m in fx)
    assert {(c["component"], c["a"], c["b"]) for m in fx for c in m["changes"]} == {
        ("inductor_config[size_asserts]", "True", "False")
    }
    text = run_cli("explain-cache", str(runs["a"]), str(runs["c"])).stdout
    assert "`inductor_config[size_asserts]`: True -> False" in text and "everything else equal" in text


def test_a_new_batch_size_names_the_input_shapes(runs):
    d = explain(runs["a"], runs["d"])
    names = {c for c, _, _ in changed(d)}
    assert any(n.startswith("example_inputs[") for n in names)
    shapes = [(a, b) for c, a, b in changed(d) if c.startswith("example_inputs[")]
    assert any("[2, 16]" in a and "[3, 16]" in b for a, b in shapes)


def test_an_environment_variable_in_the_config_is_named(runs):
    d = explain(runs["a"], runs["e"])
    assert ("inductor_config[scalar_asserts]", "True", "False") in changed(d)


def test_diff_carries_the_cache_section(runs):
    result = run_cli("diff", str(runs["a"]), str(runs["c"]), "-f", "json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)["cache_explain"]
    assert ("inductor_config[size_asserts]", "True", "False") in changed(d)
    text = run_cli("diff", str(runs["a"]), str(runs["c"])).stdout
    assert "Cache misses of B, against A:" in text and "inductor_config[size_asserts]" in text


def test_a_warm_child_that_missed_is_explained_after_the_run(runs, tmp_path, capsys):
    from types import SimpleNamespace

    from compileprof.cli.run import _explain_warm_misses

    # a run directory whose fill child is run A and whose warm child is run C (a changed option)
    for label, source in (("fill", runs["a"]), ("warm", runs["c"])):
        (tmp_path / label).mkdir()
        (tmp_path / label / "trace").symlink_to(source / "cold" / "trace")
    outcomes = [SimpleNamespace(label="fill", ok=True), SimpleNamespace(label="warm", ok=True)]
    _explain_warm_misses(tmp_path, outcomes, to_stderr=False)
    out = capsys.readouterr().out
    assert "The warm child missed the cache: why, against the fill child that filled it:" in out
    assert "inductor_config[size_asserts]" in out
