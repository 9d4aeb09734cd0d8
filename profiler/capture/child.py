"""The child process of `compileprof run`: build the model, compile it, check it, time it.

    python -m compileprof.profiler.capture.child JOB.json

The parent sets TORCH_TRACE and the Inductor cache directory in this process's environment before
torch is imported. Progress goes to the job's `progress` file (one JSON line per step start/end),
the outcome to its `result` file; exit status 0 (ok) or 3 (a step failed, result says which).
"""

from __future__ import annotations

import copy
import json
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

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


def mark_variant(variant: str) -> None:
    """Write a `compileprof_measure_variant` artifact: the compiles after it belong to `variant`."""
    from torch._logging import trace_structured

    trace_structured(
        "artifact",
        metadata_fn=lambda: {"name": "compileprof_measure_variant", "encoding": "json"},
        payload_fn=lambda: json.dumps({"variant": variant}),
        expect_trace_id=False,
    )


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
    from .measure import interleaved

    samples = interleaved(fns, inputs, rounds=calls, calls=1, budget_s=budget_s, sync=sync)
    return {
        "calls": len(next(iter(samples.values()))),
        **{f"{name}_median_s": statistics.median(s) for name, s in samples.items()},
        **{f"{name}_min_s": min(s) for name, s in samples.items()},
    }


def run(job: dict[str, Any]) -> int:
    """Do the job's steps; write the result file; return the exit status."""
    steps = Steps(Path(job["progress"]))
    result: dict[str, Any] = {"status": "ok", "steps": steps.times, "error": None}
    try:
        steps.start("import")
        import torch
        from compileprof.backends.registry import BackendOptions, get_backend
        from compileprof.profiler.models.catalog import ModelSpec
        from compileprof.profiler.models.loader import call_factory, factory_for

        if job.get("threads"):
            torch.set_num_threads(int(job["threads"]))
        steps.end()

        steps.start("build model")
        spec = ModelSpec(**{k: job["model"][k] for k in ("kind", "target", "function")})
        kwargs = dict(job["factory_kwargs"])
        dtype = getattr(torch, kwargs.get("dtype") or "float32")
        kwargs["dtype"] = dtype
        kwargs["device"] = job["device"]
        model, inputs, more = call_factory(factory_for(spec), kwargs)
        device = torch.device(job["device"])
        if isinstance(model, torch.nn.Module):
            model = model.to(device).eval()
        inputs = tuple(x.to(device) if isinstance(x, torch.Tensor) else x for x in inputs)
        more = [tuple(x.to(device) if isinstance(x, torch.Tensor) else x for x in m) for m in more]
        result["versions"] = _versions()
        result["device"] = str(device) if device.type == "cpu" else torch.cuda.get_device_name(device)
        result["threads"] = torch.get_num_threads()
        params = sum(p.numel() for p in model.parameters()) if isinstance(model, torch.nn.Module) else None
        name = getattr(model, "display_name", None) or type(model).__name__
        result["model"] = {"class": name, "parameters": params, "inputs": _describe(inputs)}
        steps.end()

        steps.start("compile")
        backend = get_backend(job["backend"])
        options = BackendOptions(**job["backend_options"])
        if backend.dynamic_batch and options.dynamic:
            for x in inputs:  # the batch/token dimension: one trace serves every size
                if isinstance(x, torch.Tensor) and x.dim() > 0:
                    # sizes 0 and 1 are always specialised by Dynamo: only mark what it accepts
                    mark = torch._dynamo.mark_dynamic if x.shape[0] > 1 else torch._dynamo.maybe_mark_dynamic
                    mark(x, 0)
        measure = job.get("measure") or []
        if "asserts" in measure:
            mark_variant("asserts_on")
        compiled = torch.compile(model, **backend.compile_kwargs(options))
        with torch.inference_mode():
            outputs = [compiled(*inputs)]
            outputs += [compiled(*m) for m in more]
        steps.end()

        steps.start("check output")
        tol = 1e-3 if dtype in (torch.float32, torch.float64) else 2e-2
        checks = []
        with torch.inference_mode():
            for args, out in zip([inputs, *more], outputs, strict=True):
                checks.append(compare(model(*args), out, tol))
        worst = [c["max_abs_err"] for c in checks if c["max_abs_err"] is not None]
        result["check"] = {
            "max_abs_err": max(worst) if worst else None,
            "tolerance": tol,
            "match": all(c["match"] for c in checks),
            "inputs_checked": len(checks),
            "why": next((c["why"] for c in checks if c["why"]), None),
        }
        steps.end()

        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        if "asserts" in measure:
            from .measure import ASSERTS_OFF, assert_rounds

            steps.start("compile asserts off")
            off_options = BackendOptions(
                **{**job["backend_options"], "inductor_options": {**options.inductor_options, **ASSERTS_OFF}}
            )
            model_off = copy.deepcopy(model)  # its own Dynamo cache entry, compiled with asserts off
            mark_variant("asserts_off")
            compiled_off = torch.compile(model_off, **backend.compile_kwargs(off_options))
            with torch.inference_mode():
                out_off = compiled_off(*inputs)
            steps.end()
            steps.start("measure asserts")
            with torch.inference_mode():
                result["measure_asserts"] = assert_rounds(
                    compiled, compiled_off, inputs, job["rounds"], job["measure_calls"], job["measure_budget_s"], sync
                )
            result["measure_asserts"]["outputs"] = compare(outputs[0], out_off, tol)
            result["measure_asserts"]["device"] = result["device"]
            steps.end()
        elif job.get("measure_calls", 0) > 0:
            steps.start("measure")
            with torch.inference_mode():
                result["forward"] = time_calls(
                    {"compiled": compiled, "eager": model}, inputs, job["measure_calls"], job["measure_budget_s"], sync
                )
            result["forward"]["device"] = result["device"]
            steps.end()
        if "logging" in measure:
            from .measure import logging_pairs

            steps.start("measure logging")
            result["measure_logging"] = logging_pairs(
                model, inputs, lambda: torch.compile(model, **backend.compile_kwargs(options)),
                job["pairs"], job["measure_budget_s"], sync,
            )  # fmt: skip
            steps.end()
    except BaseException as err:
        result["status"] = "failed"
        result["error"] = {
            "step": steps.current,
            "type": type(err).__name__,
            "message": str(err).strip().splitlines()[0][:500] if str(err).strip() else "",
            "traceback": traceback.format_exc()[-4000:],
        }
        traceback.print_exc()
    Path(job["result"]).write_text(json.dumps(result, indent=2, default=str))
    return 0 if result["status"] == "ok" else STEP_FAILED


def _describe(inputs: tuple) -> list[str]:
    import torch

    return [
        f"{tuple(x.shape)} {str(x.dtype).replace('torch.', '')}" if isinstance(x, torch.Tensor) else repr(x)[:40]
        for x in inputs
    ]


def main() -> None:
    """Entry point: read the job file named on the command line."""
    job = json.loads(Path(sys.argv[1]).read_text())
    sys.exit(run(job))


if __name__ == "__main__":
    main()
