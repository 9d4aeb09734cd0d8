"""The report of one or more logs (ranks): the per-log reports and every total the renderers show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..trace.records import ParseStats
from .asserts import AssertCounts, GraphAsserts
from .compile import CompileInfo
from .export import ExportInfo
from .instructions import Instructions
from .pieces import PieceCompile, PiecewiseSplit
from .rows import Chain
from .spans import SpanTotal
from .trace import RuntimeCost, TraceReport

if TYPE_CHECKING:
    from .run import RunManifest


@dataclass(slots=True)
class Totals:
    """Sums over a set of compiles (one log's, or all of them)."""

    compiles: int = 0
    compile_time_s: float = 0.0  # unknown compile times count as 0
    backend_compile_time_s: float = 0.0
    structured_logging_overhead_s: float | None = None  # None when torch wrote no counter
    overhead_reported: int = 0  # compiles whose metrics carry torch's counter
    trace_only: dict[str, SpanTotal] = field(default_factory=dict)  # `*_torch_trace_only` spans by label
    phases: dict[str, float] = field(default_factory=dict)  # total time per span name, largest first

    @property
    def torch_trace_only_s(self) -> float:
        """Time in `*_torch_trace_only` spans."""
        return sum(t.total_s for t in self.trace_only.values())

    @property
    def structured_logging_share(self) -> float | None:
        """torch's logging counter as a share of compile time."""
        overhead = self.structured_logging_overhead_s
        return overhead / self.compile_time_s if self.compile_time_s and overhead is not None else None

    @property
    def torch_trace_only_share(self) -> float | None:
        """Trace-only spans as a share of compile time."""
        return self.torch_trace_only_s / self.compile_time_s if self.compile_time_s else None


@dataclass(slots=True)
class Spend:
    """One place where compile time goes: a span name's self time and its share of all compile time."""

    name: str
    self_s: float
    share: float | None


class Note(NamedTuple):
    """A recompile, failure or restart of one compile: which compile, on which rank, what and why."""

    compile_id: str | None
    rank: int | None
    kind: str  # "recompile", "restart", or the failure's fail_type
    reason: str | None


@dataclass(slots=True)
class Summary:
    """Headline counts of one or more logs."""

    frames: int = 0  # compiled frames, each rank's counted apart (a frame two ranks compiled counts twice)
    frames_distinct: int = 0  # distinct frames over the ranks (by code location, else frame id)
    frames_per_rank: dict[str, int] = field(default_factory=dict)  # by rank ("-" for a log naming none)
    compiles: int = 0
    attempts: int = 0
    compile_time_s: float = 0.0
    graph_breaks: int = 0
    graph_break_reasons: dict[str, int] = field(default_factory=dict)
    recompiles: list[Note] = field(default_factory=list)
    failures: list[Note] = field(default_factory=list)
    restarts: list[Note] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict)
    cache_bypass_reasons: dict[str, int] = field(default_factory=dict)
    cache_disabled: dict[str, int] = field(default_factory=dict)  # compiles whose config turned a cache off
    structured_logging_overhead_s: float = 0.0
    torch_trace_only_s: float = 0.0


@dataclass(slots=True)
class RankSkew:
    """Slowest against fastest rank by total compile time."""

    slowest_rank: int | None
    slowest_s: float
    fastest_rank: int | None
    fastest_s: float
    compiles_per_rank: dict[str, int]

    @property
    def spread_s(self) -> float:
        """Slowest minus fastest."""
        return self.slowest_s - self.fastest_s

    @property
    def ratio(self) -> float | None:
        """Slowest over fastest (None when the fastest took no time)."""
        return self.slowest_s / self.fastest_s if self.fastest_s > 0 else None


@dataclass(slots=True)
class RankGroup:
    """Ranks that agree on one divergence check: what their sequence holds and where it first differs
    from the largest group's."""

    ranks: list[int]
    count: int  # items in the sequence (compiles, graphs, collectives, ...)
    summary: str  # how the sequence reads, briefly
    first_difference: str | None = None  # `#3: 1/0 (ranks 0-2: end)`; None for the largest group


@dataclass(slots=True)
class Divergence:
    """One aspect the ranks of a job are compared on, and the ranks grouped by what they did."""

    check: str  # "frames", "compile_ids", "graphs", "cache", "recompiles", "failures", "collectives"
    groups: list[RankGroup]  # the largest group first
    note: str | None = None  # how the items were compared, when not as written (addresses masked)

    @property
    def diverged(self) -> bool:
        """True when the ranks fall into more than one group."""
        return len(self.groups) > 1


@dataclass(slots=True)
class Measured:
    """The compiles a run made only to measure (counted nowhere else): how many by variant, their time."""

    variants: dict[str, int]
    compile_time_s: float
    graphs: int

    @property
    def compiles(self) -> int:
        """How many compiles."""
        return sum(self.variants.values())


@dataclass(slots=True)
class RankView:
    """One log (rank) of a report with its own totals, summary and assert counts."""

    trace: TraceReport
    totals: Totals
    summary: Summary
    asserts: AssertCounts


@dataclass(slots=True)
class JobView:
    """One job of a report (a folder may hold several): its logs (ranks), their totals and summary, and
    how its ranks compare. Ranks of different jobs are never compared."""

    name: str  # its folder relative to what was asked for (numbered when a folder holds several), or its log
    rank_views: list[RankView]
    totals: Totals
    summary: Summary
    skew: RankSkew | None = None
    divergence: list[Divergence] = field(default_factory=list)
    rank_conflicts: list[str] = field(default_factory=list)  # logs whose rank had to be chosen, in words

    @property
    def traces(self) -> list[TraceReport]:
        """Its logs (one per process)."""
        return [v.trace for v in self.rank_views]

    @property
    def ranks(self) -> list[int]:
        """Its distinct ranks."""
        return sorted({v.trace.rank for v in self.rank_views if v.trace.rank is not None})


@dataclass(slots=True)
class CacheRun:
    """One child process of a run that left a trace: its compiles, compile time and cache events."""

    label: str
    compiles: int
    compile_time_s: float
    cache: dict[str, int]
    phases: dict[str, float]  # the largest span totals
    traced: dict[str, float] = field(default_factory=dict)  # dynamo, backend_compile, pieces: seconds traced


@dataclass(frozen=True, slots=True)
class WallAccount:
    """A child's compile step: its wall time, what the trace accounts for, and the rest (untraced)."""

    label: str
    step_s: float  # the compile step's wall time in the child
    traced_s: float  # the compiles' own time (entire-frame compile) the trace shows
    parts: dict[str, float]  # of it: dynamo, backend_compile, pieces (as traced)
    first_run_s: float | None = None  # of the untraced rest: the model's own run, as a median compiled call

    @property
    def untraced_s(self) -> float:
        """Wall time of the step no compile accounts for: the first call's run, guard installation,
        Python around the compile (never below 0)."""
        return max(0.0, self.step_s - self.traced_s)


@dataclass(slots=True)
class RunFacts:
    """What a run directory adds to its report: the manifest and each child's cache figures."""

    manifest: RunManifest
    cache_runs: list[CacheRun] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    """Everything `compileprof report` shows: the per-log reports and their combined views."""

    source: str
    traces: list[TraceReport]
    parse: ParseStats = field(default_factory=ParseStats)
    compiles: Chain[CompileInfo] = field(default_factory=Chain)  # over the logs, in order
    graphs: Chain[GraphAsserts] = field(default_factory=Chain)
    measure_compiles: Chain[CompileInfo] = field(default_factory=Chain)  # made only to measure: apart
    measure_graphs: Chain[GraphAsserts] = field(default_factory=Chain)
    measured: Measured | None = None  # their summary; None when the run made none
    asserts: AssertCounts = field(default_factory=AssertCounts)
    unattributed: dict[str, SpanTotal] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    summary: Summary = field(default_factory=Summary)
    spends: list[Spend] = field(default_factory=list)
    rank_views: list[RankView] = field(default_factory=list)
    skew: RankSkew | None = None
    run: RunFacts | None = None
    measurements: dict[str, Any] | None = None
    instructions: Instructions | None = None  # the compile step's instruction count (run --count instructions)
    rank_conflicts: list[str] = field(default_factory=list)
    divergence: list[Divergence] = field(default_factory=list)  # ranks compared check by check (2+ ranks)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)  # files under PATH not read, and why
    manifest_error: str | None = None  # a run directory whose manifest.json was damaged: what was wrong
    jobs: list[JobView] = field(default_factory=list)  # the jobs its logs belong to (usually one)

    @property
    def several_jobs(self) -> bool:
        """True when the logs belong to several jobs (reported job by job; no ranks compared across)."""
        return len(self.jobs) > 1

    @property
    def trace_only(self) -> dict[str, SpanTotal]:
        """`*_torch_trace_only` spans by label, over all logs."""
        return self.totals.trace_only

    @property
    def phases(self) -> dict[str, float]:
        """Total time per span name over all logs, largest first."""
        return self.totals.phases

    @property
    def torch_versions(self) -> list[str]:
        """Distinct torch versions the logs name."""
        return sorted({t.torch_version for t in self.traces if t.torch_version})

    @property
    def versions(self) -> dict[str, list[str]]:
        """Distinct torch, python, triton and CUDA versions the logs state."""
        out: dict[str, set[str]] = {"torch": {t.torch_version for t in self.traces if t.torch_version}}
        for t in self.traces:
            for name, v in t.versions.items():
                out.setdefault(name, set()).add(v)
        return {name: sorted(v) for name, v in out.items() if v}

    @property
    def several_logs(self) -> bool:
        """True when the report holds several logs (ranks): every row then names its rank."""
        return len(self.traces) > 1

    @property
    def ranks(self) -> list[int]:
        """Distinct ranks of the logs."""
        return sorted({t.rank for t in self.traces if t.rank is not None})

    @property
    def device(self) -> str | None:
        """The device the generated code targets (the first log that shows one)."""
        return next((t.device for t in self.traces if t.device), None)

    @property
    def pieces(self) -> list[PieceCompile]:
        """Piece compiles of a piecewise backend, over all logs in order."""
        return [p for t in self.traces for p in t.pieces]

    @property
    def measure_pieces(self) -> list[PieceCompile]:
        """Piece compiles made only to measure (asserts off, trace on/off pairs)."""
        return [p for t in self.traces for p in t.measure_pieces]

    @property
    def piecewise(self) -> PiecewiseSplit | None:
        """The split a piecewise backend logged (the first log's)."""
        return next((t.piecewise for t in self.traces if t.piecewise), None)

    @property
    def exports(self) -> list[tuple[TraceReport, ExportInfo]]:
        """The logs that hold torch.export records, with what those say."""
        return [(t, t.export) for t in self.traces if t.export is not None]

    @property
    def runtime(self) -> list[tuple[int | None, str, RuntimeCost]]:
        """(rank, compile id, cost) of every compile whose code's run-time cost the logs record."""
        return [(t.rank, cid, cost) for t in self.traces for cid, cost in t.runtime.items()]

    @property
    def record_kinds(self) -> dict[str, int]:
        """Records by type key over all logs, commonest first."""
        out: dict[str, int] = {}
        for t in self.traces:
            for kind, n in t.record_kinds.items():
                out[kind] = out.get(kind, 0) + n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def stray_events(self) -> tuple[int, int]:
        """(B events never closed, E events with no B) over all logs."""
        return sum(t.stray_begin for t in self.traces), sum(t.stray_end for t in self.traces)
