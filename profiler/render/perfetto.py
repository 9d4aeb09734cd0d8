"""`-f perfetto`: the logs' spans as Chrome trace-event JSON, for ui.perfetto.dev and chrome://tracing.

One process per rank (per log file); on it one track for the compiles (the spans of events that name a
compile) and one per background thread (events that name none: kernel-compile workers and the like).
Begin/end pairs are matched here and written as complete (`X`) slices, so every slice is closed and
slices on one track nest: an end closes the innermost open slice of its name (slices opened inside it
and never closed end with it, marked `unclosed`), and slices still open when the log ends close at the
last time the log shows. Instants (cache hits and misses, ...) stay instants; graph breaks and
recompiles, which the log records without a clock, are instants at the time of the compile's last
event before them, their reason in `args`. The logs are read again, streaming: memory does not grow
with their size.

The file is the trace-event format's object form: `traceEvents`, and `otherData` saying what was read
and how the clocks were placed. Logs whose clocks are far apart (ranks of different jobs, days apart:
more than CLOCK_APART times the longest log's own span) are each drawn from their own first event,
as the report page does, and `otherData.clock_offsets_s` says by how much each was moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..errors import EXIT_USAGE, CompileprofError
from ..fold.metrics_record import metrics_start
from ..model.report import Report
from ..model.trace import TraceReport
from ..trace.reader import TraceReader
from ..trace.records import Record
from ..trace.values import Values
from ..unicode import dumps
from .escaping import clean
from .registry import RenderOptions
from .text import trace_name

CLOCK_APART = 10.0  # logs this many times further apart than the longest one lasts: each from its own start
COMPILES_TID = 1  # the track of every compile's spans; background threads get 2, 3, ...
_REASONS = {"dynamo_graph_break_reason": "graph break", "recompile_reasons": "recompile"}


class _Array:
    """The trace's `traceEvents` array written one event at a time (one per line), each moved by the
    clock offset of the log it comes from."""

    def __init__(self, out: BinaryIO, head: bytes) -> None:
        self.out, self.sep = out, head + b"[\n"
        self.empty_head = self.sep
        self.offset_us = 0.0

    def add(self, item: dict[str, Any]) -> None:
        """Write one event."""
        if self.offset_us and "ts" in item:
            item["ts"] -= self.offset_us
        self.out.write(self.sep + dumps(item))
        self.sep = b",\n"

    def close(self) -> None:
        """End the array (an empty one too) and the object."""
        if self.sep == self.empty_head:
            self.out.write(self.sep)
        self.out.write(b"\n]}\n")


class _Track:
    """Open slices of one track, innermost last: (name, start us, args)."""

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.open: list[tuple[str, float, dict[str, Any]]] = []


class _LogEvents:
    """Turn one log's records into trace events for process `pid`, written as they are met."""

    def __init__(self, pid: int, out: _Array) -> None:
        self.pid, self.out = pid, out
        self.tracks: dict[object, _Track] = {}
        self.last_ts: dict[str | None, float] = {}  # by compile id: the time of its latest event
        self.clock = 0.0  # the latest time seen

    def emit(self, event: dict[str, Any]) -> None:
        """Write one event."""
        self.out.add(event)

    def _track(self, key: object, name: str) -> _Track:
        track = self.tracks.get(key)
        if track is None:
            track = self.tracks[key] = _Track(COMPILES_TID + len(self.tracks))
            meta = {"name": "thread_name", "ph": "M", "pid": self.pid, "tid": track.tid, "args": {"name": name}}
            self.emit(meta)
        return track

    def record(self, rec: Record) -> None:
        """Take one record of the log."""
        if rec.kind == "chromium_event" and rec.payload:
            try:
                event = orjson.loads(rec.payload)
            except orjson.JSONDecodeError:
                return
            if isinstance(event, dict):
                self.chromium(event, rec.compile_id)
        elif rec.kind == "compilation_metrics" and isinstance(rec.meta, dict) and rec.compile_id not in self.last_ts:
            self.metrics_slice(rec)
        elif rec.kind == "artifact" and isinstance(rec.meta, dict) and _REASONS.get(str(rec.meta.get("name"))):
            reason = rec.text().strip().splitlines()
            ts = self.last_ts.get(rec.compile_id, self.clock)
            args = {"compile_id": rec.compile_id, "reason": reason[0][:500] if reason else "", "placed": "at the "
                    "compile's last event before it (the log gives no time)"}  # fmt: skip
            track = self._track("compiles", "compiles")
            self.emit({"name": _REASONS[str(rec.meta["name"])], "ph": "i", "s": "t", "ts": ts, "pid": self.pid,
                       "tid": track.tid, "args": args})  # fmt: skip

    def metrics_slice(self, rec: Record) -> None:
        """A compile with no spans (older torch logs none): one slice from the start and the compile
        time its metrics state, when they state both."""
        values = Values()
        start = metrics_start(rec.meta, values)
        seconds = values.seconds(rec.meta.get("entire_frame_compile_time_s"), "entire_frame_compile_time_s")
        if start is None or seconds is None:
            return
        track = self._track("compiles", "compiles")
        args = {"compile_id": rec.compile_id, "co_name": rec.meta.get("co_name"), "from": "compilation_metrics"}
        self._slice(track, "compile (from metrics)", start * 1e6, start * 1e6 + seconds * 1e6, args)

    def chromium(self, event: dict[str, Any], compile_id: str | None) -> None:
        """A chromium event: B/E matched into slices, X and instants as they are."""
        name, ph, ts = event.get("name"), event.get("ph"), event.get("ts")
        if type(name) is not str or type(ts) not in (int, float) or ts != ts or abs(ts) == float("inf"):
            return
        args = event.get("args") if isinstance(event.get("args"), dict) else {}
        cid = compile_id or (args.get("compile_id") if isinstance(args.get("compile_id"), str) else None)
        cid = None if cid == "None" else cid
        self.clock = max(self.clock, ts)
        if cid is not None:
            self.last_ts[cid] = ts
        track = self._track("compiles", "compiles") if cid is not None else self._background(event)
        slice_args = {"compile_id": cid, **{k: v for k, v in args.items() if k != "compile_id"}}
        if ph == "B":
            track.open.append((name, ts, slice_args))
        elif ph == "E":
            self._close(track, name, ts)
        elif ph == "X":
            dur = event.get("dur")
            if type(dur) in (int, float) and 0 <= dur < float("inf"):
                self.emit({"name": name, "ph": "X", "ts": ts, "dur": dur, "pid": self.pid, "tid": track.tid,
                           "args": slice_args})  # fmt: skip
        elif ph in ("i", "I"):
            self.emit({"name": name, "ph": "i", "s": "t", "ts": ts, "pid": self.pid, "tid": track.tid,
                       "args": slice_args})  # fmt: skip

    def _background(self, event: dict[str, Any]) -> _Track:
        pid, tid = event.get("pid"), event.get("tid")
        key = (pid if type(pid) in (int, str) else None, tid if type(tid) in (int, str) else None)
        return self._track(key, f"background (pid {key[0]}, tid {key[1]})")

    def _close(self, track: _Track, name: str, ts: float) -> None:
        """End the innermost open slice called `name`; slices opened inside it end with it."""
        for i in range(len(track.open) - 1, -1, -1):
            if track.open[i][0] == name:
                break
        else:
            return  # an end with no begin: nothing to draw
        while len(track.open) > i:
            opened, start, args = track.open.pop()
            if len(track.open) >= i + 1 or opened != name:
                args = {**args, "unclosed": True}
            self._slice(track, opened, start, max(ts, start), args)

    def _slice(self, track: _Track, name: str, start: float, end: float, args: dict[str, Any]) -> None:
        if not end - start < float("inf"):  # clocks too far apart to draw (damage): left out
            return
        self.emit({"name": name, "ph": "X", "ts": start, "dur": end - start, "pid": self.pid, "tid": track.tid,
                   "args": args})  # fmt: skip

    def finish(self) -> None:
        """Close what the log left open at the last time it shows."""
        for track in self.tracks.values():
            while track.open:
                name, start, args = track.open.pop()
                self._slice(track, name, start, max(self.clock, start), {**args, "unclosed": True})


def clock_offsets(traces: list[TraceReport]) -> list[float] | None:
    """Seconds to move each log's events by so each starts where the earliest does, when the logs'
    clocks are far apart (see CLOCK_APART); None when they share a timeline."""
    spans = [(t.first_s, t.last_s) for t in traces if t.first_s is not None and t.last_s is not None]
    if len(spans) < 2 or len(spans) != len(traces):
        return None
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    longest = max(max(b - a for a, b in spans), 1e-6)
    if end - start <= CLOCK_APART * longest:
        return None
    return [a - start for a, _ in spans]


def other_data(report: Report, names: list[str], offsets: list[float] | None) -> dict[str, Any]:
    """What the trace's `otherData` says: the tool, what was read, and how the clocks were placed."""
    from .. import __version__

    doc: dict[str, Any] = {
        "tool": f"compileprof {__version__}",
        "source": clean(report.source),
        "torch": ", ".join(report.torch_versions) or None,
        "processes": ", ".join(clean(n) for n in names),
        "clocks": "each log's own clock, shared" if offsets is None else
                  "each log from its own first event: their clocks are too far apart to share one timeline",
    }  # fmt: skip
    if offsets is not None:
        doc["clock_offsets_s"] = {clean(n): round(o, 6) for n, o in zip(names, offsets, strict=True)}
    return doc


class PerfettoReport:
    """The report's logs as one Chrome trace-event JSON object."""

    def write(self, report: Report, out: BinaryIO, opts: RenderOptions) -> None:
        """Write every log's events; each log (rank) is a process."""
        paths = [Path(t.path) for t in report.traces]
        for path in paths:
            if not path.is_file():
                raise CompileprofError(
                    f"{path}: the perfetto format reads the log again and needs a file; save it first", EXIT_USAGE
                )
        ranks = [t.rank for t in report.traces]
        unique = len(set(ranks)) == len(ranks) and None not in ranks
        labels = [f"rank {t.rank}" if t.rank is not None else trace_name(t) for t in report.traces]
        offsets = clock_offsets(report.traces)
        head = b'{"displayTimeUnit": "ms", "otherData": ' + dumps(other_data(report, labels, offsets))
        array = _Array(out, head + b', "traceEvents": ')
        for index, trace in enumerate(report.traces):
            pid = trace.rank if unique else index
            array.offset_us = offsets[index] * 1e6 if offsets else 0.0
            array.add({"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": labels[index]}})
            events = _LogEvents(pid, array)
            for rec in records_of(trace):
                events.record(rec)
            events.finish()
        array.close()


def records_of(trace: TraceReport) -> Iterator[Record]:
    """The records of one process's log again, as the fold kept them: of its process only (a file may
    hold several), and of the first rank that process named."""
    reader = TraceReader(trace.path)
    several = trace.processes > 1
    for rec in reader:
        if several and rec.pid != trace.pid:
            continue
        first = reader.ranks.get(rec.pid)
        if first is None or rec.rank in (None, first):
            yield rec
