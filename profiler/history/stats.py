"""Statistics the history needs: Student's t distribution (for a run against a window of earlier runs)
and E-Divisive means change points (Matteson and James, "A Nonparametric Approach for Multiple Change
Point Analysis of Multivariate Data", JASA 2014), the method Apache Otava and MongoDB's CI use.

E-Divisive splits a series where the energy distance between the two sides is largest, tests that
split by a permutation test (the same statistic over random orderings of the segment), and, while the
best split is significant, splits the segments again. Distances are summed from a cumulative matrix,
so each split costs O(n) after an O(n^2) setup; permutations are seeded, so results are repeatable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom."""
    if math.isinf(t):
        return 0.0
    return incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def mean_sd(values: list[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0


def against_window(window: list[float], current: list[float]) -> float:
    """Two-sided p that `current` comes from the runs of `window`: with one current value, the
    prediction interval of a new run (t = (x - mean) / (sd * sqrt(1 + 1/n)), n - 1 df); with several,
    Welch's t-test of the two means. A window without spread: 0 when the current mean differs, else 1."""
    n, m = len(window), len(current)
    mean_w, sd_w = mean_sd(window)
    mean_c, sd_c = mean_sd(current)
    if m == 1:
        scale, df = sd_w * math.sqrt(1 + 1 / n), n - 1
    else:
        va, vb = sd_w**2 / n, sd_c**2 / m
        scale = math.sqrt(va + vb)
        df = (va + vb) ** 2 / ((va**2 / (n - 1) if n > 1 else 0.0) + (vb**2 / (m - 1)) or 1e-300)
    if scale == 0.0:
        return 0.0 if mean_c != mean_w else 1.0
    return t_two_sided_p((mean_c - mean_w) / scale, max(df, 1.0))


@dataclass(frozen=True, slots=True)
class Change:
    """A change point: the index of the first value after it, the medians before and after (within the
    segments it separates), and its permutation p-value (0 for an exact count)."""

    index: int
    before: float
    after: float
    p_value: float

    @property
    def step(self) -> float:
        """after - before."""
        return self.after - self.before

    @property
    def relative(self) -> float | None:
        """(after - before) / before."""
        return self.step / self.before if self.before else None


# A change point of a time: significant at CHANGE_ALPHA by the permutation test and a step of at least
# MIN_EFFECT. With ten points (five a side) a perfect step's p is about 2/252 = 0.008 by its nature:
# 0.01 would miss half of them; the effect floor keeps noise's small steps out.
CHANGE_ALPHA = 0.05
MIN_EFFECT = 0.05


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _split_statistics(rows: Any, min_size: int) -> Any:
    """The E-Divisive energy statistic (alpha = 1) of every split point of every row of `rows` (a 2-D
    array: one series per row), from cumulative distance matrices: shape (rows, split points)."""
    import numpy as np  # the report never pays for numpy: only the history's change points use it

    k, n = rows.shape
    c = np.zeros((k, n + 1, n + 1), dtype=rows.dtype)
    c[:, 1:, 1:] = np.abs(rows[:, :, None] - rows[:, None, :]).cumsum(1).cumsum(2)
    tau = np.arange(min_size, n - min_size + 1)
    n1, n2 = tau.astype(float), (n - tau).astype(float)
    between = (c[:, tau, n] - c[:, tau, tau]) * 2 / (n1 * n2)  # rows < tau, columns >= tau
    within_a = c[:, tau, tau] / np.maximum(n1 * (n1 - 1), 1)
    within_b = (c[:, n, n][:, None] - c[:, tau, n] - c[:, n, tau] + c[:, tau, tau]) / np.maximum(n2 * (n2 - 1), 1)
    return n1 * n2 / n * (between - within_a - within_b)


def _best_split(values: list[float], min_size: int) -> tuple[int, float]:
    """The split (index, statistic) of `values` maximizing the E-Divisive energy statistic."""
    import numpy as np

    if len(values) < 2 * min_size:
        return -1, -math.inf
    q = _split_statistics(np.asarray([values], dtype=float), min_size)[0]
    best = int(np.argmax(q))
    return min_size + best, float(q[best])


def change_points(values: list[float], min_size: int = 3, permutations: int = 999, alpha: float = CHANGE_ALPHA,
                  seed: int = 0, min_effect: float = MIN_EFFECT) -> list[Change]:  # fmt: skip
    """E-Divisive means change points of a series, in order: each split accepted while its permutation
    p-value is below `alpha` (the smallest p `permutations` allow is 1 / (permutations + 1)) and the
    medians either side differ by at least `min_effect` of the one before (noise moves less)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    cuts: list[tuple[int, float]] = []
    segments = [(0, len(values))]
    while segments:
        scored = []
        for a, b in segments:
            if b - a >= 2 * min_size:
                at, q = _best_split(values[a:b], min_size)
                if at > 0:
                    scored.append((q, a, b, a + at))
        if not scored:
            break
        q, a, b, at = max(scored)
        before, after = _median(values[a:at]), _median(values[at:b])
        if abs(after - before) < min_effect * abs(before):
            break
        p = _permutation_p(values[a:b], q, min_size, permutations, alpha, rng)
        if p >= alpha:
            break
        cuts.append((at, p))
        segments = [s for s in segments if s != (a, b)] + [(a, at), (at, b)]
    edges = sorted(c for c, _ in cuts)
    p_of = dict(cuts)
    out = []
    for i, at in enumerate(edges):
        lo = edges[i - 1] if i else 0
        hi = edges[i + 1] if i + 1 < len(edges) else len(values)
        out.append(Change(at, _median(values[lo:at]), _median(values[at:hi]), p_of[at]))
    return out


def _permutation_p(segment: list[float], observed: float, min_size: int, permutations: int, alpha: float,
                   rng: Any) -> float:  # fmt: skip
    """The permutation p-value of the best split of `segment`: how often the best split of a random
    ordering is at least as large. Orderings are drawn in batches, each batch's splits all computed at
    once; it stops as soon as the split cannot reach `alpha` (most splits of noise are beaten at once),
    so a series without a change costs a batch or two, not every permutation."""
    import numpy as np

    values = np.asarray(segment, dtype=float)
    limit = alpha * (permutations + 1) - 1  # more beaten orderings than this: p >= alpha whatever follows
    beaten = done = 0
    batch = 24  # a split of noise is beaten about half the time: most stop after this first batch
    while done < permutations:
        size = min(batch, permutations - done)
        orders = rng.permuted(np.tile(values, (size, 1)), axis=1)
        beaten += int((_split_statistics(orders, min_size).max(axis=1) >= observed).sum())
        done += size
        if beaten > limit:
            return (beaten + 1) / (done + 1)
        batch = min(batch * 4, 256)
    return (beaten + 1) / (permutations + 1)


def count_changes(values: list[float]) -> list[Change]:
    """The change points of an exact count: every index where it differs from the value before."""
    return [Change(i, values[i - 1], values[i], 0.0) for i in range(1, len(values)) if values[i] != values[i - 1]]
