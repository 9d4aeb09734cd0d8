"""`compileprof sweep SUITE`: many models x variants, each cell one `compileprof run`, on this machine or a
Ray cluster; a table of the cells."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from compileprof.profiler.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, CompileprofError
from compileprof.profiler.render.registry import SWEEP, RenderOptions, renderer

from .common import command_line, emit, stdout_width, user_errors

DEFAULT_ROOT = Path("compileprof-sweeps")


def _check_variants(models: list[str], variants: list) -> None:
    """Every model spec and every variant's options, checked as `run` would read them, before any cell."""
    from compileprof.profiler.run.zoo.catalog import parse_model

    from .main import app

    for m in models:
        parse_model(m)
    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    for v in variants:
        try:
            command.make_context("run", ["mlp", *v.args])
        except Exception as err:  # click's own UsageError / BadParameter (typer's copy of click)
            message = err.format_message() if hasattr(err, "format_message") else str(err)
            raise CompileprofError(f"--variant {v.name}: {message}", EXIT_USAGE) from None


def _prepare(out: Path, force: bool) -> Path:
    """The sweep's directory: new, or (with --force) a previous sweep's, whose cells, logs and tables are
    replaced; anything else in it is left alone."""
    import shutil

    from compileprof.profiler.run.rundir import clear_run, is_run_dir
    from compileprof.profiler.sweep.execute import LOGS
    from compileprof.profiler.sweep.results import SWEEP_FILE, read_sweep

    if out.exists() and not out.is_dir():
        raise CompileprofError(f"--out {out}: exists and is not a directory", EXIT_USAGE)
    if out.exists() and any(out.iterdir()):
        previous = read_sweep(out) if force else None
        if previous is None:
            raise CompileprofError(
                f"--out {out}: directory exists and is not empty; choose another --out"
                + ("" if force else " or pass --force to replace the sweep in it"),
                EXIT_USAGE,
            )
        for row in previous.rows:
            cell = out / row.key
            if cell.is_dir() and not cell.is_symlink() and is_run_dir(cell):
                clear_run(cell)
        for name in (SWEEP_FILE, "sweep.html"):
            (out / name).unlink(missing_ok=True)
        if (out / LOGS).is_dir() and not (out / LOGS).is_symlink():
            shutil.rmtree(out / LOGS)
    out.mkdir(parents=True, exist_ok=True)
    return out


@user_errors
def sweep_command(
    ctx: typer.Context,
    suite: list[str] = typer.Argument(..., help="Model specs, suite files (.toml) or a built-in suite (hf-small)."),
    variant: list[str] = typer.Option(
        [], "--variant", help="NAME:OPTIONS, run options of one variant (repeatable), e.g. inductor:--backend inductor."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Cells at once on this machine (threads shared out)."),
    ray: str | None = typer.Option(None, "--ray", help="Run each cell as a Ray task on the cluster (auto, HOST:PORT)."),
    shared: bool = typer.Option(False, "--shared", help="--ray: --out is on storage every node sees; write it there."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="--ray: torch threads (and CPUs) per cell (1)."),
    out: Path | None = typer.Option(None, "--out", help="The sweep's directory (default compileprof-sweeps/<time>/)."),
    force: bool = typer.Option(False, "--force", help="Replace the sweep in an existing --out directory."),
    history: str | None = typer.Option(None, "--history", help="Record every finished cell in this history."),
    fmt: str = typer.Option("console", "--format", "-f", help="The table on stdout: console, json, markdown, html."),
) -> None:
    """Run many models x variants (each cell one `compileprof run`), on this machine or a Ray cluster."""
    from compileprof.profiler.sweep.suite import cells, load_models, parse_variant

    shown = renderer(SWEEP, fmt)
    models, from_files = load_models(suite)
    variants = [parse_variant(v) for v in variant] + from_files
    todo = cells(models, variants)
    _check_variants(models, variants)
    target = _prepare(out or DEFAULT_ROOT / time.strftime("%Y%m%d-%H%M%S"), force)
    sweep = _execute(todo, target, jobs, ray, shared, threads or 1, command_line(ctx))
    emit(renderer(SWEEP, "html"), sweep, RenderOptions(), target / "sweep.html", force=True)
    emit(shown, sweep, RenderOptions(width=stdout_width(None)), None, False)
    if history is not None:
        _record(target, sweep, history)
    states = {r.status for r in sweep.rows}
    raise typer.Exit(EXIT_INTERRUPTED if "interrupted" in states else EXIT_OK if states == {"ok"} else EXIT_RUN_FAILED)


def _execute(todo: list, target: Path, jobs: int, ray: str | None, shared: bool, threads: int, argv: list[str]):
    """Run the cells with progress; the sweep's rows, written to sweep.json."""
    from compileprof.profiler.render.progress import SweepProgress
    from compileprof.profiler.sweep.results import Sweep, now, row_of, write_sweep

    started, t0 = now(), time.perf_counter()
    where = f"ray ({ray})" if ray else f"local, {jobs} job{'s' if jobs > 1 else ''}"
    if ray:
        from compileprof.profiler.sweep.on_ray import RayCells

        with SweepProgress(len(todo), where) as progress:
            runs = RayCells(target, ray, threads, shared, progress.event).run(todo)
    else:
        from compileprof.profiler.sweep.execute import LocalCells

        with SweepProgress(len(todo), where) as progress:
            runs = LocalCells(target, jobs, progress.event).run(todo)
    sweep = Sweep(started, round(time.perf_counter() - t0, 3), where, argv,
                  [row_of(r, target / r.cell.key, target) for r in runs])  # fmt: skip
    write_sweep(target, sweep)
    return sweep


def _record(target: Path, sweep, db: str) -> None:
    """--history: every finished cell as a point of its own series (model and options)."""
    from compileprof.profiler.history import points
    from compileprof.profiler.history.store import Conflict, database_errors, open_store
    from compileprof.profiler.render.terminal import SafeConsole, styled

    cwd = Path.cwd()
    commit, branch = points.resolve_commit(None, cwd), points.resolve_branch(None, cwd)
    store = open_store(db)
    added, skipped = 0, []
    with database_errors(store.where):
        for row in sweep.rows:
            if row.status != "ok":
                continue
            try:
                store.add(points.point_of(target / row.key, commit, branch, {"sweep_cell": row.key}))
                added += 1
            except Conflict:  # a cell of the same series at this commit: recorded once
                skipped.append(row.key)
    store.close()
    console = SafeConsole(stderr=True, soft_wrap=True)
    console.print(styled(f"recorded {added} cells in the history {store.where} at commit {commit[:10]}"))
    if skipped:
        console.print(styled(f"not recorded (this commit already has a point of their series): {', '.join(skipped)}",
                             "yellow"))  # fmt: skip
