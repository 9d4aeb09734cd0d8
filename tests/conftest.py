"""Shared helpers: fixture paths, a builder of hand-made TORCH_TRACE logs, the CLI in-process, and the
`slow` marker on every end-to-end test (tests/e2e)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e compiles with torch: mark it `slow` (the fast lane is -m "not slow")."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.slow)


def record_line(kind: str, meta: object, payload: str | None = None, prefix: str = "", **envelope: object) -> str:
    """One record as torch writes it: glog prefix, JSON envelope, TAB-indented payload lines."""
    obj = {kind: meta, **envelope}
    if payload is not None:
        obj["has_payload"] = hashlib.md5(payload.encode()).hexdigest()
    text = f"{prefix}V1122 02:10:24.560000 2241 torch/_dynamo/utils.py:2350] {json.dumps(obj)}"
    if payload is not None:
        text += "".join(f"\n\t{line}" for line in payload.split("\n"))
    return text + "\n"


def artifact_line(name: str, payload: object, **envelope: object) -> str:
    """An `artifact` record of compile 0/0 (or `envelope`'s) with a JSON payload."""
    envelope = envelope or {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    return record_line("artifact", {"name": name, "encoding": "json"}, json.dumps(payload), **envelope)


def write_log(path: Path, *lines: str) -> Path:
    """A log at `path` made of `lines` (records from `record_line`, `event`, ...), one after the other."""
    path.write_text("".join(lines))
    return path


def report_of(tmp_path: Path, *lines: str, name: str = "x.log"):
    """The report of a log made of `lines`, read in one pass."""
    from compileprof.profiler.build import build_report

    return build_report(write_log(tmp_path / name, *lines), jobs=1)


def crlf_copy(src: Path, folder: Path) -> Path:
    """`src` copied into `folder` under its name, every line ending with CRLF (as a log that went
    through Windows)."""
    out = folder / src.name
    out.write_bytes(src.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return out


_GLOG_PID = re.compile(rb"([VIWEC]\d{4} \d\d:\d\d:\d\d\.\d+ +)\d+ ")


def one_process(*logs: bytes | str, pid: int = 2241) -> bytes:
    """Logs (or records) joined as if one process had written them all: every glog prefix's process id
    set to `pid` (the one `record_line` writes). Fixtures come from different processes, and a file
    holding several processes is read as several streams."""
    data = b"".join(x.encode() if isinstance(x, str) else x for x in logs)
    return _GLOG_PID.sub(rb"\g<1>%d " % pid, data)


def event(name: str, ph: str, ts_us: float, compile_id: str | None = "0/0", **extra: object) -> str:
    """A chromium_event record for compile `compile_id` (None: a background thread's)."""
    payload = json.dumps(
        {
            "name": name,
            "ts": ts_us,
            "args": {"compile_id": str(compile_id)},
            "ph": ph,
            "cat": "dynamo_timed",
            "tid": 0,
            "pid": 0,
            **extra,
        },
        indent=0,
    )
    env = {}
    if compile_id is not None:
        frame, fc = compile_id.split("/")
        env = {"frame_id": int(frame), "frame_compile_id": int(fc), "attempt": 0}
    return record_line("chromium_event", {}, payload, **env)


@pytest.fixture
def fixtures() -> Path:
    """The directory of real trace fixtures."""
    return FIXTURES


@pytest.fixture(scope="session")
def inductor_cache(tmp_path_factory) -> Path:
    """One Inductor cache for every compile of the test session (COMPILEPROF_TEST_CACHE keeps it across sessions)."""
    import os

    kept = os.environ.get("COMPILEPROF_TEST_CACHE")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return tmp_path_factory.mktemp("inductor-cache")


def run_cli(*args: str):
    """Invoke the compileprof CLI in this process (the run's child is still a real process)."""
    from compileprof.cli.main import app
    from typer.testing import CliRunner

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, inductor_cache) -> Path:
    """`compileprof run --compile-sizes 1,4` on the default model (piecewise backend, CPU), shared by
    the tests that read a run."""
    out = tmp_path_factory.mktemp("runs") / "default"
    result = run_cli(
        "run", "--compile-sizes", "1,4", "--out", str(out), "--cache-dir", str(inductor_cache), "--calls", "5"
    )
    assert result.exit_code == 0, result.output
    return out


def run_quiet(out: Path, cache: Path, *args: str, calls: str = "2"):
    """`compileprof run ARGS --out OUT --cache-dir CACHE --calls N --quiet`, in this process."""
    return run_cli("run", *args, "--out", str(out), "--cache-dir", str(cache), "--calls", calls, "--quiet")


def _alias_mutated_sources() -> None:
    """Under mutmut (its copy of the repository, `mutants/`), make `compileprof.profiler.x` the same module
    object as the mutated `profiler.x` mutmut imports by its file path: the installed package maps
    `compileprof.profiler` to the unmutated sources, and mutmut keys its mutants by `__module__`.
    benchmarks/mutation.py runs mutmut; nothing changes outside that copy."""
    import importlib
    import os
    import pkgutil
    import sys

    here = Path.cwd()
    if here.name != "mutants" or not (here / "profiler").is_dir() or "compileprof.profiler" in sys.modules:
        return
    sys.path.insert(0, str(here))
    import compileprof  # the top-level package (entry/), then every module of the mutated copy under both names

    root = importlib.import_module("profiler")
    sys.modules["compileprof.profiler"] = root
    compileprof.profiler = root  # type: ignore[attr-defined]
    for info in pkgutil.walk_packages(root.__path__, "profiler."):
        module = importlib.import_module(info.name)
        sys.modules["compileprof." + info.name] = module
    os.environ.setdefault("COMPILEPROF_MUTANTS", "1")


_alias_mutated_sources()
