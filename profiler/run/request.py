"""Everything `compileprof run` was asked to do, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, CompileprofError
from ..model.run import CACHE_MODES
from .zoo.catalog import DTYPES, ModelSpec, parse_model, parse_model_args, parse_prefix, parse_sizes, parse_split_ops

MEASURES = ("asserts", "logging")
COUNTS = ("instructions",)
DEVICES = ("cpu", "cuda")


@dataclass(slots=True)
class RunRequest:
    """Everything `compileprof run` was asked to do."""

    model: ModelSpec
    factory_kwargs: dict[str, Any]
    backend: str
    backend_options: dict[str, Any]
    device: str
    cache: str
    out: Path | None = None  # the run directory (chosen by the runner's caller when None)
    cache_dir: Path | None = None
    timeout_s: float | None = None
    threads: int | None = None
    measure_calls: int = 20
    measure_budget_s: float = 5.0
    measure: list[str] = field(default_factory=list)  # "asserts", "logging": A/B measurements
    rounds: int = 400
    pairs: int = 6
    repeat: int = 1
    argv: list[str] = field(default_factory=list)  # the command line, as given
    count: str | None = None  # "instructions": the compile step counted under callgrind
    count_phases: bool = False  # and per phase


@dataclass(slots=True)
class RunOptions:
    """The options of `compileprof run` as the user gave them (strings and numbers, unchecked)."""

    model: str
    batch: int = 2
    seq_len: int = 32
    dtype: str = "float32"
    model_args: list[str] = field(default_factory=list)
    backend: str = "piecewise"
    inductor_options: list[str] = field(default_factory=list)
    split_ops: str | None = None
    compile_sizes: str = ""
    artifact_prefix: str = "compileprof"
    dynamic: bool = True
    device: str = "cpu"
    cache: str = "cold"
    cache_dir: Path | None = None
    timeout: float = 1800.0
    threads: int | None = None
    calls: int = 20
    measure: list[str] = field(default_factory=list)
    rounds: int = 400
    pairs: int = 6
    budget: float = 120.0
    repeat: int = 1
    argv: list[str] = field(default_factory=list)
    count: str | None = None
    count_phases: bool = False


def _check_count(o: RunOptions) -> None:
    """`--count instructions`: valgrind must be there (before any compile), and nothing timed under it."""
    if o.count is None:
        if o.count_phases:
            raise CompileprofError("--count-phases counts per phase: give it with --count instructions", EXIT_USAGE)
        return
    if o.count not in COUNTS:
        raise CompileprofError(f"--count {o.count}: use {', '.join(COUNTS)}", EXIT_USAGE)
    if o.measure:
        raise CompileprofError(
            "--count instructions runs the child under valgrind, which makes every timing meaningless: "
            "give --measure in a run of its own",
            EXIT_USAGE,
        )
    if o.device != "cpu":
        raise CompileprofError(
            "--count instructions needs --device cpu: valgrind cannot follow a process into a GPU driver",
            EXIT_USAGE,
        )
    from .counting import require_valgrind

    require_valgrind()


def _check(o: RunOptions) -> None:
    """Raise a usage error (exit 2) for options that cannot make a run."""
    from compileprof.backends.registry import get_backend

    get_backend(o.backend)
    if o.dtype not in DTYPES:
        raise CompileprofError(f"--dtype {o.dtype}: use {', '.join(DTYPES[:-1])} or {DTYPES[-1]}", EXIT_USAGE)
    if o.batch < 1 or o.seq_len < 1:
        raise CompileprofError("--batch and --seq-len must be at least 1", EXIT_USAGE)
    if o.repeat < 1:
        raise CompileprofError("--repeat must be at least 1", EXIT_USAGE)
    if not o.timeout > 0 or not o.budget > 0:
        raise CompileprofError("--timeout and --budget are seconds: give a positive number", EXIT_USAGE)
    for option, value, known in (("--cache", o.cache, CACHE_MODES), ("--device", o.device, DEVICES)):
        if value not in known:
            raise CompileprofError(f"{option} {value}: use one of {', '.join(known)}", EXIT_USAGE)
    for m in o.measure:
        if m not in MEASURES:
            raise CompileprofError(f"--measure {m}: use one of {', '.join(MEASURES)}", EXIT_USAGE)
    if "asserts" in o.measure and o.backend not in ("inductor", "piecewise"):
        raise CompileprofError(
            f"--measure asserts needs Inductor's generated code: use --backend piecewise or inductor, not {o.backend}",
            EXIT_USAGE,
        )
    if o.measure and (o.rounds < 2 or o.pairs < 1 or o.budget <= 0):
        raise CompileprofError("--rounds must be at least 2, --pairs at least 1, --budget positive", EXIT_USAGE)
    _check_count(o)


def _check_factory_kwargs(kwargs: dict[str, Any]) -> None:
    """`--model-arg` may override `--batch`, `--seq-len` and `--dtype`: the same rules apply."""
    for key in ("batch", "seq_len"):
        if type(kwargs[key]) is not int or kwargs[key] < 1:
            raise CompileprofError(f"{key} {kwargs[key]!r}: must be a whole number of at least 1", EXIT_USAGE)
    if kwargs["dtype"] not in DTYPES:
        raise CompileprofError(f"dtype {kwargs['dtype']!r}: use {', '.join(DTYPES)}", EXIT_USAGE)


def build_request(o: RunOptions) -> RunRequest:
    """The run request for options `o`; raises `CompileprofError` (exit 2) for bad ones."""
    spec = parse_model(o.model)
    _check(o)
    factory_kwargs = {"batch": o.batch, "seq_len": o.seq_len, "dtype": o.dtype, **parse_model_args(o.model_args)}
    _check_factory_kwargs(factory_kwargs)
    measures = sorted(set(o.measure))
    backend_options = {
        "inductor_options": parse_model_args(o.inductor_options, option="--inductor-option"),
        "split_ops": parse_split_ops(o.split_ops),
        "compile_sizes": parse_sizes(o.compile_sizes),
        "artifact_prefix": parse_prefix(o.artifact_prefix),
        "dynamic": o.dynamic,
    }
    threads = o.threads
    if "asserts" in measures and threads is None and o.device == "cpu":
        threads = 1  # OpenMP stalls from neighbouring load swamp a per-call A/B with more threads
    return RunRequest(
        model=spec,
        factory_kwargs=factory_kwargs,
        backend=o.backend,
        backend_options=backend_options,
        device=o.device,
        cache=o.cache,
        cache_dir=o.cache_dir.resolve() if o.cache_dir else None,
        timeout_s=o.timeout,
        threads=threads,
        measure_calls=0 if o.count else o.calls,  # under valgrind a forward's time says nothing
        measure_budget_s=o.budget if measures else 5.0,
        measure=measures,
        rounds=o.rounds,
        pairs=o.pairs,
        repeat=o.repeat,
        argv=o.argv,
        count=o.count,
        count_phases=o.count_phases,
    )
