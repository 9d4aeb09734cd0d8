"""The child process of `compileprof run`: build the model, compile it, check it, time it.

    python -m compileprof.profiler.run.child JOB.json

The parent sets TORCH_TRACE and the Inductor cache directory in this process's environment before
torch is imported. Progress goes to the job's `progress` file (one JSON line per step start/end),
the outcome to its `result` file; exit status 0 (ok) or 3 (a step failed, result says which).
The work is the sequence of steps in `STEPS`, each a function of the child's state.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import platform
import signal
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.run import ASSERTS_OFF, ASSERTS_ON
from .counting import Collection
from .job import ChildJob, ChildResult
from .markers import mark_variant
from .trace_cost import TraceCost

STEP_FAILED = 3


class Steps:
    """Times each step and writes its start and end to the progress file."""

    def __init__(self, progress: Path) -> None:
        self._fh = open(progress, "a", buffering=1)
        self.times: dict[str, float] = {}
        self.current: str | None = None

    def start(self, name: str) -> None:
        """Begin step `name`."""
        self.current = name
        self._t0 = time.perf_counter()
        self._fh.write(json.dumps({"step": name, "event": "start", "time": time.time()}) + "\n")

    def end(self) -> None:
        """End the current step."""
        assert self.current is not None
        self.times[self.current] = time.perf_counter() - self._t0
        self._fh.write(json.dumps({"step": self.current, "event": "end", "time": time.time()}) + "\n")
        self.current = None


@dataclass
class ChildState:
    """What the steps hand on to each other."""

    job: ChildJob
    result: ChildResult
    torch: Any = None
    model: Any = None
    inputs: tuple = ()
    more: list[tuple] = field(default_factory=list)  # further inputs the factory asked to run
    device: Any = None
    dtype: Any = None
    backend: Any = None
    options: Any = None
    compiled: Any = None
    outputs: list[Any] = field(default_factory=list)
    compiled_off: Any = None  # the asserts-off variant
    output_off: Any = None
    trace_cost: TraceCost = field(default_factory=TraceCost)  # TORCH_TRACE logging, timed directly

    @property
    def tolerance(self) -> float:
        """The output check's tolerance for the model's dtype."""
        return 1e-3 if self.dtype in (self.torch.float32, self.torch.float64) else 2e-2

    def sync(self) -> None:
        """Wait for the device (CUDA) before reading a clock."""
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()


def _versions() -> dict[str, str | None]:
    import torch

    out: dict[str, str | None] = {"python": platform.python_version(), "torch": torch.__version__, "triton": None}
    try:
        import triton

        out["triton"] = triton.__version__
    except Exception:
        pass
    if "transformers" in sys.modules:
        out["transformers"] = sys.modules["transformers"].__version__
    return out


def _leaves(out: Any) -> list:
    import torch
    from torch.utils._pytree import tree_leaves

    if hasattr(out, "to_tuple"):  # transformers ModelOutput
        out = out.to_tuple()
    return [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]


def compare(expected: Any, actual: Any, dtype_tol: float) -> dict[str, Any]:
    """Max abs error between two outputs' tensors, and whether every element is within tolerance."""
    import torch

    exp, act = _leaves(expected), _leaves(actual)
    if len(exp) != len(act):
        return {"max_abs_err": None, "tolerance": dtype_tol, "match": False, "why": "different number of outputs"}
    worst, ok = 0.0, True
    for e, a in zip(exp, act, strict=True):
        if e.shape != a.shape:
            return {"max_abs_err": None, "tolerance": dtype_tol, "match": False, "why": f"shape {a.shape} != {e.shape}"}
        if e.numel() == 0:
            continue
        diff = (e.double() - a.double()).abs()
        worst = max(worst, float(diff.max()))
        ok = ok and bool(torch.all(diff <= dtype_tol + dtype_tol * e.double().abs()))
    return {"max_abs_err": worst, "tolerance": dtype_tol, "match": ok, "why": None}


def time_calls(fns: dict[str, Any], inputs: tuple, calls: int, budget_s: float, sync: Any) -> dict[str, Any]:
    """Median and minimum seconds per call of each function, called one at a time in alternating order."""
    from .timing import Budget, interleaved

    budget = Budget(budget_s, floor=4)
    samples = interleaved(fns, inputs, rounds=calls, calls=1, budget=budget, sync=sync)
    return {
        "calls": len(next(iter(samples.values()))),
        **{f"{name}_median_s": statistics.median(s) for name, s in samples.items()},
        **{f"{name}_min_s": min(s) for name, s in samples.items()},
        **{f"{name}_samples_s": s for name, s in samples.items()},
        **budget.load(),
    }


def _describe(inputs: tuple) -> list[str]:
    import torch

    return [
        f"{tuple(x.shape)} {str(x.dtype).replace('torch.', '')}" if isinstance(x, torch.Tensor) else repr(x)[:40]
        for x in inputs
    ]


def _to_device(values: tuple, device: Any) -> tuple:
    import torch

    return tuple(x.to(device) if isinstance(x, torch.Tensor) else x for x in values)


# ---- the steps ---------------------------------------------------------------------------------


def import_torch(s: ChildState) -> None:
    """Import torch (TORCH_TRACE is read now) and set the thread count."""
    import torch

    from .trace_cost import install

    s.torch = torch
    install(torch, s.trace_cost)  # every TORCH_TRACE record from here on is timed
    if s.job.threads:
        torch.set_num_threads(int(s.job.threads))


class PreflightError(Exception):
    """An option this torch cannot honour, found before any work (the parent reports it as a usage error)."""


def check_options(s: ChildState) -> None:
    """What the parent could not check without importing torch: a CUDA device, Inductor's option names."""
    torch = s.torch
    if s.job.device == "cuda":
        if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
            raise PreflightError(
                f"--device cuda: this torch ({torch.__version__}) is a CPU build; install a CUDA build of torch, "
                "or use --device cpu"
            )
        if not torch.cuda.is_available():
            raise PreflightError("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
    if s.job.count and not _counter(s).supported():
        raise PreflightError(
            f"--count instructions: this torch ({torch.__version__}) was built without valgrind's client requests "
            "(torch._C._valgrind_supported_platform() is False); use a torch build for Linux x86-64 or aarch64"
        )
    asked = s.job.backend_options.get("inductor_options") or {}
    if asked:
        import difflib

        from torch._inductor import config

        known = set(getattr(config, "_config", {})) or set(dir(config))
        for key in asked:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else "; see torch._inductor.config"
                raise PreflightError(f"--inductor-option {key}: this torch's Inductor has no such option{hint}")


def build_model(s: ChildState) -> None:
    """Call the factory: the model, its inputs and any further inputs; describe them."""
    from .zoo.catalog import ModelSpec
    from .zoo.loader import call_factory, factory_for

    torch = s.torch
    spec = ModelSpec(**{k: s.job.model[k] for k in ("kind", "target", "function")})
    kwargs = dict(s.job.factory_kwargs)
    s.dtype = getattr(torch, kwargs.get("dtype") or "float32")
    kwargs["dtype"] = s.dtype
    kwargs["device"] = s.job.device
    model, inputs, more = call_factory(factory_for(spec), kwargs)
    s.device = torch.device(s.job.device)
    if isinstance(model, torch.nn.Module):
        model = model.to(s.device).eval()
    s.model, s.inputs, s.more = model, _to_device(inputs, s.device), [_to_device(m, s.device) for m in more]
    r = s.result
    r.versions = _versions()
    r.device = str(s.device) if s.device.type == "cpu" else torch.cuda.get_device_name(s.device)
    r.threads = torch.get_num_threads()
    params = sum(p.numel() for p in model.parameters()) if isinstance(model, torch.nn.Module) else None
    name = getattr(model, "display_name", None) or type(model).__name__
    r.model = {"class": name, "parameters": params, "inputs": _describe(s.inputs)}


def compile_model(s: ChildState) -> None:
    """torch.compile with the backend, and the first call of every input (the compile happens then)."""
    from compileprof.backends.options import BackendOptions
    from compileprof.backends.registry import get_backend

    torch = s.torch
    s.backend = get_backend(s.job.backend)
    s.options = BackendOptions(**s.job.backend_options)
    if s.backend.dynamic_batch and s.options.dynamic:
        for x in s.inputs:  # the batch/token dimension: one trace serves every size
            if isinstance(x, torch.Tensor) and x.dim() > 0:
                # sizes 0 and 1 are always specialised by Dynamo: only mark what it accepts
                mark = torch._dynamo.mark_dynamic if x.shape[0] > 1 else torch._dynamo.maybe_mark_dynamic
                mark(x, 0)
    if "asserts" in s.job.measure:
        mark_variant(ASSERTS_ON)
    with _counter(s) if s.job.count else contextlib.nullcontext():
        s.compiled = torch.compile(s.model, **s.backend.compile_kwargs(s.options))
        with torch.inference_mode():
            s.outputs = [s.compiled(*s.inputs)]
            s.outputs += [s.compiled(*m) for m in s.more]


def _counter(s: ChildState) -> Collection:
    """Callgrind's collection around the compile step (a no-op outside valgrind)."""
    return Collection(s.torch, Path(s.job.result).parent, s.job.count_phases, s.job.count_helper)


def check_output(s: ChildState) -> None:
    """Compare every compiled output with eager's."""
    with s.torch.inference_mode():
        checks = [
            compare(s.model(*args), out, s.tolerance) for args, out in zip([s.inputs, *s.more], s.outputs, strict=True)
        ]
    worst = [c["max_abs_err"] for c in checks if c["max_abs_err"] is not None]
    s.result.check = {
        "max_abs_err": max(worst) if worst else None,
        "tolerance": s.tolerance,
        "match": all(c["match"] for c in checks),
        "inputs_checked": len(checks),
        "why": next((c["why"] for c in checks if c["why"]), None),
    }


def compile_asserts_off(s: ChildState) -> None:
    """Compile a copy of the model with Inductor's runtime asserts off (its own Dynamo cache entry)."""
    from compileprof.backends.options import BackendOptions

    from .timing import ASSERTS_OFF_OPTIONS

    inductor = {**s.options.inductor_options, **ASSERTS_OFF_OPTIONS}
    off_options = BackendOptions(**{**s.job.backend_options, "inductor_options": inductor})
    mark_variant(ASSERTS_OFF)
    s.compiled_off = s.torch.compile(copy.deepcopy(s.model), **s.backend.compile_kwargs(off_options))
    with s.torch.inference_mode():
        s.output_off = s.compiled_off(*s.inputs)


def measure_asserts(s: ChildState) -> None:
    """The asserts A/B: the two variants timed in alternating rounds."""
    from .timing import assert_rounds

    job = s.job
    with s.torch.inference_mode():
        m = assert_rounds(
            s.compiled, s.compiled_off, s.inputs, job.rounds, job.measure_calls, job.measure_budget_s, s.sync
        )
    m["outputs"] = compare(s.outputs[0], s.output_off, s.tolerance)
    m["device"] = s.result.device
    s.result.measure_asserts = m
    _refuse_small_budget(m, "--measure asserts", "6 rounds")


def measure_forward(s: ChildState) -> None:
    """Compiled against eager forward calls, interleaved."""
    fns = {"compiled": s.compiled, "eager": s.model}
    with s.torch.inference_mode():
        s.result.forward = time_calls(fns, s.inputs, s.job.measure_calls, s.job.measure_budget_s, s.sync)
    s.result.forward["device"] = s.result.device


def measure_logging(s: ChildState) -> None:
    """The TORCH_TRACE A/B: whole compiles with the trace handler on and off. How many pairs fit the
    budget is only known once one has run (a compile with caches disabled is not the cold compile):
    the first pair always runs, and the report says when the budget ended it and what it needed."""
    from .timing import logging_pairs

    def make() -> Any:
        return s.torch.compile(s.model, **s.backend.compile_kwargs(s.options))

    def direct() -> float:  # seconds of TORCH_TRACE logging timed so far in this step
        return s.trace_cost.by_step.get("measure logging", [0, 0.0])[1]

    s.result.measure_logging = logging_pairs(
        s.model, s.inputs, make, s.job.pairs, s.job.measure_budget_s, s.sync, direct
    )
    _refuse_small_budget(s.result.measure_logging, "--measure logging", "2 pairs of compiles")


def _refuse_small_budget(m: dict[str, Any], what: str, least: str) -> None:
    """A budget that cannot hold the fewest samples a measurement is worth: a usage error naming the
    budget needed at the pace measured (what was measured stays in the result)."""
    needed = m.get("too_small_s")
    if needed:
        raise PreflightError(
            f"{what}: --budget {m.get('budget_s'):g} s cannot hold {least} at the pace measured here; "
            f"give --budget {math.ceil(needed)} or more"
        )


def _asserts(s: ChildState) -> bool:
    return "asserts" in s.job.measure


STEPS: list[tuple[str, Callable[[ChildState], None], Callable[[ChildState], bool]]] = [
    ("import", import_torch, lambda s: True),
    ("check options", check_options, lambda s: True),
    ("build model", build_model, lambda s: True),
    ("compile", compile_model, lambda s: True),
    ("check output", check_output, lambda s: True),
    ("compile asserts off", compile_asserts_off, _asserts),
    ("measure asserts", measure_asserts, _asserts),
    ("measure", measure_forward, lambda s: not _asserts(s) and s.job.measure_calls > 0),
    ("measure logging", measure_logging, lambda s: "logging" in s.job.measure),
]


def innermost_cause(err: BaseException) -> BaseException:
    """The exception at the bottom of `err`'s chain (`raise ... from`, or raised while handling)."""
    seen = {id(err)}
    while True:
        nxt = err.__cause__ or (None if err.__suppress_context__ else err.__context__)
        if nxt is None or id(nxt) in seen:
            return err
        seen.add(id(nxt))
        err = nxt


def _first_line(err: BaseException) -> str:
    """The first line of an exception's message that says something (not `backend='x' raised:`)."""
    lines = [x.strip() for x in str(err).strip().splitlines() if x.strip()]
    said = [x for x in lines if not x.endswith("raised:")]
    return (said or lines or [""])[0][:500]


def run(job: ChildJob) -> int:
    """Do the job's steps; write the result file; return the exit status."""
    steps = Steps(Path(job.progress))
    state = ChildState(job, ChildResult(steps=steps.times))
    try:
        for name, step, wanted in STEPS:
            if wanted(state):
                steps.start(name)
                state.trace_cost.step = name
                step(state)
                steps.end()
    except BaseException as err:
        state.result.status = "failed"
        cause = innermost_cause(err)
        state.result.error = {
            "step": steps.current,
            "type": type(err).__name__,
            "message": _first_line(err),
            "traceback": traceback.format_exc()[-4000:],
        }
        if cause is not err:  # a wrapper (BackendCompilerFailed, ...): the real error is its cause
            state.result.error["cause"] = {"type": type(cause).__name__, "message": _first_line(cause)}
        traceback.print_exc()
    state.result.trace_cost = state.trace_cost.to_dict() if state.trace_cost.by_step else None
    state.result.write(Path(job.result))
    return 0 if state.result.status == "ok" else STEP_FAILED


def main() -> None:
    """Entry point: read the job file named on the command line. Ctrl-C (the parent's polite stop) is
    made a KeyboardInterrupt even when this process was started with SIGINT ignored, as a shell does
    for a command run in the background: the child then unwinds and writes its result."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(run(ChildJob.read(Path(sys.argv[1]))))


if __name__ == "__main__":
    main()
