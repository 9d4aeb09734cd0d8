"""Text shared by the renderers: durations, shares, labels and plain sentences."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..analysis.divergence import rank_list  # noqa: F401  (re-exported for renderers)
from ..model.asserts import AssertCounts, GraphAsserts
from ..model.compile import cache_label
from ..model.pieces import PieceCompile
from ..model.report import JobView, Report, Spend, Summary
from ..model.trace import TraceReport

# What a span name means, for sentences a user can act on.
PHASE_MEANING = {
    "compile_file": "C++/Triton compilation of generated kernels",
    "code_gen": "Inductor code generation",
    "GraphLowering.run": "Inductor lowering",
    "GraphLowering.codegen": "Inductor code generation",
    "Scheduler.__init__": "Inductor scheduling and fusion",
    "Scheduler.codegen": "Inductor kernel code generation",
    "bytecode_tracing": "Dynamo bytecode tracing",
    "build_guards": "Dynamo guard building",
    "create_aot_dispatcher_function": "AOT autograd",
    "aot_collect_metadata": "AOT autograd metadata collection",
    "async_compile.wait": "waiting for background kernel compiles",
    "PyCodeCache.load_by_key_path": "loading the generated module",
    "inductor_compile": "Inductor",
    "fx_codegen_and_compile": "Inductor FX codegen and compile",
    "backend_compile": "the backend compiler",
    "_recursive_post_grad_passes": "post-grad FX passes",
    "_recursive_joint_graph_passes": "joint-graph FX passes",
    "_recursive_pre_grad_passes": "pre-grad FX passes",
    "gc": "garbage collection after compile",
}


def job_time(job: JobView) -> float:
    """What a job waited for: its slowest rank's compile time (its only log's, when it has one)."""
    return job.skew.slowest_s if job.skew is not None else job.totals.compile_time_s


def compile_time_line(report: Report) -> str:
    """The whole compile time: of several jobs, their sum and the slowest job; of several ranks, the
    slowest rank's (what the job waited for) and the sum; else the total."""
    s, sk = report.summary, report.skew
    if report.several_jobs:
        slow = max(report.jobs, key=job_time)
        return (f"{fmt_s(s.compile_time_s)} summed over {count(len(report.jobs), 'job')}; the slowest job, "
                f"{slow.name}, {fmt_s(job_time(slow))}")  # fmt: skip
    if sk is not None:
        return (f"{fmt_s(sk.slowest_s)} on the slowest rank ({sk.slowest_rank}); {fmt_s(s.compile_time_s)} summed "
                f"over {count(len(report.traces), 'log')}")  # fmt: skip
    return fmt_s(s.compile_time_s)


def frames_line(s: Summary, logs: int) -> str:
    """`3 (1 and 2 per rank, 2 distinct; 4 compiles, 4 attempts)`: with several logs, a frame is counted
    once per rank that compiled it, so the count says how it splits and how many frames are distinct."""
    tail = f"{count(s.compiles, 'compile')}, {count(s.attempts, 'attempt')}"
    if logs < 2 or len(s.frames_per_rank) < 2:
        return f"{s.frames}  ({tail})"
    per = list(s.frames_per_rank.values())
    split = (", ".join(map(str, per[:-1])) + f" and {per[-1]}") if len(per) <= 8 else f"{min(per)} to {max(per)}"
    return f"{s.frames} over {len(per)} ranks ({split} per rank, {s.frames_distinct} distinct; {tail})"


def assert_kinds(a: AssertCounts) -> str:
    """`size/stride 26, alignment 0, scalar 0, nan 0` (and AOTInductor's input checks when there are any)."""
    text = f"size/stride {a.size_stride}, alignment {a.alignment}, scalar {a.scalar}, nan {a.nan}"
    return text + (f", AOTI input checks {a.aoti_checks}" if a.aoti_checks else "")


def count(n: object, word: str, plural: str | None = None) -> str:
    """`1 compile`, `4 compiles`, `? pieces` (irregular plurals given)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def fmt_s(value: float | None) -> str:
    """A duration for people: `12.3 s`, `45.6 ms`, `789 us`, `12.3 us`, `456 ns`; `-` when unknown."""
    if value is None:
        return "-"
    if value < 0:
        return "-" + fmt_s(-value)
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    if value >= 100e-6 or value == 0:
        return f"{value * 1e6:.0f} us"
    if value >= 1e-6:
        return f"{value * 1e6:.1f} us"
    return f"{value * 1e9:.0f} ns"


def fmt_pct(share: float | None) -> str:
    """A share as a percentage; `-` when unknown."""
    if share is None:
        return "-"
    return f"{share * 100:.1f}%" if share < 0.1 else f"{share * 100:.0f}%"


def spend_sentence(spend: Spend, quote: Callable[[str], str] | None = None) -> str:
    """One plain sentence about where time goes; the span's name as `quote` writes it (in backticks
    unless told: Markdown passes its code span, which is safe for any name)."""
    meaning = PHASE_MEANING.get(spend.name)
    name = quote(spend.name) if quote else f"`{spend.name}`"
    what = f"{meaning} ({name})" if meaning else name
    share = f", {fmt_pct(spend.share)} of all compile time" if spend.share is not None else ""
    return f"{what}: {fmt_s(spend.self_s)} of its own time{share}"


def cache_line(s: Summary) -> str:
    """The caches of a summary: events by cache and outcome, the commonest bypass reason, and the
    caches turned off by config (`disabled: fx in 2 compiles`); never a bare "no events" when off."""
    parts = [", ".join(f"{cache_label(k)} {v}" for k, v in s.cache.items())] if s.cache else []
    if s.cache_bypass_reasons:
        top, n = next(iter(s.cache_bypass_reasons.items()))
        parts.append(f"bypassed because: {top[:90]} (x{n})")
    if s.cache_disabled:
        off = ", ".join(f"{name} in {count(n, 'compile')}" for name, n in s.cache_disabled.items())
        parts.append(f"disabled by config: {off}")
    return "; ".join(parts) if parts else "no cache events in the log (and no config saying a cache was off)"


def graph_header(ranks: bool, aoti: bool) -> list[str]:
    """The header of a per-graph assert table (see `graph_cells`)."""
    return ["compile", *(["rank"] if ranks else []), "graph", "size", "align", "scalar", "nan",
            *(["aoti"] if aoti else [])]  # fmt: skip


def graph_cells(g: GraphAsserts, ranks: bool = False, aoti: bool = False) -> list[str]:
    """A graph's assert row: compile id, its rank (`ranks`), generated file, size/stride, alignment,
    scalar, nan and AOTInductor's input checks (`aoti`)."""
    c = g.counts
    name = Path(g.filename).name if g.filename else "-"
    rank = [rank_cell(g.rank)] if ranks else []
    aoti_checks = [str(c.aoti_checks)] if aoti else []
    return [g.compile_id or "?", *rank, name, str(c.size_stride), str(c.alignment), str(c.scalar), str(c.nan),
            *aoti_checks]  # fmt: skip


def trace_name(trace: TraceReport) -> str:
    """How a log is named to people: its path relative to what was asked for (set when the report is
    built), else its file name; with its process id when its file holds several processes."""
    name = trace.name or Path(trace.path).name
    if trace.processes > 1 and trace.pid is not None and f"pid {trace.pid}" not in name:
        name += f" (pid {trace.pid})"
    return name


def rank_cell(rank: int | None) -> str:
    """A rank in a table cell (`-` when the log names none)."""
    return str(rank) if rank is not None else "-"


def piece_range(p: PieceCompile) -> str:
    """`size 8` for a single-size compile, else the range `1..` / `1..512`."""
    if p.is_single_size:
        return f"size {p.compile_range_start}"
    end = "" if p.compile_range_end is None else str(p.compile_range_end)
    start = "" if p.compile_range_start is None else str(p.compile_range_start)
    return f"range {start}..{end}" if start or end else "?"


def piece_cache(p: PieceCompile) -> str:
    """`fx hit, aot hit` for a piece compile's cache events."""
    return ", ".join(cache_label(k) + (f" x{v}" if v != 1 else "") for k, v in p.cache.items()) or "-"
