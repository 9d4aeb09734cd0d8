"""`check --update-baseline`: write a new baseline, or refresh only the entries that moved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import locked
from .baseline import baseline_layers, baseline_metrics, pyproject_layer, read_baseline, write_baseline
from .compare import moved_past_third, tolerance_for
from .metrics import Metric

NEW, UPDATED, REMOVED = "NEW", "UPDATED", "REMOVED"


@dataclass(frozen=True, slots=True)
class BaselineChange:
    """One entry a refresh added, updated or removed."""

    action: str  # NEW, UPDATED, REMOVED
    name: str
    kind: str
    before: float | None
    after: float | None


def refreshed(
    before: dict[str, Metric], now: dict[str, Metric], layers: list[dict[str, Any]]
) -> tuple[dict[str, Metric], list[BaselineChange]]:
    """The refreshed metrics (new ones added, those moved past a third of their tolerance updated, gone
    ones removed) and the changes made."""
    kept = dict(before)
    made = []
    for name, m in now.items():
        b = before.get(name)
        if b is None:
            made.append(BaselineChange(NEW, name, m.kind, None, m.value))
            kept[name] = m
        elif moved_past_third(b, m, tolerance_for(name, m.kind, layers)):
            made.append(BaselineChange(UPDATED, name, m.kind, b.value, m.value))
            kept[name] = m
    for name in sorted(set(before) - set(now)):
        made.append(BaselineChange(REMOVED, name, before[name].kind, before[name].value, None))
        del kept[name]
    return kept, made


def update_baseline(
    path: Path, metrics: dict[str, Metric], fp: dict[str, Any], source: str
) -> list[BaselineChange] | None:
    """Write the baseline at `path` from `metrics`; None when it was new, else the changes of a refresh
    (the old file's tolerances are kept). The read and the write hold a lock: a second update of the
    same baseline waits, then refreshes what the first wrote (neither is lost)."""
    with locked(path, what="baseline"):
        old = read_baseline(path) if path.exists() else None
        if old is None:
            write_baseline(path, metrics, fp, None, source)
            return None
        layers = [pyproject_layer()[0], *baseline_layers(old)]
        kept, made = refreshed(baseline_metrics(old), metrics, layers)
        write_baseline(path, kept, fp, old, source)
        return made
