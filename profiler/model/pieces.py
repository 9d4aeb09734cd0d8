"""What a piecewise backend (vLLM's, or compileprof's under any prefix) logged: its split and each piece compile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .asserts import AssertCounts


@dataclass(slots=True)
class PieceCompile:
    """One (piece, size-or-range) compile of a piecewise backend, from its `*_piecewise_compile_start`
    artifact and the records that follow it until the next one."""

    prefix: str
    piecewise_index: int | None
    submod_name: str | None
    total_piecewise_compiles: int | None
    compile_range_start: int | None
    compile_range_end: int | None
    is_single_size: bool | None
    compile_id: str | None
    rank: int | None
    compile_time_s: float | None = None
    time_source: str | None = None  # "span" (<prefix>_compile_piece) or "log timestamps"
    ops: int | None = None
    asserts: AssertCounts | None = None
    cache: dict[str, int] = field(default_factory=dict)
    variant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (an entry of `pieces`)."""
        return {
            "prefix": self.prefix,
            "piecewise_index": self.piecewise_index,
            "submod_name": self.submod_name,
            "total_piecewise_compiles": self.total_piecewise_compiles,
            "compile_range_start": self.compile_range_start,
            "compile_range_end": self.compile_range_end,
            "is_single_size": self.is_single_size,
            "compile_id": self.compile_id,
            "rank": self.rank,
            "compile_time_s": round(self.compile_time_s, 6) if self.compile_time_s is not None else None,
            "time_source": self.time_source,
            "ops": self.ops,
            "asserts": self.asserts.to_dict() if self.asserts else None,
            "cache": self.cache,
            "variant": self.variant,
        }


@dataclass(slots=True)
class PiecewiseSplit:
    """What a piecewise backend said about its split: its config artifact and its split graph."""

    prefix: str
    splitting_ops: list[str] | None = None
    compile_sizes: list[Any] | None = None
    pieces: int | None = None
    compiled_pieces: int | None = None
    splitting_pieces: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`piecewise`)."""
        return {
            "prefix": self.prefix,
            "splitting_ops": self.splitting_ops,
            "compile_sizes": self.compile_sizes,
            "pieces": self.pieces,
            "compiled_pieces": self.compiled_pieces,
            "splitting_pieces": self.splitting_pieces,
        }
