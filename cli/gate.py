"""`compileprof check` (the CI gate against a baseline) and `compileprof diff` (two runs side by side)."""

from __future__ import annotations

import os
import shlex
import sys
from enum import Enum
from pathlib import Path

import orjson
import typer
from compileprof.profiler.baseline import (
    baseline_layers,
    baseline_metrics,
    gather,
    pyproject_layer,
    read_baseline,
    write_baseline,
)
from compileprof.profiler.errors import EXIT_OK, EXIT_REGRESSION, EXIT_STALE
from compileprof.profiler.gate import compare, moved_past_third, tolerance_for
from compileprof.profiler.render.gate_view import (
    diff_markdown,
    diff_rows,
    fmt_change,
    fmt_value,
    gate_json,
    gate_junit,
    gate_markdown,
    summary_line,
    verdict_line,
)
from rich.console import Console
from rich.table import Table

from .common import user_errors, write_output
from .report import Format


class FailOn(str, Enum):
    """What fails the gate besides counts."""

    counts = "counts"
    time = "time"


def _update(paths: list[Path], baseline: Path, jobs: int | None, console: Console) -> None:
    metrics, fp, _ = gather(paths, jobs)
    old = read_baseline(baseline) if baseline.exists() else None
    if old is None:
        write_baseline(baseline, metrics, fp, None, " ".join(map(str, paths)))
        console.print(f"wrote baseline {baseline}: {len(metrics)} metrics")
        return
    before = baseline_metrics(old)
    layers = [pyproject_layer()[0], *baseline_layers(old)]
    kept = dict(before)
    changed = []
    for name, m in metrics.items():
        b = before.get(name)
        if b is None:
            changed.append(f"NEW      {name}: {fmt_value(m.kind, m.value)}")
            kept[name] = m
        elif moved_past_third(b, m, tolerance_for(name, m.kind, layers)):
            changed.append(
                f"UPDATED  {name}: {fmt_value(m.kind, b.value)} -> {fmt_value(m.kind, m.value)} "
                f"({fmt_change(m.kind, m.value - b.value, (m.value - b.value) / b.value if b.value else None)})"
            )
            kept[name] = m
    for name in sorted(set(before) - set(metrics)):
        changed.append(f"REMOVED  {name}")
        del kept[name]
    write_baseline(baseline, kept, fp, old, " ".join(map(str, paths)))
    console.print(f"updated baseline {baseline}: {len(changed)} entries changed" + (":" if changed else ""))
    for line in changed:
        console.print("  " + line, highlight=False)


@user_errors
def check_command(
    paths: list[Path] = typer.Argument(..., help="A run directory or trace (several: repeated samples)."),
    baseline: Path = typer.Option(Path("compileprof-baseline.json"), "--baseline", help="The baseline file."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Write or refresh the baseline."),
    fail_on: FailOn = typer.Option(FailOn.counts, "--fail-on", help="counts (default) or time as well."),
    fmt: Format | None = typer.Option(None, "--format", "-f", help="console (default), json or markdown."),
    junit_xml: Path | None = typer.Option(None, "--junit-xml", help="Also write JUnit XML here."),
    force: bool = typer.Option(False, "--force", help="Overwrite --junit-xml if it exists."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Processes reading logs in parallel."),
) -> None:
    """Compare a run (or traces) with a baseline: counts exactly, times when significant."""
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    if update_baseline:
        _update(paths, baseline, jobs, console)
        return
    old = read_baseline(baseline)
    tolerances, _ = pyproject_layer()
    current, fp, _ = gather(paths, jobs)
    result = compare(
        baseline_metrics(old), current, [tolerances, *baseline_layers(old)], old.get("fingerprint") or {}, fp,
        fail_on is FailOn.time,
    )  # fmt: skip
    code = EXIT_REGRESSION if result.failing else (EXIT_STALE if result.improvements else EXIT_OK)
    update = shlex.join(["compileprof", "check", *map(str, paths), "--baseline", str(baseline), "--update-baseline"])
    markdown = gate_markdown(result, update)
    if junit_xml is not None:
        write_output(gate_junit(result), junit_xml, force)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    kind = fmt.value if fmt else "console"
    if kind == "json":
        write_output(orjson.dumps(gate_json(result, code), option=orjson.OPT_INDENT_2) + b"\n", None, False)
    elif kind == "markdown":
        write_output(markdown, None, False)
    else:
        for note in result.notes:
            console.print(f"[yellow]note:[/] {note}")
        for v in result.verdicts:
            console.print(verdict_line(v))
        console.print(f"[bold]{summary_line(result)}[/]")
        if code != EXIT_OK:
            console.print(f"to accept these figures: {update}")
    raise typer.Exit(code)


@user_errors
def diff_command(
    a: Path = typer.Argument(..., help="Run directory, trace file or trace directory A."),
    b: Path = typer.Argument(..., help="Run directory, trace file or trace directory B."),
    fmt: Format | None = typer.Option(None, "--format", "-f", help="console (default), json or markdown."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Processes reading logs in parallel."),
) -> None:
    """Two runs or traces side by side: counts, asserts, cache misses, per-phase and per-piece times."""
    ma, fpa, _ = gather([a], jobs)
    mb, fpb, _ = gather([b], jobs)
    rows = diff_rows(ma, mb)
    kind = fmt.value if fmt else "console"
    if kind == "json":
        doc = {"schema_version": 1, "a": str(a), "b": str(b), "fingerprint": {"a": fpa, "b": fpb}, "metrics": rows}
        write_output(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n", None, False)
        return
    if kind == "markdown":
        write_output(diff_markdown(rows, str(a), str(b)), None, False)
        return
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    t = Table(title=f"compileprof diff: A = {a}, B = {b}", title_justify="left")
    for col, j in (("metric", "left"), ("A", "right"), ("B", "right"), ("change", "right")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for r in rows:
        bold = r["change"] not in (None, 0) and r["kind"] == "count"
        t.add_row(
            r["name"], fmt_value(r["kind"], r["a"]), fmt_value(r["kind"], r["b"]),
            fmt_change(r["kind"], r["change"], r["rel_change"]), style="bold" if bold else None,
        )  # fmt: skip
    console.print(t)
    differing = [k for k in fpa if fpa.get(k) != fpb.get(k)]
    if differing:
        console.print(
            "[yellow]note:[/] environments differ: " + ", ".join(f"{k} {fpa[k]} vs {fpb[k]}" for k in differing)
        )
