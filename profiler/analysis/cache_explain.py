"""Why did a compile-cache lookup miss? Compare the key components torch logged for it with those of
the lookup it should have matched: in another run (A), or earlier in the same run.

torch logs every FX graph cache lookup (`fx_graph_cache_miss` / `_hit` / `_bypass` artifacts) and AOT
autograd cache lookup (`aotautograd_cache_*`) with its key and the key's components, each
`[hash] name: value` (`gm`, `example_inputs[i]`, `fx_kwargs[...]`, `inductor_config[...]`,
`system_info[...]`, `torch_version`, custom passes, ...). Two lookups with the same components have
the same key; the components whose hashes differ are why a key differs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from ..model.cache_keys import Change, Explanation, Lookup

SHORT = 120  # a value this long on one line is shown inline (`a -> b`); longer ones as a diff
# What makes a value differ between processes although nothing the user chose changed.
UNSTABLE = (
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "a memory address"),
    (re.compile(r"/tmp/[^\s'\"]+|/var/folders/[^\s'\"]+"), "a temporary path"),
    (re.compile(r"\bpid[=: ]\d+", re.I), "a process id"),
)


def _unstable(a: str | None, b: str | None) -> str | None:
    for pattern, what in UNSTABLE:
        if a and b and pattern.search(a) and pattern.search(b) and pattern.sub("", a) == pattern.sub("", b):
            return what
    return None


def diff_components(a: Lookup, b: Lookup) -> list[Change]:
    """The components whose hashes differ (changed), that only B has (added) or only A has (removed)."""
    out = []
    for name, (hash_b, value_b) in b.components.items():
        if name not in a.components:
            out.append(Change(name, "added", None, value_b))
        elif a.components[name][0] != hash_b:
            value_a = a.components[name][1]
            out.append(Change(name, "changed", value_a, value_b, _unstable(value_a, value_b)))
    out += [Change(n, "removed", v, None) for n, (_, v) in a.components.items() if n not in b.components]
    return out


NEAREST = 256  # distinct component sets a miss is compared with, the latest first: bounded work per miss


class _Nearest:
    """Lookups by their component set, each set once (its first lookup): the closest to a miss is the
    one sharing the most component hashes, the earliest of equals. Lookups read by `read_lookups` share
    equal sets, so a run repeating its graphs holds few."""

    def __init__(self) -> None:
        self.firsts: list[Lookup] = []
        self.pairs: list[frozenset] = []
        self.known: set[frozenset] = set()

    def add(self, lookup: Lookup, pairs: frozenset) -> None:
        """A lookup with its `_pairs`, kept when its set is new."""
        if pairs not in self.known:
            self.known.add(pairs)
            self.firsts.append(lookup)
            self.pairs.append(pairs)

    def closest(self, want: frozenset) -> Lookup | None:
        """The first of the latest NEAREST sets that shares the most component hashes with `want` (a
        miss's `_pairs`)."""
        best, most = None, -1
        start = max(0, len(self.firsts) - NEAREST)
        for lookup, pairs in zip(self.firsts[start:], self.pairs[start:], strict=True):
            shared = len(want & pairs)
            if shared > most:
                best, most = lookup, shared
        return best


def _pairs(lookup: Lookup) -> frozenset:
    """A lookup's components as (name, hash) pairs: two lookups share a component when a pair is in both."""
    return frozenset((name, h) for name, (h, _) in lookup.components.items())


def _counterpart(miss: Lookup, index: int, same: list[Lookup], nearest: _Nearest | None) -> tuple[Lookup | None, str]:
    """The lookup of A the miss should have matched: the same compile's (its same occurrence; `same`:
    A's lookups of the miss's cache, compile and rank), else the lookup of the same cache sharing the
    most component hashes."""
    piece = [x for x in same if x.piece == miss.piece] if miss.piece else []
    if piece:  # a piecewise backend: the same piece and size of the same compile
        return piece[min(index, len(piece) - 1)], "same compile and piece in A"
    if index < len(same):
        return same[index], "same compile in A"
    found = nearest.closest(_pairs(miss)) if nearest is not None else None
    return (found, "closest graph in A") if found is not None else (None, "none")


def explain(a: list[Lookup], b: list[Lookup]) -> list[Explanation]:
    """Each miss of B explained against A."""
    by_compile: dict[tuple, list[Lookup]] = {}
    nearest: dict[str, _Nearest] = {}
    for x in a:
        by_compile.setdefault((x.cache, x.compile_id, x.rank), []).append(x)
        nearest.setdefault(x.cache, _Nearest()).add(x, _pairs(x))
    out, seen = [], {}
    for lookup in b:
        slot = (lookup.cache, lookup.compile_id, lookup.rank)
        index = seen.get(slot, 0)
        seen[slot] = index + 1
        if lookup.state != "miss":
            continue
        other, how = _counterpart(lookup, index, by_compile.get(slot, []), nearest.get(lookup.cache))
        out.append(Explanation(lookup, other, how, diff_components(other, lookup) if other else []))
    return out


def within(lookups: list[Lookup]) -> list[Explanation]:
    """Misses in one run whose components equal an earlier lookup's (of the same piece, for a piecewise
    backend) in all but one or two (a recompile for a new size, an option changed between two compiles
    of the same graph)."""
    out = []
    earlier: dict[tuple, _Nearest] = {}
    for miss in lookups:
        if not miss.components:
            continue
        group, pairs = earlier.setdefault((miss.cache, miss.piece), _Nearest()), _pairs(miss)
        best = group.closest(pairs) if miss.state == "miss" else None
        group.add(miss, pairs)
        if best is None:
            continue
        changes = diff_components(best, miss)
        if 0 < len(changes) <= 2:
            out.append(Explanation(miss, best, "earlier in the same run", changes))
    return out


def groups(explanations: Iterable[Explanation]) -> list[tuple[tuple[str, ...], list[Explanation]]]:
    """Misses with the same cause together, the largest group first."""
    by: dict[tuple[str, ...], list[Explanation]] = {}
    for e in explanations:
        by.setdefault(e.cause, []).append(e)
    return sorted(by.items(), key=lambda kv: -len(kv[1]))


def change_text(c: Change, lines: int = 12) -> str:
    """One change in words: `name` a -> b inline, or a short unified diff of a long value."""
    if c.kind == "added":
        return f"`{c.name}` only in B: {_short(c.b)}"
    if c.kind == "removed":
        return f"`{c.name}` only in A: {_short(c.a)}"
    a, b = c.a or "", c.b or ""
    flag = f" (differs by {c.unstable} only: unstable across processes, a cache-key bug worth reporting upstream)"
    if len(a) <= SHORT and len(b) <= SHORT and "\n" not in a + b:
        return f"`{c.name}`: {a} -> {b}" + (flag if c.unstable else "")
    fields = _field_changes(a, b)
    if fields:  # one long line (a repr): only the fields that differ
        return f"`{c.name}`: " + "; ".join(f"{x} -> {y}" for x, y in fields) + (flag if c.unstable else "")
    diff = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "A", "B", lineterm="", n=1))[2:]
    body = "\n".join("    " + x for x in diff[:lines]) + (
        f"\n    ... {len(diff) - lines} more lines" if len(diff) > lines else ""
    )
    return f"`{c.name}` differs{flag if c.unstable else ''}:\n{body}"


_WRAPPED = re.compile(r"^[A-Za-z_][\w.]*\((.*)\)$", re.S)  # `TensorMetadata(...)`: its fields are inside


def _fields(text: str) -> list[str]:
    """A one-line repr's fields: split at the commas outside any bracket (of its call, when it is one)."""
    m = _WRAPPED.match(text.strip())
    body = m.group(1) if m else text
    out, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(body[start:i])
            start = i + 1
    return [*out, body[start:]]


def _field_changes(a: str, b: str, most: int = 4) -> list[tuple[str, str]]:
    """The differing `name=value` fields of two one-line reprs with the same fields (else [])."""
    if "\n" in a + b:
        return []
    fa, fb = _fields(a), _fields(b)
    if len(fa) != len(fb) or len(fa) < 2:
        return []
    pairs = [(x.strip(), y.strip()) for x, y in zip(fa, fb, strict=True) if x != y]
    return pairs if len(pairs) <= most else []  # none differing: [] too


def _short(value: str | None) -> str:
    text = (value or "").replace("\n", " ")
    return text if len(text) <= SHORT else text[: SHORT - 3] + "..."
