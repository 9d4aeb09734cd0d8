"""How `diff` says what changed in what was compiled: a sentence per compile, ranked by the time its
change cost; the console, Markdown and page forms of the "what changed" section."""

from __future__ import annotations

from ..analysis.graph_diff import PHASE_WORDS
from ..model.graphs import GRAPH_KINDS, CompileChange, GraphChange
from .text import count, fmt_s

SHOWN = 12  # compiles listed in the console and Markdown (JSON and the page hold them all)


def summary(c: CompileChange) -> str:
    """One compile's change in a sentence: `0/0 +9.21 s: the AOT forward graph gained 40 nodes (aten.gelu
    +20, aten.mul +20); Inductor's lowering +6.10 s, code generation +2.80 s`."""
    where = f"{c.compile_id}" + (f" (rank {c.rank})" if c.rank is not None else "") + (f" {c.frame}" if c.frame else "")
    delta = c.delta_s
    head = f"{where} {'+' if (delta or 0) >= 0 else '-'}{fmt_s(abs(delta))}" if delta is not None else where
    if c.status.startswith("only"):
        return f"{head}: {c.status}" + (f": {c.reason}" if c.reason else "")
    said = ([c.reason] if c.reason else []) + [_graph_words(g) for g in c.graphs[:3]]
    if len(c.graphs) + c.more_graphs > 3:
        said.append(f"{len(c.graphs) + c.more_graphs - 3:,} more graphs changed")
    if c.config:
        said.append("config changed: " + ", ".join(f"{k} {a!r} -> {b!r}" for k, a, b in c.config[:4]))
    if c.guards_added or c.guards_removed:
        said.append(f"guards +{len(c.guards_added)} -{len(c.guards_removed)}")
    if c.kernels:
        said.append("kernels " + ", ".join(f"{k} {v:+d}" for k, v in list(c.kernels.items())[:4]))
    if c.code_bytes[0] != c.code_bytes[1]:
        said.append(f"generated code {c.code_bytes[0]:,} -> {c.code_bytes[1]:,} bytes")
    moved = ", ".join(f"{PHASE_WORDS.get(n, n)} {'+' if d >= 0 else '-'}{fmt_s(abs(d))}" for n, d in c.phases)
    what = "; ".join(said) if said else "nothing it compiled changed"
    return f"{head}: {what}" + (f"; {moved}" if moved else "")


def _graph_words(g: GraphChange) -> str:
    """`the AOT forward graph gained 40 nodes (aten.gelu +20, aten.mul +20)`."""
    name = GRAPH_KINDS.get(g.kind.split("#")[0], g.kind) + (f" #{g.kind.split('#')[1]}" if "#" in g.kind else "")
    n = g.nodes_b - g.nodes_a
    verb = f"gained {count(n, 'node')}" if n > 0 else f"lost {count(-n, 'node')}" if n < 0 else "changed"
    ops = ", ".join(f"{op} {d:+d}" for op, d in list(g.ops.items())[:4])
    inputs = f"; {g.inputs[0]}" + (f" (+{len(g.inputs) - 1} inputs)" if len(g.inputs) > 1 else "") if g.inputs else ""
    moves = f" ({ops})" if ops else f" ({g.retargeted} retargeted)" if g.retargeted else ""
    return f"{name} {verb}{moves}{inputs}"


TITLE = "What changed in what was compiled (each compile ranked by the time its change cost)"


def change_lines(changes: list[CompileChange], shown: int = SHOWN) -> list[str]:
    """The section's lines: a sentence per compile that changed or that one run only has, then how many
    compiled the same."""
    moved = [c for c in changes if c.status != "same"]
    same = len(changes) - len(moved)
    if not changes:
        return []
    lines = [summary(c) for c in moved[:shown]]
    if len(moved) > shown:
        lines.append(f"... {len(moved) - shown} more compiles changed (-f json lists them all)")
    if same:
        lines.append(f"{same} compile{'s' if same != 1 else ''} compiled the same graphs, guards and code in both")
    return lines


def graph_diffs(changes: list[CompileChange]) -> list[tuple[str, list[str]]]:
    """(title, unified diff lines) of every changed graph (--graphs)."""
    out = []
    for c in changes:
        for g in c.graphs:
            if g.diff:
                out.append((f"{c.compile_id}: {GRAPH_KINDS.get(g.kind.split('#')[0], g.kind)} ({g.kind})", g.diff))
    return out


def page_changes(changes: list[CompileChange]) -> list[dict]:
    """The page's list: each compile's sentence, and each changed graph's side-by-side rows."""
    return [{"summary": summary(c), "status": c.status, "delta_s": c.delta_s, "compile_id": c.compile_id,
             "rank": c.rank, "graphs": [{"kind": g.kind, "name": GRAPH_KINDS.get(g.kind.split("#")[0], g.kind),
                                         "rows": [list(r) for r in g.rows]} for g in c.graphs if g.rows]}
            for c in changes if c.status != "same"]  # fmt: skip
