"""`compileprof diff`: two runs or traces side by side, metric by metric."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .metrics import Metric

if TYPE_CHECKING:
    from ..model.cache_keys import CacheReport
    from ..model.report import Report


@dataclass(slots=True)
class DiffResult:
    """The metrics of A and B compared, and the environments they were made in."""

    a: str
    b: str
    rows: list[dict[str, Any]]  # name, kind, a, b, change, rel_change, samples_a, samples_b
    fingerprint_a: dict[str, Any]
    fingerprint_b: dict[str, Any]
    reports: tuple[Report, Report] | None = None  # the first report of A and of B (for pictures)
    cache: CacheReport | None = None  # B's cache misses explained against A, when the logs could be read again

    @property
    def differing(self) -> list[str]:
        """Fingerprint fields whose values differ between A and B."""
        return [k for k in self.fingerprint_a if self.fingerprint_a.get(k) != self.fingerprint_b.get(k)]


def diff_rows(a: dict[str, Metric], b: dict[str, Metric]) -> list[dict[str, Any]]:
    """One row per metric of A or B: values, change and relative change."""
    rows = []
    for name in sorted(set(a) | set(b)):
        ma, mb = a.get(name), b.get(name)
        kind = (ma or mb).kind  # type: ignore[union-attr]
        va = ma.value if ma else None
        vb = mb.value if mb else None
        change = vb - va if va is not None and vb is not None else None
        rel = change / va if change is not None and va else None
        rows.append({"name": name, "kind": kind, "a": va, "b": vb, "change": change, "rel_change": rel,
                     "samples_a": len(ma.samples) if ma else 0, "samples_b": len(mb.samples) if mb else 0})  # fmt: skip
    return rows
