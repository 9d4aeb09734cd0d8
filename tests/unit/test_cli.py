"""The CLI: in-process through typer's runner, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from compileprof.cli.main import app
from conftest import FIXTURES
from typer.testing import CliRunner

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_json_to_stdout():
    result = invoke("report", str(FIXTURES / "graph_break.log"), "--format", "json")
    assert result.exit_code == 0
    d = json.loads(result.stdout)
    assert d["totals"]["compiles"] == 4


def test_console_report_names_the_sections():
    result = invoke("report", str(FIXTURES / "mlp.log"))
    assert result.exit_code == 0
    for heading in (
        "Compiles",
        "Phase tree",
        "Where compile time goes",
        "Structured-logging",
        "Runtime asserts",
        "Parse health",
    ):
        assert heading in result.stdout
    assert "fixture_log_compile_start_torch_trace_only" in result.stdout


def test_output_file_is_never_overwritten_without_force(tmp_path):
    out = tmp_path / "r.md"
    assert invoke("report", str(FIXTURES / "mlp.log"), "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("## compileprof report")  # format from the extension
    out.write_text("mine")
    result = invoke("report", str(FIXTURES / "mlp.log"), "-o", str(out))
    assert result.exit_code == 2 and out.read_text() == "mine"
    assert "--force" in result.stderr
    assert invoke("report", str(FIXTURES / "mlp.log"), "-o", str(out), "--force").exit_code == 0
    assert out.read_text() != "mine"


def test_bad_input_gives_one_line_and_exit_4(tmp_path):
    missing = invoke("report", str(tmp_path / "nope"))
    assert missing.exit_code == 4 and "no such file" in missing.stderr and "Traceback" not in missing.output
    not_trace = tmp_path / "notes.txt"
    not_trace.write_text("hello\nworld\n")
    result = invoke("report", str(not_trace))
    assert result.exit_code == 4 and "not a TORCH_TRACE log" in result.stderr
    empty_dir = tmp_path / "d"
    empty_dir.mkdir()
    result = invoke("report", str(empty_dir))
    assert result.exit_code == 4 and "no TORCH_TRACE logs" in result.stderr


def test_strict_fails_on_damage_but_still_reports():
    result = invoke("report", str(FIXTURES / "damaged_garbage.log"), "--strict")
    assert result.exit_code == 5
    assert "Parse health" in result.stdout and "fail_json 1" in result.stdout
    assert invoke("report", str(FIXTURES / "damaged_garbage.log")).exit_code == 0
    assert invoke("report", str(FIXTURES / "mlp.log"), "--strict").exit_code == 0


@pytest.mark.parametrize("fmt", ["json", "html", "perfetto"])
def test_subprocess_report_never_imports_torch(fmt):
    code = (
        f"import sys; sys.argv = ['compileprof', 'report', sys.argv[1], '-f', '{fmt}', '-o', sys.argv[2], '--force'];"
        "import compileprof.cli.main as m\n"
        "try:\n    m.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'torch' not in sys.modules, 'report imported torch'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / "mlp.log"), os.devnull], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_subprocess_json_and_no_torch_import(tmp_path):
    # `report` must start fast: it never imports torch.
    code = (
        "import sys, runpy; sys.argv = ['compileprof', 'report', sys.argv[1], '-f', 'json'];"
        "import compileprof.cli.main as m\n"
        "try:\n    m.main()\nexcept SystemExit as e:\n    code = e.code\n"
        "assert 'torch' not in sys.modules, 'report imported torch'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / "mlp.log")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema_version"] == 1
    proc = subprocess.run(
        [sys.executable, "-m", "compileprof", "report", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 4 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_every_test_module_has_a_name_of_its_own():
    # pytest imports test modules by their file name (no packages): two files of one name in tests/unit
    # and tests/e2e would stop the collection of the whole suite
    from collections import Counter

    names = Counter(p.name for p in (Path(__file__).parent.parent).rglob("test_*.py"))
    assert [n for n, k in names.items() if k > 1] == []


def test_every_package_folder_is_installed_by_a_wheel_too():
    # an editable install finds a folder the package list forgets; a wheel (a Ray worker's, a user's
    # `pip install .`) would not: every folder of Python sources is a listed package with an __init__
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11's tomllib reads pyproject.toml")
    root = Path(__file__).resolve().parents[2]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    for top, name in (
        ("profiler", "compileprof.profiler"),
        ("cli", "compileprof.cli"),
        ("backends", "compileprof.backends"),
    ):
        for folder in [root / top, *(p for p in (root / top).rglob("*") if p.is_dir() and p.name != "__pycache__")]:
            if any(folder.glob("*.py")):
                dotted = ".".join([name, *folder.relative_to(root / top).parts])
                assert dotted in listed and (folder / "__init__.py").exists(), dotted
