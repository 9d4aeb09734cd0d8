"""Hostile input, one test per class, through the CLI: the exit code is the documented one, no traceback
is shown, nothing the user had is lost."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from compileprof.profiler.model.rows import Rows
from compileprof.profiler.trace.reader import TraceReader
from conftest import FIXTURES, event, record_line, run_cli

DELETE = object()  # a manifest key removed instead of set


def _no_traceback(result) -> None:
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)


def _log(tmp_path: Path, *records: str, name: str = "dedicated_log_torch_trace_x.log") -> Path:
    path = tmp_path / name
    path.write_text("".join(records))
    return path


def _metrics(meta: dict, frame: int = 0) -> str:
    base = {"co_name": "f", "entire_frame_compile_time_s": 1.0}
    return record_line("compilation_metrics", {**base, **meta}, frame_id=frame, frame_compile_id=0, attempt=0)


def test_values_of_the_wrong_type_are_counted_not_fatal(tmp_path):
    # GIVEN a value of the wrong type in every kind of field that used to crash the report
    env = {"frame_id": 0, "frame_compile_id": 0}
    log = _log(
        tmp_path,
        record_line("str", ["a.py", [1]]),
        record_line("inductor_output_code", {"filename": {"a": 1}}, "assert_size_stride(arg0_1, (2,), (1,))", **env),
        event("dynamo", "B", 1.0, pid=[1], tid={"x": 1}),
        event("dynamo", "E", 9.0, pid=[1], tid={"x": 1}),
        _metrics({"compile_id": ["0", 0], "guard_count": 2**70, "co_filename": {"f": 1}, "fail_type": [1]}),
        record_line("compilation_metrics", {"co_name": "g"}, frame_id=1, frame_compile_id=0, attempt="1", rank=[0]),
    )
    for fmt in ("json", "markdown", "console"):
        result = run_cli("report", str(log), "-f", fmt)
        assert result.exit_code == 0, result.output
        _no_traceback(result)
    d = json.loads(run_cli("report", str(log), "-f", "json").stdout)
    # THEN each bad value is counted by field and dropped; the compiles are still there
    fields = d["parse"]["bad_value_fields"]
    for name in ("str", "output_code.filename", "chromium.pid", "chromium.tid", "guard_count"):
        assert fields.get(name), name
    assert {"attempt", "rank", "co_filename", "fail_type"} <= set(fields)
    assert d["summary"]["compiles"] == 2 and d["compiles"][0]["counts"] == {}
    assert d["asserts"]["graphs"][0]["filename"] is None and d["asserts"]["size_stride"] == 1


def test_deep_and_unbalanced_spans_are_bounded(tmp_path):
    # GIVEN 700 nested spans of one compile, 500 of them never closed
    begins = [event(f"s{i}", "B", float(i)) for i in range(700)]
    ends = [event(f"s{i}", "E", 10_000.0 - i) for i in reversed(range(500))]
    log = _log(tmp_path, *begins, *ends, _metrics({}))
    result = run_cli("report", str(log), "-f", "json")
    assert result.exit_code == 0
    d = json.loads(result.stdout)

    def depth(nodes: list) -> int:
        return 1 + max((depth(n["children"]) for n in nodes), default=0) if nodes else 0

    # THEN the tree stops at 64 levels, the deeper spans are counted, the open ones too
    assert depth(d["compiles"][0]["phases"]) == 64
    # closing s499 closes the 200 spans opened inside it (counted as unmatched begins); s498..s0 then close
    assert d["parse"]["too_deep"] == 700 - 64 and d["stray_events"]["unmatched_begin"] == 200
    assert run_cli("report", str(log)).exit_code == 0


def test_markup_and_terminal_escapes_are_printed_as_text(tmp_path):
    # GIVEN names and reasons holding rich markup and terminal control sequences
    log = _log(
        tmp_path,
        event("[/usr/x.py:3]", "B", 1.0),
        event("[/usr/x.py:3]", "E", 5.0),
        _metrics({"co_name": "[/]\x1b[2J", "fail_type": "[red]Boom", "fail_reason": "\x1b]0;pwned\x07 [bold]x"}),
    )
    console = run_cli("report", str(log))
    markdown = run_cli("report", str(log), "-f", "markdown")
    for result in (console, markdown):
        assert result.exit_code == 0
        _no_traceback(result)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    # THEN the text shows literally: nothing vanished as markup, nothing reached the terminal
    assert "[/]" in console.stdout and "[red]Boom" in console.stdout and "[/usr/x.py:3]" in console.stdout
    assert "]0;pwned [bold]x" in console.stdout


def test_no_output_overwrites_an_input_or_is_left_half_written(tmp_path):
    log = tmp_path / "dedicated_log_torch_trace_x.log"
    shutil.copy(FIXTURES / "mlp.log", log)
    before = log.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(log)
    # an output that is the input, also through a link, is refused (exit 2) and the log is untouched
    for out in (log, link):
        result = run_cli("report", str(log), "-o", str(out), "--force", "-f", "json")
        assert result.exit_code == 2 and "overwrite an input" in result.stderr
    assert log.read_bytes() == before
    # the baseline as the JUnit file: refused, baseline kept
    baseline = tmp_path / "b.json"
    assert run_cli("check", str(log), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    kept = baseline.read_bytes()
    result = run_cli("check", str(log), "--baseline", str(baseline), "--junit-xml", str(baseline), "--force")
    assert result.exit_code == 2 and baseline.read_bytes() == kept
    # no temporary files are left behind by the writes
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_render_keeps_the_old_file(tmp_path, monkeypatch):
    from compileprof.profiler.render import json_report

    out = tmp_path / "r.json"
    out.write_text("the previous report")

    def boom(report, fh):
        fh.write(b"{half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(json_report, "write_json", boom)
    result = run_cli("report", str(FIXTURES / "mlp.log"), "-o", str(out), "--force")
    assert result.exit_code != 0 and out.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


GOOD_BASELINE = {"kind": "compileprof-baseline", "metrics": {"compiles": {"kind": "count", "value": 1, "samples": [1]}}}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"metrics": {"compiles": 5}}, "metrics.compiles is 5"),
        ({"metrics": {"compiles": {"kind": "count", "samples": 3}}}, "samples is 3"),
        ({"metrics": {"compiles": {"kind": "count", "samples": [10**400]}}}, "401-digit number"),
        ({"fingerprint": ["torch"]}, "fingerprint is a list"),
        ({"tolerances": {"time": {"rel": "abc"}}}, "tolerances.time.rel is 'abc'"),
        ({"tolerances": {"time": {"rel": None}}}, "tolerances.time.rel is null"),
        ({"tolerances": {"time": [1]}}, "tolerances.time is a list"),
        ({"metrics": {"compiles": {"kind": "count", "samples": [float("nan")]}}}, "samples[0] is nan"),
        ({"metrics": {"compiles": {"kind": "speed", "samples": [1]}}}, "one of count, time, instructions"),
    ],
)
def test_a_bad_baseline_is_one_line_and_exit_2(change, words, tmp_path):
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps({**GOOD_BASELINE, **change}))
    result = run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline))
    assert result.exit_code == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_deep_json_and_a_bad_pyproject_are_usage_errors(tmp_path, monkeypatch):
    baseline = tmp_path / "b.json"
    baseline.write_text("[" * 100_000 + "]" * 100_000)
    result = run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline))
    assert result.exit_code == 2 and "not a readable baseline" in result.stderr
    baseline.write_text(json.dumps(GOOD_BASELINE))
    (tmp_path / "pyproject.toml").write_text("[tool]\ncompileprof = 5\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline))
    assert result.exit_code == 2 and "tool.compileprof is 5" in result.stderr


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("children",), None),
        (("children", "cold", "wall_s"), "x"),
        (("primary",), None),
        (("children", "cold", "measure_asserts"), "s"),
        (("children", "cold", "directory"), None),
        (("factory_kwargs", "batch"), 10**30),
        # a key its readers index, absent (found by the 100,000-input fuzz run of this stop)
        (("children", "cold", "check", "tolerance"), DELETE),
        (("children", "cold", "measure_asserts", "samples_on_s"), DELETE),
        (("children", "warm", "trace"), DELETE),
    ],
)
def test_a_damaged_manifest_still_reports_the_traces_and_exits_4(path, value, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_mlp", run)
    manifest = json.loads((run / "manifest.json").read_text())
    node = manifest
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    (run / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("report", str(run), "-f", "json")
    assert result.exit_code == 4 and "damaged run manifest" in result.stderr
    _no_traceback(result)
    d = json.loads(result.stdout)  # the traces were read all the same: cold and warm as two logs
    assert d["manifest_error"] and len(d["files"]) == 2 and d["summary"]["compiles"] == 2
    assert d["measurement_compiles"]["compiles"] == 2  # the asserts-off compile of each child, apart


def test_cli_edges(tmp_path):
    def cli(*args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "compileprof", *args], capture_output=True, timeout=60, **kw)

    # stdout closed: one line, exit 2
    closed = cli("report", str(FIXTURES / "mlp.log"), stdout=None, stdin=subprocess.DEVNULL)
    assert closed.returncode == 0  # (a pipe that is open) ...
    proc = subprocess.run(
        f"{sys.executable} -m compileprof report {FIXTURES / 'mlp.log'} -f json >&-", shell=True, capture_output=True
    )
    assert proc.returncode == 2 and b"standard output is closed" in proc.stderr and b"Traceback" not in proc.stderr
    # a non-UTF-8 file name, as JSON
    odd = tmp_path / os.fsdecode(b"\xff\xfe.log")
    shutil.copy(FIXTURES / "mlp.log", odd)
    proc = cli("report", str(odd), "-f", "json")
    assert proc.returncode == 0 and "\ufffd" in json.loads(proc.stdout)["source"]
    # /dev/null is an empty log; '-' is standard input
    assert cli("report", "/dev/null").returncode == 0
    proc = cli("report", "-", "-f", "json", stdin=open(FIXTURES / "graph_break.log", "rb"))
    assert proc.returncode == 0 and json.loads(proc.stdout)["totals"]["compiles"] == 4
    # a closed pipe: quiet, 141. The reader goes away before the report is written (the 43 KB report
    # would fit in a pipe's 64 KB buffer, so a reader that first read a little raced with the writer)
    cmd = [sys.executable, "-m", "compileprof", "report", str(FIXTURES / "graph_break.log"), "-f", "json"]
    head = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head.stdout.close()
    assert head.wait(60) == 141 and head.stderr.read() == b""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["report", "x.log", "--jobs", "0"], "'--jobs'"),
        (["report", "x.log", "--limit", "-1"], "'--limit'"),
        (["report", "x.log", "--depth", "0"], "'--depth'"),
        (["report"], "Missing argument"),
        (["run", "--timeout", "-5"], "--timeout"),
        (["run", "--model-arg", "batch=-1"], "batch -1"),
        (["run", "--model-arg", "x=1e999"], "not a finite number"),
        (["run", "--dtype", "int3"], "--dtype"),
    ],
)
def test_bad_options_are_one_line_usage_errors(args, words, tmp_path):
    result = run_cli(*args, "--out", str(tmp_path / "x")) if args[0] == "run" else run_cli(*args)
    assert result.exit_code == 2 and words in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_a_missing_factory_function_is_a_usage_error(tmp_path):
    factory = tmp_path / "models.py"
    factory.write_text("import torch\n\ndef other():\n    pass\n")
    result = run_cli("run", f"{factory}:build", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "defines no 'build'" in result.stderr and not (tmp_path / "x").exists()


def test_an_interrupted_run_without_a_trace_says_so(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_mlp", run)
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    shutil.rmtree(run / "cold" / "trace")
    (run / "cold" / "trace").mkdir()
    result = run_cli("report", str(run))
    assert result.exit_code == 4 and "the run (interrupted) left no trace in cold/trace" in result.stderr


def test_an_oversized_record_is_skipped_and_counted(tmp_path):
    huge = record_line("artifact", {"name": "huge", "encoding": "string"}, "x" * (300 << 10))
    body = (FIXTURES / "mlp.log").read_text()
    log = _log(tmp_path, body, huge, body)
    small = TraceReader(log, chunk_size=64 << 10, max_record=128 << 10)
    whole = TraceReader(log, chunk_size=64 << 10)
    assert len(list(small)) == len(list(whole)) - 1
    assert small.stats.oversized == 1 and small.stats.lines == whole.stats.lines


def test_rows_past_the_limit_live_on_disk_and_read_back_in_order():
    rows = Rows(range(5000), keep=100)
    assert rows.spilled >= 4000 and len(rows) == 5000
    assert list(rows) == list(range(5000)) and rows[:3] == [0, 1, 2] and rows[-1] == 4999 and rows[4321] == 4321


def test_console_tables_are_bounded_by_limit(tmp_path):
    log = _log(tmp_path, *(_metrics({"fail_type": "E", "fail_reason": f"r{i}"}, frame=i) for i in range(40)))
    out = run_cli("report", str(log), "--limit", "5").stdout
    assert out.count("│ E ") + out.count(" E  ") <= 12 and "35 more failures and restarts" in out


def test_an_output_that_is_a_device_or_a_fifo_is_written_to_not_replaced(tmp_path):
    # GIVEN a FIFO as the output (as /dev/null is a device: renaming a file over it would replace it)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    cmd = [sys.executable, "-m", "compileprof", "report", str(FIXTURES / "mlp.log"), "-f", "json", "-o", str(fifo)]
    proc = subprocess.run(cmd, capture_output=True, timeout=60)
    # THEN the report went through the FIFO, which is still a FIFO, and no --force was needed
    assert proc.returncode == 0, proc.stderr
    assert json.loads(reader.communicate(timeout=60)[0])["totals"]["compiles"] == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize("command", ["diff", "explain-cache"])
def test_comparing_with_a_missing_path_is_one_line_exit_4(command, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "compileprof", command, str(tmp_path / "missing"), str(FIXTURES / "mlp.log")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 4 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "no such file or directory" in proc.stderr
