"""What a torch.export log says: the exports it began, the programs they produced, and why others failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any

SHOWN = 10  # guards, specializations and errors kept (each is also counted in full)


@dataclass(slots=True)
class ExportAttempt:
    """One `torch.export` call: from its `export` record to its exported program (or none)."""

    ok: bool = False
    program_nodes: int | None = None  # nodes of the exported graph (its `name: "type" = ...` lines)
    program_ops: int | None = None  # of them, calls of torch ops
    program_bytes: int | None = None  # the printed program's size
    inputs: list[str] = field(default_factory=list)  # the graph signature's inputs (`x: USER_INPUT`)
    range_constraints: str | None = None  # `{s77: VR[3, int_oo]}`
    failure: str | None = None  # why no program was logged (a data-dependent guard, a fake kernel, ...)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "program_nodes": self.program_nodes,
            "program_ops": self.program_ops,
            "program_bytes": self.program_bytes,
            "inputs": self.inputs,
            "range_constraints": self.range_constraints,
            "failure": self.failure,
        }


@dataclass(slots=True)
class ExportInfo:
    """Everything a log's torch.export records say (TORCH_DTRACE, or draft_export's own trace)."""

    attempts: list[ExportAttempt] = field(default_factory=list)
    guard_seen: dict[str, str] = field(default_factory=dict)  # each distinct guard -> its text (with where)
    specializations: int = 0
    specialization_list: list[str] = field(default_factory=list)
    symbols: int = 0  # symbolic sizes created (`create_symbol`)
    unbacked_symbols: int = 0  # data-dependent sizes created (`create_unbacked_symbol`)
    data_dependent_errors: int = 0
    data_dependent_list: list[str] = field(default_factory=list)
    fake_kernel_issues: int = 0  # missing or mismatched fake kernels (draft export)
    fake_kernel_list: list[str] = field(default_factory=list)

    @property
    def guards(self) -> int:
        """Distinct guards added while exporting."""
        return len(self.guard_seen)

    @property
    def guard_list(self) -> list[str]:
        """The first SHOWN guards, with where the user code asked for them."""
        return list(islice(self.guard_seen.values(), SHOWN))

    def merge(self, later: ExportInfo) -> None:
        """Add what a later part of the same log says (its attempts begin after these end)."""
        self.attempts.extend(later.attempts)
        for expr, text in later.guard_seen.items():
            self.guard_seen.setdefault(expr, text)
        for name in ("specializations", "symbols", "unbacked_symbols", "data_dependent_errors", "fake_kernel_issues"):
            setattr(self, name, getattr(self, name) + getattr(later, name))
        for name in ("specialization_list", "data_dependent_list", "fake_kernel_list"):
            setattr(self, name, (getattr(self, name) + getattr(later, name))[:SHOWN])

    @property
    def failed(self) -> int:
        """Exports that logged no program."""
        return sum(not a.ok for a in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the report contract's `export` object)."""
        return {
            "exports": len(self.attempts),
            "succeeded": len(self.attempts) - self.failed,
            "failed": self.failed,
            "attempts": [a.to_dict() for a in self.attempts],
            "guards_added": self.guards,
            "guards": self.guard_list,
            "specializations": self.specializations,
            "specialization_list": self.specialization_list,
            "symbols": self.symbols,
            "unbacked_symbols": self.unbacked_symbols,
            "data_dependent_errors": self.data_dependent_errors,
            "data_dependent_list": self.data_dependent_list,
            "fake_kernel_issues": self.fake_kernel_issues,
            "fake_kernel_list": self.fake_kernel_list,
        }
