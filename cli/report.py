"""`compileprof report PATH`: read TORCH_TRACE logs and break down compile time, logging cost and asserts."""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Callable
from contextlib import nullcontext
from enum import Enum
from pathlib import Path
from typing import BinaryIO

import typer
from compileprof.profiler.errors import EXIT_DAMAGED
from compileprof.profiler.render.as_json import write_json
from compileprof.profiler.render.as_markdown import render_markdown
from compileprof.profiler.render.console import ConsoleOptions, render_console
from compileprof.profiler.report import Report, build_report
from rich.console import Console

from .common import fail, format_for, user_errors, write_output


class Format(str, Enum):
    """Output formats."""

    console = "console"
    json = "json"
    markdown = "markdown"


def render(report: Report, fmt: str, opts: ConsoleOptions) -> str | Callable[[BinaryIO], None]:
    """The report in format `fmt` (JSON as a function streaming it to a binary handle)."""
    if fmt == "json":
        return functools.partial(write_json, report)
    if fmt == "markdown":
        return render_markdown(report, limit=opts.limit or len(report.compiles))
    buf = io.StringIO()
    render_console(report, Console(file=buf, width=120, force_terminal=False, highlight=False), opts)
    return buf.getvalue()


@user_errors
def report_command(
    path: Path = typer.Argument(..., help="A TORCH_TRACE log, a directory of them (one per rank), or a run directory."),
    fmt: Format | None = typer.Option(None, "--format", "-f", help="console (default), json or markdown."),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to FILE (format from its extension)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
    latest: bool = typer.Option(False, "--latest", help="Only the newest log in the directory."),
    strict: bool = typer.Option(False, "--strict", help=f"Exit {EXIT_DAMAGED} when any damage was counted."),
    limit: int = typer.Option(25, "--limit", help="Compile rows shown (0: all)."),
    trees: int = typer.Option(3, "--trees", help="Phase trees shown (the slowest compiles)."),
    depth: int = typer.Option(6, "--depth", help="Depth of the phase trees."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Processes reading logs in parallel (default: CPUs)."),
) -> None:
    """Break down compile time, TORCH_TRACE logging overhead and runtime asserts from TORCH_TRACE logs."""
    err = Console(stderr=True)
    with err.status(f"Reading {path} ...", spinner="dots") if err.is_terminal else nullcontext():
        report = build_report(path, latest=latest, jobs=jobs)
    kind = format_for(fmt.value if fmt else None, out)
    opts = ConsoleOptions(limit=limit, trees=trees, depth=depth)
    if kind == "console" and out is None:
        # A pipe or a file gets 120 columns (rich would use 80); a terminal its own width.
        render_console(report, Console(highlight=False, width=None if sys.stdout.isatty() else 120), opts)
    else:
        write_output(render(report, kind, opts), out, force)
        if out is not None:
            Console(stderr=True).print(f"wrote {kind} report to {out}")
    if strict and report.parse.damage:
        raise fail(
            f"{path}: {report.parse.damage} damaged or unexpected lines/records (see Parse health)", EXIT_DAMAGED
        )
