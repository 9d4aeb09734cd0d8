"""Safe to publish: every output of every command, with hostile strings from a log, a path or a manifest,
is valid for its format and shows them as text; no write follows a planted link, leaves a temporary
file, or loses a concurrent update; write failures and odd paths are one line with their exit code.
One test per class of attack, through the CLI (exit code and output asserted)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli
from fuzz.hostile import NAMES, SHOWN, hostile_log
from fuzz.validity import Unsafe, check_html, check_json, check_junit, check_markdown, check_perfetto


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return hostile_log(tmp_path / "dedicated_log_torch_trace_x.log")


def test_every_report_page_keeps_its_script_and_holds_the_strings_as_data(log, tmp_path):
    # GIVEN a log whose strings would end the page's data script or open a comment in it
    for name, args in (("r.html", ["report", str(log)]), ("d.html", ["diff", str(log), str(log)])):
        out = tmp_path / name
        result = run_cli(*args, "-o", str(out))
        assert result.exit_code == 0, result.output
        # THEN the page parses into its data and its untouched drawing script, the data holding the names
        data = check_html(out.read_bytes())
        text = json.dumps(data)
        assert all(json.dumps(s)[1:-1] in text for s in SHOWN), name


def test_a_planted_link_at_a_temporary_name_is_never_followed(log, tmp_path):
    # GIVEN symlinks where the old writer put its temporary files (`.NAME.<pid>.tmp`), pointing at a victim
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    outs = {"r.json": ["report", str(log), "-o"], "b.json": ["check", str(log), "--update-baseline", "--baseline"]}
    for name in (*outs, "j.xml"):
        (tmp_path / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    for name, args in outs.items():
        assert run_cli(*args, str(tmp_path / name)).exit_code == 0
    junit = run_cli("check", str(log), "--baseline", str(tmp_path / "b.json"), "--junit-xml", str(tmp_path / "j.xml"))
    assert junit.exit_code == 0, junit.output
    # THEN the victim is untouched, each output is a new regular file, and the links are still links
    assert victim.read_text() == "keep me"
    for name in (*outs, "j.xml"):
        assert (tmp_path / name).is_file() and not (tmp_path / name).is_symlink()
        assert (tmp_path / f".{name}.{os.getpid()}.tmp").is_symlink()


def test_markdown_of_every_command_carries_no_html_link_or_image(log, tmp_path):
    baseline = tmp_path / "b.json"
    assert run_cli("check", str(log), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    outputs = {
        "report": run_cli("report", str(log), "-f", "markdown"),
        "check": run_cli("check", str(log), "--baseline", str(baseline), "-f", "markdown"),
        "diff": run_cli("diff", str(log), str(log), "-f", "markdown"),
        "explain-cache": run_cli("explain-cache", str(log), str(log), "-f", "markdown"),
    }
    for command, result in outputs.items():
        assert result.exit_code == 0, (command, result.output)
        shown = check_markdown(result.stdout)  # THEN GitHub would render no HTML, link or image
        if command == "report":  # and the names read as written (control characters gone)
            assert all(s in shown for s in SHOWN)
            assert "`x` [link](http://evil.example)" in shown  # the backtick stayed inside its code span


def test_a_run_manifest_s_strings_are_escaped_in_markdown(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_mlp", run)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["model"]["label"] = NAMES[2] + NAMES[3]
    manifest["children"]["cold"]["status"] = "<b>ok</b>"
    manifest["versions"]["torch"] = "![x](http://evil.example)"
    (run / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("report", str(run), "-f", "markdown")
    assert result.exit_code == 0, result.output
    shown = check_markdown(result.stdout)
    assert "<img src=x onerror=alert(3)>" in shown and "<b>ok</b>" in shown and "![x](http://evil.example)" in shown


def test_junit_is_well_formed_with_control_characters_in_names_and_versions(log, tmp_path):
    # GIVEN a baseline whose fingerprint differs by a torch version with a control character
    baseline = tmp_path / "b.json"
    assert run_cli("check", str(log), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    data = json.loads(baseline.read_text())
    data["fingerprint"]["torch"] = "2.12\x01\x1b[2J"
    baseline.write_text(json.dumps(data))
    junit = tmp_path / "j.xml"
    result = run_cli("check", str(log), "--baseline", str(baseline), "--junit-xml", str(junit))
    assert result.exit_code == 0, result.output
    # THEN the XML parses, and names the skipped time comparisons with the version, minus what XML forbids
    suite = check_junit(junit.read_bytes())
    skipped = [s.get("message") for s in suite.iter("skipped")]
    assert any("torch 2.12[2J -> 2.13.0" in m for m in skipped), skipped[:3]
    assert not any(ch in m for m in skipped for ch in "\x01\x1b")


def test_paths_that_are_not_utf8_are_written_as_replacement_characters(tmp_path):
    # GIVEN a log and outputs whose names are not UTF-8
    odd = tmp_path / os.fsdecode(b"a\xff.log")
    shutil.copy(FIXTURES / "mlp.log", odd)
    for fmt in ("html", "perfetto", "json"):
        out = tmp_path / os.fsdecode(b"h\xff." + fmt.encode())
        result = run_cli("report", str(odd), "-f", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        doc = check_html(out.read_bytes()) if fmt == "html" else check_json(out.read_bytes())
        if fmt != "perfetto":
            assert "a\ufffd.log" in json.dumps(doc, ensure_ascii=False)
    for args in (["diff", str(odd), str(odd), "-f", "json"], ["explain-cache", str(odd), str(odd), "-f", "json"]):
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
        assert "a\ufffd.log" in json.dumps(check_json(result.stdout_bytes), ensure_ascii=False)


def test_a_lone_surrogate_in_a_manifest_is_written_as_a_replacement_character(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_mlp", run)
    raw = (run / "manifest.json").read_text().replace('"label": "', '"label": "\\udcff\\ud800', 1)
    (run / "manifest.json").write_text(raw)
    for fmt, check in (("json", check_json), ("html", check_html), ("markdown", check_markdown)):
        result = run_cli("report", str(run), "-f", fmt)
        assert result.exit_code == 0, result.output
        check(result.stdout_bytes if fmt != "markdown" else result.stdout)
        assert "\ufffd\ufffd" in result.stdout


def test_a_rank_in_a_file_name_past_the_bound_names_no_rank(tmp_path):
    d = tmp_path / "ranks"
    d.mkdir()
    shutil.copy(FIXTURES / "mlp.log", d / "dedicated_log_torch_trace_rank_18446744073709551616.log")
    shutil.copy(FIXTURES / "mlp.log", d / f"dedicated_log_torch_trace_rank_{'9' * 200}.log")
    shutil.copy(FIXTURES / "graph_break.log", d / "dedicated_log_torch_trace_rank_3.log")
    result = run_cli("report", str(d), "-f", "json")
    assert result.exit_code == 0, result.output
    # THEN the named rank stays, the two unreadable ones are numbered from the smallest free rank
    assert sorted(t["rank"] for t in json.loads(result.stdout)["ranks"]) == [0, 1, 3]


def test_jobs_are_capped_at_the_cpus_and_the_cap_is_said(monkeypatch):
    import concurrent.futures as cf

    from compileprof.profiler.fold import parallel

    started: list[int] = []

    class Counting(cf.ThreadPoolExecutor):
        def __init__(self, max_workers: int, mp_context: object = None) -> None:
            started.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(cf, "ProcessPoolExecutor", Counting)
    result = run_cli("report", str(FIXTURES / "ranks2"), "-j", "1000000000", "-f", "json")
    assert result.exit_code == 0, result.output
    cpus = parallel.usable_cpus()
    assert f"--jobs 1000000000: this machine lets compileprof use {cpus} CPUs" in result.stderr
    assert started == ([min(2, cpus)] if cpus > 1 else [])  # two logs: at most two processes


def test_stale_temporaries_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "r.json"
    dead = 2**22 + 12345  # above any pid this machine hands out
    mine = [f".r.json.{dead}.abc123{'.compileprof-tmp'}", f".r.json.{dead}.tmp"]
    live = f".r.json.{os.getppid()}.xyz.compileprof-tmp"
    other = f".other.json.{dead}.tmp"
    for name in (*mine, live, other):
        (tmp_path / name).write_text("partial")
    assert run_cli("report", str(FIXTURES / "mlp.log"), "-o", str(out)).exit_code == 0
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([live, other, "r.json"])


def test_a_terminated_report_leaves_no_temporary_file(tmp_path):
    # GIVEN a report whose writing is slow, stopped by SIGTERM half way
    out = tmp_path / "r.json"
    code = (
        "import sys, time\n"
        "from compileprof.profiler.render import json_report\n"
        "def slow(report, fh):\n"
        "    fh.write(b'{half'); fh.flush(); print('writing', flush=True); time.sleep(60)\n"
        "json_report.write_json = slow\n"
        "from compileprof.cli.main import main\n"
        f"sys.argv = ['compileprof', 'report', {str(FIXTURES / 'mlp.log')!r}, '-o', {str(out)!r}]\n"
        "main()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"writing\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.json.")]  # the temporary file exists
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    # THEN it stops like Ctrl-C, in one line, and removed its temporary file
    assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_second_baseline_update_waits_for_the_first(tmp_path, monkeypatch):
    from compileprof.profiler import files

    baseline = tmp_path / "b.json"
    assert run_cli("check", str(FIXTURES / "mlp.log"), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with files.locked(baseline):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    # WHEN another update starts while the lock is held, with a short wait: one line, its own exit code
    monkeypatch.setattr(files, "LOCK_WAIT_S", 0.3)
    result = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "--update-baseline")
    assert result.exit_code == 8 and "another compileprof has been updating this baseline" in result.stderr
    assert result.stderr.count("\n") == 1
    # and with the lock released in time, it waits, then refreshes what the first wrote
    monkeypatch.setattr(files, "LOCK_WAIT_S", 30.0)
    threading.Timer(0.3, release.set).start()
    start = time.monotonic()
    result = run_cli("check", str(FIXTURES / "graph_break.log"), "--baseline", str(baseline), "--update-baseline")
    holder.join()
    assert result.exit_code == 0 and time.monotonic() - start >= 0.25
    assert "updated baseline" in result.stdout and "UPDATED  compiles: 1 -> 4" in result.stdout


def test_two_concurrent_baseline_updates_both_land(tmp_path):
    baseline = tmp_path / "b.json"
    cmd = [sys.executable, "-m", "compileprof", "check", "--baseline", str(baseline), "--update-baseline"]
    procs = [subprocess.Popen([*cmd, str(FIXTURES / name)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("mlp.log", "graph_break.log")]  # fmt: skip
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    said = [o[0].decode() for o in outs]
    # THEN exactly one wrote the baseline and the other refreshed what it wrote (none was lost unseen)
    assert sorted(s.split()[0] for s in said) == ["updated", "wrote"]
    assert json.loads(baseline.read_text())["kind"] == "compileprof-baseline"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_write_that_fails_exits_8_naming_the_output():
    result = run_cli("report", str(FIXTURES / "mlp.log"), "-f", "json", "-o", "/dev/full")
    assert result.exit_code == 8 and "/dev/full: cannot write (No space left on device)" in result.stderr
    proc = subprocess.run(
        f"{sys.executable} -m compileprof report {FIXTURES / 'mlp.log'} -f json > /dev/full",
        shell=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 8 and b"standard output: cannot write" in proc.stderr
    assert proc.stderr.count(b"\n") == 1 and b"Traceback" not in proc.stderr


def test_run_force_refuses_a_folder_that_is_not_a_run_and_keeps_what_is_not_a_run_s(tmp_path):
    from compileprof.profiler.run.rundir import prepare_run_dir

    # GIVEN a folder of the user's that happens to hold names a run writes
    mine = tmp_path / "mine"
    (mine / "cold" / "data").mkdir(parents=True)
    (mine / "cold" / "data" / "x.bin").write_text("user data")
    (mine / "report.md").write_text("user notes")
    result = run_cli("run", "--out", str(mine), "--force")
    # THEN --force is refused before anything runs, and nothing is deleted
    assert result.exit_code == 2 and "not a compileprof run directory" in result.stderr
    assert (mine / "report.md").read_text() == "user notes" and (mine / "cold" / "data" / "x.bin").exists()
    # GIVEN a previous run with files of the user's beside and inside it
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_mlp", run)
    (run / "notes.md").write_text("mine")
    (run / "cold" / "notes.txt").write_text("mine")
    (run / "report.html").write_text("old page")
    prepare_run_dir(run, force=True)
    # THEN only what the run wrote is gone
    left = sorted(str(p.relative_to(run)) for p in run.rglob("*"))
    assert left == ["cold", "cold/notes.txt", "notes.md"]


def test_a_hostile_log_renders_valid_perfetto_and_json(log):
    for fmt, check in (("perfetto", check_perfetto), ("json", check_json)):
        result = run_cli("report", str(log), "-f", fmt)
        assert result.exit_code == 0
        check(result.stdout_bytes)
    with pytest.raises(Unsafe):
        check_markdown("<img src=x>")  # the check itself catches what it must
