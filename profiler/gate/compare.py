"""The CI gate: compare metrics with a baseline, decide per metric, and the tolerances that apply.

Counts are exact by default and fail in both directions (an improvement means the baseline is
stale). Instruction counts are nearly exact: past their relative tolerance (default 1%) they fail in
both directions too, from one run each (no samples needed). Times pass within their tolerance; past
it they are a REGRESSION or IMPROVEMENT only when the change is also significant over the samples
(Mann-Whitney U at p < ALPHA, both sides with at least MIN_SAMPLES samples), else INCONCLUSIVE; and
they fail the gate only with `--fail-on time`. Time and instruction comparisons are SKIPPED when the
environment fingerprints differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EXIT_OK, EXIT_REGRESSION, EXIT_STALE
from .metrics import COUNT, INSTRUCTIONS, SAMPLED, TIME, Metric
from .significance import mann_whitney_p

PASS, REGRESSION, IMPROVEMENT, INCONCLUSIVE, NEW, MISSING, SKIPPED, MOVED = (
    "PASS", "REGRESSION", "IMPROVEMENT", "INCONCLUSIVE", "NEW", "MISSING", "SKIPPED", "MOVED",
)  # fmt: skip
# Where each gated phase sits in torch's span tree: its parent metric (compile_time_s at the top).
PHASE_PARENT = {
    "phase.entire_frame_compile": "compile_time_s", "phase.bytecode_tracing": "phase.entire_frame_compile",
    "phase.backend_compile": "phase.entire_frame_compile", "phase.build_guards": "phase.entire_frame_compile",
    "phase.create_aot_dispatcher_function": "phase.backend_compile",
    "phase.inductor_compile": "phase.create_aot_dispatcher_function", "phase.code_gen": "phase.inductor_compile",
    "phase.compile_file": "phase.code_gen", "phase.async_compile.wait": "phase.code_gen",
}  # fmt: skip
FOLLOWS = 0.5  # a parent that moved the same way by at least this share of its child's change: a real move
DEFAULT_TOLERANCE = {COUNT: {"abs": 0.0, "rel": 0.0}, TIME: {"abs": 0.0, "rel": 0.10},
                     INSTRUCTIONS: {"abs": 0.0, "rel": 0.01}}  # fmt: skip
GATED_KINDS = (COUNT, INSTRUCTIONS)  # kinds that fail the gate without --fail-on time
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
    """True when `current` is within the tolerance of `baseline` (`tolerance_for` gives both keys)."""
    return abs(current - baseline) <= max(tol["abs"], tol["rel"] * abs(baseline))


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

    @property
    def exit_code(self) -> int:
        """1 for a regression or a missing metric, 3 for improvements only (stale baseline), else 0."""
        return EXIT_REGRESSION if self.failing else (EXIT_STALE if self.improvements else EXIT_OK)


@dataclass(slots=True)
class CheckOutcome:
    """What `check` prints: the decisions, its exit code, and the command that accepts the figures."""

    result: GateResult
    update_command: str
    changes: list | None = None  # on a failure: what changed in what was compiled since `against`
    against: str | None = None  # the run the baseline was written from, still on disk

    @property
    def exit_code(self) -> int:
        """The gate's exit code."""
        return self.result.exit_code


def _decide(
    name: str, b: Metric | None, c: Metric | None, tol: dict[str, float], gated: bool, skipped_because: str | None
) -> Verdict:
    """The verdict of one metric; `skipped_because` says why its times cannot be compared, if so."""
    kind = (b or c).kind  # type: ignore[union-attr]
    if b is None:
        return Verdict(name, kind, NEW, None, c.value, tol, "not in the baseline", gated=False)  # type: ignore[union-attr]
    if c is None:
        return Verdict(name, kind, MISSING, b.value, None, tol, "in the baseline, not measured now")
    if kind in SAMPLED and skipped_because:
        return Verdict(name, kind, SKIPPED, b.value, c.value, tol, skipped_because, gated=False)
    if _within(b.value, c.value, tol):
        return Verdict(name, kind, PASS, b.value, c.value, tol, gated=gated)
    direction = REGRESSION if c.value > b.value else IMPROVEMENT
    if kind in GATED_KINDS:
        return Verdict(name, kind, direction, b.value, c.value, tol)
    if len(b.samples) < MIN_SAMPLES or len(c.samples) < MIN_SAMPLES:
        note = (
            f"past tolerance, but {len(b.samples)} vs {len(c.samples)} samples cannot show significance "
            f"(need {MIN_SAMPLES} each: compileprof run --repeat)"
        )
        return Verdict(name, kind, INCONCLUSIVE, b.value, c.value, tol, note, gated=False)
    p = mann_whitney_p(b.samples, c.samples)
    if p < ALPHA:
        return Verdict(name, kind, direction, b.value, c.value, tol, f"p = {p:.2g}", gated=gated, p_value=p)
    note = f"past tolerance but p = {p:.2g}"
    return Verdict(name, kind, INCONCLUSIVE, b.value, c.value, tol, note, gated=False, p_value=p)


def _parent(name: str, by_name: dict[str, Verdict]) -> Verdict | None:
    """The nearest ancestor of a phase metric that both sides measured."""
    parent = PHASE_PARENT.get(name)
    while parent is not None:
        found = by_name.get(parent)
        if found is not None and found.change is not None:
            return found
        parent = PHASE_PARENT.get(parent)
    return None


def _moved(v: Verdict, by_name: dict[str, Verdict]) -> Verdict:
    """A phase that got faster (or slower) while its parent did not move the same way (by at least
    FOLLOWS of the phase's change) did not improve (or regress): its time moved to another phase under
    the same parent (code generation into autotuning, say). Such a verdict is MOVED, advisory."""
    if v.kind != TIME or v.status not in (IMPROVEMENT, REGRESSION) or v.change is None:
        return v
    parent = _parent(v.name, by_name)
    if parent is None or parent.change is None:
        return v
    if parent.change * v.change > 0 and abs(parent.change) >= FOLLOWS * abs(v.change):
        return v
    went = "slower" if v.change > 0 else "faster"
    rel = f" ({parent.rel_change * 100:+.1f}%)" if parent.rel_change is not None else ""
    note = (f"time moved, not {went}: its parent {parent.name} changed {parent.change:+.3g} s{rel} while it "
            f"changed {v.change:+.3g} s")  # fmt: skip
    return Verdict(v.name, v.kind, MOVED, v.baseline, v.current, v.tolerance, note, gated=False, p_value=v.p_value)


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
    skipped = (
        "environment differs: " + ", ".join(f"{k} {fp_baseline.get(k)} -> {fp_current.get(k)}" for k in differing)
        if differing
        else None
    )
    verdicts = []
    for name in sorted(set(baseline) | set(current)):
        b, c = baseline.get(name), current.get(name)
        kind = (b or c).kind  # type: ignore[union-attr]
        tol = tolerance_for(name, kind, layers)
        verdicts.append(_decide(name, b, c, tol, kind in GATED_KINDS or fail_on_time, skipped))
    verdicts = [_moved(v, {x.name: x for x in verdicts}) for v in verdicts]
    notes = []
    if differing:
        notes.append(
            "time and instruction comparisons skipped: the environment fingerprint differs ("
            + ", ".join(differing)
            + ")"
        )
    return GateResult(verdicts, fp_baseline, fp_current, not differing, fail_on_time, notes)
