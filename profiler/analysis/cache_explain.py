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


def _overlap(a: Lookup, b: Lookup) -> int:
    return sum(1 for n, (h, _) in b.components.items() if a.components.get(n, ("",))[0] == h)


def _counterpart(miss: Lookup, index: int, pool: list[Lookup]) -> tuple[Lookup | None, str]:
    """The lookup of A the miss should have matched: the same compile's (its same occurrence), else
    the lookup of the same cache sharing the most component hashes."""
    same = [x for x in pool if x.cache == miss.cache and x.compile_id == miss.compile_id and x.rank == miss.rank]
    piece = [x for x in same if x.piece == miss.piece] if miss.piece else []
    if piece:  # a piecewise backend: the same piece and size of the same compile
        return piece[min(index, len(piece) - 1)], "same compile and piece in A"
    if index < len(same):
        return same[index], "same compile in A"
    candidates = [x for x in pool if x.cache == miss.cache]
    if not candidates:
        return None, "none"
    return max(candidates, key=lambda x: _overlap(x, miss)), "closest graph in A"


def explain(a: list[Lookup], b: list[Lookup]) -> list[Explanation]:
    """Each miss of B explained against A."""
    out, seen = [], {}
    for lookup in b:
        slot = (lookup.cache, lookup.compile_id, lookup.rank)
        index = seen.get(slot, 0)
        seen[slot] = index + 1
        if lookup.state != "miss":
            continue
        other, how = _counterpart(lookup, index, a)
        out.append(Explanation(lookup, other, how, diff_components(other, lookup) if other else []))
    return out


def within(lookups: list[Lookup]) -> list[Explanation]:
    """Misses in one run whose components equal an earlier lookup's (of the same piece, for a piecewise
    backend) in all but one or two (a recompile for a new size, an option changed between two compiles
    of the same graph)."""
    out = []
    for i, miss in enumerate(lookups):
        if miss.state != "miss" or not miss.components:
            continue
        earlier = [x for x in lookups[:i] if x.cache == miss.cache and x.components and x.piece == miss.piece]
        if not earlier:
            continue
        best = max(earlier, key=lambda x: _overlap(x, miss))
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
    return pairs if 0 < len(pairs) <= most else []


def _short(value: str | None) -> str:
    text = (value or "").replace("\n", " ")
    return text if len(text) <= SHORT else text[: SHORT - 3] + "..."
