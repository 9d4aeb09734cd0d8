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
from ..trace.values import Values

START = "_piecewise_compile_start"
CONFIG = "_compilation_config"
SPLIT_GRAPH = "_piecewise_split_graph"
COMPILE_SPAN = "_compile_piece"
_SUBMOD_CALL = re.compile(r"self\.(submod_\d+)\(")
# A node of a print_readable graph: `name = ...` or `name: "f32[s0, 64]" = ...`, but not the
# `name = None` lines that free memory nor calls of the split graph's own submodules.
_OP_LINE = re.compile(r"^ +[A-Za-z_]\w*(?:: \"[^\"\n]*\")? = (?!None$)(?!self\.submod_)", re.M)


def _json_object(rec: Record) -> dict:
    """The payload as a JSON object ({} when it is not one)."""
    try:
        obj = orjson.loads(rec.text())
    except orjson.JSONDecodeError:
        return {}
    return obj if isinstance(obj, dict) else {}


def count_ops(graph_text: str) -> int:
    """Nodes in a `print_readable` graph dump (its assignments, without memory-freeing `= None` lines)."""
    return len(_OP_LINE.findall(graph_text))


class PieceTracker:
    """Feed it the records of one log in order; it builds the piece compiles and the split summary."""

    def __init__(self, values: Values | None = None) -> None:
        self.values = values or Values()
        self.pieces: list[PieceCompile] = []
        self.split: PiecewiseSplit | None = None
        self._current: PieceCompile | None = None
        self._started_at: float | None = None
        self._ops: dict[tuple[str, str], int] = {}
        self.variant: str | None = None  # set by the reader of `compileprof_measure_variant` artifacts

    def artifact(self, rec: Record, name: str) -> None:
        """An `artifact` record named `name`: a piece compile's start, or the backend's config."""
        if name.endswith(START):
            self._start(rec, name[: -len(START)])
        elif name.endswith(CONFIG):
            self._config(rec, name[: -len(CONFIG)])

    def _start(self, rec: Record, prefix: str) -> None:
        self._close(rec)
        start = _json_object(rec)
        v = self.values
        piece = PieceCompile(
            prefix=prefix,
            piecewise_index=v.int(start.get("piecewise_index"), "piecewise_index"),
            submod_name=v.str(start.get("submod_name"), "submod_name"),
            total_piecewise_compiles=v.int(start.get("total_piecewise_compiles"), "total_piecewise_compiles"),
            compile_range_start=v.int(start.get("compile_range_start"), "compile_range_start"),
            compile_range_end=v.int(start.get("compile_range_end"), "compile_range_end"),
            is_single_size=v.bool(start.get("is_single_size"), "is_single_size"),
            compile_id=rec.compile_id,
            rank=rec.rank,
            variant=self.variant,
        )
        piece.ops = self._ops.get((prefix, piece.submod_name or ""))
        self.pieces.append(piece)
        self._current, self._started_at = piece, rec.seconds_of_day()

    def _config(self, rec: Record, prefix: str) -> None:
        config = _json_object(rec)
        split = self._split_for(prefix)
        if not config:
            return
        v = self.values
        split.splitting_ops = v.texts(config.get("splitting_ops"), "splitting_ops") or None
        split.compile_sizes = v.ints(config.get("compile_sizes"), "compile_sizes")
        split.pieces = v.int(config.get("num_pieces"), "num_pieces") or split.pieces
        split.compiled_pieces = v.int(config.get("num_compiled_pieces"), "num_compiled_pieces") or split.compiled_pieces
        split.splitting_pieces = v.int(config.get("num_splitting_pieces"), "num_splitting_pieces")

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
