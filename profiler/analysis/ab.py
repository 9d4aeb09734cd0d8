"""Paired A/B statistics for noisy timings: medians, the paired delta and its bootstrap 95% CI."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


def bootstrap_ci(
    values: Sequence[float],
    stat: Callable[[Sequence[float]], float] = statistics.median,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `stat` over `values` (seeded, so a report is reproducible)."""
    if not values:
        raise ValueError("no values")
    rng = random.Random(seed)
    n = len(values)
    stats = sorted(stat([values[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    lo = int((1 - level) / 2 * resamples)
    hi = min(resamples - 1, int((1 + level) / 2 * resamples))
    return stats[lo], stats[hi]


@dataclass(frozen=True, slots=True)
class Paired:
    """A paired comparison of A ("on") and B ("off") measured in the same rounds."""

    median_on: float
    median_off: float
    delta: float  # median of the per-round differences on - off
    ci95: tuple[float, float]
    significant: bool  # the CI excludes 0 and there were enough pairs to compute one
    pairs: int
    enough: bool = True  # at least MIN_PAIRS pairs

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (seconds)."""
        return {
            "median_on_s": self.median_on,
            "median_off_s": self.median_off,
            "delta_s": self.delta,
            "ci95_s": list(self.ci95),
            "significant": self.significant,
            "enough_samples": self.enough,
        }


MIN_PAIRS = 6  # below this a bootstrap interval is too coarse to call anything (3 pairs agree by chance 1 in 4)


def paired(on: Sequence[float], off: Sequence[float], seed: int = 0) -> Paired:
    """Compare per-round samples of two variants measured alternately: the delta is the median of
    the per-round differences, its CI a bootstrap over rounds; significant when the CI excludes 0
    and there are at least `MIN_PAIRS` pairs."""
    if len(on) != len(off) or not on:
        raise ValueError("paired samples need the same, non-zero number of rounds")
    diffs = [a - b for a, b in zip(on, off, strict=True)]
    lo, hi = bootstrap_ci(diffs, seed=seed)
    return Paired(
        median_on=statistics.median(on),
        median_off=statistics.median(off),
        delta=statistics.median(diffs),
        ci95=(lo, hi),
        significant=(lo > 0 or hi < 0) and len(diffs) >= MIN_PAIRS,
        pairs=len(diffs),
        enough=len(diffs) >= MIN_PAIRS,
    )


ASSERT_PRECISION = (0.10, 0.005)  # the asserts A/B's aimed 95% CI half-width: 10% of the delta, or 0.5% of the forward


def assert_target(delta: float, median_on: float) -> float:
    """The CI half-width the asserts A/B aims at (ASSERT_PRECISION): the child samples until it is
    reached, and the report says whether it was."""
    return max(ASSERT_PRECISION[0] * abs(delta), ASSERT_PRECISION[1] * median_on)
