"""`compileprof run` end to end on CPU through real Inductor (tiny models, one shared Inductor cache)."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time

import pytest
from compileprof.profiler.errors import EXIT_RUN_FAILED, EXIT_TIMEOUT, EXIT_USAGE
from compileprof.profiler.run.request import RunOptions, build_request
from compileprof.profiler.run.rundir import prepare_run_dir
from compileprof.profiler.run.runner import execute
from conftest import run_cli, run_quiet
from fuzz.validity import check_html, check_markdown


def _report(run_dir):
    return json.loads((run_dir / "report.json").read_text())


def test_default_model_run_writes_a_complete_run_directory(default_run):
    manifest = json.loads((default_run / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["model"]["label"] == "tiny-llama"
    assert manifest["backend"] == "piecewise" and manifest["cache"] == "cold" and manifest["device"] == "cpu"
    assert manifest["versions"]["torch"].startswith("2.") and manifest["threads"] >= 1
    assert manifest["argv"] == [
        "compileprof", "run", "--compile-sizes", "1,4", "--out", str(default_run), "--cache-dir", manifest["cache_dir"],
        "--calls", "5",
    ]  # fmt: skip
    cold = manifest["children"]["cold"]
    assert set(cold["steps_s"]) == {"import", "check options", "build model", "compile", "check output", "measure"}
    assert all(v >= 0 for v in cold["steps_s"].values()) and cold["wall_s"] >= cold["steps_s"]["compile"]
    assert list((default_run / "cold" / "trace").glob("dedicated_log_torch_trace*.log"))
    assert (default_run / "cold" / "stderr.txt").exists() and (default_run / "cold" / "stdout.txt").exists()
    report = _report(default_run)
    assert report["schema_version"] == 1 and report["totals"]["compiles"] == 1
    assert report["compiles"][0]["co_name"] == "forward" and report["compiles"][0]["compile_time_s"] > 0
    assert report["asserts"]["size_stride"] > 0  # Inductor's default asserts are in the generated code
    check = report["run"]["children"]["cold"]["check"]
    assert check["match"] is True and check["max_abs_err"] < check["tolerance"]
    forward = report["run"]["children"]["cold"]["forward"]
    assert forward["calls"] >= 3 and forward["compiled_median_s"] > 0 and forward["eager_median_s"] > 0
    md = (default_run / "report.md").read_text()
    assert "compiled output matches eager" in md and "| process |" in md
    # TORCH_TRACE logging timed directly in the child, by record type, beside torch's own counter
    cost = manifest["children"]["cold"]["trace_cost"]
    assert cost["by_step"]["compile"]["calls"] > 100 and cost["by_step"]["compile"]["seconds"] > 0
    assert "inductor_output_code" in cost["by_kind"]["compile"] and "0/0" in cost["by_compile"]
    assert "`trace_structured` calls in the compile step" in md
    page = (default_run / "report.html").read_text()
    data = json.loads(page.split('id="data">', 1)[1].split("</script>", 1)[0])
    assert data["kind"] == "report" and data["totals"] == report["totals"]


def test_report_of_a_run_directory_rebuilds_report_json(default_run):
    result = run_cli("report", str(default_run), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == _report(default_run)
    console = run_cli("report", str(default_run))
    assert "compileprof run" in console.stdout and "Steps" in console.stdout and "tiny-llama" in console.stdout


def test_existing_run_directory_is_refused_without_force(default_run):
    before = sorted(p.name for p in default_run.iterdir())
    result = run_cli("run", "--out", str(default_run))
    assert result.exit_code == EXIT_USAGE and "--force" in result.output
    assert sorted(p.name for p in default_run.iterdir()) == before


FACTORIES = textwrap.dedent(
    """
    import os
    import time
    import torch

    def build(batch=2, hidden=16, **kwargs):
        model = torch.nn.Sequential(torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 4))
        return model, (torch.randn(batch, hidden),)

    def strict(batch, width=8):  # takes no **kwargs: unknown options must not reach it
        return torch.nn.Linear(width, 3), (torch.randn(batch, width),)

    def broken(**kwargs):
        raise ValueError("no weights here")

    def slow(**kwargs):
        time.sleep(60)

    def chained(**kwargs):  # a wrapper whose own message says nothing, as torch's BackendCompilerFailed
        try:
            raise RuntimeError("the real cause: out of registers")
        except RuntimeError as err:
            raise TypeError("backend='inductor' raised:") from err

    def hang(pidfile, **kwargs):  # says where it is, then never returns
        open(pidfile, "w").write(str(os.getpid()))
        time.sleep(120)
    """
)


@pytest.fixture(scope="module")
def factory_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("factories") / "models.py"
    path.write_text(FACTORIES)
    return path


def test_factory_in_a_file_gets_options_as_keyword_arguments(factory_file, tmp_path, inductor_cache):
    out = tmp_path / "run"
    result = run_quiet(out, inductor_cache, f"{factory_file}:strict", "--model-arg", "width=12", "--batch", "3")
    assert result.exit_code == 0, result.output
    report = _report(out)
    assert report["run"]["children"]["cold"]["model"]["inputs"] == ["(3, 12) float32"]
    assert report["totals"]["compiles"] == 1 and report["run"]["factory_kwargs"]["width"] == 12
    assert report["run"]["children"]["cold"]["check"]["match"] is True
    # --quiet still says, on stderr, that each child ended (a CI log shows the run advancing)
    assert "compileprof: cold child ok after" in result.stderr and ", compile " in result.stderr


def test_run_prints_the_report_in_the_format_asked(factory_file, tmp_path, inductor_cache):
    out = tmp_path / "json"
    args = ["--cache-dir", str(inductor_cache), "--calls", "2", "--format", "json", "--trees", "1"]
    result = run_cli("run", f"{factory_file}:strict", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    # stdout holds the JSON report alone (the run directory line goes to stderr)
    assert json.loads(result.stdout)["totals"] == _report(out)["totals"]
    assert "run directory:" in result.stderr
    bad = run_cli("run", f"{factory_file}:strict", "--out", str(tmp_path / "no"), "--format", "yaml")
    assert bad.exit_code == EXIT_USAGE and not (tmp_path / "no").exists()


def test_graph_break_model_shows_breaks_recompiles_and_warm_cache(tmp_path, inductor_cache):
    out = tmp_path / "gb"
    result = run_quiet(out, inductor_cache, "graph-break", "--backend", "inductor", "--cache", "both")
    assert result.exit_code == 0, result.output
    report = _report(out)
    assert report["summary"]["graph_breaks"] == 2
    assert len(report["summary"]["recompiles"]) == 2
    assert all("size mismatch" in r["reason"] for r in report["summary"]["recompiles"])
    runs = {r["label"]: r for r in report["run"]["cache_runs"]}
    assert set(runs) == {"cold", "warm"} and runs["warm"]["compiles"] == runs["cold"]["compiles"] == 4
    assert runs["warm"]["cache"].get("fx_graph_cache_hit", 0) >= 1  # the warm child reuses what cold wrote
    assert report["run"]["children"]["cold"]["check"]["inputs_checked"] == 2


def test_graph_break_under_piecewise_says_what_to_do(tmp_path, inductor_cache):
    out = tmp_path / "gbpw"
    result = run_quiet(out, inductor_cache, "graph-break")
    assert result.exit_code == EXIT_RUN_FAILED and "step 'compile'" in result.output
    assert "--backend inductor" in result.output


def test_failing_factory_names_the_step_and_keeps_the_run(factory_file, tmp_path):
    out = tmp_path / "broken"
    result = run_cli("run", f"{factory_file}:broken", "--out", str(out), "--quiet")
    assert result.exit_code == EXIT_RUN_FAILED
    assert "step 'build model'" in result.output and "ValueError: no weights here" in result.output
    assert "Traceback" not in result.output.split("compileprof: error:")[1]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["argv"] == ["compileprof", "run", f"{factory_file}:broken", "--out", str(out), "--quiet"]
    assert manifest["status"] == "failed" and manifest["children"]["cold"]["failed_step"] == "build model"
    assert "no weights here" in (out / "cold" / "stderr.txt").read_text()


def test_a_chained_error_names_its_innermost_cause(factory_file, tmp_path):
    out = tmp_path / "chained"
    result = run_cli("run", f"{factory_file}:chained", "--out", str(out), "--quiet")
    assert result.exit_code == EXIT_RUN_FAILED
    line = result.output.split("compileprof: error:")[1].splitlines()[0]
    assert "TypeError, caused by RuntimeError: the real cause: out of registers" in line and "raised:;" not in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--device", "cuda"], "--device cuda: this torch"),
        (["--inductor-option", "size_assert=False"], "did you mean size_asserts"),
    ],
)
def test_preflight_refuses_what_this_torch_cannot_do_before_any_compile(factory_file, tmp_path, args, words):
    if "cuda" in args and __import__("torch").cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "pre"
    result = run_cli("run", f"{factory_file}:build", "--out", str(out), "--quiet", *args)
    assert result.exit_code == EXIT_USAGE, result.output
    error = result.output.split("compileprof: error:")[1]
    assert words in error and error.count("\n") == 1 and "Traceback" not in result.output
    # refused in the child's preflight step, before any compile: the directory it made is gone again
    assert not out.exists()


def test_a_logging_budget_too_small_for_two_pairs_is_refused_after_one_with_the_budget_needed(factory_file, tmp_path):
    out = tmp_path / "tight"
    result = run_cli("run", f"{factory_file}:build", "--out", str(out), "--quiet", "--measure", "logging",
                     "--budget", "0.5", "--backend", "inductor")  # fmt: skip
    assert result.exit_code == EXIT_USAGE, result.output
    line = result.output.split("compileprof: error:")[1]
    assert "--measure logging: --budget 0.5 s cannot hold 2 pairs of compiles" in line and "give --budget" in line
    assert line.count("\n") == 1
    # what was measured is kept: one pair, ended by the budget
    m = json.loads((out / "report.json").read_text())["measurements"]["logging"]
    assert m["pairs"] == 1 and m["ended_by"] == "budget" and m["budget_needed_s"] > 0.5


def test_child_past_timeout_is_stopped(factory_file, tmp_path):
    out = tmp_path / "slow"
    result = run_cli("run", f"{factory_file}:slow", "--out", str(out), "--timeout", "4", "--quiet")
    assert result.exit_code == EXIT_TIMEOUT and "timeout" in result.output
    assert json.loads((out / "manifest.json").read_text())["children"]["cold"]["status"] == "timeout"


def test_hf_architecture_from_config(tmp_path, inductor_cache):
    pytest.importorskip("transformers")
    out = tmp_path / "hf"
    result = run_quiet(out, inductor_cache, "hf:llama", "--seq-len", "16")
    assert result.exit_code == 0, result.output
    report = _report(out)
    assert report["run"]["children"]["cold"]["model"]["class"] == "LlamaForCausalLM"
    assert report["run"]["versions"]["transformers"]
    assert report["totals"]["compiles"] >= 1 and report["run"]["children"]["cold"]["check"]["match"] is True


def test_warm_cache_reports_the_warm_child(tmp_path, inductor_cache):
    # GIVEN a cache the fill child fills (shared with the session, so it may be warm already)
    out = tmp_path / "warm"
    result = run_quiet(out, inductor_cache, "mlp", "--backend", "inductor", "--cache", "warm")
    assert result.exit_code == 0, result.output
    report = _report(out)
    # THEN the report is built from the measured warm child, which hit the cache the fill child left
    assert report["run"]["primary"] == "warm" and list(report["run"]["children"]) == ["fill", "warm"]
    assert report["files"][0].startswith(str(out / "warm"))
    assert report["summary"]["cache"].get("fx_graph_cache_hit", 0) >= 1
    assert "fx_graph_cache_miss" not in report["summary"]["cache"]
    assert [r["label"] for r in report["run"]["cache_runs"]] == ["fill", "warm"]
    assert report["run"]["children"]["fill"]["forward"] is None  # the fill child is not measured


@pytest.mark.parametrize("ignored", [False, True])
def test_ctrl_c_ends_the_child(factory_file, tmp_path, ignored):
    # GIVEN a run whose factory never returns, started normally, or with SIGINT ignored (as a shell
    # starts a command in the background: the child inherits that)
    if ignored:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        request_cleanup = lambda: signal.signal(signal.SIGINT, previous)  # noqa: E731
    else:
        request_cleanup = lambda: None  # noqa: E731
    pidfile = tmp_path / "pid"
    req = build_request(RunOptions(f"{factory_file}:hang", model_args=[f"pidfile={pidfile}"]))
    req.out = prepare_run_dir(tmp_path / "run", force=False)

    def interrupt_when_building(label: str, step: str) -> None:
        if step == "build model":
            deadline = time.time() + 60
            while not pidfile.exists() and time.time() < deadline:
                time.sleep(0.1)
            raise KeyboardInterrupt  # what Ctrl-C raises in the parent while it waits

    # WHEN the parent is interrupted while the child works
    try:
        manifest, outcomes = execute(req, interrupt_when_building)
    finally:
        request_cleanup()
    # THEN the child was asked to stop and is gone (reaped), not left running
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # AND the run says so: an interrupted manifest, the child's own account of where it stopped
    assert manifest.status == "interrupted" and outcomes[-1].interrupted
    written = json.loads((req.out / "manifest.json").read_text())
    assert written["status"] == "interrupted" and written["children"]["cold"]["status"] == "interrupted"
    assert written["children"]["cold"]["error"]["type"] == "KeyboardInterrupt"  # it unwound, so its files are whole
    assert written["children"]["cold"]["failed_step"] == "build model"


def test_a_factory_file_whose_name_is_not_utf8_runs_and_reports(tmp_path, inductor_cache):
    # GIVEN a factory in a file whose name holds a byte that is not UTF-8
    odd = tmp_path / os.fsdecode(b"mod\xffels.py")
    odd.write_text(FACTORIES)
    out = tmp_path / "run"
    result = run_quiet(out, inductor_cache, f"{odd}:build", "--backend", "aot_eager")
    # THEN the run ends well and every file it wrote is valid UTF-8, the name shown with U+FFFD
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_bytes().decode("utf-8"))
    report = json.loads((out / "report.json").read_bytes().decode("utf-8"))
    assert "mod\ufffdels.py" in manifest["model"]["label"] and "mod\ufffdels.py" in report["run"]["model"]["label"]
    check_html((out / "report.html").read_bytes())
    check_markdown((out / "report.md").read_text(encoding="utf-8"))
