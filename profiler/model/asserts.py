"""Runtime asserts Inductor put in generated code: counts by kind, and what one graph's asserts guard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ASSERT_KINDS = ("size_stride", "alignment", "scalar", "nan", "aoti_checks")


@dataclass(slots=True)
class AssertCounts:
    """Runtime asserts in generated code, by kind."""

    size_stride: int = 0
    alignment: int = 0
    scalar: int = 0
    nan: int = 0
    aoti_checks: int = 0  # AOTInductor's input checks in its C++ wrapper (run with AOTI_RUNTIME_CHECK_INPUTS=1)

    @property
    def total(self) -> int:
        """All asserts."""
        return self.size_stride + self.alignment + self.scalar + self.nan + self.aoti_checks

    def add(self, other: AssertCounts) -> None:
        """Add another count to this one."""
        for k in ASSERT_KINDS:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def to_dict(self) -> dict[str, int]:
        """The JSON form."""
        return {k: getattr(self, k) for k in ASSERT_KINDS}


@dataclass(slots=True)
class GraphAsserts:
    """The asserts of one `inductor_output_code` record and what they guard."""

    compile_id: str | None
    rank: int | None
    filename: str | None
    counts: AssertCounts
    guarded_inputs: list[str] = field(default_factory=list)
    guarded_ops: dict[str, int] = field(default_factory=dict)
    language: str = "python"
    variant: str | None = None  # the measurement variant in effect (A/B measurements of a run)
    lines: list[str] = field(default_factory=list)  # the first LINES_KEPT assert lines of the code, as written

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "compile_id": self.compile_id,
            "rank": self.rank,
            "filename": self.filename,
            "language": self.language,
            **self.counts.to_dict(),
            "guarded_inputs": self.guarded_inputs,
            "guarded_ops": self.guarded_ops,
            "variant": self.variant,
            "lines": self.lines,
        }
