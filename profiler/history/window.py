"""`check --history`: the baseline is the history of the run's series (same machine, model and options).

- Counts are exact: compared with the latest point of the series on the branch, as with a baseline file;
  instruction counts too, within their relative tolerance (1% by default).
- Times are compared with the window of the last `window` points of the series: past the minimum effect
  (the tolerance, default 5% here: the window measures the noise) and significant at ALPHA by
  Student's t (one value: the prediction interval of a new run; repeats: Welch's test), else
  INCONCLUSIVE; at least MIN_POINTS points are needed. A slowdown of a few percent shows once the
  window is long enough to pin the noise down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..gate.compare import (
    ALPHA,
    GATED_KINDS,
    IMPROVEMENT,
    INCONCLUSIVE,
    NEW,
    PASS,
    REGRESSION,
    GateResult,
    Verdict,
    compare,
    tolerance_for,
)
from ..gate.metrics import TIME, Metric
from .model import Point
from .stats import against_window

MIN_POINTS = 5  # points of the window before a time can be decided
HISTORY_TIME_TOLERANCE = {"time": {"rel": 0.05}}  # the minimum effect for times against a window


@dataclass(slots=True)
class Window:
    """The history a run is checked against: the earlier points of its series on its branch."""

    points: list[Point]  # oldest first, with their metrics
    branch: str | None

    @property
    def latest(self) -> Point | None:
        """The most recent point (what counts compare with)."""
        return self.points[-1] if self.points else None

    def values(self, name: str) -> list[float]:
        """Each point's value of a metric (the points that hold it)."""
        return [p.metrics[name].value for p in self.points if name in p.metrics]


def _time_verdict(name: str, window: list[float], now: Metric, tol: dict[str, float], gated: bool) -> Verdict:
    """A time against the window's values."""
    base = sorted(window)[len(window) // 2] if window else None
    if base is None:
        return Verdict(name, TIME, NEW, None, now.value, tol, "no earlier point holds it", gated=False)
    allowed = max(tol.get("abs", 0.0), tol.get("rel", 0.0) * abs(base))
    if abs(now.value - base) <= allowed:
        return Verdict(name, TIME, PASS, base, now.value, tol, f"median of {len(window)} points", gated=gated)
    if len(window) < MIN_POINTS:
        note = f"past the minimum effect, but the history holds {len(window)} points of it (need {MIN_POINTS})"
        return Verdict(name, TIME, INCONCLUSIVE, base, now.value, tol, note, gated=False)
    p = against_window(window, now.samples)
    direction = REGRESSION if now.value > base else IMPROVEMENT
    if p < ALPHA:
        return Verdict(name, TIME, direction, base, now.value, tol, f"p = {p:.2g} against {len(window)} points",
                       gated=gated, p_value=p)  # fmt: skip
    note = f"past the minimum effect but p = {p:.2g} against {len(window)} points"
    return Verdict(name, TIME, INCONCLUSIVE, base, now.value, tol, note, gated=False, p_value=p)


def check_window(window: Window, current: dict[str, Metric], layers: list[dict[str, Any]], fail_on_time: bool,
                 fingerprint: dict[str, Any]) -> GateResult:  # fmt: skip
    """The run's metrics decided against its history: counts exactly against the latest point, times
    against the window (see the module's docstring)."""
    latest = window.latest
    counts_then = {k: m for k, m in (latest.metrics if latest else {}).items() if m.kind in GATED_KINDS}
    counts_now = {k: m for k, m in current.items() if m.kind in GATED_KINDS}
    then_fp = {**(latest.machine if latest else {}), **(latest.environment if latest else {})}
    result = compare(counts_then, counts_now, layers, then_fp, fingerprint, fail_on_time)
    time_layers = [HISTORY_TIME_TOLERANCE, *layers]
    names = sorted({n for n, m in current.items() if m.kind == TIME} | {n for p in window.points
                                                                          for n, m in p.metrics.items()
                                                                          if m.kind == TIME})  # fmt: skip
    for name in names:
        tol = tolerance_for(name, TIME, time_layers)
        if name not in current:
            result.verdicts.append(Verdict(name, TIME, "MISSING", None, None, tol, "in the history, not measured now",
                                           gated=fail_on_time))  # fmt: skip
            continue
        result.verdicts.append(_time_verdict(name, window.values(name), current[name], tol, fail_on_time))
    result.verdicts.sort(key=lambda v: v.name)
    result.fingerprint_match = True  # one series: the same machine, model and options by construction
    result.notes = [_window_note(window)]
    return result


def _window_note(window: Window) -> str:
    """What the run was compared with, in words."""
    if not window.points:
        return "the history holds no earlier point of this series: every metric is new"
    first, last = window.points[0], window.points[-1]
    where = f" on branch {window.branch}" if window.branch else ""
    return (f"compared with {len(window.points)} earlier points of this series{where} (commits {first.commit[:10]} to "
            f"{last.commit[:10]}); counts with the latest")  # fmt: skip
