"""`compileprof run MODEL`: compile a model under TORCH_TRACE in a clean child process, then report."""

from __future__ import annotations

import shutil
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from compileprof.profiler.errors import EXIT_INTERRUPTED, EXIT_RUN_FAILED, EXIT_TIMEOUT, EXIT_USAGE, CompileprofError
from compileprof.profiler.render.registry import REPORT, Renderer, RenderOptions, renderer
from compileprof.profiler.run.zoo.catalog import DEFAULT_MODEL, DTYPES

if TYPE_CHECKING:
    from compileprof.profiler.model.report import Report
    from compileprof.profiler.run.request import RunOptions
    from compileprof.profiler.run.runner import ChildOutcome

from .common import command_line, emit, fail, stdout_width, user_errors


class Cache(str, Enum):
    """Inductor cache modes."""

    cold = "cold"
    warm = "warm"
    both = "both"


class Measure(str, Enum):
    """What `--measure` can measure."""

    asserts = "asserts"
    logging = "logging"


class Count(str, Enum):
    """What `--count` can count."""

    instructions = "instructions"


class Device(str, Enum):
    """Devices."""

    cpu = "cpu"
    cuda = "cuda"


def _failure_message(outcome: ChildOutcome, run_dir: Path, backend: str) -> tuple[str, int]:
    step = outcome.failed_step or "start"
    if outcome.interrupted:
        return (
            f"interrupted in step '{step}' of the {outcome.label} child; what it had written is reported above; "
            f"run directory kept: {run_dir}",
            EXIT_INTERRUPTED,
        )
    if outcome.timed_out:
        return (
            f"the {outcome.label} compile ran past --timeout ({outcome.wall_s:.0f} s) in step '{step}' and was "
            f"stopped; run directory kept: {run_dir}",
            EXIT_TIMEOUT,
        )
    error = (outcome.result.error if outcome.result else None) or {}
    if error.get("type") == "PreflightError":  # an option this torch or this budget cannot honour: a usage error
        before = " (checked before compiling; nothing was run)" if step == "check options" else ""
        return f"{error.get('message')}{before}", EXIT_USAGE
    cause = error.get("cause") if isinstance(error.get("cause"), dict) else None
    if cause:  # the wrapper's own message says little: name it, then what really went wrong
        what = f"{error.get('type')}, caused by {cause.get('type')}: {cause.get('message')}"
    elif error:
        what = f"{error.get('type')}: {error.get('message')}"
    else:
        what = f"the child process died (exit status {outcome.exit_code})"
    hint = ""
    if backend == "piecewise" and step == "compile" and error.get("type") == "Unsupported":
        hint = (
            " (piecewise needs the whole graph, fullgraph=True: use --backend inductor for a model with graph breaks)"
        )
    return (
        f"run failed in step '{step}' ({outcome.label}): {what}{hint}; run directory kept: {run_dir}",
        EXIT_RUN_FAILED,
    )


def _write_reports(report: Report, run_dir: Path, limit: int) -> None:
    """report.json, report.md and report.html in the run directory (replacing a previous run's under --force)."""
    for name, fmt in (("report.json", "json"), ("report.md", "markdown"), ("report.html", "html")):
        emit(renderer(REPORT, fmt), report, RenderOptions(limit=limit), run_dir / name, force=True)


@user_errors
def run_command(
    ctx: typer.Context,
    model: str = typer.Argument(
        DEFAULT_MODEL, help="Built-in name (see `compileprof models`), FILE.py:FN, MODULE:FN or hf:ARCH."
    ),
    batch: int = typer.Option(2, "--batch", min=1, help="Batch size given to the factory."),
    seq_len: int = typer.Option(32, "--seq-len", min=1, help="Sequence length given to the factory."),
    dtype: str = typer.Option("float32", "--dtype", help=", ".join(DTYPES) + "."),
    model_arg: list[str] = typer.Option([], "--model-arg", help="KEY=VALUE given to the factory (repeatable)."),
    backend: str = typer.Option("piecewise", "--backend", "-b", help="piecewise, inductor, aot_eager or eager."),
    inductor_option: list[str] = typer.Option([], "--inductor-option", help="Inductor config KEY=VALUE (repeatable)."),
    split_ops: str | None = typer.Option(
        None, "--split-ops", help="piecewise: splitting ops ns::op[.overload],... ('' = one piece; default attention)."
    ),
    compile_sizes: str = typer.Option(
        "", "--compile-sizes", help="piecewise: sizes compiled on their own, e.g. 1,8,32."
    ),
    artifact_prefix: str = typer.Option(
        "compileprof", "--artifact-prefix", help="piecewise: trace artifact/span prefix (vllm: names exactly vLLM's)."
    ),
    dynamic: bool = typer.Option(True, "--dynamic/--static", help="piecewise: batch dimension dynamic."),
    device: Device = typer.Option(Device.cpu, "--device", help="cpu or cuda."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Run directory (default: a new one under ./compileprof-runs/)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the run in an existing --out directory."),
    cache: Cache = typer.Option(
        Cache.cold, "--cache", help="cold: fresh Inductor cache; warm: fill it, then measure; both."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Use this Inductor cache directory (kept) instead of a fresh one."
    ),
    timeout: float = typer.Option(1800.0, "--timeout", help="Stop a child process after this many seconds."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="torch threads in the child (default: torch's)."),
    calls: int = typer.Option(
        20, "--calls", min=0, help="Forward calls timed (per round with --measure asserts; 0: none)."
    ),
    measure: list[Measure] = typer.Option(
        [], "--measure", help="A/B cost measurement: asserts or logging (repeatable)."
    ),
    rounds: int = typer.Option(
        400,
        "--rounds",
        min=2,
        help="--measure asserts: most rounds of --calls calls per variant (it stops "
        "earlier once the 95% CI is within 10% of the delta or 0.5% of the forward, or at --budget).",
    ),
    pairs: int = typer.Option(6, "--pairs", min=1, help="--measure logging: pairs of compiles, trace on and off."),
    budget: float = typer.Option(
        120.0,
        "--budget",
        help="--measure: seconds each measurement may take (a round that would end past it is not run).",
    ),
    repeat: int = typer.Option(1, "--repeat", min=1, help="Run the measured compile N times (samples for check)."),
    count: Count | None = typer.Option(
        None,
        "--count",
        help="instructions: count the compile step's instructions under valgrind's callgrind "
        "(exact enough to gate from one run; 10-100x slower).",
    ),
    count_phases: bool = typer.Option(
        False, "--count-phases", help="--count: also count each compile phase (dynamo, AOT, Inductor, codegen)."
    ),
    history: str | None = typer.Option(
        None, "--history", help="Record the run in this history (a file or postgresql:// URL) as it ends."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No spinner and no report on the console: one line per finished child (for CI)."
    ),
    limit: int = typer.Option(25, "--limit", min=0, help="Compile rows shown (0: all)."),
    trees: int = typer.Option(3, "--trees", min=0, help="Phase trees shown (the slowest compiles)."),
    depth: int = typer.Option(6, "--depth", min=1, help="Depth of the phase trees."),
    fmt: str = typer.Option("console", "--format", "-f", help="The report printed on stdout: console, json, markdown."),
) -> None:
    """Compile MODEL with TORCH_TRACE on in a clean child process, then report where compile time went."""
    from compileprof.profiler.run.request import RunOptions

    options = RunOptions(
        model, batch, seq_len, dtype, model_arg, backend, inductor_option, split_ops, compile_sizes, artifact_prefix,
        dynamic, device.value, cache.value, cache_dir, timeout, threads, calls, [m.value for m in measure], rounds,
        pairs, budget, repeat, argv=command_line(ctx), count=count.value if count else None, count_phases=count_phases,
    )  # fmt: skip
    shown = renderer(REPORT, fmt)  # an unknown format: a usage error before anything runs
    view = RenderOptions(limit=limit, trees=trees, depth=depth, width=stdout_width(None))
    _run(options, out, force, quiet, view, shown, history)


def _run(
    options: RunOptions, out: Path | None, force: bool, quiet: bool, view: RenderOptions, shown: Renderer,
    history: str | None,
) -> None:  # fmt: skip
    """Prepare the run directory, run the children (with progress unless `quiet`), report, record."""
    from compileprof.profiler.run.request import build_request
    from compileprof.profiler.run.rundir import default_run_dir, prepare_run_dir
    from compileprof.profiler.run.runner import execute

    req = build_request(options)
    backend = options.backend
    run_dir = out or default_run_dir(req.model.label)
    made = not run_dir.exists()  # a directory this run creates is removed again if the run is refused
    req.out = prepare_run_dir(run_dir, force)
    if req.count:
        _say_slowdown()
    if quiet:
        _, outcomes = execute(req, lambda label, step: None, _child_line)
    else:
        from compileprof.profiler.render.progress import with_progress

        _, outcomes = with_progress(lambda on_step: execute(req, on_step), lambda done: done[1][-1].ok)
    if made and _refused(outcomes[-1]):
        shutil.rmtree(req.out, ignore_errors=True)
        message, code = _failure_message(outcomes[-1], req.out, backend)
        raise fail(message + "; no run directory was left", code)
    _finish(req.out, outcomes, quiet, view, backend, shown)
    if history is not None:
        _record(req.out, history)


def _refused(outcome: ChildOutcome) -> bool:
    """True when the child refused an option before any work (its preflight step): nothing to keep."""
    error = (outcome.result.error if outcome.result else None) or {}
    return not outcome.ok and error.get("type") == "PreflightError" and outcome.failed_step == "check options"


def _say_slowdown() -> None:
    """`--count`: the slowdown, said before the first child starts."""
    from compileprof.profiler.render.terminal import SafeConsole, styled
    from compileprof.profiler.run.counting import SLOWDOWN

    SafeConsole(stderr=True, soft_wrap=True).print(styled(f"compileprof: {SLOWDOWN}", "yellow"))


def _record(run_dir: Path, db: str) -> None:
    """`--history`: add the finished run to the history (commit and branch as `history add` finds them)."""
    from compileprof.profiler.history.points import point_of, resolve_branch, resolve_commit
    from compileprof.profiler.history.store import database_errors, open_store
    from compileprof.profiler.render.history_view import recorded_line
    from compileprof.profiler.render.terminal import SafeConsole

    cwd = Path.cwd()
    point = point_of(run_dir, resolve_commit(None, cwd), resolve_branch(None, cwd), {})
    store = open_store(db)
    with database_errors(store.where):
        point_id = store.add(point)
    SafeConsole(stderr=True).print(recorded_line(point_id, point.commit, point.branch, point.model,
                                                 len(point.metrics), store.where))  # fmt: skip
    store.close()


def _explain_warm_misses(run_dir: Path, outcomes: list[ChildOutcome], to_stderr: bool) -> None:
    """With a warm child that still missed the cache: why, against the child that filled the cache."""
    labels = [o.label for o in outcomes if o.ok]
    warm = next((x for x in labels if x.startswith("warm")), None)
    filled = next((x for x in labels if not x.startswith("warm")), None)
    if warm is None or filled is None:
        return
    from compileprof.profiler.render.gate_view import cache_summary
    from compileprof.profiler.render.terminal import SafeConsole, styled

    from .gate import explain_caches

    found = explain_caches(run_dir / filled / "trace", run_dir / warm / "trace")
    lines = cache_summary(found)
    if lines:
        lines[0] = f"The {warm} child missed the cache: why, against the {filled} child that filled it:"
        console = SafeConsole(stderr=to_stderr, soft_wrap=True)
        for line in lines:
            console.print(styled(line))


def _child_line(outcome: ChildOutcome) -> None:
    """`--quiet`: one plain line on stderr per finished child, so a CI log shows the run advancing."""
    import sys

    steps = outcome.result.steps if outcome.result else {}
    compile_s = f", compile {steps['compile']:.1f} s" if isinstance(steps.get("compile"), (int, float)) else ""
    state = "ok" if outcome.ok else f"failed in step '{outcome.failed_step or 'start'}'"
    print(f"compileprof: {outcome.label} child {state} after {outcome.wall_s:.1f} s{compile_s}", file=sys.stderr)


def _finish(
    run_dir: Path, outcomes: list[ChildOutcome], quiet: bool, view: RenderOptions, backend: str, shown: Renderer
) -> None:
    """Report what the children left (report.json, report.md, the console), then say how the run ended."""
    from compileprof.profiler.build import build_report
    from compileprof.profiler.render.terminal import SafeConsole, styled
    from rich.text import Text

    try:
        report: Report | None = build_report(run_dir)
    except CompileprofError:
        report = None  # the child failed before writing a trace
    width = view.width
    if report is not None:
        _write_reports(report, run_dir, view.limit or len(report.compiles))
        if not quiet:
            emit(shown, report, view, None, False)
            _explain_warm_misses(run_dir, outcomes, shown.name != "console")
    last = outcomes[-1]
    if not last.ok:
        message, code = _failure_message(last, run_dir, backend)
        if last.stderr_tail and code != EXIT_USAGE:  # a preflight's traceback says nothing more
            tail = "\n".join("  " + x for x in last.stderr_tail)
            SafeConsole(stderr=True, soft_wrap=True).print(styled("last lines of the child's stderr:\n" + tail, "dim"))
        raise fail(message, code)
    written = ", ".join(
        ["manifest.json", "report.json", "report.md", "report.html", *(f"{o.label}/" for o in outcomes)]
    )
    where = Text.assemble("run directory: ", styled(run_dir, "bold"), f"  ({written})")
    out = SafeConsole(stderr=quiet or shown.name != "console", width=width)  # stdout holds only the report
    out.print(where)
    if report is not None:
        out.print(Text.assemble("open the pictures: ", styled(run_dir / "report.html", "bold")))
