"""How far a timing can be trusted: the machine's load while it ran, the spread of repeated calls,
and a compiled-vs-eager speed ratio with its interval."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from .ab import MIN_PAIRS, bootstrap_ci

BUSY_SHARE = 0.5  # other work above this share of the CPUs (the measuring process not counted): busy
NOISY_SPREAD = 0.15  # a robust coefficient of variation of repeated calls above this: noisy


def spread(samples: Sequence[float]) -> float | None:
    """The robust coefficient of variation of `samples`: 1.4826 x median absolute deviation / median
    (what a standard deviation over the mean would be without the outliers a busy machine adds)."""
    if len(samples) < 3:
        return None
    mid = statistics.median(samples)
    if mid <= 0:
        return None
    return 1.4826 * statistics.median(abs(x - mid) for x in samples) / mid


def busy_load(load: Sequence[float | None] | None, cpus: int | None) -> float | None:
    """The highest load average seen around a measurement, less the measuring process itself."""
    seen = [x for x in (load or []) if isinstance(x, (int, float))]
    if not seen or not cpus:
        return None
    return max(0.0, max(seen) - 1.0)


def noise_warning(
    samples: Sequence[Sequence[float]], load: Sequence[float | None] | None, cpus: int | None
) -> str | None:
    """A plain sentence when the machine was busy or the calls spread too much for small differences to
    be resolved (the figures that say so included); None when neither."""
    said, figure = [], None
    others = busy_load(load, cpus)
    if others is not None and cpus and others > BUSY_SHARE * cpus:
        said.append(f"the machine was busy (load average {others + 1:.1f} on {cpus} CPUs, this measurement included)")
    spreads = [x for x in (spread(s) for s in samples) if x is not None]
    if spreads and max(spreads) > NOISY_SPREAD:
        figure = f"{max(spreads) * 100:.0f}%"
        said.append(f"repeated calls varied by {figure} (robust coefficient of variation)")
    if not said:
        return None
    smaller = f"Differences below about {figure} are not" if figure else "Small differences may not be"
    return "Noisy: " + "; ".join(said) + f". {smaller} resolved here: measure on a quiet machine."


def speed_ratio(compiled: Sequence[float], eager: Sequence[float]) -> tuple[float, float, float] | None:
    """Eager's median time over compiled's (above 1: compiled is faster) and its 95% interval from a
    paired bootstrap of the interleaved rounds; None without enough paired rounds. The ratio is the
    ratio of the medians the report prints beside it, so the two tell one story."""
    pairs = [(c, e) for c, e in zip(compiled, eager, strict=False) if c > 0 and e > 0]
    if len(pairs) < MIN_PAIRS:
        return None
    mid = statistics.median(e for _, e in pairs) / statistics.median(c for c, _ in pairs)

    def ratio(sample: Sequence[int]) -> float:
        return statistics.median(pairs[i][1] for i in sample) / statistics.median(pairs[i][0] for i in sample)

    lo, hi = bootstrap_ci(range(len(pairs)), ratio)  # type: ignore[arg-type]
    return mid, min(lo, mid), max(hi, mid)


def speed_words(ratio: tuple[float, float, float]) -> str:
    """`compiled is 1.24x faster than eager (95% CI ...)`, `... slower ...`, or not distinguishable."""
    mid, lo, hi = ratio
    if lo > 1:
        return f"compiled is {mid:.2f}x faster than eager (95% CI {lo:.2f}x to {hi:.2f}x)"
    if hi < 1:
        return f"compiled is {1 / mid:.2f}x slower than eager (95% CI {1 / hi:.2f}x to {1 / lo:.2f}x)"
    return f"compiled and eager are not distinguishable here (eager/compiled {mid:.2f}, 95% CI {lo:.2f} to {hi:.2f})"
