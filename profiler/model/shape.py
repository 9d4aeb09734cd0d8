"""The shape a JSON document must have before anything reads it (a run manifest, a baseline).

A spec is a Python type (`str`, `int`, `bool`), `NUM` (a finite number), `opt(spec)` (or null),
`[spec]` (a list of), `{key: spec}` (an object whose listed keys, when present, have those shapes;
other keys are free; with `strict`, a listed key whose spec is not `opt` must be present: what its
readers index), `each(spec)` (an object whose every value has that shape), a tuple of specs (any one
of them), or `ANY`.
Integers are bounded (|n| <= 2**53) so nothing read can overflow a JSON writer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_INT = 2**53
NUM = "number"
ANY = "any"


@dataclass(frozen=True, slots=True)
class opt:
    """The spec, or null."""

    spec: Any


@dataclass(frozen=True, slots=True)
class each:
    """An object whose every value has the spec's shape."""

    spec: Any


def _scalar(value: Any, spec: Any) -> bool:
    if spec is NUM:
        if type(value) is int:
            return abs(value) <= MAX_INT
        return type(value) is float and math.isfinite(value) and abs(value) <= 1e300
    if spec is int:
        return type(value) is int and abs(value) <= MAX_INT
    if spec is float:
        return type(value) in (int, float) and math.isfinite(value)
    return type(value) is spec


def problem(value: Any, spec: Any, where: str = "", strict: bool = False) -> str | None:
    """The first way `value` differs from `spec`, as `where: what it is, what it should be`; None if none.
    With `strict`, an object lacking a key its spec does not mark `opt` is a problem too."""
    if spec is ANY:
        return _unsafe(value, where)
    if isinstance(spec, opt):
        return None if value is None else problem(value, spec.spec, where, strict)
    if isinstance(spec, tuple):
        found = [problem(value, s, where, strict) for s in spec]
        return None if None in found else found[0]
    if isinstance(spec, list):
        if type(value) is not list:
            return f"{where or 'the document'} is {_kind(value)}, not a list"
        return next((p for i, v in enumerate(value) if (p := problem(v, spec[0], f"{where}[{i}]", strict))), None)
    if isinstance(spec, (dict, each)):
        return _object_problem(value, spec, where, strict)
    if not _scalar(value, spec):
        want = "a finite number" if spec in (NUM, float) else f"{'an' if spec is int else 'a'} {spec.__name__}"
        return f"{where} is {_kind(value)}, not {want}"
    return None


def _object_problem(value: Any, spec: dict | each, where: str, strict: bool) -> str | None:
    if type(value) is not dict:
        return f"{where or 'the document'} is {_kind(value)}, not an object"
    if strict and isinstance(spec, dict):
        missing = next((k for k, sub in spec.items() if k not in value and not isinstance(sub, opt)), None)
        if missing is not None:
            return f"{where}.{missing} is missing" if where else f"{missing} is missing"
    items = value.items() if isinstance(spec, each) else ((k, value[k]) for k in spec if k in value)
    for key, v in items:
        sub = spec.spec if isinstance(spec, each) else spec[key]
        p = problem(v, sub, f"{where}.{key}" if where else str(key), strict)
        if p:
            return p
    return None


def _unsafe(value: Any, where: str) -> str | None:
    """Anything JSON, but with every number one a JSON writer takes (|n| <= 2**53, finite)."""
    todo = [(value, where)]
    while todo:
        v, at = todo.pop()
        if isinstance(v, dict):
            todo.extend((x, f"{at}.{k}") for k, x in v.items())
        elif isinstance(v, list):
            todo.extend((x, f"{at}[{i}]") for i, x in enumerate(v))
        elif type(v) in (int, float) and not _scalar(v, NUM):
            return f"{at} is {_kind(v)}, not a finite number"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) in (int, float):
        text = repr(value)
        return text if len(text) <= 20 else f"a {len(text)}-digit number"
    if type(value) is str:
        return "a string" if len(value) > 40 else repr(value)
    return {list: "a list", dict: "an object", bool: "a boolean"}.get(type(value), type(value).__name__)
