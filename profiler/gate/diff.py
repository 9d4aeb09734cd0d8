"""`compileprof diff`: two runs or traces side by side, metric by metric."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .compare import ALPHA, DEFAULT_TOLERANCE, MIN_SAMPLES
from .metrics import COUNT, INSTRUCTIONS, Metric
from .significance import mann_whitney_p

# What a row's change rests on (`evidence`): a count's or an instruction count's change is EXACT (past
# 1% for instructions, whose runs differ by a few hundredths of a percent); a time's is SIGNIFICANT at
# ALPHA with MIN_SAMPLES samples a side, NOISE when they cannot tell it from the spread, UNTESTED with
# fewer samples; SAME when nothing changed, ONE_SIDE when only A or B has the metric.
EXACT, SIGNIFICANT, NOISE, UNTESTED, SAME, ONE_SIDE = "exact", "significant", "noise", "untested", "same", "one side"

if TYPE_CHECKING:
    from ..model.cache_keys import CacheReport
    from ..model.graphs import CompileChange
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
    changes: list[CompileChange] | None = None  # what changed in what was compiled, ranked by its time
    graphs: bool = False  # --graphs: the full diff of each changed graph's code

    @property
    def differing(self) -> list[str]:
        """Fingerprint fields whose values differ between A and B."""
        return [k for k in self.fingerprint_a if self.fingerprint_a.get(k) != self.fingerprint_b.get(k)]


def evidence(ma: Metric | None, mb: Metric | None) -> tuple[str, float | None]:
    """What the change of one metric rests on, and its p-value when a test was made (see EXACT...)."""
    if ma is None or mb is None:
        return ONE_SIDE, None
    if ma.value == mb.value:
        return SAME, None
    if ma.kind == COUNT:
        return EXACT, None
    if ma.kind == INSTRUCTIONS:
        rel = abs(mb.value - ma.value) / abs(ma.value) if ma.value else float("inf")
        return (EXACT if rel > DEFAULT_TOLERANCE[INSTRUCTIONS]["rel"] else NOISE), None
    if len(ma.samples) < MIN_SAMPLES or len(mb.samples) < MIN_SAMPLES:
        return UNTESTED, None
    p = mann_whitney_p(ma.samples, mb.samples)
    return (SIGNIFICANT if p < ALPHA else NOISE), p


def diff_rows(a: dict[str, Metric], b: dict[str, Metric]) -> list[dict[str, Any]]:
    """One row per metric of A or B: values, change, relative change, and what the change rests on."""
    rows = []
    for name in sorted(set(a) | set(b)):
        ma, mb = a.get(name), b.get(name)
        kind = (ma or mb).kind  # type: ignore[union-attr]
        va = ma.value if ma else None
        vb = mb.value if mb else None
        change = vb - va if va is not None and vb is not None else None
        rel = change / va if change is not None and va else None
        said, p = evidence(ma, mb)
        rows.append({"name": name, "kind": kind, "a": va, "b": vb, "change": change, "rel_change": rel,
                     "samples_a": len(ma.samples) if ma else 0, "samples_b": len(mb.samples) if mb else 0,
                     "evidence": said, "p_value": p})  # fmt: skip
    return rows
