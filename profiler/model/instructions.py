"""Instruction counts of a run's compile step (`run --count instructions`), as the manifest keeps them.

A counted child's manifest entry holds `instructions`: the tool (callgrind) and its event (Ir), the
compile step's total, the number of counter dumps, optional per-phase totals (paths such as
`backend_compile/create_aot_dispatcher_function`, inclusive), what was not counted and the environment
that held the count still. A run's report carries one `Instructions`: the primary child's figures and
the compile totals of every child of its series (`--repeat`), whose spread says how exact they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTSIDE = "outside_phases"  # instructions of the compile step outside every counted phase


@dataclass(slots=True)
class Instructions:
    """The compile step's instruction count, per phase where asked, and its repeats."""

    compile: int
    tool: str = "callgrind"
    event: str = "Ir"
    phases: dict[str, int] = field(default_factory=dict)  # phase path -> instructions, inclusive
    samples: list[int] = field(default_factory=list)  # the compile count of each child of the series
    counted: str | None = None  # what the count holds, in words
    not_counted: str | None = None
    environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, record: dict[str, Any] | None) -> Instructions | None:
        """From a manifest entry's `instructions` (None where the child was not counted)."""
        if not record or not isinstance(record.get("compile"), int):
            return None
        phases = {str(k): int(v) for k, v in (record.get("phases") or {}).items() if isinstance(v, int)}
        return cls(
            compile=record["compile"],
            tool=str(record.get("tool") or "callgrind"),
            event=str(record.get("event") or "Ir"),
            phases=phases,
            samples=[record["compile"]],
            counted=record.get("counted"),
            not_counted=record.get("not_counted"),
            environment={str(k): str(v) for k, v in (record.get("environment") or {}).items()},
        )

    @property
    def spread(self) -> float | None:
        """(largest - smallest) / smallest over the series' children; None with one child."""
        if len(self.samples) < 2 or min(self.samples) <= 0:
            return None
        return (max(self.samples) - min(self.samples)) / min(self.samples)

    @property
    def top_phases(self) -> dict[str, int]:
        """Phases at the top of the tree (no `/` in their path), largest first."""
        top = {k: v for k, v in self.phases.items() if "/" not in k}
        return dict(sorted(top.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "tool": self.tool,
            "event": self.event,
            "compile": self.compile,
            "samples": self.samples,
            "spread": self.spread,
            "phases": self.phases,
            "counted": self.counted,
            "not_counted": self.not_counted,
            "environment": self.environment,
        }
