"""`compileprof diff`'s "what changed" on real runs of one model changed four ways: an Inductor option
(no graph changes, the config change named), a larger hidden size (the inputs' shapes), a graph break
(a new compile, with its line), an extra operator in forward (nodes added, tied to the time it cost)."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import run_cli, run_quiet
from fuzz.validity import check_html, check_markdown

FACTORY = textwrap.dedent(
    """
    import torch

    class Net(torch.nn.Module):
        def __init__(self, hidden, graph_break, extra):
            super().__init__()
            self.a, self.b = torch.nn.Linear(16, hidden), torch.nn.Linear(hidden, 4)
            self.graph_break, self.extra = graph_break, extra

        def forward(self, x):
            h = torch.relu(self.a(x))
            if self.extra:
                h = torch.sigmoid(h) * h
            if self.graph_break:
                torch._dynamo.graph_break()
            return self.b(h)

    def build(batch=2, hidden=32, graph_break=False, extra=False, **kwargs):
        torch.manual_seed(0)
        return Net(int(hidden), graph_break, extra), (torch.randn(batch, 16),)
    """
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, inductor_cache):
    root = tmp_path_factory.mktemp("graphs")
    (root / "net.py").write_text(FACTORY)
    spec = f"{root / 'net.py'}:build"
    made = {}
    for name, args in {
        "base": ["--backend", "aot_eager"],
        "bigger": ["--backend", "aot_eager", "--model-arg", "hidden=64"],
        "broken": ["--backend", "aot_eager", "--model-arg", "graph_break=true"],
        "extra": ["--backend", "aot_eager", "--model-arg", "extra=true"],
        "inductor": ["--backend", "inductor"],
        "option": ["--backend", "inductor", "--inductor-option", "size_asserts=false"],
    }.items():
        result = run_quiet(root / name, inductor_cache, spec, *args)
        assert result.exit_code == 0, result.output
        made[name] = root / name
    return made


def changes(a, b, *extra):
    result = run_cli("diff", str(a), str(b), "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["changes"]


def test_an_inductor_option_changes_no_graph_and_is_named_as_a_config_change(runs):
    (first, *_) = changes(runs["inductor"], runs["option"])
    assert first["status"] == "changed" and first["compile_id"] == "0/0"
    assert ["inductor_config.size_asserts", "True", "False"] in first["config"]
    assert not [g for g in first["graphs"] if not g["kind"].startswith("inductor")]  # Dynamo's and AOT's: the same
    text = run_cli("diff", str(runs["inductor"]), str(runs["option"])).stdout
    assert "config changed: inductor_config.size_asserts 'True' -> 'False'" in " ".join(text.split())


def test_a_larger_hidden_size_changes_the_shapes_not_the_operators(runs):
    (first, *_) = changes(runs["base"], runs["bigger"])
    dynamo = next(g for g in first["graphs"] if g["kind"] == "dynamo_output_graph")
    assert dynamo["ops"] == {} and dynamo["nodes_a"] == dynamo["nodes_b"]
    assert any("f32[32, 16] -> f32[64, 16]" in x for x in dynamo["inputs"])  # the first Linear's weight


def test_a_graph_break_is_a_new_compile_with_its_line(runs):
    found = changes(runs["base"], runs["broken"])
    (new,) = [c for c in found if c["status"] == "only in B"]
    assert new["reason"] == "the rest of forward after a graph break at line 15" and "net.py:15" in new["frame"]
    first = next(c for c in found if c["compile_id"] == "0/0")
    assert first["status"] == "changed" and first["reason"].startswith("a new graph break at ")
    assert "net.py:15" in first["reason"] or "net.py:16" in first["reason"]  # the user's line


def test_an_extra_operator_adds_nodes_tied_to_the_time_they_cost(runs, tmp_path):
    (first, *_) = changes(runs["base"], runs["extra"], "--graphs")
    aot = next(g for g in first["graphs"] if g["kind"] == "aot_inference_graph")
    assert aot["ops"] == {"aten.sigmoid": 1, "aten.mul": 1} and aot["added"] == 2 and aot["removed"] == 0
    assert any(line.startswith("+") and "aten.sigmoid" in line for line in aot["diff"])
    assert first["delta_s"] == pytest.approx(first["time_b_s"] - first["time_a_s"])
    text = " ".join(run_cli("diff", str(runs["base"]), str(runs["extra"])).stdout.split())
    assert (
        "the AOT inference graph gained 2 nodes (aten.sigmoid +1, aten.mul +1)" in text
        or "the AOT inference graph gained 2 nodes (aten.mul +1, aten.sigmoid +1)" in text
    )
    md = run_cli("diff", str(runs["base"]), str(runs["extra"]), "-f", "markdown", "--graphs").stdout
    check_markdown(md)
    assert "### What changed in what was compiled" in md and "```diff" in md
    page = tmp_path / "d.html"
    assert run_cli("diff", str(runs["base"]), str(runs["extra"]), "-o", str(page)).exit_code == 0
    data = check_html(page.read_bytes())
    rows = data["changes"][0]["graphs"][0]["rows"]
    assert any(tag == "+" and "sigmoid" in b for tag, _, b in rows)
