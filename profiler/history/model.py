"""What the history holds: points, one per recorded run, each with its metrics (the set `check` gates)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..gate.metrics import Metric


def digest(value: Any) -> str:
    """A short stable hash of a JSON-able value (keys sorted)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(slots=True)
class Point:
    """One recorded run: where and when it ran, what was compiled how, and its metrics.

    `machine` identifies the hardware and OS (platform, CPUs, device); `key` the comparable series:
    the same machine, model and options. Points of one key and branch form a time series."""

    commit: str
    branch: str | None
    recorded_at: float  # epoch seconds, when it was added
    run_at: float | None  # epoch seconds, when the run started (its manifest, else its first record)
    machine: dict[str, Any]
    environment: dict[str, Any]  # python, torch, compileprof versions (a change is shown, not a new series)
    model: str
    options: dict[str, Any]
    labels: dict[str, str]
    source: str  # the run directory or trace it was read from
    metrics: dict[str, Metric]
    id: int | None = None  # the store's row id, once stored
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def machine_id(self) -> str:
        """A short id of the machine (equal for runs on the same kind of host)."""
        return digest(self.machine)

    @property
    def key(self) -> str:
        """The series this point belongs to: same machine, model and options."""
        return digest({"machine": self.machine, "model": self.model, "options": self.options})

    def metric_rows(self) -> list[tuple[str, str, float, str]]:
        """(name, kind, value, samples as JSON) for each metric, for the store."""
        return [(m.name, m.kind, m.value, json.dumps(m.samples)) for m in self.metrics.values()]


@dataclass(slots=True)
class Series:
    """One metric's values over the points of a series, oldest first."""

    name: str
    kind: str
    points: list[Point]  # the points that hold this metric (without their other metrics)
    values: list[float]
    samples: list[list[float]]

    @property
    def commits(self) -> list[str]:
        """The commit of each value."""
        return [p.commit for p in self.points]
