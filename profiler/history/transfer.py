"""Moving a history between machines: `history export -f json|csv` and `history import`.

JSON: `{"kind": "compileprof-history", "schema_version": 1, "points": [...]}`, every field of every point.
CSV: one row per metric of a point (the point's fields repeated, objects as JSON text), for
spreadsheets and dataframes. Both read back: `import` takes either, and skips (and counts) the points
whose commit and series the history already holds.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from ..errors import EXIT_USAGE, CompileprofError
from ..gate.metrics import KINDS, Metric
from .model import Point
from .store import Conflict, Store

KIND = "compileprof-history"
POINT_FIELDS = ("commit", "branch", "recorded_at", "run_at", "machine", "environment", "model", "options", "labels",
                "source")  # fmt: skip
CSV_COLUMNS = (*POINT_FIELDS, "series", "metric", "kind", "value", "samples")
_OBJECTS = ("machine", "environment", "options", "labels")


def point_to_dict(p: Point) -> dict[str, Any]:
    """A point's JSON form."""
    return {**{f: getattr(p, f) for f in POINT_FIELDS}, "series": p.key,
            "metrics": {n: {"kind": m.kind, "samples": m.samples} for n, m in p.metrics.items()}}  # fmt: skip


def all_points(store: Store, batch: int = 500) -> Iterator[Point]:
    """Every point with its metrics, oldest first, read `batch` at a time."""
    points = store.points()
    for start in range(0, len(points), batch):
        yield from store.with_metrics(points[start : start + batch])


def export_json(store: Store) -> bytes:
    """The whole history as JSON."""
    body = {"kind": KIND, "schema_version": 1, "points": [point_to_dict(p) for p in all_points(store)]}
    return (json.dumps(body, indent=1, ensure_ascii=False) + "\n").encode()


def export_csv(store: Store) -> bytes:
    """The whole history as CSV, one row per metric of a point."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in all_points(store):
        head = [json.dumps(getattr(p, f), sort_keys=True) if f in _OBJECTS else getattr(p, f) for f in POINT_FIELDS]
        for m in p.metrics.values():
            writer.writerow([*head, p.key, m.name, m.kind, m.value, json.dumps(m.samples)])
    return buf.getvalue().encode()


def _bad(where: str, what: str) -> CompileprofError:
    return CompileprofError(f"{where}: {what}; import takes what `history export` wrote", EXIT_USAGE)


def _point(d: dict[str, Any], where: str) -> Point:
    """A point from its JSON form, checked."""
    try:
        metrics = {}
        for name, m in d["metrics"].items():
            if m["kind"] not in KINDS or not m["samples"]:
                raise ValueError(f"metric {name}")
            metrics[str(name)] = Metric(str(name), m["kind"], [float(s) for s in m["samples"]])
        return Point(
            commit=str(d["commit"]), branch=d.get("branch"), recorded_at=float(d["recorded_at"]),
            run_at=float(d["run_at"]) if d.get("run_at") is not None else None, machine=dict(d["machine"]),
            environment=dict(d["environment"]), model=str(d["model"]), options=dict(d["options"]),
            labels={str(k): str(v) for k, v in dict(d["labels"]).items()}, source=str(d["source"]), metrics=metrics,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise _bad(where, f"a point is not whole ({err})") from None


def read_points(data: bytes, where: str) -> list[Point]:
    """The points of an export, JSON or CSV (told apart by their first byte)."""
    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            body = json.loads(text)
        except ValueError as err:
            raise _bad(where, f"not JSON ({str(err)[:80]})") from None
        if not isinstance(body, dict) or body.get("kind") != KIND or not isinstance(body.get("points"), list):
            raise _bad(where, f"not a compileprof history export (kind {KIND!r} expected)")
        return [_point(d, where) for d in body["points"]]
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or set(CSV_COLUMNS) - set(rows[0]):
        raise _bad(where, "not a history export (no CSV header of one)")
    points: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for r in rows:
            d = points.setdefault((r["commit"], r["series"]), {
                **{f: (json.loads(r[f]) if f in _OBJECTS else r[f]) for f in POINT_FIELDS}, "metrics": {}})  # fmt: skip
            d["metrics"][r["metric"]] = {"kind": r["kind"], "samples": json.loads(r["samples"])}
            d["run_at"] = d["run_at"] or None
            d["branch"] = d["branch"] or None
    except ValueError as err:
        raise _bad(where, f"a row is not whole ({str(err)[:80]})") from None
    return [_point(d, where) for d in points.values()]


def import_points(store: Store, points: list[Point]) -> tuple[int, int]:
    """Add the points (one transaction each); (added, skipped because already there)."""
    added = skipped = 0
    for p in points:
        try:
            store.add(p)
            added += 1
        except Conflict:
            skipped += 1
    return added, skipped
