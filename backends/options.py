"""What a run passes to a backend (no torch import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BackendOptions:
    """What a run passes to a backend."""

    inductor_options: dict[str, Any] = field(default_factory=dict)
    split_ops: tuple[str, ...] | None = None  # piecewise: None = the default (attention)
    compile_sizes: tuple[int, ...] = ()
    artifact_prefix: str = "compileprof"
    dynamic: bool = True
