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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..model.run import FILL, ChildRecord, PlannedChild, RunManifest, plan, write_manifest
from . import counting
from .job import ChildJob, ChildResult
from .request import RunRequest

OnStep = Callable[[str, str], None]  # (child label, step name) when a step starts
STDERR_TAIL = 12
# Lines a child's stderr holds that never explain a failure (torch's warning when numpy is missing, and
# the source line Python prints under a warning): left out of the tail shown with an error.
STDERR_NOISE = ("Failed to initialize NumPy", "_ARRAY_API not found", "warnings.warn(", "UserWarning: ")


@dataclass(slots=True)
class ChildOutcome:
    """What one child process did."""

    label: str
    directory: Path
    exit_code: int | None
    wall_s: float
    timed_out: bool
    result: ChildResult | None
    stderr_tail: list[str]
    interrupted: bool = False  # stopped because the user interrupted the run (Ctrl-C)
    instructions: dict[str, Any] | None = None  # the compile step's count, when counted under callgrind

    @property
    def ok(self) -> bool:
        """True when the child finished every step."""
        return self.exit_code == 0 and self.result is not None and self.result.status == "ok"

    @property
    def failed_step(self) -> str | None:
        """The step the child was in when it failed (None if it did not fail in a step)."""
        if self.result and self.result.error:
            return self.result.error.get("step")
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

    @property
    def status(self) -> str:
        """ok, interrupted, timeout, crashed (no result) or failed."""
        if self.interrupted:
            return "interrupted"
        if self.timed_out:
            return "timeout"
        if self.ok:
            return "ok"
        return "crashed" if self.result is None else "failed"

    def record(self) -> ChildRecord:
        """The manifest's entry for this child."""
        r = self.result or ChildResult(steps={})
        return ChildRecord(
            directory=self.directory.name,
            trace=f"{self.directory.name}/trace",
            status=self.status,
            exit_code=self.exit_code,
            wall_s=round(self.wall_s, 3),
            steps_s={k: round(v, 3) for k, v in r.steps.items()},
            failed_step=None if self.ok else self.failed_step,
            error={k: v for k, v in (r.error or {}).items() if k != "traceback"} or None,
            stderr_tail=None if self.ok else self.stderr_tail,
            versions=r.versions,
            device=r.device,
            threads=r.threads,
            model=r.model,
            check=r.check,
            forward=r.forward,
            measure_asserts=r.measure_asserts,
            measure_logging=r.measure_logging,
            trace_cost=r.trace_cost,
            instructions=self.instructions,
        )


def _job(req: RunRequest, child: PlannedChild, directory: Path) -> ChildJob:
    return ChildJob(
        model=req.model.to_dict(),
        factory_kwargs=req.factory_kwargs,
        backend=req.backend,
        backend_options=req.backend_options,
        device=req.device,
        threads=req.threads,
        measure_calls=req.measure_calls if child.measured else 0,
        measure_budget_s=req.measure_budget_s,
        measure=req.measure if child.measured else [],
        rounds=req.rounds,
        pairs=req.pairs,
        progress=str(directory / "progress.jsonl"),
        result=str(directory / "result.json"),
        count=_counted(req, child),
        count_phases=_counted(req, child) and req.count_phases,
    )


def _counted(req: RunRequest, child: PlannedChild) -> bool:
    """True for a child whose compile is counted: every one but the cache-filling child."""
    return req.count is not None and child.label != FILL


def _wait(proc: subprocess.Popen, directory: Path, label: str, timeout_s: float | None, on_step: OnStep) -> str:
    """Wait for the child, reporting its steps as they start: "done", "timeout" (killed past the
    timeout) or "interrupted" (this process got Ctrl-C: the child is asked to stop, so its trace is
    flushed, before it is killed)."""
    start = time.perf_counter()
    seen = 0
    try:
        while proc.poll() is None:
            seen = _report_steps(directory / "progress.jsonl", seen, label, on_step)
            if timeout_s and time.perf_counter() - start > timeout_s:
                _kill(proc)
                return "timeout"
            time.sleep(0.2)
    except KeyboardInterrupt:
        _stop(proc)
        return "interrupted"
    except BaseException:
        _kill(proc)
        raise
    _report_steps(directory / "progress.jsonl", seen, label, on_step)
    return "done"


STOP_GRACE_S = ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0))  # then SIGKILL


def _stop(proc: subprocess.Popen) -> None:
    """Stop the child's process group politely (SIGINT: Python unwinds, torch's log handlers flush),
    then firmly; a second Ctrl-C kills it at once."""
    try:
        for sig, grace in STOP_GRACE_S:
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    _kill(proc)  # whatever is left of its group (compile workers), and the child itself if it did not stop


def run_child(req: RunRequest, child: PlannedChild, cache_dir: Path, on_step: OnStep) -> ChildOutcome:
    """Run one child with TORCH_TRACE=<run>/<label>/trace and the given Inductor cache; wait for it."""
    assert req.out is not None
    directory = req.out / child.label
    (directory / "trace").mkdir(parents=True, exist_ok=True)
    job = _job(req, child, directory)
    helper = counting.build_helper(directory) if job.count else None
    job.count_helper = str(helper) if helper else None
    job.write(directory / "job.json")
    env = dict(os.environ)
    env.update(
        TORCH_TRACE=str(directory / "trace"),
        TORCHINDUCTOR_CACHE_DIR=str(cache_dir),
        TRITON_CACHE_DIR=str(cache_dir / "triton"),
        PYTHONUNBUFFERED="1",
    )
    cmd = [sys.executable, "-m", "compileprof.profiler.run.child", str(directory / "job.json")]
    counted = job.count
    if counted:
        cmd = [*counting.command(counting.require_valgrind(), directory, helper is None), *cmd]
        env.update(counting.environment())
        on_step = _under_callgrind(on_step)
    start = time.perf_counter()
    with open(directory / "stdout.txt", "wb") as out, open(directory / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, start_new_session=True)
        ended = _wait(proc, directory, child.label, req.timeout_s, on_step)
    wall = time.perf_counter() - start
    result = ChildResult.read(directory / "result.json")
    tail = stderr_tail((directory / "stderr.txt").read_text(errors="replace"))
    outcome = ChildOutcome(
        child.label, directory, proc.returncode, wall, ended == "timeout", result, tail, ended == "interrupted"
    )
    if counted:
        outcome.instructions = counting.read_counts(directory) if outcome.ok else counting.discard(directory)
    return outcome


def _under_callgrind(on_step: OnStep) -> OnStep:
    """Steps shown as running under callgrind (each is tens of times slower than without)."""
    return lambda label, step: on_step(label, f"{step} (under callgrind)")


def stderr_tail(text: str, lines: int = STDERR_TAIL) -> list[str]:
    """The last `lines` lines of a child's stderr that are not known noise (STDERR_NOISE)."""
    kept = [x for x in text.strip().splitlines() if x.strip() and not any(n in x for n in STDERR_NOISE)]
    return kept[-lines:]


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _report_steps(progress: Path, seen: int, label: str, on_step: OnStep) -> int:
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


def _manifest(req: RunRequest, outcomes: list[ChildOutcome], primary: str, started: float) -> RunManifest:
    last = outcomes[-1]
    first = next((o.result for o in outcomes if o.result and o.result.versions), None)
    return RunManifest(
        tool={"name": "compileprof", "version": __version__},
        argv=req.argv,
        started=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        wall_s=round(time.time() - started, 3),
        status="ok" if last.ok else ("failed" if last.status in ("failed", "crashed") else last.status),
        model=req.model.to_dict(),
        factory_kwargs=req.factory_kwargs,
        backend=req.backend,
        backend_options=req.backend_options,
        device=req.device,
        device_name=first.device if first else None,
        threads=first.threads if first else None,
        cpu_count=os.cpu_count(),
        platform=platform.platform(),
        versions=(first.versions if first else None) or {"python": platform.python_version()},
        cache=req.cache,
        cache_dir=str(req.cache_dir) if req.cache_dir else None,
        timeout_s=req.timeout_s,
        measure=req.measure,
        repeat=req.repeat,
        primary=primary if any(o.label == primary for o in outcomes) else last.label,
        children={o.label: o.record() for o in outcomes},
        host=host(),
        count=req.count,
    )


def cpu_model() -> str | None:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform module says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def host() -> dict[str, Any]:
    """The machine a run ran on, as the history tells series apart: OS, architecture, CPU model."""
    return {"system": platform.system(), "machine": platform.machine(), "cpu": cpu_model()}


def execute(
    req: RunRequest, on_step: OnStep, on_child: Callable[[ChildOutcome], None] | None = None
) -> tuple[RunManifest, list[ChildOutcome]]:
    """Run the children the cache mode asks for (stopping at the first failure or interruption), telling
    `on_child` of each as it ends; write and return the manifest (also when interrupted: its status
    then says so)."""
    assert req.out is not None
    run_plan = plan(req.cache, req.repeat)
    made: list[Path] = []
    cache_dir = req.cache_dir
    started = time.time()
    outcomes: list[ChildOutcome] = []
    try:
        for child in run_plan.children:
            if req.cache_dir is None and child.fresh_cache:  # every cold (or filling) compile gets an empty cache
                cache_dir = Path(tempfile.mkdtemp(prefix="compileprof-inductor-"))
                made.append(cache_dir)
            assert cache_dir is not None
            outcome = run_child(req, child, cache_dir, on_step)
            outcomes.append(outcome)
            if on_child is not None:
                on_child(outcome)
            if not outcome.ok:
                break
    finally:
        for d in made:
            shutil.rmtree(d, ignore_errors=True)
    manifest = _manifest(req, outcomes, run_plan.primary, started)
    write_manifest(req.out, manifest)
    return manifest, outcomes
