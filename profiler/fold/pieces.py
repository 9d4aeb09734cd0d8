"""Piecewise compiles (vLLM's backend, or ours under any prefix) read from their trace artifacts.

`<prefix>_compilation_config` (json) and the `<prefix>_piecewise_split_graph` graph dump describe
the split; each `<prefix>_piecewise_compile_start` artifact opens one (piece, size-or-range)
compile, and the records after it, until the next one or the frame's metrics, belong to it: cache
artifacts, the generated code (its asserts), and the `<prefix>_compile_piece` span that times it.
Traces without that span (vLLM's) are timed by the glog timestamps between the records.
"""

from __future__ import annotations

import re

import orjson

from ..model.asserts import AssertCounts
from ..model.pieces import PieceCompile, PiecewiseSplit
from ..trace.records import Record

START = "_piecewise_compile_start"
CONFIG = "_compilation_config"
SPLIT_GRAPH = "_piecewise_split_graph"
COMPILE_SPAN = "_compile_piece"
_SUBMOD_CALL = re.compile(r"self\.(submod_\d+)\(")
# A node of a print_readable graph: `name = ...` or `name: "f32[s0, 64]" = ...`, but not the
# `name = None` lines that free memory nor calls of the split graph's own submodules.
_OP_LINE = re.compile(r"^ +[A-Za-z_]\w*(?:: \"[^\"\n]*\")? = (?!None$)(?!self\.submod_)", re.M)


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def count_ops(graph_text: str) -> int:
    """Nodes in a `print_readable` graph dump (its assignments, without memory-freeing `= None` lines)."""
    return len(_OP_LINE.findall(graph_text))


class PieceTracker:
    """Feed it the records of one log in order; it builds the piece compiles and the split summary."""

    def __init__(self) -> None:
        self.pieces: list[PieceCompile] = []
        self.split: PiecewiseSplit | None = None
        self._current: PieceCompile | None = None
        self._started_at: float | None = None
        self._ops: dict[tuple[str, str], int] = {}
        self.variant: str | None = None  # set by the reader of `compileprof_measure_variant` artifacts

    def artifact(self, rec: Record, name: str) -> None:
        """An `artifact` record named `name`."""
        if name.endswith(START):
            self._close(rec)
            try:
                start = orjson.loads(rec.text())
            except orjson.JSONDecodeError:
                start = {}
            start = start if isinstance(start, dict) else {}
            prefix = name[: -len(START)]
            piece = PieceCompile(
                prefix=prefix,
                piecewise_index=_int(start.get("piecewise_index")),
                submod_name=start.get("submod_name") if isinstance(start.get("submod_name"), str) else None,
                total_piecewise_compiles=_int(start.get("total_piecewise_compiles")),
                compile_range_start=_int(start.get("compile_range_start")),
                compile_range_end=_int(start.get("compile_range_end")),
                is_single_size=start.get("is_single_size") if isinstance(start.get("is_single_size"), bool) else None,
                compile_id=rec.compile_id,
                rank=rec.rank,
                variant=self.variant,
            )
            piece.ops = self._ops.get((prefix, piece.submod_name or ""))
            self.pieces.append(piece)
            self._current, self._started_at = piece, rec.seconds_of_day()
        elif name.endswith(CONFIG):
            prefix = name[: -len(CONFIG)]
            try:
                config = orjson.loads(rec.text())
            except orjson.JSONDecodeError:
                config = None
            split = self._split_for(prefix)
            if isinstance(config, dict):
                ops = config.get("splitting_ops")
                split.splitting_ops = [str(o) for o in ops] if isinstance(ops, list) else None
                sizes = config.get("compile_sizes")
                split.compile_sizes = sizes if isinstance(sizes, list) else None
                split.pieces = _int(config.get("num_pieces")) or split.pieces
                split.compiled_pieces = _int(config.get("num_compiled_pieces")) or split.compiled_pieces
                split.splitting_pieces = _int(config.get("num_splitting_pieces"))

    def cache_event(self, name: str) -> None:
        """A cache artifact (fx graph / AOT autograd hit, miss or bypass)."""
        if self._current is not None:
            self._current.cache[name] = self._current.cache.get(name, 0) + 1

    def graph_dump(self, rec: Record, name: str) -> None:
        """A `graph_dump` record: the split graph, or one piece's graph (`<prefix>_<submod_name>`)."""
        if name.endswith(SPLIT_GRAPH):
            prefix = name[: -len(SPLIT_GRAPH)]
            split = self._split_for(prefix)
            submods = set(_SUBMOD_CALL.findall(rec.text()))
            split.pieces = split.pieces or len(submods) or None
            return
        m = re.match(r"^(.+)_(submod_\d+)$", name)
        if m:
            ops = count_ops(rec.text())
            self._ops[(m.group(1), m.group(2))] = ops
            if self._current is not None and self._current.submod_name == m.group(2) and self._current.ops is None:
                self._current.ops = ops

    def output_code(self, counts: AssertCounts) -> None:
        """The generated code of the current piece compile (its first one counts)."""
        if self._current is not None and self._current.asserts is None:
            self._current.asserts = counts

    def span_closed(self, name: str, duration_s: float) -> None:
        """A chromium span closed; `<prefix>_compile_piece` times the current piece compile."""
        cur = self._current
        if cur is not None and name == cur.prefix + COMPILE_SPAN and cur.time_source is None:
            cur.compile_time_s, cur.time_source = duration_s, "span"

    def metrics(self, rec: Record) -> None:
        """The frame's compilation metrics: the last piece compile ended before it."""
        self._close(rec)

    def finish(self) -> None:
        """End of log: derive split counts the artifacts did not state."""
        self._current = None
        if self.split is not None:
            compiled = {p.submod_name for p in self.pieces if p.prefix == self.split.prefix}
            if self.split.compiled_pieces is None and compiled:
                self.split.compiled_pieces = len(compiled)
            if self.split.pieces is not None and self.split.compiled_pieces is not None:
                if self.split.splitting_pieces is None:
                    self.split.splitting_pieces = self.split.pieces - self.split.compiled_pieces

    def _close(self, rec: Record) -> None:
        cur = self._current
        if cur is not None and cur.time_source is None and self._started_at is not None:
            now = rec.seconds_of_day()
            if now is not None:
                gap = now - self._started_at
                cur.compile_time_s = gap + 86400 if gap < 0 else gap  # past midnight
                cur.time_source = "log timestamps"
        self._current, self._started_at = None, None

    def _split_for(self, prefix: str) -> PiecewiseSplit:
        if self.split is None or self.split.prefix != prefix:
            self.split = PiecewiseSplit(prefix)
        return self.split
