"""`compileprof report PATH`: read TORCH_TRACE logs and break down compile time, logging cost and asserts."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer
from compileprof.profiler.errors import EXIT_DAMAGED, EXIT_NO_DATA
from compileprof.profiler.render.registry import REPORT, RenderOptions, choose, formats

from .common import emit, fail, jobs_option, refuse_overwrite, stdout_width, user_errors


@user_errors
def report_command(
    path: Path = typer.Argument(..., help="A TORCH_TRACE log, a directory of them (one per rank), or a run directory."),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help=f"{', '.join(formats(REPORT))} (default: from -o's extension, else console)."
    ),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to FILE (format from its extension)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
    latest: bool = typer.Option(False, "--latest", help="Only the newest log in the directory."),
    strict: bool = typer.Option(False, "--strict", help=f"Exit {EXIT_DAMAGED} when any damage was counted."),
    limit: int = typer.Option(25, "--limit", min=0, help="Compile rows shown (0: all)."),
    trees: int = typer.Option(3, "--trees", min=0, help="Phase trees shown (the slowest compiles)."),
    depth: int = typer.Option(6, "--depth", min=1, help="Depth of the phase trees."),
    jobs: int | None = jobs_option(),
    ray: str | None = typer.Option(
        None, "--ray", help="Fold the logs as tasks on this Ray cluster (auto, or HOST:PORT); needs compileprof[ray]."
    ),
) -> None:
    """Break down compile time, TORCH_TRACE logging overhead and runtime asserts from TORCH_TRACE logs."""
    from compileprof.profiler.build import build_report  # imported by the command that needs it: fast start-up
    from compileprof.profiler.files import refuse_inputs
    from compileprof.profiler.render.terminal import SafeConsole, styled

    renderer = choose(REPORT, fmt, out)
    refuse_overwrite(out, force)
    refuse_inputs(out, [path])
    err = SafeConsole(stderr=True)
    with err.status(styled(f"Reading {path} ..."), spinner="dots") if err.is_terminal else nullcontext():
        report = build_report(path, latest=latest, jobs=jobs, ray=ray)
    refuse_inputs(out, [Path(t.path) for t in report.traces] + [path / "manifest.json"])
    opts = RenderOptions(limit=limit, trees=trees, depth=depth, width=stdout_width(out))
    emit(renderer, report, opts, out, force)
    if out is not None:
        err.print(f"wrote {renderer.name} report to {out}")
    if report.manifest_error:
        raise fail(f"{report.manifest_error} (the logs under it were reported as a trace directory)", EXIT_NO_DATA)
    if strict and report.parse.damage:
        raise fail(
            f"{path}: {report.parse.damage} damaged or unexpected lines/records (see Parse health)", EXIT_DAMAGED
        )
