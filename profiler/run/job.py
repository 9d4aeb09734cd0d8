"""What the parent tells a child process (`job.json`) and what the child answers (`result.json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class ChildJob:
    """One child's job: the model, the backend, the device and what to measure."""

    model: dict[str, Any]  # ModelSpec.to_dict()
    factory_kwargs: dict[str, Any]
    backend: str
    backend_options: dict[str, Any]
    device: str
    threads: int | None
    measure_calls: int  # forward calls timed (per round with --measure asserts); 0: none
    measure_budget_s: float
    measure: list[str]  # "asserts", "logging"
    rounds: int
    pairs: int
    progress: str  # where the child writes a JSON line per step start and end
    result: str  # where the child writes its ChildResult
    count: bool = False  # collect instructions (callgrind) around the compile step
    count_phases: bool = False  # and dump the counters at each phase boundary
    count_helper: str | None = None  # the library that switches callgrind's instrumentation on (counting.py)

    def write(self, path: Path) -> None:
        """Write the job file."""
        path.write_text(json.dumps(asdict(self), indent=2, default=str))

    @classmethod
    def read(cls, path: Path) -> ChildJob:
        """Read a job file."""
        return cls(**json.loads(Path(path).read_text()))


@dataclass(slots=True)
class ChildResult:
    """What a child did: each step's seconds, the error that stopped it, and what it found."""

    status: str = "ok"  # ok or failed
    steps: dict[str, float] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # step, type, message, traceback
    versions: dict[str, Any] | None = None
    device: str | None = None
    threads: int | None = None
    model: dict[str, Any] | None = None
    check: dict[str, Any] | None = None
    forward: dict[str, Any] | None = None
    measure_asserts: dict[str, Any] | None = None
    measure_logging: dict[str, Any] | None = None
    trace_cost: dict[str, Any] | None = None  # TORCH_TRACE logging timed directly (see run/trace_cost.py)

    def write(self, path: Path) -> None:
        """Write the result file."""
        Path(path).write_text(json.dumps(asdict(self), indent=2, default=str))

    @classmethod
    def read(cls, path: Path) -> ChildResult | None:
        """The result file, or None when it is missing or unreadable (the child crashed)."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
