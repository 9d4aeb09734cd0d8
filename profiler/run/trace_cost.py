"""The cost of TORCH_TRACE logging measured directly in the child: the wall time of every
`trace_structured` call that wrote a record (its metadata and payload functions, the md5, the
handler formatting and writing the record), by record type and by compile, with no on/off noise.

torch's modules bind `trace_structured` at import (`from torch._logging import trace_structured`),
so patching the module attribute would miss most calls; instead the function object's code is
swapped for a timing wrapper that calls a copy of the original, which every bound reference sees.
Only the outermost call is counted (a payload function that logs is part of its caller's cost), and
only while the trace has a handler (the A/B's trace-off compiles are not logging).
"""

from __future__ import annotations

import time
import types
from typing import Any

MAX_COMPILES = 2000  # compiles kept by id (the rest are summed under "other")


class TraceCost:
    """Totals of timed `trace_structured` calls: by step, by record type, by compile."""

    def __init__(self) -> None:
        self.step = "start"
        self.by_step: dict[str, list[float]] = {}  # step -> [calls, seconds]
        self.by_kind: dict[str, dict[str, list[float]]] = {}  # step -> kind -> [calls, seconds]
        self.by_compile: dict[str, list[float]] = {}  # compile id -> [calls, seconds] (the compile step's)
        self.depth = 0

    def add(self, kind: str, compile_id: str | None, seconds: float) -> None:
        """Count one call."""
        for table, key in ((self.by_step, self.step), (self.by_kind.setdefault(self.step, {}), kind)):
            cell = table.setdefault(key, [0, 0.0])
            cell[0] += 1
            cell[1] += seconds
        if self.step == "compile":
            key = compile_id or "none"
            if key not in self.by_compile and len(self.by_compile) >= MAX_COMPILES:
                key = "other"
            cell = self.by_compile.setdefault(key, [0, 0.0])
            cell[0] += 1
            cell[1] += seconds

    def to_dict(self) -> dict[str, Any]:
        """The result file's `trace_cost`: calls and seconds by step, by record type per step, by compile."""

        def cells(table: dict[str, list[float]]) -> dict[str, dict[str, float]]:
            ordered = sorted(table.items(), key=lambda kv: -kv[1][1])
            return {k: {"calls": int(v[0]), "seconds": v[1]} for k, v in ordered}

        return {
            "by_step": cells(self.by_step),
            "by_kind": {step: cells(kinds) for step, kinds in self.by_kind.items()},
            "by_compile": cells(self.by_compile),
        }


def install(torch: Any, cost: TraceCost) -> bool:
    """Time every `trace_structured` call from now on into `cost`; False when this torch has none."""
    internal = getattr(getattr(torch, "_logging", None), "_internal", None)
    fn = getattr(internal, "trace_structured", None)
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
        return False
    installed = fn.__globals__.get("_compileprof_trace_cost")
    if fn.__code__ is _timed.__code__ and installed:  # installed before: time into the new totals
        original = installed[0]
    else:
        original = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
        original.__kwdefaults__ = fn.__kwdefaults__
    trace_log = internal.trace_log

    def current_compile() -> str | None:
        cid = torch._guards.CompileContext.current_compile_id()
        return str(cid) if cid is not None else None

    fn.__globals__["_compileprof_trace_cost"] = (original, cost, trace_log, current_compile, time.perf_counter)
    fn.__code__, fn.__defaults__, fn.__kwdefaults__ = _timed.__code__, None, None
    return True


def _timed(*args: Any, **kwargs: Any) -> Any:
    """The code `trace_structured` runs once installed (it reads its state from its module's globals)."""
    original, cost, trace_log, current_compile, clock = _compileprof_trace_cost  # type: ignore[name-defined] # noqa: F821
    if not trace_log.handlers or cost.depth:
        return original(*args, **kwargs)
    cost.depth += 1
    start = clock()
    try:
        return original(*args, **kwargs)
    finally:
        seconds = clock() - start
        cost.depth -= 1
        name = args[0] if args else kwargs.get("name", "?")
        if name in ("artifact", "graph_dump"):
            try:
                meta = (args[1] if len(args) > 1 else kwargs.get("metadata_fn", dict))()
                name = f"{name}:{meta.get('name')}"
            except Exception:
                pass
        cost.add(str(name), current_compile(), seconds)
