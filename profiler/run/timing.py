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


class Budget:
    """A hard time budget for rounds of work: a round is started only when, at the pace of the rounds
    so far, it ends within the budget (the first `floor` rounds always run: nothing is measured
    without them). `ended_by` says what stopped the work: `budget`, `precision` or `rounds`; and
    `needed_s`, set when at that pace the budget cannot hold `need` rounds (the fewest a measurement
    is worth), what it would take: the work then stops at once."""

    def __init__(
        self, seconds: float, floor: int = 2, need: int = 0, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        """`clock` reads seconds (the rounds are timed by it too; tests give one that work advances)."""
        self.seconds, self.floor, self.need, self.clock = seconds, floor, need, clock
        self.start = clock()
        self.longest = 0.0  # the longest round so far
        self.ended_by = "rounds"
        self.needed_s: float | None = None
        self.load_before = machine_load()

    def round_done(self, began: float) -> None:
        """Note how long the round that began at `began` took."""
        self.longest = max(self.longest, self.clock() - began)

    def room_for(self, done: int) -> bool:
        """True when another round fits (or fewer than `floor` rounds are done)."""
        if done < self.floor:
            return True
        elapsed = self.clock() - self.start
        if done < self.need and elapsed + (self.need - done) * self.longest > self.seconds:
            self.ended_by, self.needed_s = "budget", elapsed + (self.need - done) * self.longest
            return False
        if elapsed + self.longest <= self.seconds:
            return True
        self.ended_by = "budget"
        return False

    @property
    def elapsed_s(self) -> float:
        """Seconds since the work began."""
        return self.clock() - self.start

    def load(self) -> dict[str, Any]:
        """The machine's load average when the work began and now, and its CPU count."""
        return {"load": [self.load_before, machine_load()], "cpus": os.cpu_count()}

    def summary(self) -> dict[str, Any]:
        """How the work kept to its budget (the result file's keys), and the load around it."""
        return {
            "budget_s": self.seconds, "elapsed_s": self.elapsed_s, "ended_by": self.ended_by,
            "too_small_s": self.needed_s, **self.load(),
        }  # fmt: skip


def interleaved(
    fns: dict[str, Callable[..., Any]],
    inputs: tuple,
    rounds: int,
    calls: int,
    budget: Budget,
    sync: Callable[[], Any],
    warmup: int = 0,
    precise: Callable[[dict[str, list[float]]], bool] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each function, one sample per round (the mean of `calls` calls), in up to
    `rounds` rounds that alternate the order; stops before a round that would end past the budget, or
    at an even round once `precise(samples)` says the samples are enough (`budget.ended_by` says which)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn(*inputs)
        sync()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    calls, clock = max(1, calls), budget.clock
    for r in range(max(2, rounds)):
        if not budget.room_for(r):
            break
        began = clock()
        for name in names if r % 2 == 0 else reversed(names):
            fn = fns[name]
            sync()
            t0 = clock()
            for _ in range(calls):
                fn(*inputs)
            sync()
            samples[name].append((clock() - t0) / calls)
        budget.round_done(began)
        if precise is not None and r % 2 == 1 and precise(samples):
            budget.ended_by = "precision"
            break
    return samples


MIN_ROUNDS = 10  # rounds before the precision check (a bootstrap interval of fewer is too coarse)


def half_width_target(on: list[float], off: list[float]) -> tuple[float, float]:
    """The CI half-width of the paired asserts delta (a quick bootstrap), and the target it must reach."""
    import statistics

    from ..analysis.ab import assert_target, bootstrap_ci

    diffs = [a - b for a, b in zip(on, off, strict=False)]
    lo, hi = bootstrap_ci(diffs, resamples=400)
    return (hi - lo) / 2, assert_target(statistics.median(diffs), statistics.median(on))


def precise_enough(samples: dict[str, list[float]]) -> bool:
    """True once the asserts A/B's interval is as narrow as `assert_target` asks (after MIN_ROUNDS rounds)."""
    if len(samples["on"]) < MIN_ROUNDS:
        return False
    width, target = half_width_target(samples["on"], samples["off"])
    return width <= target


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

    budget = Budget(budget_s, need=6)
    samples = interleaved({"on": on, "off": off}, inputs, rounds, calls, budget, sync, warmup, precise_enough)
    first = next((x for x in inputs if isinstance(x, torch.Tensor) and x.dim() > 0), None)
    return {
        "samples_on_s": samples["on"],
        "samples_off_s": samples["off"],
        "rounds": len(samples["on"]),
        "calls_per_round": max(1, calls),
        "warmup": warmup,
        **budget.summary(),
        "threads": torch.get_num_threads(),
        "batch_size": int(first.shape[0]) if first is not None else None,
    }


def _one_compile(
    traced: bool,
    inputs: tuple,
    make: Callable[[], Callable[..., Any]],
    sync: Callable[[], Any],
    direct: Callable[[], float],
    handlers: list[Any],
) -> tuple[float, float]:
    """One whole compile (Dynamo reset, Inductor caches disabled) with the trace handlers attached or
    detached: seconds to its first output, and the seconds `direct()` grew by meanwhile."""
    import torch
    from torch._logging import _internal

    torch._dynamo.reset()
    _internal.structured_logging_overhead.clear()
    if traced:
        mark_variant(LOGGING_ON)
    else:
        for h in handlers:
            _internal.trace_log.removeHandler(h)
    try:
        with torch._inductor.config.patch(force_disable_caches=True), torch.inference_mode():
            fn = make()
            sync()
            before, t0 = direct(), time.perf_counter()
            fn(*inputs)
            sync()
            return time.perf_counter() - t0, direct() - before
    finally:
        for h in handlers:
            if h not in _internal.trace_log.handlers:
                _internal.trace_log.addHandler(h)


def logging_pairs(
    model: Any,
    inputs: tuple,
    make: Callable[[], Callable[..., Any]],
    pairs: int,
    budget_s: float,
    sync: Callable[[], Any],
    direct: Callable[[], float] = lambda: 0.0,
) -> dict[str, Any]:
    """Whole compiles with the TORCH_TRACE handler attached and detached (see `_one_compile`),
    alternating which goes first; seconds to the first output of each, and of each traced compile the
    seconds `direct()` (the logging timed directly) grew by. The traced compiles are marked
    `logging_on` in the trace."""
    from torch._logging import _internal

    handlers = list(_internal.trace_log.handlers)
    if not handlers:
        return {"error": "TORCH_TRACE is not on in the child process", "samples_on_s": [], "samples_off_s": []}
    samples: dict[str, list[float]] = {"on": [], "off": []}
    logged: list[float] = []
    budget = Budget(budget_s, floor=1, need=2)
    for i in range(max(1, pairs)):
        if not budget.room_for(i):
            break
        began = time.perf_counter()
        for variant in ("on", "off") if i % 2 == 0 else ("off", "on"):
            seconds, logging_s = _one_compile(variant == "on", inputs, make, sync, direct, handlers)
            samples[variant].append(seconds)
            if variant == "on":
                logged.append(logging_s)
        budget.round_done(began)
    return {
        "samples_on_s": samples["on"], "samples_off_s": samples["off"], "pairs": len(samples["on"]),
        "direct_on_s": logged, **budget.summary(),
    }  # fmt: skip
