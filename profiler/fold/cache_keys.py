"""Read the compile-cache lookups of logs: each FX graph and AOT autograd cache artifact's key and
key components (`[hash] name: value`), in log order."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import orjson

from ..model.cache_keys import Lookup
from ..model.compile import CACHE_EVENTS
from ..trace.discover import find_logs
from ..trace.reader import TraceReader

MAX_LOOKUPS = 5000  # lookups kept per set of logs (each holds its components' hashes and values)
MAX_VALUE = 4000  # characters of a component's value kept (for the diff of a long one)
_COMPONENT = re.compile(r"\[(\w+)\] ([^:\n]+): (.*)", re.S)


class _Pool:
    """Component sets and values met before, shared: lookups of one job repeat most of their
    components (config, versions, system), so a log of thousands of lookups holds each value once."""

    def __init__(self) -> None:
        self.sets: dict[bytes, dict[str, tuple[str, str]]] = {}
        self.values: dict[tuple[str, str], tuple[str, str]] = {}

    def components(self, raw: object) -> dict[str, tuple[str, str]]:
        """`[hash] name: value` strings as {name: (hash, value)} (others are skipped)."""
        items = [item for item in raw if isinstance(item, str)] if isinstance(raw, list) else []
        digest = hashlib.md5("\n\0".join(items).encode("utf-8", "surrogatepass")).digest()
        found = self.sets.get(digest)
        if found is None:
            found = self.sets[digest] = self._parse(items)
        return found

    def _parse(self, items: list[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for item in items:
            m = _COMPONENT.match(item)
            if m:
                name, pair = m.group(2).strip(), (m.group(1), m.group(3)[:MAX_VALUE])
                out[name] = self.values.setdefault((name, item), pair) if len(item) <= MAX_VALUE else pair
        return out


def _components(raw: object) -> dict[str, tuple[str, str]]:
    """`[hash] name: value` strings as {name: (hash, value)} (others are skipped)."""
    return _Pool().components(raw)


def _lookup(rec: Any, where: str, pool: _Pool | None = None) -> Lookup | None:
    """The lookup an artifact record holds, or None when it is not a cache artifact with a JSON body."""
    name = rec.meta.get("name") if isinstance(rec.meta, dict) else None
    if name not in CACHE_EVENTS:  # the cache artifacts the report counts
        return None
    cache, state = ("fx" if name.startswith("fx_graph_cache_") else "aot"), name.rsplit("_", 1)[-1]
    try:
        body = orjson.loads(rec.text())
    except orjson.JSONDecodeError:
        body = {}
    body = body if isinstance(body, dict) else {}
    key = body.get("key") if isinstance(body.get("key"), str) else None
    components = (pool or _Pool()).components(body.get("components"))
    return Lookup(cache, state, rec.compile_id, rec.rank, key, components, where)


def _piece(rec: Any) -> str | None:
    """`piece 1, size 4` (or `sizes 1..`) from a piecewise backend's compile-start artifact."""
    try:
        meta = orjson.loads(rec.text())
    except orjson.JSONDecodeError:
        return None
    if not isinstance(meta, dict) or type(meta.get("piecewise_index")) is not int:
        return None
    start, end = meta.get("compile_range_start"), meta.get("compile_range_end")
    size = f"size {start}" if meta.get("is_single_size") else f"sizes {start if start is not None else ''}..{end or ''}"
    return f"piece {meta['piecewise_index']}, {size}"


def read_lookups(path: str | Path) -> list[Lookup]:
    """Every cache lookup the logs under `path` (a log, a trace directory or a run directory) record,
    in log order (at most MAX_LOOKUPS), each with the piece a piecewise backend was compiling."""
    out: list[Lookup] = []
    pool = _Pool()
    for log in find_logs(Path(path)):
        piece: str | None = None
        for i, rec in enumerate(r for r in TraceReader(log) if r.kind == "artifact"):
            name = rec.meta.get("name") if isinstance(rec.meta, dict) else None
            if isinstance(name, str) and name.endswith("_piecewise_compile_start"):
                piece = _piece(rec)
                continue
            if len(out) >= MAX_LOOKUPS:
                continue
            found = _lookup(rec, f"{Path(log).name}#{i}", pool)
            if found is not None:
                found.piece = piece
                out.append(found)
    return out
