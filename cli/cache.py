"""`compileprof explain-cache A B`: why B's compile-cache lookups missed, component by component."""

from __future__ import annotations

from pathlib import Path

import typer
from compileprof.profiler.render.registry import CACHE, RenderOptions, choose, formats

from .common import emit, refuse_overwrite, stdout_width, user_errors


@user_errors
def explain_cache_command(
    a: Path = typer.Argument(..., help="Run directory, trace file or trace directory A (the one that hit)."),
    b: Path = typer.Argument(..., help="Run directory, trace file or trace directory B (the one that missed)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"{', '.join(formats(CACHE))} (default console)."),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE (format from its extension)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
) -> None:
    """For every graph B compiled that missed the cache: which key components differ from A's, and how."""
    from compileprof.profiler.build import build_cache_reports
    from compileprof.profiler.files import refuse_inputs

    chosen = choose(CACHE, fmt, out)
    refuse_overwrite(out, force)
    refuse_inputs(out, [a, b])
    doc = build_cache_reports(a, b)
    emit(chosen, doc, RenderOptions(width=stdout_width(out)), out, force)
