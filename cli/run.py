"""`compileprof run MODEL`: compile a model under TORCH_TRACE in a clean child process, then report."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer
from compileprof.backends.registry import get_backend
from compileprof.profiler.capture.rundir import default_run_dir, prepare_run_dir
from compileprof.profiler.capture.runner import CACHE_MODES, ChildOutcome, RunRequest, execute
from compileprof.profiler.errors import EXIT_RUN_FAILED, EXIT_TIMEOUT, EXIT_USAGE, CompileprofError
from compileprof.profiler.models.catalog import (
    DEFAULT_MODEL,
    parse_model,
    parse_model_args,
    parse_prefix,
    parse_sizes,
    parse_split_ops,
)
from compileprof.profiler.render.as_json import write_json
from compileprof.profiler.render.as_markdown import render_markdown
from compileprof.profiler.render.console import ConsoleOptions, render_console
from compileprof.profiler.report import Report, build_report
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .common import fail, user_errors


class Cache(str, Enum):
    """Inductor cache modes."""

    cold = "cold"
    warm = "warm"
    both = "both"


class Measure(str, Enum):
    """What `--measure` can measure."""

    asserts = "asserts"
    logging = "logging"


class Device(str, Enum):
    """Devices."""

    cpu = "cpu"
    cuda = "cuda"


assert tuple(c.value for c in Cache) == CACHE_MODES


def _run_with_progress(req: RunRequest, quiet: bool) -> tuple[dict, list[ChildOutcome]]:
    if quiet:
        return execute(req, lambda label, step: None)
    err = Console(stderr=True)
    columns = [SpinnerColumn(finished_text="[green]✓[/]"), TextColumn("{task.description}"), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False) as progress:
        tasks: dict[str, int] = {}

        def on_step(label: str, step: str) -> None:
            for task in tasks.values():  # the previous step ended
                progress.update(task, completed=1)
            tasks.clear()
            tasks[f"{label}: {step}"] = progress.add_task(f"{label}: {step}", total=1)

        manifest, outcomes = execute(req, on_step)
        finished = bool(outcomes) and outcomes[-1].ok
        for task in tasks.values():  # the last step: done, or left unfinished when the child failed
            progress.update(task, completed=1 if finished else 0)
            progress.stop_task(task)
    return manifest, outcomes


def _failure_message(outcome: ChildOutcome, run_dir: Path, backend: str) -> tuple[str, int]:
    step = outcome.failed_step or "start"
    if outcome.timed_out:
        return (
            f"the {outcome.label} compile ran past --timeout ({outcome.wall_s:.0f} s) in step '{step}' and was "
            f"stopped; run directory kept: {run_dir}",
            EXIT_TIMEOUT,
        )
    error = (outcome.result or {}).get("error") or {}
    if error:
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


@user_errors
def run_command(
    model: str = typer.Argument(
        DEFAULT_MODEL, help="Built-in name (see `compileprof models`), FILE.py:FN, MODULE:FN or hf:ARCH."
    ),
    batch: int = typer.Option(2, "--batch", help="Batch size given to the factory."),
    seq_len: int = typer.Option(32, "--seq-len", help="Sequence length given to the factory."),
    dtype: str = typer.Option("float32", "--dtype", help="float32, bfloat16 or float16."),
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
    threads: int | None = typer.Option(None, "--threads", help="torch threads in the child (default: torch's)."),
    calls: int = typer.Option(20, "--calls", help="Forward calls timed (per round with --measure asserts; 0: none)."),
    measure: list[Measure] = typer.Option(
        [], "--measure", help="A/B cost measurement: asserts or logging (repeatable)."
    ),
    rounds: int = typer.Option(40, "--rounds", help="--measure asserts: rounds of --calls calls per variant."),
    pairs: int = typer.Option(6, "--pairs", help="--measure logging: pairs of compiles, trace on and off."),
    budget: float = typer.Option(120.0, "--budget", help="--measure: seconds each measurement may take."),
    repeat: int = typer.Option(1, "--repeat", help="Run the measured compile N times (samples for check)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress, no report on the console (for CI)."),
    limit: int = typer.Option(25, "--limit", help="Compile rows shown (0: all)."),
) -> None:
    """Compile MODEL with TORCH_TRACE on in a clean child process, then report where compile time went."""
    spec = parse_model(model)
    get_backend(backend)
    if dtype not in ("float32", "bfloat16", "float16", "float64"):
        raise CompileprofError(f"--dtype {dtype}: use float32, bfloat16, float16 or float64", EXIT_USAGE)
    if batch < 1 or seq_len < 1:
        raise CompileprofError("--batch and --seq-len must be at least 1", EXIT_USAGE)
    factory_kwargs = {"batch": batch, "seq_len": seq_len, "dtype": dtype, **parse_model_args(model_arg)}
    inductor_options = parse_model_args(inductor_option, option="--inductor-option")
    backend_options = {
        "inductor_options": inductor_options,
        "split_ops": parse_split_ops(split_ops),
        "compile_sizes": parse_sizes(compile_sizes),
        "artifact_prefix": parse_prefix(artifact_prefix),
        "dynamic": dynamic,
    }
    if repeat < 1:
        raise CompileprofError("--repeat must be at least 1", EXIT_USAGE)
    measures = sorted({m.value for m in measure})
    if "asserts" in measures and backend not in ("inductor", "piecewise"):
        raise CompileprofError(
            f"--measure asserts needs Inductor's generated code: use --backend piecewise or inductor, not {backend}",
            EXIT_USAGE,
        )
    if measures and (rounds < 2 or pairs < 1 or budget <= 0):
        raise CompileprofError("--rounds must be at least 2, --pairs at least 1, --budget positive", EXIT_USAGE)
    if "asserts" in measures and threads is None and device is Device.cpu:
        threads = 1  # OpenMP stalls from neighbouring load swamp a per-call A/B with more threads
    run_dir = prepare_run_dir(out or default_run_dir(spec.label), force)
    req = RunRequest(
        model=spec,
        factory_kwargs=factory_kwargs,
        backend=backend,
        backend_options=backend_options,
        device=device.value,
        cache=cache.value,
        out=run_dir,
        cache_dir=cache_dir.resolve() if cache_dir else None,
        timeout_s=timeout,
        threads=threads,
        measure_calls=calls,
        measure_budget_s=budget if measures else 5.0,
        measure=measures,
        rounds=rounds,
        pairs=pairs,
        repeat=repeat,
        argv=["compileprof", *sys.argv[1:]],
    )
    _, outcomes = _run_with_progress(req, quiet)
    report: Report | None = None
    try:
        report = build_report(run_dir)
    except CompileprofError:
        report = None  # the child failed before writing a trace
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    if report is not None:
        with open(run_dir / "report.json", "wb") as fh:
            write_json(report, fh)
        (run_dir / "report.md").write_text(render_markdown(report, limit=limit or len(report.compiles)))
        if not quiet:
            render_console(report, console, ConsoleOptions(limit=limit))
    last = outcomes[-1]
    if not last.ok:
        message, code = _failure_message(last, run_dir, backend)
        if last.stderr_tail:
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                "[dim]last lines of the child's stderr:[/]\n" + "\n".join("  " + x for x in last.stderr_tail)
            )
        raise fail(message, code)
    written = ", ".join(["manifest.json", "report.json", "report.md", *(f"{o.label}/" for o in outcomes)])
    Console(stderr=quiet, highlight=False, width=console.width).print(f"run directory: [bold]{run_dir}[/]  ({written})")
