"""Interleaved A/B timing in the child: asserts on vs off per forward call, trace on vs off per compile.

Both variants run in one process, alternating which goes first in each round, so drift and
neighbouring load hit both alike; the statistics are done by the parent (`analysis.ab`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from ..model.run import LOGGING_ON
from .markers import mark_variant

ASSERTS_OFF_OPTIONS = {"size_asserts": False, "alignment_asserts": False, "scalar_asserts": False}


def machine_load() -> float | None:
    """The 1-minute load average (runnable processes, this one included), None where the OS has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def interleaved(
    fns: dict[str, Callable[..., Any]],
    inputs: tuple,
    rounds: int,
    calls: int,
    budget_s: float,
    sync: Callable[[], Any],
    warmup: int = 0,
) -> dict[str, list[float]]:
    """Seconds per call of each function, one sample per round (the mean of `calls` calls), in up to
    `rounds` rounds that alternate the order; stops at an even round (at least 4) past `budget_s`."""
    for fn in fns.values():
        for _ in range(warmup):
            fn(*inputs)
        sync()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    deadline = time.perf_counter() + budget_s
    calls = max(1, calls)
    for r in range(max(2, rounds)):
        for name in names if r % 2 == 0 else reversed(names):
            fn = fns[name]
            sync()
            t0 = time.perf_counter()
            for _ in range(calls):
                fn(*inputs)
            sync()
            samples[name].append((time.perf_counter() - t0) / calls)
        if r % 2 == 1 and r >= 3 and time.perf_counter() > deadline:
            break
    return samples


def assert_rounds(
    on: Callable[..., Any],
    off: Callable[..., Any],
    inputs: tuple,
    rounds: int,
    calls: int,
    budget_s: float,
    sync: Callable[[], Any],
    warmup: int = 5,
) -> dict[str, Any]:
    """The asserts A/B: `interleaved` samples of the on and off variants, and how they were taken."""
    import torch

    load_before = machine_load()
    samples = interleaved({"on": on, "off": off}, inputs, rounds, calls, budget_s, sync, warmup)
    first = next((x for x in inputs if isinstance(x, torch.Tensor) and x.dim() > 0), None)
    return {
        "samples_on_s": samples["on"],
        "samples_off_s": samples["off"],
        "load": [load_before, machine_load()],
        "cpus": os.cpu_count(),
        "rounds": len(samples["on"]),
        "calls_per_round": max(1, calls),
        "warmup": warmup,
        "budget_s": budget_s,
        "threads": torch.get_num_threads(),
        "batch_size": int(first.shape[0]) if first is not None else None,
    }


def logging_pairs(
    model: Any,
    inputs: tuple,
    make: Callable[[], Callable[..., Any]],
    pairs: int,
    budget_s: float,
    sync: Callable[[], Any],
) -> dict[str, Any]:
    """Whole compiles (Dynamo reset, Inductor caches disabled so each does the same work) with the
    TORCH_TRACE handler attached and detached, alternating which goes first; seconds to the first
    output of each. The traced compiles are marked `logging_on` in the trace."""
    import torch
    from torch._logging import _internal

    handlers = list(_internal.trace_log.handlers)
    if not handlers:
        return {"error": "TORCH_TRACE is not on in the child process", "samples_on_s": [], "samples_off_s": []}
    samples: dict[str, list[float]] = {"on": [], "off": []}
    deadline = time.perf_counter() + budget_s
    for i in range(max(1, pairs)):
        for variant in ("on", "off") if i % 2 == 0 else ("off", "on"):
            torch._dynamo.reset()
            _internal.structured_logging_overhead.clear()
            if variant == "on":
                mark_variant(LOGGING_ON)
            else:
                for h in handlers:
                    _internal.trace_log.removeHandler(h)
            try:
                with torch._inductor.config.patch(force_disable_caches=True), torch.inference_mode():
                    fn = make()
                    sync()
                    t0 = time.perf_counter()
                    fn(*inputs)
                    sync()
                    samples[variant].append(time.perf_counter() - t0)
            finally:
                for h in handlers:
                    if h not in _internal.trace_log.handlers:
                        _internal.trace_log.addHandler(h)
        if time.perf_counter() > deadline:
            break
    return {"samples_on_s": samples["on"], "samples_off_s": samples["off"], "pairs": len(samples["on"])}
