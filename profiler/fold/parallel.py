"""Read logs in parallel: a large log split at compile boundaries, several logs (ranks) side by side."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.rows import Default, ResolveFiles
from ..model.trace import RuntimeCost, TraceReport
from ..trace.reader import compile_boundary
from ..trace.records import ParseStats
from ..trace.values import MAX_RANK
from .log import GRAPH_BREAK, RangeFold, backward_only, fold_range, widen
from .spans import MAX_BACKGROUND
from .sums import merge_span_totals, merge_sums

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

_RANK_IN_NAME = re.compile(r"rank_(\d+)")
PARALLEL_MIN_BYTES = 8 << 20  # below this, one process is as fast as two forked ones (benchmarks/report_speed.py)
SPAWNED_MIN_BYTES = 64 << 20  # the same where processes start afresh and import everything again (not Linux)
MIN_PART_BYTES = 4 << 20  # a log is cut into parts of at least this size


def forks() -> bool:
    """True where the pool's processes are forked from this one (Linux), so they start at once."""
    return sys.platform == "linux"


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes. On Linux they are forked: a child starts with this process's
    modules already imported (a started interpreter would import them again, about 0.2 s, more than
    a part of a small log takes to read)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # only when reading in parallel: a fast start

    context = multiprocessing.get_context("fork") if forks() else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def split_threshold() -> int:
    """The size from which a log is split: where the pool's processes are forked (Linux) they start
    at once, elsewhere each starts an interpreter and imports the reader first (about 0.2 s)."""
    return PARALLEL_MIN_BYTES if forks() else SPAWNED_MIN_BYTES


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def rank_in_name(path: str) -> int | None:
    """`rank_N` in a log's file name (torch names rank logs so), else None; a number past MAX_RANK
    (the bound on a record's rank) names no rank."""
    m = _RANK_IN_NAME.search(Path(path).name)
    if m is None or len(m.group(1)) > len(str(MAX_RANK)):
        return None
    rank = int(m.group(1))
    return rank if rank <= MAX_RANK else None


def set_rank(report: TraceReport, rank: int | None, source: str | None, force: bool = False) -> None:
    """Give the log a rank, and its rows that carry none (every row with `force`)."""
    report.rank, report.rank_source = rank, source
    if rank is None:
        return
    for rows in (report.graphs, report.compiles, report.measure_graphs, report.measure_compiles):
        rows.default = Default("rank", rank, force)
    for piece in (*report.pieces, *report.measure_pieces):
        piece.rank = rank if force or piece.rank is None else piece.rank


def finish_streams(streams: list[TraceReport]) -> list[TraceReport]:
    """The last steps once a file's processes are each read whole: the file's parse counters on its
    first process (as one pass puts them), backwards whose forward never came as rows of their own,
    ranks (see `assign_rank`)."""
    for other in streams[1:]:
        streams[0].parse.merge(other.parse)
        other.parse = ParseStats()
    for stream in streams:
        stream.processes = len(streams)
        adopt_orphans(stream)
        assign_rank(stream)
    return streams


def adopt_orphans(report: TraceReport) -> None:
    """A lazily compiled backward whose forward the log does not hold (it was cut off, or logged
    elsewhere) is still compile time: it becomes a row of its own, at the end."""
    for key, bwd in report.orphan_backwards:
        info = backward_only(key, bwd)
        report.compile_index[key] = len(report.compiles)
        report.compiles.append(info)
    report.orphan_backwards = []


def assign_rank(report: TraceReport) -> TraceReport:
    """The log's rank: its records', else its file name's (`rank_N`, when the file holds one process);
    rows without one get it. Also resolves, as rows are read, file names a part of the log met before
    it knew them."""
    report.compiles.files = report.measure_compiles.files = ResolveFiles(report.strings)
    if report.rank is not None:
        set_rank(report, report.rank, "records")
    else:
        named = rank_in_name(report.path) if report.processes == 1 else None
        set_rank(report, named, "file name" if named is not None else None)
    return report


def merge_parts(parts: list[TraceReport]) -> TraceReport:
    """Join the reports of consecutive byte ranges of one process's records into its report."""
    whole = parts[0]
    for part in parts[1:]:
        whole.parse.merge(part.parse)
        for key, bwd in part.orphan_backwards:  # a backward whose forward an earlier part holds
            index = whole.compile_index.get(key)
            if index is not None:
                whole.compiles.late.by_index[index] = bwd
            else:
                whole.orphan_backwards.append((key, bwd))
        offset = len(whole.compiles)
        whole.compile_index.update({key: offset + i for key, i in part.compile_index.items()})
        whole.compiles.extend(part.compiles)  # (a part's own late backwards are attached as its rows are read)
        whole.measure_compiles.extend(part.measure_compiles)
        whole.measure_graphs.extend(part.measure_graphs)
        whole.measure_pieces.extend(part.measure_pieces)
        whole.pieces.extend(part.pieces)
        whole.piecewise = part.piecewise or whole.piecewise
        whole.graphs.extend(part.graphs)
        whole.unattributed = merge_span_totals([whole.unattributed, part.unattributed])
        whole.background = (whole.background + part.background)[:MAX_BACKGROUND]
        whole.trace_only = merge_span_totals([whole.trace_only, part.trace_only])
        whole.phase_total = merge_sums([whole.phase_total, part.phase_total])
        whole.phase_self = merge_sums([whole.phase_self, part.phase_self])
        for name, n in part.artifacts.items():
            whole.artifacts[name] = whole.artifacts.get(name, 0) + n
        for kind, n in part.record_kinds.items():
            whole.record_kinds[kind] = whole.record_kinds.get(kind, 0) + n
        for cid, cost in part.runtime.items():
            whole.runtime.setdefault(cid, RuntimeCost()).merge(cost)
        if whole.export is None or part.export is None:
            whole.export = whole.export or part.export
        else:
            whole.export.merge(part.export)
        whole.strings.update(part.strings)
        whole.versions = {**part.versions, **whole.versions}  # the first part that states one wins
        whole.stray_begin += part.stray_begin
        whole.stray_end += part.stray_end
        whole.torch_version = whole.torch_version or part.torch_version
        whole.device = whole.device or part.device
        whole.rank = whole.rank if whole.rank is not None else part.rank
        whole.first_s, whole.last_s = widen(*widen(whole.first_s, whole.last_s, part.first_s), part.last_s)
    whole.parts = len(parts)
    return whole


def _range(args: tuple[str, int, int | None]) -> list[TraceReport]:
    return fold_range(*args)


def _split_read(path: str | Path, workers: int) -> list[TraceReport] | None:
    """Read `path` in `workers` byte ranges cut at compile boundaries (see `read_cut`)."""
    size = os.path.getsize(path)
    near = [size * i // workers for i in range(1, workers)]
    cuts = sorted({c for c in (compile_boundary(path, n) for n in near) if c})
    return read_cut(path, cuts) if cuts else None


class _Prefix:
    """What the parts accepted so far end with, per process: an export still open, graph-break records
    met, the rank first named."""

    def __init__(self) -> None:
        self.export_open: dict[int | None, bool] = {}
        self.breaks: set[int | None] = set()
        self.ranks: dict[int | None, int] = {}

    def add(self, streams: list[TraceReport]) -> None:
        """A finished part's streams follow."""
        for t in streams:
            self.export_open[t.pid] = t.export_open
            if GRAPH_BREAK in t.artifacts:
                self.breaks.add(t.pid)
            if t.rank is not None:
                self.ranks.setdefault(t.pid, t.rank)

    def add_live(self, live: RangeFold) -> None:
        """The live fold's state at its end (read without finishing it)."""
        for pid, fold in live.folds.items():
            self.export_open[pid] = fold.export.active
            if GRAPH_BREAK in fold.report.artifacts:
                self.breaks.add(pid)
        if live.reader is not None:
            for pid, rank in live.reader.ranks.items():
                self.ranks.setdefault(pid, rank)

    def takes(self, part: list[TraceReport]) -> bool:
        """True when a part read from scratch is what one pass would read after this prefix: none of
        its spans named their compile only in their args, none of its export stacks named a file it had
        not met, an export open here is closed by its first record, it counted no graph breaks from
        restart reasons after graph-break records here, and it names no other rank."""
        for t in part:
            if t.args_only_spans or t.export_unresolved:
                return False
            if self.export_open.get(t.pid) and t.first_kind != "export":
                return False
            if t.breaks_from_restarts and t.pid in self.breaks:
                return False
            first = self.ranks.get(t.pid)
            if first is not None and t.rank is not None and t.rank != first:
                return False
        return True


def read_cut(path: str | Path, cuts: list[int], parallel: bool = True) -> list[TraceReport] | None:
    """Read `path` in the parts between `cuts` (offsets where records begin), each process's parts
    merged into what one pass reads. The parts after the first are read from scratch, in parallel
    processes, while this process reads the first; a part is taken when the fold was idle where it
    begins and idle where it ends (see `LogFold.can_cut`, `_Prefix.takes`). Where it was not (a span
    open across the cut, a compile waiting for records), this process reads that part on from the
    state it reached: never the whole log again. None only when the parts' file-name tables or span
    claims do not join (see `_joins`); the caller then reads the log in one pass."""
    ranges = [(str(path), a, b) for a, b in pairwise([0, *cuts, os.path.getsize(path)])]
    if len(ranges) == 1:
        return fold_range(path)
    if parallel:
        with process_pool(len(ranges) - 1) as pool:
            futures = [pool.submit(_range, r) for r in ranges[1:]]
            segments = _assemble(path, ranges, lambda k: futures[k - 1].result())
    else:
        segments = _assemble(path, ranges, lambda k: _range(ranges[k]))
    return _merge_segments(segments)


def _assemble(path: str | Path, ranges: list, part: Callable[[int], list[TraceReport]]) -> list[list[TraceReport]]:
    """The segments that make the log, in order: parts read from scratch where they may be taken, and
    stretches this process read on from the state the fold was in (`read_cut`)."""
    segments: list[list[TraceReport]] = []
    prefix = _Prefix()
    live: RangeFold | None = RangeFold(path)
    live.feed(ranges[0][1], ranges[0][2])
    for k in range(1, len(ranges)):
        spec = part(k)
        last = k == len(ranges) - 1
        idle_here = live is None or live.can_cut()
        if live is not None and idle_here:
            prefix.add_live(live)
        if idle_here and (last or all(t.ended_idle for t in spec)) and prefix.takes(spec):
            if live is not None:
                segments.append(live.finish())
                live = None
            segments.append(spec)
            prefix.add(spec)
            continue
        if live is None:  # the state here is idle (the part taken last ended so): read on from scratch
            live = RangeFold(path)
        live.feed(ranges[k][1], ranges[k][2])
    if live is not None:
        segments.append(live.finish())
    return segments


def _merge_segments(segments: list[list[TraceReport]]) -> list[TraceReport] | None:
    """Each process's streams of every segment merged, in order of first appearance; None when they do
    not join as one pass reads them (`_joins`)."""
    by_process: dict[int | None, list[TraceReport]] = {}
    recordless: list[TraceReport] = []  # a part that held no record (damage only): its counters, no process
    for segment in segments:
        if len(segment) == 1 and segment[0].parse.records == 0 and not segment[0].record_kinds:
            recordless.append(segment[0])
            continue
        for stream in segment:
            by_process.setdefault(stream.pid, []).append(stream)
    if not by_process:  # no record anywhere: one report of the file's counters, as one pass gives
        return [merge_parts(recordless)]
    first = next(iter(by_process.values()))[0]
    for part in recordless:
        first.parse.merge(part.parse)
    streams = []
    for stream_parts in by_process.values():
        if not _joins(stream_parts):
            return None
        streams.append(merge_parts(stream_parts) if len(stream_parts) > 1 else stream_parts[0])
    return streams


def _joins(parts: list[TraceReport]) -> bool:
    """True when a process's parts, merged, are what one pass gives, as far as what only the whole
    sequence shows: every file-name index a part used before interning it names what one pass would
    have named (`_files_resolve_alike`), and no part's spans that no metrics claimed are claimed by a
    later part's metrics."""
    if not _files_resolve_alike(parts):
        return False
    claimed_later: set[str] = set()
    for part in reversed(parts):  # spans no metrics claimed yet would be claimed by a later part's
        if part.unclaimed_ids & claimed_later:
            return False
        claimed_later |= part.claimed_ids
    return True


def _files_resolve_alike(parts: list[TraceReport]) -> bool:
    """True when every file-name index a part used before its own `str` record names what one pass
    would have named (the last definition before the part), not a later redefinition: logs of
    several processes joined into one file reuse indexes."""
    final: dict[int, str] = {}
    for part in parts:
        final.update(part.strings)
    before = dict(parts[0].strings)
    for part in parts[1:]:
        if any(before.get(i) != final.get(i) for i in part.unresolved_files):
            return False
        before.update(part.strings)
    return True


def fold_file(path: str | Path, jobs: int | None = None, min_bytes: int | None = None) -> list[TraceReport]:
    """Read one log and build a report per process that wrote into it (usually one); a log of at
    least `min_bytes` (`split_threshold()`) is split at compile boundaries and its parts are read in
    parallel processes (`jobs`, default: the CPUs this process may use)."""
    workers = jobs or usable_cpus()
    min_bytes = split_threshold() if min_bytes is None else min_bytes
    if Path(path).is_file():  # no more parts than the log has room for (`-j` a billion is 1 part per 4 MB)
        workers = min(workers, max(1, os.path.getsize(path) // min(MIN_PART_BYTES, min_bytes)))
    if workers > 1 and Path(path).is_file() and os.path.getsize(path) >= min_bytes:
        streams = _split_read(path, workers)
        if streams is not None:
            return finish_streams(streams)
    return finish_streams(fold_range(path))


def _one(path: Path) -> list[TraceReport]:
    return fold_file(path, jobs=1)


def fold_files(paths: list[Path], jobs: int | None = None) -> list[TraceReport]:
    """Fold several logs, in parallel processes when there is more than one: a report per process
    of each file, files in the order given."""
    if len(paths) <= 1:
        return [t for p in paths for t in fold_file(p, jobs=jobs)]
    workers = min(len(paths), jobs or usable_cpus())
    if workers <= 1:
        return [t for p in paths for t in fold_file(p, jobs=1)]
    with process_pool(workers) as pool:
        return [t for streams in pool.map(_one, paths) for t in streams]


def resolve_ranks(traces: list[TraceReport]) -> list[str]:
    """Each file of a directory is one process. Per file: the rank its records carry when no other file
    carries it, else its file name's (`rank_N`) when that is free, else the smallest free number, in
    file order. Returns, in words, each file whose rank had to be chosen (empty when none had)."""
    if len(traces) < 2:
        return []
    shared: dict[int, int] = {}
    for t in traces:
        if t.rank_source == "records":
            shared[t.rank] = shared.get(t.rank, 0) + 1  # type: ignore[index]
    kept = {id(t) for t in traces if t.rank_source == "records" and shared[t.rank] == 1}  # type: ignore[index]
    taken = {t.rank for t in traces if id(t) in kept}
    left = []
    for t in (t for t in traces if id(t) not in kept):
        named = rank_in_name(t.path)
        if named is not None and named not in taken:
            taken.add(named)
            if t.rank_source == "records":  # its records' rank was shared: say where this one came from
                left.append((t, f"rank {t.rank} in its records, shared", named, "file name"))
            else:
                set_rank(t, named, "file name", force=True)
        else:
            left.append((t, "rank shared" if t.rank_source == "records" else "no rank", None, "numbered"))
    notes = []
    for t, said, rank, source in left:
        if rank is None:
            rank = min(set(range(len(traces) + len(taken))) - taken)
            taken.add(rank)
        set_rank(t, rank, source, force=True)
        notes.append(f"{Path(t.path).name} ({said}) is rank {rank} ({source})")
    return notes
