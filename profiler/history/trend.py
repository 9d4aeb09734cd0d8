"""What `history show` and `history changes` show: each series' metrics over its points, with the change
points found in them (exact counts: every change; times: E-Divisive means, see `stats`)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from ..gate.metrics import COUNT
from .model import Point
from .stats import Change, change_points, count_changes
from .store import Store

DEFAULT_POINTS = 50  # points of a series shown (the latest)


@dataclass(slots=True)
class MetricTrend:
    """One metric of one series over its points."""

    name: str
    kind: str
    commits: list[str]
    values: list[float]
    spread: list[tuple[float, float]]  # each point's smallest and largest sample
    changes: list[Change]

    @property
    def latest(self) -> float:
        """The most recent value."""
        return self.values[-1]

    @property
    def relative(self) -> float | None:
        """The latest value against the first shown: (latest - first) / first."""
        first = self.values[0]
        return (self.latest - first) / first if first else None


@dataclass(slots=True)
class SeriesTrend:
    """A series (one machine, model and options) on a branch: its points and its metrics' trends."""

    key: str
    model: str
    machine: dict[str, Any]
    branch: str | None
    commits: list[str]
    recorded_at: list[float]
    environments: list[dict[str, Any]]  # per point: python, torch, compileprof
    metrics: list[MetricTrend] = field(default_factory=list)

    @property
    def environment_changes(self) -> list[tuple[int, str]]:
        """(index, what changed) where the torch, python or compileprof version changed."""
        out = []
        for i in range(1, len(self.environments)):
            before, after = self.environments[i - 1], self.environments[i]
            diff = [f"{k} {before.get(k)} -> {after.get(k)}" for k in sorted(after) if before.get(k) != after.get(k)]
            if diff:
                out.append((i, ", ".join(diff)))
        return out


def metric_trend(name: str, points: list[Point]) -> MetricTrend | None:
    """A metric's trend over the points that hold it (None when none does)."""
    held = [p for p in points if name in p.metrics]
    if not held:
        return None
    kind = held[0].metrics[name].kind
    values = [p.metrics[name].value for p in held]
    spread = [(min(p.metrics[name].samples), max(p.metrics[name].samples)) for p in held]
    changes = count_changes(values) if kind == COUNT else change_points(values)
    return MetricTrend(name, kind, [p.commit for p in held], values, spread, changes)


def series_trends(store: Store, metric: str = "*", model: str | None = None, branch: str | None = None,
                  limit: int = DEFAULT_POINTS) -> list[SeriesTrend]:  # fmt: skip
    """The trends of every series (of `model`, on `branch`), metrics matching the glob `metric`."""
    out = []
    for key, series_model, _, _ in store.series_keys():
        if model is not None and series_model != model:
            continue
        points = store.with_metrics(store.points(series=key, branch=branch, limit=limit))
        if not points:
            continue
        names = sorted({n for p in points for n in p.metrics if fnmatch.fnmatchcase(n, metric)})
        trend = SeriesTrend(key, series_model, points[-1].machine, branch, [p.commit for p in points],
                            [p.recorded_at for p in points], [p.environment for p in points])  # fmt: skip
        trend.metrics = [t for t in (metric_trend(n, points) for n in names) if t is not None]
        if trend.metrics:
            out.append(trend)
    return out


@dataclass(frozen=True, slots=True)
class FoundChange:
    """A change point of one metric of one series: the first commit after it and its step."""

    model: str
    series: str
    metric: str
    kind: str
    commit: str  # the first commit after the change
    previous: str  # the last commit before it
    change: Change


def all_changes(trends: list[SeriesTrend], since: str | None = None) -> list[FoundChange]:
    """Every change point of every trend, largest relative step first; with `since`, only those after
    the point of that commit (a prefix of it)."""
    out = []
    for t in trends:
        for m in t.metrics:
            start = 0
            if since:
                found = next((i for i, c in enumerate(m.commits) if c.startswith(since)), None)
                start = found + 1 if found is not None else len(m.commits)
            for c in m.changes:
                if c.index >= start:
                    out.append(FoundChange(t.model, t.key, m.name, m.kind, m.commits[c.index],
                                           m.commits[c.index - 1], c))  # fmt: skip
    return sorted(out, key=lambda f: (-abs(f.change.relative or 0.0), f.metric))
