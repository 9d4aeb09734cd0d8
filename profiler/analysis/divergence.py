"""Divergence between ranks: which ranks compiled differently from which, and how, check by check.

Each rank's compiles are read once, in log order, into one sequence per check (compiled frames,
compile ids, generated graphs, cache outcomes, recompile reasons, failures, collective operations).
A sequence keeps its length, a digest of every item and its first HEAD items, so memory does not grow
with the log; ranks whose digests are equal form a group. A group other than the largest says where
its sequence first departs from the largest group's (within the first HEAD items).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from ..model.compile import cache_label
from ..model.report import Divergence, RankGroup, RankView
from ..model.trace import TraceReport

HEAD = 1000  # items of each sequence kept to say where two ranks first differ
SHOWN = 3  # items named in a group's summary
CHECKS = ("frames", "compile_ids", "graphs", "cache", "recompiles", "failures", "collectives")
UNITS = {
    "frames": "frame", "compile_ids": "compile", "graphs": "graph", "cache": "compile",
    "recompiles": "recompile", "failures": "failure", "collectives": "collective",
}  # fmt: skip
# Object addresses differ between processes, not between programs: `0x7f3a...` and the decimal `id()`
# values guards name (`___check_obj_id(L['fn'], 140234567890128)`) are masked before ranks are compared.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}|(?<![\w.])\d{10,}(?![\w.])")
MASKED_NOTE = "compared with memory addresses (0x..., id() values) masked"


class RankSequence:
    """A sequence of strings kept as its length, a digest, and its first HEAD items."""

    def __init__(self) -> None:
        self.digest = hashlib.blake2b(digest_size=16)
        self.count = 0
        self.masked = 0  # items that held an address (masked before they were compared)
        self.head: list[str] = []
        self.tally: Counter[str] = Counter()  # how often each item occurs (HEAD distinct items at most)

    def add(self, item: str) -> None:
        """Append one item."""
        self.digest.update(item.encode("utf-8", "replace") + b"\x00")
        self.count += 1
        if len(self.head) < HEAD:
            self.head.append(item)
        if item in self.tally or len(self.tally) < HEAD:
            self.tally[item] += 1

    @property
    def key(self) -> tuple[bytes, int]:
        """Equal for equal sequences (up to a 128-bit digest collision)."""
        return self.digest.digest(), self.count


def rank_list(ranks: list[int]) -> str:
    """`rank 3`, `ranks 0-4, 6`: ranks in order, runs of consecutive ranks as ranges."""
    ranks = sorted(ranks)
    runs: list[list[int]] = []
    for r in ranks:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    text = ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)
    return ("rank " if len(ranks) == 1 else "ranks ") + text


def _frame(co_name: str | None, filename: str | None, line: int | None) -> str:
    where = f" {filename.rsplit('/', 1)[-1]}:{line}" if filename else ""
    return f"{co_name or '?'}{where}"


def _cache_outcomes(cache: dict[str, int]) -> str:
    """`fx miss, aot hit`: a compile's cache outcomes in a fixed order."""
    return ", ".join(label for key in sorted(cache) for label in [cache_label(key)] * cache[key]) or "none"


def _add_masked(seq: RankSequence, text: str) -> None:
    """Append a reason with its memory addresses masked (`0x…`), counting the reasons that held one."""
    masked, n = _ADDRESS.subn("0x…", text)
    seq.masked += n > 0
    seq.add(masked)


def sequences(trace: TraceReport) -> dict[str, RankSequence]:
    """One rank's sequences, one pass over its compiles and one over its graphs."""
    seqs = {name: RankSequence() for name in CHECKS}
    frames: set[str] = set()
    for c in trace.compiles:
        frame = _frame(c.co_name, c.co_filename, c.co_firstlineno)
        if frame not in frames and len(frames) < 100 * HEAD:
            frames.add(frame)
            seqs["frames"].add(frame)
        cid = (c.compile_id or "?") + (f" a{c.attempt}" if c.attempt else "")
        seqs["compile_ids"].add(cid)
        seqs["cache"].add(f"{cid}: {_cache_outcomes(c.cache)}")
        if c.is_recompile:
            _add_masked(seqs["recompiles"], c.recompile_reason or "(no reason)")
        if c.fail_type:
            _add_masked(seqs["failures"], f"{c.fail_type}: {c.fail_reason or ''}".rstrip(": "))
        for op in c.collectives:  # torch.ops._c10d_functional.all_reduce_.default -> _c10d_functional.all_reduce_
            seqs["collectives"].add(op.removeprefix("torch.ops.").removesuffix(".default"))
    for g in trace.graphs:
        seqs["graphs"].add(g.compile_id or "?")
    return seqs


def _short(item: str, width: int = 60) -> str:
    return item if len(item) <= width else item[: width - 1] + "…"


def _summary(check: str, seq: RankSequence) -> str:
    """How a group's sequence reads: its length and its first (or most frequent) items."""
    head = f"{seq.count} {UNITS[check]}{'' if seq.count == 1 else 's'}"
    if not seq.count:
        return head
    if check == "cache":
        outcomes: Counter[str] = Counter()
        for item, n in seq.tally.items():
            outcomes.update({k: n for k in item.split(": ", 1)[1].split(", ")})
        items = [f"{k} {n}" for k, n in sorted(outcomes.items()) if k != "none"] or ["no cache events"]
        return f"{head}: {', '.join(items)}"
    if check == "collectives":
        items = [f"{_short(k)} x{n}" if n > 1 else _short(k) for k, n in seq.tally.most_common(SHOWN)]
        return f"{head}: {', '.join(items)}"
    shown = 1 if check in ("recompiles", "failures") else SHOWN  # long reasons: the first one only
    more = ", …" if seq.count > shown else ""
    return f"{head}: {', '.join(_short(i) for i in seq.head[:shown])}{more}"


def _first_difference(seq: RankSequence, ref: RankSequence, ref_ranks: list[int]) -> str:
    """Where `seq` first departs from the reference sequence (`#2: 0/1 (end on ranks 0, 2)`)."""
    n = min(len(seq.head), len(ref.head))
    i = next((k for k in range(n) if seq.head[k] != ref.head[k]), n)
    if i == n and len(seq.head) == len(ref.head):  # equal heads of different sequences: both HEAD long
        return f"the same first {i} items, then different"
    mine = _short(seq.head[i], 80) if i < len(seq.head) else "end"
    theirs = _short(ref.head[i], 80) if i < len(ref.head) else "end"
    return f"#{i + 1}: {mine} ({theirs} on {rank_list(ref_ranks)})"


def divergence(views: list[RankView]) -> list[Divergence]:
    """The ranks compared on every check (an empty list with fewer than two ranks)."""
    ranked = [v.trace for v in views if v.trace.rank is not None]
    if len(ranked) < 2:
        return []
    per_rank = [(t.rank, sequences(t)) for t in ranked]
    out = []
    for check in CHECKS:
        groups: dict[tuple[bytes, int], list[tuple[int, RankSequence]]] = {}
        for rank, seqs in per_rank:
            groups.setdefault(seqs[check].key, []).append((rank, seqs[check]))  # type: ignore[arg-type]
        ordered = sorted(groups.values(), key=lambda g: (-len(g), min(r for r, _ in g)))
        ref_ranks, ref = [r for r, _ in ordered[0]], ordered[0][0][1]
        rank_groups = []
        for members in ordered:
            ranks, seq = sorted(r for r, _ in members), members[0][1]
            diff = None if members is ordered[0] else _first_difference(seq, ref, ref_ranks)
            rank_groups.append(RankGroup(ranks, seq.count, _summary(check, seq), diff))
        masked = any(seqs[check].masked for _, seqs in per_rank)
        out.append(Divergence(check, rank_groups, MASKED_NOTE if masked else None))
    return out
