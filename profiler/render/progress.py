"""Progress of `compileprof run` on stderr: one line per child step, with its elapsed time.

On a terminal, a spinner per step (rich); anywhere else (a CI log, a pipe) a plain line when each step
starts and a heartbeat line every HEARTBEAT_S seconds while it runs, so a long compile is never silent.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

from rich.console import Console, RenderableType
from rich.progress import Progress, SpinnerColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from .escaping import clean

T = TypeVar("T")
OnStep = Callable[[str, str], None]
HEARTBEAT_S = 30.0


class _MarkColumn(SpinnerColumn):
    """A spinner while a step runs; a green tick when it ended, a red cross when the child failed in it."""

    def render(self, task: Task) -> RenderableType:
        """The mark of `task`."""
        if task.fields.get("failed"):
            return Text("✗", style="red")
        return super().render(task)


def with_progress(work: Callable[[OnStep], T], finished: Callable[[T], bool], interval_s: float = HEARTBEAT_S) -> T:
    """Call `work(on_step)`, showing each step as it starts and marking the previous one done; the last
    step is marked done when `finished(result)` says the work succeeded, else failed. Not on a
    terminal: plain lines and a heartbeat every `interval_s` seconds (see `Heartbeat`)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        with Heartbeat(sys.stderr, interval_s) as beat:
            return work(beat.step)
    columns = [_MarkColumn(finished_text="[green]✓[/]"), TextColumn("{task.description}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: list[TaskID] = []

        def on_step(label: str, step: str) -> None:
            for task in tasks:  # the previous step ended
                progress.update(task, completed=1)
            tasks.clear()
            tasks.append(progress.add_task(f"{label}: {step}", total=1))

        result = work(on_step)
        ok = finished(result)
        for task in tasks:  # the last step: done, or marked failed
            progress.update(task, completed=1, failed=not ok)
            progress.stop_task(task)
    return result


class Heartbeat:
    """Plain progress lines for a log: `compileprof: cold: compile` as a step starts, then
    `compileprof: cold: compile, running for 1 min 30 s` every `interval_s` seconds until the next."""

    def __init__(self, out: TextIO, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.interval_s, self.clock = out, interval_s, clock
        self.current: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="compileprof-heartbeat", daemon=True)

    def step(self, label: str, step: str) -> None:
        """A step started."""
        with self._lock:
            self.current = (clean(f"{label}: {step}"), self.clock())
            self._say(self.current[0])

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            with self._lock:
                if self.current is not None:
                    what, since = self.current
                    self._say(f"{what}, running for {_duration(self.clock() - since)}")

    def _say(self, line: str) -> None:
        print(f"compileprof: {line}", file=self.out, flush=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _duration(seconds: float) -> str:
    """`45 s`, `1 min 30 s`, `1 h 2 min`."""
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


class SweepProgress:
    """A sweep's progress on stderr: on a terminal one bar (cells done of all, with how many failed and
    are running, and where the last one ran); anywhere else a line per finished cell and a heartbeat
    every `interval_s` seconds. Its `event` is the executors' OnEvent."""

    def __init__(self, total: int, where: str, interval_s: float = HEARTBEAT_S) -> None:
        self.total, self.where, self.done, self.failed, self.running = total, where, 0, 0, 0
        self.console = Console(stderr=True)
        self._lock = threading.Lock()
        self._bar: Progress | None = None
        self._beat: Heartbeat | None = None
        self.interval_s = interval_s

    def __enter__(self) -> SweepProgress:
        if self.console.is_terminal:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=self.console, transient=False)  # fmt: skip
            self._bar.__enter__()
            self._task = self._bar.add_task(self._words(), total=self.total)
        else:
            self._beat = Heartbeat(sys.stderr, self.interval_s).__enter__()
            self._beat.step("sweep", f"{self.total} cells ({self.where})")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
        if self._beat is not None:
            self._beat.__exit__()

    def _words(self, last: str = "") -> str:
        return (f"sweep: {self.done}/{self.total} done, {self.failed} failed, {self.running} running "
                f"({self.where}){last}")  # fmt: skip

    def event(self, kind: str, cell: object, run: object | None) -> None:
        """A cell started or ended."""
        with self._lock:
            if kind == "start":
                self.running += 1
                last = ""
            else:
                self.running = max(0, self.running - 1)
                self.done += 1
                status, where = getattr(run, "status", "?"), getattr(run, "where", "?")
                self.failed += status != "ok"
                last = clean(f"; last: {getattr(cell, 'key', '?')} {status} on {where}")
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done, description=self._words(last))
            elif self._beat is not None and kind == "end":
                wall = getattr(run, "wall_s", 0.0)
                self._beat.step("sweep", f"{self.done}/{self.total} done{last} after {wall:.1f} s")
