"""`compileprof history`: record runs with their commit, show trends and change points, move a history."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from compileprof.profiler.render.registry import CHANGES, HISTORY, RenderOptions, choose, formats

if TYPE_CHECKING:
    from compileprof.profiler.history.store import Store

from .common import emit, jobs_option, refuse_overwrite, stdout_width, user_errors

DEFAULT_DB = Path(".compileprof") / "history.db"
DB_HELP = (
    "The history: a SQLite file or a postgresql:// URL (default: [tool.compileprof] history, else "
    ".compileprof/history.db)."
)

history_app = typer.Typer(
    no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Record runs by commit; show trends and change points; gate on a window of history.",
)  # fmt: skip


def history_target(db: str | None) -> str:
    """The history to use: `--db`, else pyproject's `[tool.compileprof] history` (relative to that file),
    else .compileprof/history.db."""
    if db:
        return db
    from compileprof.profiler.gate.baseline import pyproject_config

    config, where = pyproject_config()
    named = config.get("history")
    if named and where is not None:
        return named if "://" in named else str((where.parent / named).resolve())
    return str(DEFAULT_DB)


def open_history(db: str | None) -> Store:
    """The history store `--db` names (see `history_target`)."""
    from compileprof.profiler.history.store import open_store

    return open_store(history_target(db))


def labels_of(pairs: list[str]) -> dict[str, str]:
    """`--label K=V` options as a dict (a usage error when one has no `=`)."""
    from compileprof.profiler.errors import EXIT_USAGE, CompileprofError

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CompileprofError(f"--label {pair!r}: expected KEY=VALUE", EXIT_USAGE)
        out[key.strip()] = value
    return out


@history_app.command("add")
@user_errors
def add_command(
    paths: list[Path] = typer.Argument(..., help="Run directories or traces to record (one point each)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    commit: str | None = typer.Option(None, "--commit", help="The commit (default: the CI's, else git's HEAD)."),
    branch: str | None = typer.Option(None, "--branch", help="The branch (default: the CI's, else git's)."),
    label: list[str] = typer.Option([], "--label", help="KEY=VALUE kept with the point (repeatable)."),
    replace: bool = typer.Option(False, "--replace", help="Replace a point of the same commit and series."),
    jobs: int | None = jobs_option(),
) -> None:
    """Record runs (or traces) in the history: their metrics, commit, branch, machine and options."""
    from compileprof.profiler.history.points import point_of, resolve_branch, resolve_commit
    from compileprof.profiler.history.store import database_errors
    from compileprof.profiler.render.history_view import recorded_line
    from compileprof.profiler.render.terminal import SafeConsole

    cwd = Path.cwd()
    sha, on = resolve_commit(commit, cwd), resolve_branch(branch, cwd)
    tags = labels_of(label)
    points = [point_of(p, sha, on, tags, jobs) for p in paths]  # every run read before anything is written
    store = open_history(db)
    console = SafeConsole(width=stdout_width(None))
    with database_errors(store.where):
        for point in points:
            point_id = store.add(point, replace=replace)
            console.print(recorded_line(point_id, sha, on, point.model, len(point.metrics), store.where))
    store.close()


@history_app.command("show")
@user_errors
def show_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    metric: str = typer.Option("*", "--metric", help="Metrics whose name matches this glob (e.g. 'phase.*')."),
    model: str | None = typer.Option(None, "--model", help="Only this model's series."),
    branch: str | None = typer.Option(None, "--branch", help="Only points of this branch."),
    points: int = typer.Option(50, "--points", min=2, help="The latest points of each series shown."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"{', '.join(formats(HISTORY))} (default console)."),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE (trend.html: the trend page)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
    limit: int = typer.Option(0, "--limit", min=0, help="Metrics shown per series in tables (0: all)."),
) -> None:
    """Trends per series (machine, model, options): each metric's latest value, change, sparkline, change points."""
    from compileprof.profiler.history.store import database_errors
    from compileprof.profiler.history.trend import series_trends

    chosen = choose(HISTORY, fmt, out)
    refuse_overwrite(out, force)
    store = open_history(db)
    with database_errors(store.where):
        doc = series_trends(store, metric, model, branch, points)
    store.close()
    emit(chosen, doc, RenderOptions(limit=limit, width=stdout_width(out, piped=160)), out, force)


@history_app.command("changes")
@user_errors
def changes_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    since: str | None = typer.Option(None, "--since", help="Only changes after the point of this commit (a prefix)."),
    metric: str = typer.Option("*", "--metric", help="Metrics whose name matches this glob."),
    model: str | None = typer.Option(None, "--model", help="Only this model's series."),
    branch: str | None = typer.Option(None, "--branch", help="Only points of this branch."),
    points: int = typer.Option(1000, "--points", min=2, help="The latest points of each series searched."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"{', '.join(formats(CHANGES))} (default console)."),
    limit: int = typer.Option(0, "--limit", min=0, help="Change points shown (0: all)."),
) -> None:
    """Change points over the whole history, each with the first commit after it and the size of its step."""
    from compileprof.profiler.history.store import database_errors
    from compileprof.profiler.history.trend import all_changes, series_trends

    chosen = choose(CHANGES, fmt, None)
    store = open_history(db)
    with database_errors(store.where):
        doc = all_changes(series_trends(store, metric, model, branch, points), since)
    store.close()
    emit(chosen, doc, RenderOptions(limit=limit, width=stdout_width(None, piped=160)), None, False)


@history_app.command("export")
@user_errors
def export_command(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("json", "--format", "-f", help="json (every field) or csv (a row per metric)."),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE (default: standard output)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
) -> None:
    """Write the whole history as JSON or CSV (to move it, or to read it elsewhere)."""
    from compileprof.profiler.errors import EXIT_USAGE, CompileprofError
    from compileprof.profiler.files import write_atomic
    from compileprof.profiler.history.store import database_errors
    from compileprof.profiler.history.transfer import export_csv, export_json

    if fmt not in ("json", "csv"):
        raise CompileprofError(f"--format {fmt}: use json or csv", EXIT_USAGE)
    refuse_overwrite(out, force)
    store = open_history(db)
    with database_errors(store.where):
        data = export_json(store) if fmt == "json" else export_csv(store)
    store.close()
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        write_atomic(out, lambda fh: fh.write(data))


@history_app.command("import")
@user_errors
def import_command(
    file: Path = typer.Argument(..., help="A file `history export` wrote (JSON or CSV)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Add the points of an export to the history (points already there are skipped and counted)."""
    from compileprof.profiler.history.store import database_errors
    from compileprof.profiler.history.transfer import import_points, read_points

    points = read_points(file.read_bytes(), str(file))
    store = open_history(db)
    with database_errors(store.where):
        added, skipped = import_points(store, points)
    print(f"imported {added} points into {store.where}" + (f"; {skipped} already there, skipped" if skipped else ""))
    store.close()
