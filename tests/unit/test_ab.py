"""The A/B statistics on synthetic samples."""

from __future__ import annotations

import random

import pytest
from compileprof.profiler.analysis.ab import bootstrap_ci, paired


def _noisy(n, mean, sd, seed):
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def test_a_known_shift_is_detected_and_covered_by_the_ci():
    off = _noisy(40, 100e-6, 5e-6, 1)
    on = [x + 8e-6 + d for x, d in zip(off, _noisy(40, 0, 2e-6, 2), strict=True)]  # +8 us, paired noise
    result = paired(on, off)
    assert result.significant
    assert result.ci95[0] > 0 and result.ci95[0] <= 8e-6 <= result.ci95[1]
    assert result.delta == pytest.approx(8e-6, abs=1.5e-6)


def test_no_shift_gives_a_ci_that_covers_zero():
    off = _noisy(40, 100e-6, 5e-6, 3)
    on = _noisy(40, 100e-6, 5e-6, 4)
    result = paired(on, off)
    assert result.ci95[0] <= 0 <= result.ci95[1] and not result.significant


def test_bootstrap_is_seeded_and_ordered():
    values = _noisy(25, 1.0, 0.1, 5)
    assert bootstrap_ci(values) == bootstrap_ci(values)
    lo, hi = bootstrap_ci(values)
    assert lo < hi


def test_unpaired_input_is_refused():
    with pytest.raises(ValueError):
        paired([1.0, 2.0], [1.0])


def test_too_few_pairs_is_never_significant():
    result = paired([2.0, 2.1, 2.2], [1.0, 1.1, 1.0])
    assert result.ci95[0] > 0 and not result.significant and not result.enough
