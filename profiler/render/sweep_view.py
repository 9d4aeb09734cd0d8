"""How a sweep is shown: a table of model x variant (console, Markdown), its JSON, and a sortable page
with a bar per cell."""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson
from rich import box
from rich.table import Table
from rich.text import Text

from ..sweep.results import Sweep, SweepRow
from ..unicode import dumps
from .escaping import clean
from .md import code, esc
from .md import table as md_table
from .registry import RenderOptions
from .terminal import console_on, styled
from .text import count, fmt_s

COLUMNS = ("cell", "status", "compile", "frames", "breaks", "pieces", "asserts", "cache h/m", "wall", "where")


def _n(v: object) -> str:
    return "-" if v is None else str(v)


def cells_of(r: SweepRow) -> list[str]:
    """A row's cells as text, in COLUMNS order."""
    cache = "-" if r.cache_hits is None else f"{r.cache_hits}/{r.cache_misses}"
    where = r.where.rsplit("/", 1)[-1]  # a Ray node: its id (sweep.json keeps its address too)
    return [r.key, r.status, fmt_s(r.compile_time_s), _n(r.frames), _n(r.graph_breaks), _n(r.pieces), _n(r.asserts),
            cache, fmt_s(r.wall_s), where]  # fmt: skip


def summary_line(s: Sweep) -> str:
    """`6 cells: 5 ok, 1 failed in 41.2 s (local, 2 jobs)`."""
    states: dict[str, int] = {}
    for r in s.rows:
        states[r.status] = states.get(r.status, 0) + 1
    said = ", ".join(f"{n} {k}" for k, n in sorted(states.items(), key=lambda kv: (kv[0] != "ok", kv[0])))
    return f"{count(len(s.rows), 'cell')}: {said} in {fmt_s(s.wall_s)} ({s.executor})"


class SweepConsole:
    """The table, then each failed cell's last line."""

    def write(self, doc: Sweep, out: BinaryIO, opts: RenderOptions) -> None:
        """Print the sweep."""
        t = Table(title=f"compileprof sweep: {summary_line(doc)}", title_justify="left", box=box.SIMPLE_HEAD)
        for col in COLUMNS:
            t.add_column(col, justify="left" if col in ("cell", "status", "where") else "right",
                         no_wrap=col != "where", min_width=8 if col == "where" else None)  # fmt: skip
        for r in doc.rows:
            t.add_row(*(clean(c) for c in cells_of(r)), style=None if r.status == "ok" else "red")
        console, text = console_on(out, opts)
        try:
            console.print(t)
            console.print(styled("each cell: its run directory under the sweep's (CELL/report.html), its output in "
                                 "logs/CELL.txt; the table as a page: sweep.html", "dim"))  # fmt: skip
            for r in doc.failed:
                console.print(Text.assemble(styled(f"{r.key}: {r.status}", "bold red"), styled(f"  {r.error or ''}")))
        finally:
            text.flush()
            text.detach()


class SweepMarkdown:
    """The table as Markdown (a CI job summary)."""

    def write(self, doc: Sweep, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the sweep as Markdown."""
        rows = [[code(c) if i == 0 else c for i, c in enumerate(cells_of(r))] for r in doc.rows]
        lines = [f"## compileprof sweep: {esc(summary_line(doc))}", "", *md_table(list(COLUMNS), rows)]
        lines += [f"- {code(r.key)}: {esc(r.status)}: {esc(r.error or '')}" for r in doc.failed]
        out.write(clean("\n".join(lines).rstrip() + "\n").encode())


class SweepJson:
    """sweep.json's content."""

    def write(self, doc: Sweep, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the sweep as JSON."""
        out.write(dumps(doc.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")


class SweepHtml:
    """A sortable page: a bar per cell of its compile time, a link to each cell's report."""

    def write(self, doc: Sweep, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the page."""
        from .html_report import document

        data: dict[str, Any] = {**doc.to_dict(), "summary": summary_line(doc)}
        out.write(document("sweep", f"compileprof sweep: {summary_line(doc)}", data))
