"""Progress of `compileprof run` on stderr: one line per child step, with its elapsed time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.console import Console, RenderableType
from rich.progress import Progress, SpinnerColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

T = TypeVar("T")
OnStep = Callable[[str, str], None]


class _MarkColumn(SpinnerColumn):
    """A spinner while a step runs; a green tick when it ended, a red cross when the child failed in it."""

    def render(self, task: Task) -> RenderableType:
        """The mark of `task`."""
        if task.fields.get("failed"):
            return Text("✗", style="red")
        return super().render(task)


def with_progress(work: Callable[[OnStep], T], finished: Callable[[T], bool]) -> T:
    """Call `work(on_step)`, showing each step as it starts and marking the previous one done; the last
    step is marked done when `finished(result)` says the work succeeded, else failed."""
    columns = [_MarkColumn(finished_text="[green]✓[/]"), TextColumn("{task.description}"), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
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
