"""The CI gate: compare metrics with a baseline, decide per metric, and the tolerances that apply.

Counts are exact by default and fail in both directions (an improvement means the baseline is
stale). Times pass within their tolerance; past it they are a REGRESSION or IMPROVEMENT only when
the change is also significant over the samples (Mann-Whitney U, both sides with at least 3
samples), else INCONCLUSIVE; and they fail the gate only with `--fail-on time`. Time comparisons
are SKIPPED when the environment fingerprints differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .metrics import COUNT, TIME, Metric

PASS, REGRESSION, IMPROVEMENT, INCONCLUSIVE, NEW, MISSING, SKIPPED = (
    "PASS", "REGRESSION", "IMPROVEMENT", "INCONCLUSIVE", "NEW", "MISSING", "SKIPPED",
)  # fmt: skip
DEFAULT_TOLERANCE = {COUNT: {"abs": 0.0, "rel": 0.0}, TIME: {"abs": 0.0, "rel": 0.10}}
FINGERPRINT_KEYS = ("python", "torch", "device", "cpu_count", "cache")
MIN_SAMPLES = 5  # the smallest two-sided exact Mann-Whitney p with 5 vs 5 samples is 0.0079 < ALPHA
ALPHA = 0.01


@dataclass(slots=True)
class Verdict:
    """The decision for one metric."""

    name: str
    kind: str
    status: str
    baseline: float | None
    current: float | None
    tolerance: dict[str, float]
    note: str = ""
    gated: bool = True  # False: advisory (a time without --fail-on time)
    p_value: float | None = None

    @property
    def change(self) -> float | None:
        """current - baseline."""
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline

    @property
    def rel_change(self) -> float | None:
        """(current - baseline) / baseline."""
        if self.change is None or not self.baseline:
            return None
        return self.change / self.baseline

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "baseline": self.baseline,
            "current": self.current,
            "change": self.change,
            "rel_change": self.rel_change,
            "tolerance": self.tolerance,
            "gated": self.gated,
            "p_value": self.p_value,
            "note": self.note,
        }


def _exact_u_cdf(u: int, n1: int, n2: int) -> float:
    """P(U <= u) under the null, no ties: count the orderings with at most u inversions."""
    # ways(i, j, k): orderings of i samples of a and j of b with U = k
    from functools import cache

    @cache
    def ways(i: int, j: int, k: int) -> int:
        if k < 0:
            return 0
        if i == 0 or j == 0:
            return 1 if k == 0 else 0
        return ways(i - 1, j, k - j) + ways(i, j - 1, k)

    total = math.comb(n1 + n2, n1)
    return sum(ways(n1, n2, k) for k in range(u + 1)) / total


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided Mann-Whitney U p-value: exact for small samples without ties, else the normal
    approximation with tie correction."""
    n1, n2 = len(a), len(b)
    if len(set(a) | set(b)) == n1 + n2 and n1 * n2 <= 400:
        u = sum(1 for x in a for y in b if x > y)
        low = min(u, n1 * n2 - u)
        return min(1.0, 2 * _exact_u_cdf(low, n1, n2))
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(ranked)
    i = 0
    ties = 0.0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, ranked, strict=True) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))) if n > 1 else 0.0
    if sigma == 0:
        return 1.0
    z = (abs(u - mu) - 0.5) / sigma
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def tolerance_for(name: str, kind: str, layers: list[dict[str, Any]]) -> dict[str, float]:
    """The tolerance of a metric: built-in default, then each layer (pyproject, baseline file) in turn.

    A layer maps a metric name, a prefix ending in `*` (e.g. `phase.*`) or a kind (`count`, `time`)
    to `{"abs": x, "rel": y}`.
    """
    tol = dict(DEFAULT_TOLERANCE[kind])
    for layer in layers:
        for key in (kind, *sorted(k for k in layer if k.endswith("*") and name.startswith(k[:-1])), name):
            entry = layer.get(key)
            if isinstance(entry, dict):
                tol.update({k: float(v) for k, v in entry.items() if k in ("abs", "rel")})
    return tol


def _within(baseline: float, current: float, tol: dict[str, float]) -> bool:
    return abs(current - baseline) <= max(tol.get("abs", 0.0), tol.get("rel", 0.0) * abs(baseline))


def moved_past_third(baseline: Metric, current: Metric, tol: dict[str, float]) -> bool:
    """True when `current` moved more than a third of the tolerance from `baseline` (or at all, for an
    exact count): the entries `--update-baseline` rewrites."""
    third = {k: v / 3 for k, v in tol.items()}
    return not _within(baseline.value, current.value, third) or (
        baseline.kind == COUNT and baseline.value != current.value
    )


@dataclass(slots=True)
class GateResult:
    """All verdicts, the fingerprints and the exit decision."""

    verdicts: list[Verdict]
    fingerprint_baseline: dict[str, Any]
    fingerprint_current: dict[str, Any]
    fingerprint_match: bool
    fail_on_time: bool
    notes: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[Verdict]:
        """Gated regressions and missing metrics."""
        return [v for v in self.verdicts if v.gated and v.status in (REGRESSION, MISSING)]

    @property
    def improvements(self) -> list[Verdict]:
        """Gated improvements (the baseline is stale)."""
        return [v for v in self.verdicts if v.gated and v.status == IMPROVEMENT]


def compare(
    baseline: dict[str, Metric],
    current: dict[str, Metric],
    layers: list[dict[str, Any]],
    fp_baseline: dict[str, Any],
    fp_current: dict[str, Any],
    fail_on_time: bool,
) -> GateResult:
    """Decide every metric of `baseline` and `current`."""
    differing = [k for k in FINGERPRINT_KEYS if fp_baseline.get(k) != fp_current.get(k)]
    match = not differing
    verdicts = []
    for name in sorted(set(baseline) | set(current)):
        b, c = baseline.get(name), current.get(name)
        kind = (b or c).kind  # type: ignore[union-attr]
        tol = tolerance_for(name, kind, layers)
        gated = kind == COUNT or fail_on_time
        if b is None:
            verdicts.append(Verdict(name, kind, NEW, None, c.value, tol, "not in the baseline", gated=False))  # type: ignore[union-attr]
            continue
        if c is None:
            verdicts.append(Verdict(name, kind, MISSING, b.value, None, tol, "in the baseline, not measured now"))
            continue
        if kind == TIME and not match:
            note = "environment differs: " + ", ".join(
                f"{k} {fp_baseline.get(k)} -> {fp_current.get(k)}" for k in differing
            )
            verdicts.append(Verdict(name, kind, SKIPPED, b.value, c.value, tol, note, gated=False))
            continue
        if _within(b.value, c.value, tol):
            verdicts.append(Verdict(name, kind, PASS, b.value, c.value, tol, gated=gated))
            continue
        direction = REGRESSION if c.value > b.value else IMPROVEMENT
        if kind == COUNT:
            verdicts.append(Verdict(name, kind, direction, b.value, c.value, tol))
            continue
        if len(b.samples) < MIN_SAMPLES or len(c.samples) < MIN_SAMPLES:
            note = (
                f"past tolerance, but {len(b.samples)} vs {len(c.samples)} samples cannot show significance "
                f"(need {MIN_SAMPLES} each: compileprof run --repeat)"
            )
            verdicts.append(Verdict(name, kind, INCONCLUSIVE, b.value, c.value, tol, note, gated=False))
            continue
        p = mann_whitney_p(b.samples, c.samples)
        if p < ALPHA:
            verdicts.append(
                Verdict(name, kind, direction, b.value, c.value, tol, f"p = {p:.2g}", gated=gated, p_value=p)
            )
        else:
            verdicts.append(
                Verdict(
                    name,
                    kind,
                    INCONCLUSIVE,
                    b.value,
                    c.value,
                    tol,
                    f"past tolerance but p = {p:.2g}",
                    gated=False,
                    p_value=p,
                )
            )
    notes = []
    if not match:
        notes.append("time comparisons skipped: the environment fingerprint differs (" + ", ".join(differing) + ")")
    return GateResult(verdicts, fp_baseline, fp_current, match, fail_on_time, notes)
