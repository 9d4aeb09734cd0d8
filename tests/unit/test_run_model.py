"""The run side's data without running anything: the plan of children, the manifest, the request, the
command line a run records."""

from __future__ import annotations

import json

import click
import pytest
from compileprof.cli.common import command_line
from compileprof.profiler.errors import EXIT_USAGE, CompileprofError
from compileprof.profiler.model.run import is_run_output, plan, read_manifest, same_series, write_manifest
from compileprof.profiler.run.request import RunOptions, build_request
from conftest import FIXTURES, run_cli


def test_plan_of_children_for_each_cache_mode():
    cold = plan("cold", repeat=3)
    assert [(c.label, c.measured, c.fresh_cache) for c in cold.children] == [
        ("cold", True, True), ("cold2", False, True), ("cold3", False, True),
    ]  # fmt: skip
    warm = plan("warm")
    assert [(c.label, c.fresh_cache) for c in warm.children] == [("fill", True), ("warm", False)]
    assert warm.primary == "warm" and [c.measured for c in warm.children] == [False, True]
    both = plan("both", repeat=2)
    assert [c.label for c in both.children] == ["cold", "warm", "cold2", "warm2"] and both.primary == "cold"
    assert same_series("cold2", "cold") and not same_series("warm2", "cold")
    assert is_run_output("warm3") and is_run_output("manifest.json") and not is_run_output("notes.txt")


def test_manifest_reads_and_writes_back_unchanged():
    raw = json.loads((FIXTURES / "run_mlp" / "manifest.json").read_text())
    manifest = read_manifest(FIXTURES / "run_mlp")
    assert manifest is not None and manifest.to_dict() == raw
    assert list(manifest.children) == ["cold", "warm"] and manifest.primary_child.ok
    assert manifest.children["cold"].measure_asserts["rounds"] == 6


def test_request_checks_options():
    req = build_request(RunOptions("mlp", measure=["asserts"], backend="inductor"))
    assert req.threads == 1 and req.measure == ["asserts"] and req.factory_kwargs["batch"] == 2
    for bad in (
        RunOptions("mlp", dtype="int8"),
        RunOptions("mlp", batch=0),
        RunOptions("mlp", measure=["asserts"], backend="eager"),
        RunOptions("mlp", cache="lukewarm"),
        RunOptions("nope-no-such-model"),
    ):
        with pytest.raises(CompileprofError) as err:
            build_request(bad)
        assert err.value.exit_code == 2


def test_command_line_is_what_the_user_typed():
    seen = {}

    @click.command("run")
    @click.argument("model", default="tiny-llama")
    @click.option("--batch", default=2)
    @click.option("--dynamic/--static", default=True)
    @click.option("--model-arg", multiple=True)
    @click.pass_context
    def cmd(ctx, model, batch, dynamic, model_arg):
        seen["argv"] = command_line(ctx)

    cmd.main(["mlp", "--static", "--model-arg", "a=1", "--model-arg", "b=2"], standalone_mode=False)
    assert seen["argv"] == ["compileprof", "run", "mlp", "--static", "--model-arg", "a=1", "--model-arg", "b=2"]
    cmd.main([], standalone_mode=False)
    assert seen["argv"] == ["compileprof", "run"]  # defaults are not written out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "no-such-model"], "not a model"),
        (["run", "hf:bart"], "not one of the 36 transformers architectures"),
        (["run", "missing.py:build"], "no such file"),
        (["run", "--backend", "tvm"], "unknown backend"),
        (["run", "--model-arg", "oops"], "KEY=VALUE"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(args, words, tmp_path):
    result = run_cli(*args, "--out", str(tmp_path / "x"))
    assert result.exit_code == EXIT_USAGE and words in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()


def test_models_lists_the_built_ins():
    result = run_cli("models")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()[:3]] == ["tiny-llama", "mlp", "graph-break"]


def test_measure_asserts_needs_inductor(tmp_path):
    result = run_cli("run", "--backend", "eager", "--measure", "asserts", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "needs Inductor" in result.output


def test_manifest_stays_standard_json_when_a_figure_is_nan(tmp_path):
    manifest = read_manifest(FIXTURES / "run_mlp")
    manifest.children["cold"].check["max_abs_err"] = float("nan")  # a model whose output is NaN
    write_manifest(tmp_path, manifest)
    assert "NaN" not in (tmp_path / "manifest.json").read_text()
    assert read_manifest(tmp_path).children["cold"].check["max_abs_err"] is None


def test_the_steps_table_lists_steps_in_the_order_the_child_runs_them():
    from compileprof.profiler.model.run import ChildRecord
    from compileprof.profiler.render.run_view import step_names
    from compileprof.profiler.run.child import STEPS

    steps = {"measure": 1.0, "check options": 0.1, "import": 2.0, "compile": 3.0, "a step of another version": 1.0}
    kid = ChildRecord("cold", "cold/trace", "ok", steps_s=steps)
    assert step_names({"cold": kid}) == ["import", "check options", "compile", "measure", "a step of another version"]
    from compileprof.profiler.render.run_view import STEPS as SHOWN

    assert list(SHOWN) == [name for name, _, _ in STEPS]  # the renderer knows the child's order
