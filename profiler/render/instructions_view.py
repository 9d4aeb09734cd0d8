"""How a run's instruction counts (`run --count instructions`) are shown: sentences and a phase table
with the time the trace gives each phase beside its instructions."""

from __future__ import annotations

from typing import Any

from rich.panel import Panel
from rich.table import Table

from ..model.instructions import OUTSIDE, Instructions
from .escaping import clean
from .md import Md, code, esc, join
from .md import table as md_table
from .text import fmt_s

TITLE = "Instructions of the compile step (callgrind)"


def fmt_count(n: float | None) -> str:
    """`1,990,615,484`."""
    return "-" if n is None else f"{round(n):,}"


def fmt_short(n: float | None) -> str:
    """`1.99 G`, `144 M`: an instruction count in a few digits."""
    if n is None:
        return "-"
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f}"


def sentences(ins: Instructions) -> list[str]:
    """What the count is, how exact it proved, and what it holds."""
    said = [f"Compile step: {fmt_count(ins.compile)} instructions ({ins.tool} {ins.event}), from one run."]
    if ins.spread is not None:
        lo, hi = min(ins.samples), max(ins.samples)
        said.append(
            f"Over {len(ins.samples)} runs: {fmt_count(lo)} to {fmt_count(hi)}, a spread of {ins.spread * 100:.3f}% "
            f"(the gate's default tolerance is 1%)."
        )
    if ins.counted:
        said.append(f"Counted: {ins.counted}.")
    if ins.not_counted:
        said.append(f"Not counted: {ins.not_counted}.")
    if ins.environment:
        said.append("Held fixed: " + ", ".join(f"{k}={v}" for k, v in sorted(ins.environment.items())) + ".")
    return [clean(s) for s in said]


def phase_rows(ins: Instructions, phases_s: dict[str, float]) -> list[tuple[str, int, float, float | None]]:
    """(indented phase, instructions, share of the compile step, traced seconds) in tree order: each
    phase under its parent, largest first."""
    rows: list[tuple[str, int, float, float | None]] = []
    total = ins.compile or 1

    def walk(prefix: str, depth: int) -> None:
        kids = [p for p in ins.phases if p.startswith(prefix) and "/" not in p[len(prefix) :]]
        for path in sorted(kids, key=lambda p: -ins.phases[p]):
            name = path.rsplit("/", 1)[-1]
            seconds = None if name == OUTSIDE else phases_s.get(name)
            rows.append(("  " * depth + name, ins.phases[path], ins.phases[path] / total, seconds))
            walk(path + "/", depth + 1)

    walk("", 0)
    return rows


def instruction_parts(ins: Instructions, phases_s: dict[str, float]) -> list[Any]:
    """Rich renderables: the sentences, then the phase table when phases were counted."""
    parts: list[Any] = ["\n".join(sentences(ins))]
    if ins.phases:
        t = Table(show_edge=False, pad_edge=False)
        for name, justify in (("phase", "left"), ("instructions", "right"), ("share", "right"), ("time", "right")):
            t.add_column(name, justify=justify)  # type: ignore[arg-type]
        for name, n, share, seconds in phase_rows(ins, phases_s):
            t.add_row(clean(name), fmt_count(n), f"{share * 100:.1f}%", fmt_s(seconds) if seconds is not None else "-")
        parts.append(t)
    from rich.console import Group

    return [Panel(Group(*parts), title=TITLE, title_align="left")]


def instruction_markdown(ins: Instructions, phases_s: dict[str, float]) -> list[str]:
    """Markdown lines: the sentences and the phase table."""
    lines = [f"### {TITLE}", "", *[f"- {esc(s)}" for s in sentences(ins)], ""]
    if ins.phases:
        rows = [
            [join(Md("&nbsp;" * 4 * depth), code(name.strip())), fmt_count(n),
             f"{share * 100:.1f}%", fmt_s(seconds) if seconds is not None else "-"]
            for name, n, share, seconds in phase_rows(ins, phases_s)
            for depth in [(len(name) - len(name.lstrip())) // 2]
        ]  # fmt: skip
        lines += [*md_table(["phase", "instructions", "share", "traced time"], rows), ""]
    return lines


def annotate_flame(root: dict[str, Any], ins: Instructions) -> None:
    """Give each node of a merged phase tree whose counted-phase path (its counted ancestors' names and
    its own) has a count an `instructions` key: the phase tree shows instructions beside time."""
    counted = {part for p in ins.phases for part in p.split("/")}
    stack: list[tuple[dict[str, Any], tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node["name"] in counted:
            path = (*path, node["name"])
            found = ins.phases.get("/".join(path))
            if found is not None:
                node["instructions"] = found
        stack.extend((kid, path) for kid in node.get("children", []))
