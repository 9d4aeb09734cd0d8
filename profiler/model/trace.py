"""Everything folded from one process's records of a log file (one process, one rank)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..trace.records import ParseStats
from .asserts import GraphAsserts
from .compile import BackwardInfo, CompileInfo
from .export import ExportInfo
from .pieces import PieceCompile, PiecewiseSplit
from .rows import Rows
from .spans import SpanTotal


@dataclass(slots=True)
class RuntimeCost:
    """What a compile's code cost when it ran, as the log records it: `compilation_metrics_runtime`
    fields (seconds, summed over records) and the spans named after the compile (runtime autotuning,
    cudagraph recording)."""

    metrics: dict[str, float] = field(default_factory=dict)
    spans: dict[str, SpanTotal] = field(default_factory=dict)
    records: int = 0  # compilation_metrics_runtime records

    def items(self) -> list[tuple[str, float, int]]:
        """(what, seconds, count) of each figure: `metric <field>` per record field, `span <name>` per span."""
        out = [(f"metric {name}", seconds, self.records) for name, seconds in self.metrics.items()]
        return out + [(f"span {span.name}", span.total_s, span.count) for span in self.spans.values()]

    def merge(self, other: RuntimeCost) -> None:
        """Add another part's figures of the same compile."""
        for name, v in other.metrics.items():
            self.metrics[name] = self.metrics.get(name, 0.0) + v
        for name, span in other.spans.items():
            self.spans.setdefault(name, SpanTotal(name)).merge(span)
        self.records += other.records


@dataclass(slots=True)
class TraceReport:
    """Everything read from one log file (one process, one rank)."""

    path: str
    rank: int | None
    torch_version: str | None
    parse: ParseStats
    compiles: Rows[CompileInfo] = field(default_factory=Rows)
    graphs: Rows[GraphAsserts] = field(default_factory=Rows)
    unattributed: dict[str, SpanTotal] = field(default_factory=dict)
    trace_only: dict[str, SpanTotal] = field(default_factory=dict)
    stray_begin: int = 0
    stray_end: int = 0
    artifacts: dict[str, int] = field(default_factory=dict)
    device: str | None = None
    phase_total: dict[str, int] = field(default_factory=dict)  # nanoseconds per span name, over the compiles
    phase_self: dict[str, int] = field(default_factory=dict)
    pieces: list[PieceCompile] = field(default_factory=list)
    piecewise: PiecewiseSplit | None = None
    measure_compiles: Rows[CompileInfo] = field(default_factory=Rows)  # compiles made only to measure
    measure_graphs: Rows[GraphAsserts] = field(default_factory=Rows)
    measure_pieces: list[PieceCompile] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # python, triton, cuda, as the metrics state them
    strings: dict[int, str] = field(default_factory=dict)  # the file's interned file names (stacks use them)
    rank_source: str | None = None  # "records", "file name" or "numbered" (the files of a directory)
    parts: int = 1  # byte ranges of the file read in parallel processes and merged
    ended_idle: bool = True  # the fold waited for nothing at the end (a part cut there is exact)
    runtime: dict[str, RuntimeCost] = field(default_factory=dict)  # by compile id
    args_only_spans: int = 0  # chromium events whose compile id only their args named
    export: ExportInfo | None = None  # what its torch.export records say (None: it has none)
    record_kinds: dict[str, int] = field(default_factory=dict)  # records by type key (what a log holds)
    breaks_from_restarts: int = 0  # compiles whose graph breaks were read from restart reasons
    background: list[tuple[str, float, float, str]] = field(default_factory=list)  # first spans of no compile
    first_kind: str | None = None  # the type of its first record (a part read in parallel: is it an `export`?)
    export_open: bool = False  # an export had logged no program yet when the records ended
    export_unresolved: int = 0  # export stacks that named a file by an index not yet interned
    unresolved_files: set[int] = field(default_factory=set)  # file-name indexes used before interned here
    unclaimed_ids: set[str] = field(default_factory=set)  # compiles whose spans no metrics claimed by the end
    claimed_ids: set[str] = field(default_factory=set)  # compiles whose metrics record it holds
    pid: int | None = None  # the process whose records these are (a file may hold several)
    processes: int = 1  # how many processes wrote into its file
    name: str | None = None  # how reports name it: its path relative to what was asked for (and its pid)
    compile_index: dict[str | None, int] = field(default_factory=dict)  # compile id -> its latest row
    orphan_backwards: list[tuple[str | None, BackwardInfo]] = field(default_factory=list)  # no forward seen yet
    first_s: float | None = None  # when its records start and end (epoch seconds, from event times and
    last_s: float | None = None  # compile start times): which logs ran at the same time (one job)
