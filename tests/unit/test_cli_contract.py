"""README's promises, command by command, in the fast lane: every documented output format parses as that
format and says what it should, and every documented exit code is what the command returns. `run` goes
through its real command line with its child process simulated (the child's files are a real run's,
tests/fixtures/run_mlp): no compile here; tests/e2e runs the real children."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from compileprof.profiler.errors import (
    EXIT_DAMAGED,
    EXIT_INTERRUPTED,
    EXIT_NO_DATA,
    EXIT_REGRESSION,
    EXIT_RUN_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
)
from compileprof.profiler.run import runner
from compileprof.profiler.run.job import ChildResult
from conftest import FIXTURES, run_cli
from fuzz.validity import check_html, check_json, check_junit, check_markdown, check_perfetto

LOG = str(FIXTURES / "graph_break.log")


@pytest.mark.parametrize(
    ("fmt", "check", "says"),
    [("console", None, "Compiles"), ("json", check_json, '"compiles"'), ("markdown", check_markdown, "Compiles"),
     ("html", check_html, '"compiles"'), ("perfetto", check_perfetto, '"ph"')],
)  # fmt: skip
def test_report_writes_every_format_to_stdout_and_to_a_file(fmt, check, says, tmp_path):
    result = run_cli("report", LOG, "-f", fmt)
    assert result.exit_code == 0 and says in result.stdout
    if check is not None:
        check(result.stdout if fmt == "markdown" else result.stdout_bytes)
    out = tmp_path / f"r.{fmt}"
    assert run_cli("report", LOG, "-f", fmt, "-o", str(out)).exit_code == 0 and says in out.read_text()
    again = run_cli("report", LOG, "-f", fmt, "-o", str(out))
    assert again.exit_code == EXIT_USAGE and "--force" in again.stderr


def test_report_exit_codes():
    assert run_cli("report", str(FIXTURES / "nope.log")).exit_code == EXIT_NO_DATA
    assert run_cli("report", LOG, "--strict").exit_code == 0
    damaged = run_cli("report", str(FIXTURES / "damaged_garbage.log"), "--strict")
    assert damaged.exit_code == EXIT_DAMAGED and "Parse health" in damaged.stdout
    assert run_cli("report", LOG, "-f", "yaml").exit_code == EXIT_USAGE
    assert run_cli("report", LOG, "-o", "/tmp/x.svg").exit_code == EXIT_USAGE


def test_an_interrupted_command_exits_130_in_one_line(monkeypatch):
    from compileprof.profiler import build

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "build_report", interrupted)
    result = run_cli("report", LOG)
    assert result.exit_code == EXIT_INTERRUPTED and result.stderr == "compileprof: error: interrupted\n"


@pytest.mark.parametrize(
    ("fmt", "check", "says"),
    [("console", None, "graph_breaks"), ("json", check_json, '"metrics"'), ("markdown", check_markdown, "| metric |"),
     ("html", check_html, '"rows"')],
)  # fmt: skip
def test_diff_writes_every_format(fmt, check, says, tmp_path):
    result = run_cli("diff", str(FIXTURES / "mlp.log"), LOG, "-f", fmt)
    assert result.exit_code == 0 and says in result.stdout
    if check is not None:
        check(result.stdout if fmt == "markdown" else result.stdout_bytes)
    out = tmp_path / "d.out"
    assert run_cli("diff", str(FIXTURES / "mlp.log"), LOG, "-f", fmt, "-o", str(out)).exit_code == 0
    assert says in out.read_text()


@pytest.mark.parametrize(("fmt", "says"), [("console", "lookups: A"), ("json", '"pairs"'), ("markdown", "```text")])
def test_explain_cache_writes_every_format_to_stdout_and_to_a_file(fmt, says, tmp_path):
    a, b = FIXTURES / "run_mlp" / "cold" / "trace", FIXTURES / "run_mlp" / "warm" / "trace"
    result = run_cli("explain-cache", str(a), str(b), "-f", fmt)
    assert result.exit_code == 0 and says in result.stdout
    if fmt == "markdown":
        check_markdown(result.stdout)
    elif fmt == "json":
        assert check_json(result.stdout_bytes)["hits_b"] == 12
    out = tmp_path / ("e.md" if fmt == "markdown" else f"e.{fmt}")
    assert run_cli("explain-cache", str(a), str(b), "-o", str(out), "-f", fmt).exit_code == 0
    assert says in out.read_text()
    assert run_cli("explain-cache", str(a), str(b), "-o", str(out)).exit_code == EXIT_USAGE


def test_check_writes_every_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = tmp_path / "b.json"
    assert run_cli("check", LOG, "--baseline", str(base), "--update-baseline").exit_code == 0
    for fmt, check in (("console", None), ("json", check_json), ("markdown", check_markdown), ("junit", check_junit)):
        result = run_cli("check", LOG, "--baseline", str(base), "-f", fmt)
        assert result.exit_code == 0, fmt
        if check is not None:
            check(result.stdout if fmt == "markdown" else result.stdout_bytes)
    assert "PASS:" in run_cli("check", LOG, "--baseline", str(base)).stdout


def test_models_lists_the_zoo():
    result = run_cli("models")
    assert result.exit_code == 0 and "tiny-llama" in result.stdout and "mlp" in result.stdout


class FakeChild:
    """Stands in for `run_child`: lays down a real child's files (tests/fixtures/run_mlp's cold child)
    and reports the outcome asked for: ok, failed, timeout or interrupted."""

    def __init__(self, how: str) -> None:
        self.how = how

    def __call__(self, req, child, cache_dir, on_step):
        directory = req.out / child.label
        shutil.copytree(FIXTURES / "run_mlp" / "cold", directory)
        result = ChildResult.read(directory / "result.json")
        if self.how == "failed":
            result.status = "failed"
            result.error = {"step": "compile", "type": "ValueError", "message": "no weights here"}
        if self.how == "refused":  # the child's preflight: an option this torch cannot honour
            result.status = "failed"
            result.error = {"step": "check options", "type": "PreflightError", "message": "--device cuda: no GPU"}
        ok = self.how == "ok"
        return runner.ChildOutcome(child.label, directory, 0 if ok else 1, 4.2, self.how == "timeout",
                                   result if self.how != "interrupted" else None, ["a line of stderr"],
                                   interrupted=self.how == "interrupted")  # fmt: skip


def test_a_refused_run_leaves_no_directory_so_the_corrected_command_needs_no_force(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_child", FakeChild("refused"))
    out = tmp_path / "run"
    result = run_cli("run", "mlp", "--out", str(out), "--quiet")
    assert result.exit_code == EXIT_USAGE and "no GPU" in result.stderr and "no run directory was left" in result.stderr
    assert not out.exists()
    monkeypatch.setattr(runner, "run_child", FakeChild("ok"))
    assert run_cli("run", "mlp", "--out", str(out), "--quiet").exit_code == 0  # no --force needed
    monkeypatch.setattr(runner, "run_child", FakeChild("refused"))
    kept = run_cli("run", "mlp", "--out", str(out), "--quiet", "--force")  # a directory it did not make is kept
    assert kept.exit_code == EXIT_USAGE and (out / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("how", "code", "words"),
    [("ok", 0, None), ("failed", EXIT_RUN_FAILED, "ValueError: no weights here"),
     ("timeout", EXIT_TIMEOUT, "ran past --timeout"), ("interrupted", EXIT_INTERRUPTED, "interrupted in step")],
)  # fmt: skip
def test_run_exit_codes_through_the_command_line(how, code, words, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_child", FakeChild(how))
    out = tmp_path / "run"
    result = run_cli("run", "mlp", "--out", str(out), "--quiet")
    assert result.exit_code == code, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    if words:
        assert words in result.stderr and result.stderr.count("compileprof: error:") == 1
        assert manifest["status"] != "ok"
    else:
        assert manifest["status"] == "ok" and (out / "report.html").is_file() and (out / "report.md").is_file()


@pytest.mark.parametrize(("fmt", "check"), [("markdown", check_markdown), ("json", check_json), ("console", None)])
def test_run_prints_its_report_in_the_format_asked(fmt, check, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_child", FakeChild("ok"))
    result = run_cli("run", "mlp", "--out", str(tmp_path / "run"), "--format", fmt)
    assert result.exit_code == 0, result.output
    if check is not None:
        check(result.stdout if fmt == "markdown" else result.stdout_bytes)
    if fmt == "markdown":
        assert result.stdout.startswith("## compileprof report:") and "| process |" in result.stdout
    # stdout holds the report alone (the console report is followed by where the run went)
    assert "run directory:" in (result.stdout if fmt == "console" else result.stderr)
    written = check_json((tmp_path / "run" / "report.json").read_bytes())
    assert written["run"]["model"]["label"] == "mlp" and Path(tmp_path / "run" / "report.md").is_file()


def test_a_failed_check_says_what_changed_since_the_baseline_s_run_while_that_run_is_on_disk(tmp_path, monkeypatch):
    # GIVEN a baseline written from one trace, and another trace with a graph break where it had none
    monkeypatch.chdir(tmp_path)
    shutil.copy(FIXTURES / "mlp.log", tmp_path / "a.log")
    shutil.copy(FIXTURES / "graph_break.log", tmp_path / "b.log")
    assert run_cli("check", "a.log", "--baseline", "base.json", "--update-baseline").exit_code == 0
    # WHEN the second is checked: it fails, and says what changed in what was compiled, ranked by time
    result = run_cli("check", "b.log", "--baseline", "base.json")
    assert result.exit_code == EXIT_REGRESSION
    text = result.stdout
    assert "What changed in what was compiled (each compile ranked by the time its change cost), since the " \
           "baseline's run a.log:" in text  # fmt: skip
    assert "  0/0 fn (<string>:7) -6.43 s: a new graph break at <string>:7 in fn" in text
    assert "  1/0 torch_dynamo_resume_in_fn_at_9 (<string>:9) +608.3 ms: only in B: the rest of fn after a graph " \
           "break at line 9" in text  # fmt: skip
    d = json.loads(run_cli("check", "b.log", "--baseline", "base.json", "-f", "json").stdout)
    assert d["changes_against"] == "a.log" and [c["status"] for c in d["changes"]][:2] == ["changed", "only in B"]
    md = run_cli("check", "b.log", "--baseline", "base.json", "-f", "markdown").stdout
    assert "### What changed in what was compiled" in md and "- 0/0 fn (<string>:7)" not in md  # escaped: \<
    check_markdown(md)
    # a run that passes, or a baseline whose run is gone, says nothing of changes
    (tmp_path / "a.log").unlink()
    gone = run_cli("check", "b.log", "--baseline", "base.json", "-f", "json")
    assert gone.exit_code == EXIT_REGRESSION and "changes" not in json.loads(gone.stdout)
