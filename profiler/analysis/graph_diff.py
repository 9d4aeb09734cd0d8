"""Why did compile behaviour change between two runs: their compiles matched, each matched graph
compared (operators, inputs, nodes added, removed and retargeted, guards, generated kernels and code,
configs), compiles only one side has explained, and everything ranked by the time its compile's change
cost, with the phases that moved most."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from itertools import zip_longest
from typing import Any

from ..fold.graphs import _NODE, op_of
from ..model.graphs import GRAPH_KINDS, CompileChange, Compiled, Graph, GraphChange

MAX_GRAPH_CHANGES = 64  # changed graphs of one compile described; more are counted (memory stays bounded)
MAX_ROWS = 1500  # side-by-side rows of one graph kept for the page
CONTEXT = 3  # equal lines kept around a change in the side-by-side rows
PHASES_SHOWN = 3
FOLLOW = 0.8  # a phase holding this share of its parent's change is where the change is: look inside it
# What the phases are, in words (others by their span name).
PHASE_WORDS = {"bytecode_tracing": "Dynamo's tracing", "build_guards": "guard building",
               "create_aot_dispatcher_function": "AOT autograd", "inductor_compile": "Inductor",
               "GraphLowering.run": "Inductor's lowering", "code_gen": "code generation",
               "compile_file": "the C++ compile", "async_compile.wait": "kernel compiles",
               "entire_backward_compile": "the backward"}  # fmt: skip


def _through_attempts(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A level of a phase tree with `compile_attempt_N` spans (a restart after a graph break makes a
    second) replaced by what they hold, added up by name: where time went is inside them."""
    if not any(n["name"].startswith("compile_attempt") for n in nodes):
        return nodes
    out: dict[str, dict[str, Any]] = {}
    for n in nodes:
        for m in n["children"] if n["name"].startswith("compile_attempt") else [n]:
            have = out.get(m["name"])
            if have is None:
                out[m["name"]] = {"name": m["name"], "total_s": m["total_s"], "children": list(m["children"])}
            else:
                have["total_s"] += m["total_s"]
                have["children"] += m["children"]
    return _through_attempts(list(out.values()))


def _merged(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[tuple[str, float, list]]:
    """Two phase trees merged by path: (name, B - A, children) per node (compile attempts seen through)."""
    a, b = _through_attempts(a), _through_attempts(b)
    ka, kb = {p["name"]: p for p in a}, {p["name"]: p for p in b}
    out = []
    for name in dict.fromkeys([*ka, *kb]):
        x, y = ka.get(name), kb.get(name)
        delta = (y["total_s"] if y else 0.0) - (x["total_s"] if x else 0.0)
        out.append((name, delta, _merged(x["children"] if x else [], y["children"] if y else [])))
    return out


def phase_moves(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Where a compile's time moved (B - A): down the phase tree while one phase holds most of the
    change (FOLLOW of it), then the phases at that level that moved most, largest first."""
    kids, total = _merged(a, b), None
    while kids:
        kids = sorted(kids, key=lambda k: -abs(k[1]))
        total = kids[0][1] if total is None else total
        top, second = kids[0], kids[1][1] if len(kids) > 1 else 0.0
        if top[2] and abs(top[1]) >= FOLLOW * abs(total) and abs(second) < (1 - FOLLOW) * abs(total):
            kids, total = top[2], top[1]
            continue
        floor = max(1e-4, 0.1 * abs(total))
        return [(name, d) for name, d, _ in kids[:PHASES_SHOWN] if abs(d) >= floor]
    return []


def _node_lines(code: str) -> list[tuple[str, str]]:
    """(node name, operator) of each node line of normalized code (`name = ...`: a `def`, `class` or
    `return` line never has that form)."""
    return [(m.group(1), op_of(m.group(2))) for m in map(_NODE.match, code.splitlines()) if m]


def line_changes(a: str, b: str) -> tuple[int, int, int]:
    """Nodes added, removed and retargeted (same name, another operator) between two normalized codes."""
    na, nb = _node_lines(a), _node_lines(b)
    added = removed = retargeted = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, na, nb, autojunk=False).get_opcodes():
        if tag == "insert":
            added += j2 - j1
        elif tag == "delete":
            removed += i2 - i1
        elif tag == "replace":
            for x, y in zip_longest(na[i1:i2], nb[j1:j2]):
                if x is not None and y is not None and x[0] == y[0]:
                    retargeted += x[1] != y[1]
                else:
                    added += y is not None
                    removed += x is not None
    return added, removed, retargeted


def side_by_side(a: str, b: str) -> list[tuple[str, str, str]]:
    """Rows (tag, line of A, line of B) of two codes aligned: `=` equal, `~` changed, `-` only in A,
    `+` only in B, `...` a run of equal lines left out (CONTEXT kept around each change)."""
    la, lb = a.splitlines(), b.splitlines()
    rows: list[tuple[str, str, str]] = []
    codes = difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(codes):
        if tag == "equal":
            run = list(zip(la[i1:i2], lb[j1:j2], strict=True))
            head = CONTEXT if n > 0 else 0  # lines kept after the change before, and before the next
            tail = CONTEXT if n < len(codes) - 1 else 0
            if len(run) > head + tail + 1:
                rows += [("=", x, y) for x, y in run[:head]]
                rows.append(("...", f"{len(run) - head - tail} equal lines", ""))
                rows += [("=", x, y) for x, y in run[len(run) - tail :]]
            else:
                rows += [("=", x, y) for x, y in run]
            continue
        for x, y in zip_longest(la[i1:i2], lb[j1:j2]):
            rows.append(("~" if x is not None and y is not None else "-" if y is None else "+", x or "", y or ""))
        if len(rows) > MAX_ROWS:  # (exactly MAX_ROWS rows leave nothing out)
            return [*rows[:MAX_ROWS], ("...", "rows past this are left out", "")]
    return rows


def _inputs(a: Graph, b: Graph) -> list[str]:
    """Inputs whose dtype, shape or dynamism changed, in words."""
    out = []
    for i, (x, y) in enumerate(zip_longest(a.inputs, b.inputs)):
        if x is None or y is None:
            out.append(f"input {i} ({(x or y)[0]}) only in {'B' if x is None else 'A'}")  # type: ignore[index]
        elif x[1] != y[1]:
            dynamic = _dynamic(x[1]) != _dynamic(y[1])
            out.append(f"input {i} ({y[0]}): {x[1]} -> {y[1]}" + (" (dynamism changed)" if dynamic else ""))
    return out


def _dynamic(shape: str) -> bool:
    return any(c.isalpha() for c in shape[shape.find("[") :])


def graph_change(slot: str, a: Graph | None, b: Graph | None, full: bool) -> GraphChange | None:
    """How a graph of a matched compile changed; None when it did not (same normalized code)."""
    if a is not None and b is not None and a.digest == b.digest:
        return None
    kind = (a or b).kind  # type: ignore[union-attr]
    ops_a, ops_b = (a.ops if a else Counter()), (b.ops if b else Counter())
    ops = {op: ops_b.get(op, 0) - ops_a.get(op, 0) for op in set(ops_a) | set(ops_b)}
    change = GraphChange(slot if slot != kind else kind, a.nodes if a else 0, b.nodes if b else 0,
                         {k: v for k, v in sorted(ops.items(), key=lambda kv: (-abs(kv[1]), kv[0])) if v},
                         _inputs(a, b) if a and b else [])  # fmt: skip
    code_a, code_b = (a.code() if a else "") or "", (b.code() if b else "") or ""
    if (a is None or a.text is not None) and (b is None or b.text is not None):
        change.added, change.removed, change.retargeted = line_changes(code_a, code_b)
        change.rows = side_by_side(code_a, code_b)
        if full:
            change.diff = list(difflib.unified_diff(code_a.splitlines(), code_b.splitlines(), "A", "B", lineterm=""))
    else:  # past the budget: from the counts alone
        change.added, change.removed = max(0, change.nodes_b - change.nodes_a), max(0, change.nodes_a - change.nodes_b)
    return change


def _slot_order(slot: str) -> tuple[int, int]:
    """Graph slots by kind (as GRAPH_KINDS lists them), then by the order they were logged (`kind#n`)."""
    kind, _, n = slot.partition("#")
    return list(GRAPH_KINDS).index(kind), int(n or 0)


def compare_compiled(a: Compiled, b: Compiled, full: bool) -> CompileChange:
    """A matched compile's changes (its times are filled by `compare`)."""
    out = CompileChange(b.compile_id, b.rank, "same", b.frame or a.frame)
    for slot in sorted(set(a.graphs) | set(b.graphs), key=_slot_order):
        was, now = a.graphs.get(slot), b.graphs.get(slot)
        if len(out.graphs) >= MAX_GRAPH_CHANGES:  # past it, counted: a compile logging thousands of graphs
            out.more_graphs += was is None or now is None or was.digest != now.digest
            continue
        change = graph_change(slot, was, now, full)
        if change is not None:
            out.graphs.append(change)
    ga, gb = set(a.guards), set(b.guards)
    out.guards_added, out.guards_removed = sorted(gb - ga)[:20], sorted(ga - gb)[:20]
    kernels = Counter(b.kernels)
    kernels.subtract(a.kernels)
    out.kernels = {k: v for k, v in sorted(kernels.items()) if v}
    out.code_bytes = (a.code_bytes, b.code_bytes)
    out.config = [(k, a.config.get(k), b.config.get(k)) for k in sorted(set(a.config) | set(b.config))
                  if a.config.get(k) != b.config.get(k)][:20]  # fmt: skip
    changed = out.graphs or out.guards_added or out.guards_removed or out.kernels or out.config
    out.status = "changed" if changed or a.code_bytes != b.code_bytes else "same"
    return out


def match(a: dict[tuple, Compiled], b: dict[tuple, Compiled]) -> list[tuple[Compiled | None, Compiled | None, str]]:
    """Compiles of A and B paired: by rank and compile id, else by the frame they compiled (its code
    location, in order); the rest on one side only."""
    pairs: list[tuple[Compiled | None, Compiled | None, str]] = []
    left = {k: v for k, v in a.items() if k not in b}
    for key, cb in b.items():
        if key in a:
            pairs.append((a[key], cb, "compile id"))
            continue
        twin = next((k for k, ca in left.items() if ca.frame and ca.frame == cb.frame and ca.rank == cb.rank), None)
        if twin is not None:
            pairs.append((left.pop(twin), cb, "code location"))
        else:
            pairs.append((None, cb, "-"))
    pairs += [(ca, None, "-") for ca in left.values()]
    return pairs


_RESUME = re.compile(r"^torch_dynamo_resume_in_(\w+?)_at_(\d+)")


def _why(info: Any, frame: str | None = None) -> str | None:
    """Why a compile one side only has happened, in words: its graph break (with the user's line),
    its recompile's reason, its failure, or the code it resumes after a graph break."""
    resume = _RESUME.match(frame or "")
    if info is None:
        return f"the rest of {resume.group(1)} after a graph break at line {resume.group(2)}" if resume else None
    line = f" at {info.user_stack[-1]}" if info.user_stack else ""
    if info.graph_break_reasons:
        return f"graph break{line}: {info.graph_break_reasons[0][:300]}"
    if info.recompile_reason:
        return f"recompile{line}: {info.recompile_reason[:300]}"
    if info.fail_reason:
        return f"failed{line}: {info.fail_reason[:300]}"
    if resume:
        return f"the rest of {resume.group(1)} after a graph break at line {resume.group(2)}"
    return f"a new compile{line}" if line else None


def _new_breaks(ia: Any, ib: Any) -> str | None:
    """A graph break B's compile has that A's has not, in words (with the user's line)."""
    if ia is None or ib is None:
        return None
    new = [r for r in ib.graph_break_reasons if r not in ia.graph_break_reasons]
    if not new:
        return None
    line = f" at {ib.user_stack[-1]}" if ib.user_stack else ""
    return f"a new graph break{line}: {new[0][:300]}"


def compare(a: dict[tuple, Compiled], b: dict[tuple, Compiled], report_a: Any, report_b: Any,
            full: bool = False) -> list[CompileChange]:  # fmt: skip
    """Every compile of A and B matched and compared, with its time change and the phases that moved
    most, ranked by how much time its change cost (compiles whose compiled code did not change last)."""
    infos_a = {(c.rank, c.compile_id): c for c in report_a.compiles} if report_a is not None else {}
    infos_b = {(c.rank, c.compile_id): c for c in report_b.compiles} if report_b is not None else {}
    out = []
    for ca, cb, how in match(a, b):
        ia = infos_a.get(ca.key) if ca is not None else None
        ib = infos_b.get(cb.key) if cb is not None else None
        if ca is not None and cb is not None:
            change = compare_compiled(ca, cb, full)
            change.matched_by, change.reason = how, _new_breaks(ia, ib)
            if change.reason:
                change.status = "changed"
        else:
            one = ca or cb
            change = CompileChange(one.compile_id, one.rank, "only in A" if cb is None else "only in B",  # type: ignore[union-attr]
                                   one.frame, reason=_why(ia if cb is None else ib, one.frame))  # type: ignore[union-attr]  # fmt: skip
        change.time_a = ia.compile_time_s if ia is not None else None
        change.time_b = ib.compile_time_s if ib is not None else None
        if ia is not None and ib is not None:
            change.phases = phase_moves(ia.phases(), ib.phases())
        out.append(change)
    return sorted(out, key=lambda c: (c.status == "same", -abs(c.delta_s or 0.0)))
