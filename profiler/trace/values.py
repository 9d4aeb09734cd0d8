"""Typed reads of values from a log: what enters the data model has the type and range it claims.

Logs are JSON written by many torch versions, and by hand or by damage: a field may hold a dict
where a string belongs, a list where an id belongs, an integer past 64 bits, a non-finite number.
Each read returns the value or None; a value that was present but unusable is counted in
`ParseStats.bad_value` (and by field in `bad_value_fields`), so damage is reported, never raised.
"""

from __future__ import annotations

import math
from typing import Any

from .records import ParseStats

MAX_INT = 2**53  # integers JSON readers agree on
MAX_RANK = 1 << 24  # the largest rank read, from a record or a file name
MAX_SECONDS = 1e7  # about 115 days: no compile phase takes longer
MAX_TEXT = 100_000  # characters kept of one text value (a failure reason, a graph-break reason)


class Values:
    """Reads log values for the data model, counting the unusable ones in `stats`."""

    def __init__(self, stats: ParseStats | None = None) -> None:
        self.stats = stats if stats is not None else ParseStats()

    def bad(self, field: str) -> None:
        """Count a present value of `field` that could not be used."""
        self.stats.bad_value += 1
        fields = self.stats.bad_value_fields
        fields[field] = fields.get(field, 0) + 1

    def int(self, v: Any, field: str, lo: int = 0, hi: int = MAX_INT) -> int | None:
        """An integer in [lo, hi] (not a bool)."""
        if v is None:
            return None
        if type(v) is int and lo <= v <= hi:
            return v
        self.bad(field)
        return None

    def str(self, v: Any, field: str) -> str | None:
        """A string (cut to MAX_TEXT characters)."""
        if v is None:
            return None
        if type(v) is str:
            return v if len(v) <= MAX_TEXT else v[:MAX_TEXT]
        self.bad(field)
        return None

    def text(self, v: Any, field: str) -> str | None:
        """Any scalar as text (a reason may be a number); containers are refused."""
        if v is None or type(v) is str:
            return self.str(v, field)
        if type(v) in (int, float, bool):
            return str(v)
        self.bad(field)
        return None

    def number(self, v: Any, field: str, lo: float = -math.inf, hi: float = math.inf) -> float | None:
        """A finite number in [lo, hi] (int or float, not a bool), as a float."""
        if v is None:
            return None
        if type(v) in (int, float):
            f = float(v) if abs(v) < 1e300 else math.inf
            if math.isfinite(f) and lo <= f <= hi:
                return f
        self.bad(field)
        return None

    def seconds(self, v: Any, field: str) -> float | None:
        """A duration in seconds: finite, 0 to MAX_SECONDS."""
        return self.number(v, field, 0.0, MAX_SECONDS)

    def bool(self, v: Any, field: str) -> bool | None:
        """A boolean."""
        if v is None or type(v) is bool:
            return v
        self.bad(field)
        return None

    def key(self, v: Any, field: str) -> int | str | None:
        """A hashable scalar that identifies something (a pid, a tid): an int or a string."""
        if v is None or (type(v) is int and abs(v) <= MAX_INT) or type(v) is str:
            return v
        self.bad(field)
        return None

    def texts(self, v: Any, field: str) -> list[str]:
        """A list of scalars as texts (anything else in it is dropped and counted)."""
        if v is None:
            return []
        if type(v) is not list:
            self.bad(field)
            return []
        out = [self.text(x, field) for x in v]
        return [x for x in out if x is not None]

    def ints(self, v: Any, field: str) -> list[int] | None:
        """A list of non-negative integers (None when it is not one)."""
        if v is None:
            return None
        if type(v) is list and all(type(x) is int and 0 <= x <= MAX_INT for x in v):
            return v
        self.bad(field)
        return None
