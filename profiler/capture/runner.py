"""Run the child process(es) of `compileprof run` and collect what they leave in the run directory."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..models.catalog import ModelSpec
from .rundir import write_manifest

CACHE_MODES = ("cold", "warm", "both")


@dataclass(slots=True)
class RunRequest:
    """Everything `compileprof run` was asked to do."""

    model: ModelSpec
    factory_kwargs: dict[str, Any]
    backend: str
    backend_options: dict[str, Any]
    device: str
    cache: str
    out: Path
    cache_dir: Path | None = None
    timeout_s: float | None = None
    threads: int | None = None
    measure_calls: int = 20
    measure_budget_s: float = 5.0
    measure: list[str] = field(default_factory=list)  # "asserts", "logging": A/B measurements
    rounds: int = 40
    pairs: int = 6
    repeat: int = 1
    argv: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ChildOutcome:
    """What one child process did."""

    label: str
    directory: Path
    exit_code: int | None
    wall_s: float
    timed_out: bool
    result: dict[str, Any] | None
    stderr_tail: list[str]

    @property
    def ok(self) -> bool:
        """True when the child finished every step."""
        return self.exit_code == 0 and bool(self.result) and self.result.get("status") == "ok"

    @property
    def failed_step(self) -> str | None:
        """The step the child was in when it failed (None if it did not fail in a step)."""
        if self.result and self.result.get("error"):
            return self.result["error"].get("step")
        return self.last_step

    @property
    def last_step(self) -> str | None:
        """The last step the progress file says was started."""
        try:
            lines = (self.directory / "progress.jsonl").read_text().splitlines()
        except OSError:
            return None
        starts = [json.loads(x)["step"] for x in lines if '"start"' in x]
        return starts[-1] if starts else None

    def to_dict(self) -> dict[str, Any]:
        """The manifest's entry for this child."""
        r = self.result or {}
        if self.timed_out:
            status = "timeout"
        elif self.ok:
            status = "ok"
        elif self.result is None:
            status = "crashed"
        else:
            status = "failed"
        return {
            "directory": self.directory.name,
            "trace": f"{self.directory.name}/trace",
            "status": status,
            "exit_code": self.exit_code,
            "wall_s": round(self.wall_s, 3),
            "steps_s": {k: round(v, 3) for k, v in r.get("steps", {}).items()},
            "failed_step": None if self.ok else self.failed_step,
            "error": {k: v for k, v in (r.get("error") or {}).items() if k != "traceback"} or None,
            "stderr_tail": None if self.ok else self.stderr_tail,
            "versions": r.get("versions"),
            "device": r.get("device"),
            "threads": r.get("threads"),
            "model": r.get("model"),
            "check": r.get("check"),
            "forward": r.get("forward"),
            "measure_asserts": r.get("measure_asserts"),
            "measure_logging": r.get("measure_logging"),
        }


def plan(cache: str, repeat: int = 1) -> tuple[list[tuple[str, bool]], str]:
    """The children to run for a cache mode, as (label, measured), and the label the report is built
    from; `repeat` > 1 adds repeats of the measured compile (`cold2`, `warm2`, ...) as samples."""
    extra = [str(i) for i in range(2, max(1, repeat) + 1)]
    if cache == "warm":
        return [("fill", False), ("warm", True), *((f"warm{i}", False) for i in extra)], "warm"
    if cache == "both":
        return [("cold", True), ("warm", True), *((f"{k}{i}", False) for i in extra for k in ("cold", "warm"))], "cold"
    return [("cold", True), *((f"cold{i}", False) for i in extra)], "cold"


def run_child(
    req: RunRequest,
    label: str,
    measured: bool,
    cache_dir: Path,
    on_step: Callable[[str, str], None],
) -> ChildOutcome:
    """Run one child with TORCH_TRACE=<run>/<label>/trace and the given Inductor cache; wait for it."""
    directory = req.out / label
    (directory / "trace").mkdir(parents=True, exist_ok=True)
    job = {
        "model": req.model.to_dict(),
        "factory_kwargs": req.factory_kwargs,
        "backend": req.backend,
        "backend_options": req.backend_options,
        "device": req.device,
        "threads": req.threads,
        "measure_calls": req.measure_calls if measured else 0,
        "measure_budget_s": req.measure_budget_s,
        "measure": req.measure if measured else [],
        "rounds": req.rounds,
        "pairs": req.pairs,
        "progress": str(directory / "progress.jsonl"),
        "result": str(directory / "result.json"),
    }
    (directory / "job.json").write_text(json.dumps(job, indent=2, default=str))
    env = dict(os.environ)
    env.update(
        TORCH_TRACE=str(directory / "trace"),
        TORCHINDUCTOR_CACHE_DIR=str(cache_dir),
        TRITON_CACHE_DIR=str(cache_dir / "triton"),
        PYTHONUNBUFFERED="1",
    )
    cmd = [sys.executable, "-m", "compileprof.profiler.capture.child", str(directory / "job.json")]
    start = time.perf_counter()
    timed_out = False
    with open(directory / "stdout.txt", "wb") as out, open(directory / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, start_new_session=True)
        seen = 0
        try:
            while proc.poll() is None:
                seen = _report_steps(directory / "progress.jsonl", seen, label, on_step)
                if req.timeout_s and time.perf_counter() - start > req.timeout_s:
                    timed_out = True
                    _kill(proc)
                    break
                time.sleep(0.2)
        except BaseException:
            _kill(proc)
            raise
        _report_steps(directory / "progress.jsonl", seen, label, on_step)
    wall = time.perf_counter() - start
    result = None
    if (directory / "result.json").is_file():
        try:
            result = json.loads((directory / "result.json").read_text())
        except ValueError:
            result = None
    tail = (directory / "stderr.txt").read_text(errors="replace").strip().splitlines()[-12:]
    return ChildOutcome(label, directory, proc.returncode, wall, timed_out, result, tail)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _report_steps(progress: Path, seen: int, label: str, on_step: Callable[[str, str], None]) -> int:
    try:
        lines = progress.read_text().splitlines()
    except OSError:
        return seen
    for line in lines[seen:]:
        try:
            event = json.loads(line)
        except ValueError:
            return seen  # a line being written
        if event.get("event") == "start":
            on_step(label, event["step"])
        seen += 1
    return seen


def execute(req: RunRequest, on_step: Callable[[str, str], None]) -> tuple[dict[str, Any], list[ChildOutcome]]:
    """Run the children the cache mode asks for (stopping at the first failure); write and return the manifest."""
    children, primary = plan(req.cache, req.repeat)
    fresh = req.cache_dir is None
    made: list[Path] = []
    cache_dir = req.cache_dir
    started = time.time()
    outcomes: list[ChildOutcome] = []
    try:
        for label, measured in children:
            if fresh and not label.startswith("warm"):  # every cold (or filling) compile gets an empty cache
                cache_dir = Path(tempfile.mkdtemp(prefix="compileprof-inductor-"))
                made.append(cache_dir)
            assert cache_dir is not None
            outcome = run_child(req, label, measured, cache_dir, on_step)
            outcomes.append(outcome)
            if not outcome.ok:
                break
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)
    last = outcomes[-1]
    status = "ok" if last.ok else ("timeout" if last.timed_out else "failed")
    first = next((o.result for o in outcomes if o.result and o.result.get("versions")), {}) or {}
    manifest = {
        "kind": "compileprof-run",
        "schema_version": 1,
        "tool": {"name": "compileprof", "version": __version__},
        "argv": req.argv,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "wall_s": round(time.time() - started, 3),
        "status": status,
        "model": req.model.to_dict(),
        "factory_kwargs": req.factory_kwargs,
        "backend": req.backend,
        "backend_options": req.backend_options,
        "device": req.device,
        "device_name": first.get("device"),
        "threads": first.get("threads"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "versions": first.get("versions") or {"python": platform.python_version()},
        "cache": req.cache,
        "cache_dir": str(req.cache_dir) if req.cache_dir else None,
        "timeout_s": req.timeout_s,
        "measure": req.measure,
        "repeat": req.repeat,
        "primary": primary if any(o.label == primary for o in outcomes) else last.label,
        "children": {o.label: o.to_dict() for o in outcomes},
    }
    write_manifest(req.out, manifest)
    return manifest, outcomes


def request_dict(req: RunRequest) -> dict[str, Any]:
    """The request as JSON-ready data (for logs and tests)."""
    d = asdict(req)
    d["model"] = req.model.to_dict()
    d["out"] = str(req.out)
    d["cache_dir"] = str(req.cache_dir) if req.cache_dir else None
    return d
