"""`compileprof explain-cache`: why each compile-cache lookup of B missed, as text, JSON or Markdown."""

from __future__ import annotations

import re
from typing import Any, BinaryIO

import orjson

from ..analysis.cache_explain import change_text, groups
from ..model.cache_keys import CacheComparison, CacheReport, Explanation
from ..unicode import dumps
from .escaping import clean
from .registry import RenderOptions

SHOWN = 20  # groups of misses shown in text (all are in JSON)


def cause_line(group: list[Explanation]) -> str:
    """The head of a group of misses: how many, of which graphs, and what they matched."""
    first = group[0]
    labels = sorted({e.miss.label for e in group})
    ids = "; ".join(labels[:3]) + (f"; and {len(labels) - 3} more" if len(labels) > 3 else "")
    if not first.counterpart:
        return f"{len(group)} miss(es) ({ids}): nothing in A to compare with"
    head = f"{len(group)} {'miss' if len(group) == 1 else 'misses'} ({ids})"
    if not first.changes:
        if first.counterpart.key == first.miss.key:
            why = "the same key as A's: the entry was not in B's cache (another cache directory, or A never wrote it)"
        elif not first.miss.components and not first.counterpart.components:
            why = "a different key from A's, and torch logs no components for this cache's key to say why"
        else:
            why = "a different key from A's, although no logged component differs"
        return f"{head}: {why}"
    names = sorted({f"`{c.name}`" for c in first.changes})
    verb = "differs" if len(names) == 1 else "differ"
    return f"{head} because {', '.join(names)} {verb} from the {first.how}; everything else equal"


def comparison_lines(doc: CacheComparison) -> list[str]:
    """Every pair compared, each as `lines` gives it (pairs of children under a heading of their own)."""
    if len(doc.pairs) == 1:
        return lines(doc.pairs[0])
    out = [f"compileprof explain-cache: A = {doc.a}, B = {doc.b}, child with child:"]
    for pair in doc.pairs:
        out += ["", f"== {pair.label} ==", *lines(pair)]
    return out


def lines(doc: CacheReport) -> list[str]:
    """One pair's report as lines of text (Markdown-friendly)."""
    counts = f"lookups: A {doc.lookups_a}, B {doc.lookups_b} ({doc.hits_b} hits, {len(doc.against_a)} misses)"
    label = f" ({doc.label})" if doc.label else ""
    out = [f"compileprof explain-cache: A = {doc.a}, B = {doc.b}{label}", counts]
    if not doc.against_a:
        out.append("B missed nothing: every lookup hit (or logged none).")
    for _, group in groups(doc.against_a)[:SHOWN]:
        out.append("")
        out.append(cause_line(group))
        out += ["  " + change_text(c).replace("\n", "\n  ") for c in group[0].changes[:10]]
    if doc.within_b:
        out += ["", "Within B: misses whose key equals an earlier lookup of B but for a few components:"]
        for e in doc.within_b[:SHOWN]:
            head = f"{e.miss.label} vs earlier {e.counterpart.label if e.counterpart else '?'}"
            out.append(f"- {head}: " + "; ".join(change_text(c).replace("\n", " ") for c in e.changes))
    return out


def comparison_to_dict(doc: CacheComparison) -> dict[str, Any]:
    """The JSON form (`cache_explain`): the first pair's figures at the top (a pair of plain logs has
    only that one), and every pair compared under `pairs`, each with its `label` (`cold vs cold`)."""
    return {**to_dict(doc.pairs[0]), "a": doc.a, "b": doc.b, "pairs": [to_dict(p) for p in doc.pairs]}


def to_dict(doc: CacheReport) -> dict[str, Any]:
    """The JSON form of one pair."""
    return {
        "label": doc.label,
        "a": doc.a, "b": doc.b, "lookups_a": doc.lookups_a, "lookups_b": doc.lookups_b, "hits_b": doc.hits_b,
        "misses": [e.to_dict() for e in doc.against_a],
        "groups": [{"cause": list(cause), "misses": len(g)} for cause, g in groups(doc.against_a)],
        "within_b": [e.to_dict() for e in doc.within_b],
    }  # fmt: skip


class CacheConsole:
    """Plain text."""

    def write(self, doc: CacheComparison, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the explanation (control characters from the logs removed: it goes to a terminal)."""
        out.write((clean("\n".join(comparison_lines(doc))) + "\n").encode("utf-8", "replace"))


class CacheJson:
    """JSON."""

    def write(self, doc: CacheComparison, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the explanation as JSON."""
        out.write(dumps(comparison_to_dict(doc), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


class CacheMarkdown:
    """Markdown."""

    def write(self, doc: CacheComparison, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the explanation as Markdown: a fenced code block, its fence longer than any run of
        backticks in the text (which comes from the logs), so nothing inside can close it."""
        body = clean("\n".join(comparison_lines(doc)))
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall("`+", body)), default=0))
        out.write(f"{fence}text\n{body}\n{fence}\n".encode("utf-8", "replace"))
