"""Running a sweep's cells on this machine: each cell is `compileprof run` in a process of its own
(the same child process, options and run directory as a run by hand), `jobs` at a time, with torch's
threads per child chosen so the children together do not oversubscribe the cores.

Ctrl-C stops the running cells politely (each run is asked to stop as Ctrl-C asks it: its trace is
flushed and its directory kept) and starts no more; their cells are `interrupted`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, EXIT_TIMEOUT, EXIT_USAGE
from ..fold.parallel import usable_cpus
from .suite import Cell

OK, FAILED, TIMEOUT, REFUSED, CRASHED, INTERRUPTED = "ok", "failed", "timeout", "refused", "crashed", "interrupted"
_BY_EXIT = {EXIT_OK: OK, EXIT_RUN_FAILED: FAILED, EXIT_TIMEOUT: TIMEOUT, EXIT_USAGE: REFUSED,
            EXIT_INTERRUPTED: INTERRUPTED}  # fmt: skip
LOGS = "logs"  # under the sweep's --out: each cell's console output (`logs/<cell>.txt`)
TAIL = 6


@dataclass(slots=True)
class CellRun:
    """What one cell's run did, and where."""

    cell: Cell
    status: str
    exit_code: int | None
    wall_s: float
    where: str  # "local", or the Ray node that ran it
    tail: list[str] = field(default_factory=list)  # the last lines it printed (its error)


OnEvent = Callable[[str, Cell, "CellRun | None"], None]  # ("start" | "end", cell, its run when it ended)


def threads_per_cell(jobs: int, cpus: int | None = None) -> int:
    """torch threads for each of `jobs` children at once: the CPUs shared out, at least one."""
    return max(1, (cpus or usable_cpus()) // max(1, jobs))


def cell_args(cell: Cell, threads: int | None) -> list[str]:
    """`compileprof run` arguments of a cell (without --out): the model, the variant's options, quiet,
    and the threads unless the variant chose its own."""
    args = ["run", cell.model, *cell.variant.args, "--quiet"]
    if threads and not any(a.split("=", 1)[0] == "--threads" for a in cell.variant.args):
        args += ["--threads", str(threads)]
    return args


def status_of(exit_code: int | None) -> str:
    """A cell's status from its run's exit code (README's exit codes of `run`)."""
    if exit_code is None:
        return CRASHED
    return _BY_EXIT.get(exit_code, CRASHED)


def tail_of(text: str, lines: int = TAIL) -> list[str]:
    """The last non-empty lines of a cell's output."""
    return [x for x in text.strip().splitlines() if x.strip()][-lines:]


class LocalCells:
    """Cells run as processes on this machine, `jobs` at a time."""

    def __init__(self, out: Path, jobs: int, on_event: OnEvent) -> None:
        self.out, self.jobs, self.on_event = out, max(1, jobs), on_event
        self.threads = threads_per_cell(self.jobs)
        self._procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(self, cells: list[Cell]) -> list[CellRun]:
        """Run every cell; on Ctrl-C, stop the running ones and mark the rest interrupted."""
        (self.out / LOGS).mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="compileprof-cell") as pool:
            futures = [pool.submit(self._one, c) for c in cells]
            try:
                return [f.result() for f in futures]
            except KeyboardInterrupt:
                self._stopping.set()
                self._interrupt()
                return [f.result() for f in futures]

    def _one(self, cell: Cell) -> CellRun:
        if self._stopping.is_set():
            return CellRun(cell, INTERRUPTED, None, 0.0, "local", ["not started: the sweep was interrupted"])
        self.on_event("start", cell, None)
        argv = [sys.executable, "-m", "compileprof", *cell_args(cell, self.threads), "--out", str(self.out / cell.key)]
        log = self.out / LOGS / f"{cell.key}.txt"
        start = time.perf_counter()
        with open(log, "wb") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
            with self._lock:
                self._procs[cell.key] = proc
            code = proc.wait()
            with self._lock:
                self._procs.pop(cell.key, None)
        done = CellRun(cell, status_of(code), code, time.perf_counter() - start, "local",
                       tail_of(log.read_text(errors="replace")))  # fmt: skip
        if self._stopping.is_set() and done.status != OK:
            done.status = INTERRUPTED
        self.on_event("end", cell, done)
        return done

    def _interrupt(self) -> None:
        """Ask every running cell's run to stop as Ctrl-C would (it flushes and keeps its directory)."""
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGINT)
            except (ProcessLookupError, PermissionError):
                pass
