"""`compileprof check` (the CI gate against a baseline) and `compileprof diff` (two runs side by side)."""

from __future__ import annotations

import io
import os
import shlex
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from compileprof.profiler.errors import EXIT_REGRESSION, CompileprofError
from compileprof.profiler.files import refuse_inputs
from compileprof.profiler.render.registry import CHECK, DIFF, RenderOptions, choose, formats, renderer

if TYPE_CHECKING:
    from compileprof.profiler.gate.compare import CheckOutcome
    from compileprof.profiler.model.cache_keys import CacheComparison
    from rich.console import Console

from .common import emit, jobs_option, refuse_overwrite, stdout_width, user_errors


class FailOn(str, Enum):
    """What fails the gate besides counts."""

    counts = "counts"
    time = "time"


def _update(paths: list[Path], baseline: Path, jobs: int | None, console: Console) -> None:
    from compileprof.profiler.gate.samples import gather
    from compileprof.profiler.gate.update import update_baseline
    from compileprof.profiler.render.gate_view import change_line
    from compileprof.profiler.render.text import count

    metrics, fp, reports = gather(paths, jobs)
    refuse_inputs(baseline, _inputs(paths, reports), "baseline")
    made = update_baseline(baseline, metrics, fp, " ".join(map(str, paths)))
    if made is None:
        console.print(f"wrote baseline {baseline}: {count(len(metrics), 'metric')}")
        return
    console.print(
        f"updated baseline {baseline}: {count(len(made), 'entry', 'entries')} changed" + (":" if made else "")
    )
    for change in made:
        console.print("  " + change_line(change), highlight=False)


def _inputs(paths: list[Path], reports: list) -> list[Path]:
    """Every file a check or diff read: the logs and the run manifests."""
    return [*paths, *(p / "manifest.json" for p in paths), *(Path(t.path) for r in reports for t in r.traces)]


def _step_summary(outcome: CheckOutcome) -> None:
    """Append the check as Markdown to GitHub's step summary, when there is one."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from compileprof.profiler.files import write_error

        buf = io.BytesIO()
        renderer(CHECK, "markdown").write(outcome, buf, RenderOptions())
        try:
            with open(summary, "a", encoding="utf-8") as fh:  # appended: other steps write there too
                fh.write(buf.getvalue().decode() + "\n")
        except OSError as err:
            raise write_error(f"GITHUB_STEP_SUMMARY ({summary})", err) from None


HISTORY_HELP = (
    "Check against this history (a file or postgresql:// URL) instead of a baseline file: counts "
    "against its latest point, times against a window of points."
)


@user_errors
def check_command(
    paths: list[Path] = typer.Argument(..., help="A run directory or trace (several: repeated samples)."),
    baseline: Path = typer.Option(Path("compileprof-baseline.json"), "--baseline", help="The baseline file."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Write or refresh the baseline."),
    history: str | None = typer.Option(None, "--history", help=HISTORY_HELP),
    branch: str | None = typer.Option(None, "--branch", help="With --history: the branch of the window's points."),
    window: int = typer.Option(20, "--window", min=2, help="With --history: the points a time is compared with."),
    fail_on: FailOn = typer.Option(FailOn.counts, "--fail-on", help="counts (default) or time as well."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"{', '.join(formats(CHECK))} (default console)."),
    junit_xml: Path | None = typer.Option(None, "--junit-xml", help="Also write JUnit XML here."),
    force: bool = typer.Option(False, "--force", help="Overwrite --junit-xml if it exists."),
    jobs: int | None = jobs_option(),
) -> None:
    """Compare a run (or traces) with a baseline file or with the history: counts exactly, times when significant."""
    from compileprof.profiler.gate.compare import CheckOutcome
    from compileprof.profiler.render.terminal import SafeConsole

    opts = RenderOptions(width=stdout_width(None, piped=160))
    if update_baseline:
        _update(paths, baseline, jobs, SafeConsole(width=opts.width))
        return
    chosen = choose(CHECK, fmt, None)
    refuse_overwrite(junit_xml, force)
    time_too = fail_on is FailOn.time
    if history is not None:
        result, update, inputs = _against_history(paths, history, branch, window, jobs, time_too)
        outcome = CheckOutcome(result, update)
    else:
        result, update, inputs, old, reports = _against_baseline(paths, baseline, jobs, time_too)
        outcome = CheckOutcome(result, update)
        if outcome.exit_code == EXIT_REGRESSION:
            outcome.against, outcome.changes = _what_changed(old.get("source"), paths, reports, jobs)
    refuse_inputs(junit_xml, inputs, "JUnit XML")
    if junit_xml is not None:
        emit(renderer(CHECK, "junit"), outcome, opts, junit_xml, force)
    _step_summary(outcome)
    emit(chosen, outcome, opts, None, False)
    raise typer.Exit(outcome.exit_code)


def _against_baseline(paths: list[Path], baseline: Path, jobs: int | None, time_too: bool) -> tuple:
    """The check against a baseline file: (result, the command that accepts the figures, the inputs read)."""
    from compileprof.profiler.gate.baseline import baseline_layers, baseline_metrics, pyproject_layer, read_baseline
    from compileprof.profiler.gate.compare import compare
    from compileprof.profiler.gate.samples import gather

    old = read_baseline(baseline)
    tolerances, _ = pyproject_layer()
    current, fp, reports = gather(paths, jobs)
    layers = [tolerances, *baseline_layers(old)]
    result = compare(baseline_metrics(old), current, layers, old.get("fingerprint") or {}, fp, time_too)
    update = shlex.join(["compileprof", "check", *map(str, paths), "--baseline", str(baseline), "--update-baseline"])
    return result, update, [baseline, *_inputs(paths, reports)], old, reports


def _what_changed(source: object, paths: list[Path], reports: list, jobs: int | None) -> tuple[str | None, list | None]:
    """On a failure: what changed in what was compiled between the run the baseline was written from
    (its `source`, when that run or trace is still on disk and is not the one checked) and the first
    run checked; (None, None) when there is nothing to compare with."""
    from compileprof.profiler.gate.samples import gather

    text = source if isinstance(source, str) else ""
    found = next((Path(c) for c in (text, *text.split(" ")) if c and Path(c).exists()), None)
    if found is None or found.resolve() == paths[0].resolve():
        return None, None
    try:
        _, _, before = gather([found], jobs)
    except (CompileprofError, OSError):
        return None, None
    changes = _graph_changes(found, paths[0], (before[0], reports[0]), False)
    return (str(found), changes) if changes is not None else (None, None)


def _against_history(paths: list[Path], db: str, branch: str | None, window: int, jobs: int | None,
                     time_too: bool) -> tuple:  # fmt: skip
    """The check against the history: the run's series (same machine, model and options) on `branch`,
    its latest `window` points but those of the run's own commit."""
    from compileprof.profiler.gate.baseline import pyproject_layer
    from compileprof.profiler.gate.samples import gather
    from compileprof.profiler.history.points import current_commit, point_from
    from compileprof.profiler.history.store import database_errors, open_store
    from compileprof.profiler.history.window import Window, check_window

    current, fp, reports = gather(paths, jobs)
    mine = current_commit(Path.cwd())
    point = point_from(paths[0], current, fp, reports, mine or "-", branch, {})
    store = open_store(db)
    with database_errors(store.where):
        earlier = [p for p in store.points(series=point.key, branch=branch) if p.commit != mine][-window:]
        points = store.with_metrics(earlier)
    store.close()
    tolerances, _ = pyproject_layer()
    result = check_window(Window(points, branch), current, [tolerances], time_too, {**point.machine, **fp})
    update = shlex.join(["compileprof", "history", "add", *map(str, paths), "--db", db])
    return result, update, _inputs(paths, reports)


def explain_caches(a: Path, b: Path) -> CacheComparison | None:
    """B's cache misses explained against A, child with child for runs (None when the logs cannot be
    read again, e.g. a pipe)."""
    from compileprof.profiler.build import build_cache_reports
    from compileprof.profiler.errors import CompileprofError

    try:
        return build_cache_reports(a, b)
    except (CompileprofError, OSError):
        return None


def _graph_changes(a: Path, b: Path, reports: tuple, full: bool) -> list | None:
    """What changed in what was compiled (None when the logs cannot be read again: a sweep, a pipe)."""
    from compileprof.profiler.build import build_graph_changes
    from compileprof.profiler.sweep.results import read_sweep

    if any(p.is_dir() and read_sweep(p) is not None for p in (a, b)) or "-" in (str(a), str(b)):
        return None
    try:
        return build_graph_changes(a, b, reports, full)
    except (CompileprofError, OSError):
        return None


@user_errors
def diff_command(
    a: Path = typer.Argument(..., help="Run directory, trace file or trace directory A."),
    b: Path = typer.Argument(..., help="Run directory, trace file or trace directory B."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"{', '.join(formats(DIFF))} (default console)."),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write the diff to FILE (format from its extension)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
    jobs: int | None = jobs_option(),
    graphs: bool = typer.Option(False, "--graphs", help="Also the full diff of every changed graph's code."),
) -> None:
    """Two runs or traces side by side: counts, asserts, cache misses, per-phase and per-piece times, and
    what changed in what was compiled (graphs, guards, kernels, configs), ranked by the time it cost."""
    from compileprof.profiler.gate.diff import DiffResult, diff_rows
    from compileprof.profiler.gate.samples import gather

    chosen = choose(DIFF, fmt, out)
    refuse_overwrite(out, force)
    ma, fpa, ra = gather([a], jobs)
    mb, fpb, rb = gather([b], jobs)
    refuse_inputs(out, _inputs([a, b], ra + rb))
    doc = DiffResult(str(a), str(b), diff_rows(ma, mb), fpa, fpb, (ra[0], rb[0]), explain_caches(a, b))
    doc.changes, doc.graphs = _graph_changes(a, b, (ra[0], rb[0]), graphs), graphs
    emit(chosen, doc, RenderOptions(width=stdout_width(out)), out, force)
