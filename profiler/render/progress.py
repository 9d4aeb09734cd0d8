"""Progress of `compileprof run` on stderr: one line per child step, with its elapsed time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

T = TypeVar("T")
OnStep = Callable[[str, str], None]


def with_progress(work: Callable[[OnStep], T], finished: Callable[[T], bool]) -> T:
    """Call `work(on_step)`, showing each step as it starts and marking the previous one done; the last
    step is marked done only when `finished(result)` says the work succeeded."""
    columns = [SpinnerColumn(finished_text="[green]✓[/]"), TextColumn("{task.description}"), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        tasks: list[TaskID] = []

        def on_step(label: str, step: str) -> None:
            for task in tasks:  # the previous step ended
                progress.update(task, completed=1)
            tasks.clear()
            tasks.append(progress.add_task(f"{label}: {step}", total=1))

        result = work(on_step)
        ok = finished(result)
        for task in tasks:  # the last step: done, or left unfinished when the child failed
            progress.update(task, completed=1 if ok else 0)
            progress.stop_task(task)
    return result
