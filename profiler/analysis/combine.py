"""Combine the reports of several logs (ranks) into one `Report` carrying every total renderers show."""

from __future__ import annotations

from ..fold.parallel import resolve_ranks
from ..fold.sums import merge_span_totals, merge_sums
from ..model.report import JobView, Measured, RankView, Report
from ..model.rows import Chain
from ..model.trace import TraceReport
from .divergence import divergence
from .jobs import group_jobs
from .summary import rank_skew, summarize_compiles, top_spends
from .totals import assert_totals, totals_of


def rank_view(trace: TraceReport) -> RankView:
    """One log's own totals, summary and assert counts."""
    totals = totals_of(trace.compiles, [trace.trace_only], [trace.phase_total])
    return RankView(trace, totals, summarize_compiles(trace.compiles, totals.trace_only), assert_totals(trace.graphs))


def measured(report: Report) -> Measured | None:
    """The summary of the compiles a run made only to measure (one pass over them); None when none."""
    variants: dict[str, int] = {}
    total = 0.0
    for c in report.measure_compiles:
        variants[c.variant or "?"] = variants.get(c.variant or "?", 0) + 1
        total += c.compile_time_s or 0.0
    return Measured(variants, total, len(report.measure_graphs)) if variants else None


def job_view(name: str, views: list[RankView], conflicts: list[str]) -> JobView:
    """One job's figures from its logs' views (its ranks compared with each other only)."""
    traces = [v.trace for v in views]
    if len(views) == 1:
        totals, summary = views[0].totals, views[0].summary
    else:
        compiles = Chain(t.compiles for t in traces)
        totals = totals_of(compiles, [t.trace_only for t in traces], [t.phase_total for t in traces])
        summary = summarize_compiles(compiles, totals.trace_only)
    return JobView(name, views, totals, summary, rank_skew(views), divergence(views), conflicts)


def jobs_of(traces: list[TraceReport]) -> tuple[list[list[TraceReport]], list[str], list[str]]:
    """The logs grouped into jobs (see `jobs.group_jobs`), each job's ranks resolved within it, the
    jobs' names and the notes on ranks that had to be chosen."""
    groups = group_jobs(traces)
    notes = [resolve_ranks(g.traces) for g in groups]
    return [g.traces for g in groups], [g.name for g in groups], notes


def combine(source: str, traces: list[TraceReport]) -> Report:
    """Build the combined report of several per-log reports (one pass over each log's rows for its
    own figures; one more over all of them when there are several logs). The logs are grouped into
    jobs: the rank views compare ranks of one job; a report of several jobs has them job by job."""
    groups, names, notes = jobs_of(traces)
    traces = [t for g in groups for t in g]  # job by job
    report = Report(source=source, traces=traces)
    report.rank_conflicts = [n for job_notes in notes for n in job_notes]
    report.compiles = Chain(t.compiles for t in traces)
    report.graphs = Chain(t.graphs for t in traces)
    report.measure_compiles = Chain(t.measure_compiles for t in traces)
    report.measure_graphs = Chain(t.measure_graphs for t in traces)
    report.measured = measured(report)
    report.rank_views = [rank_view(t) for t in traces]
    for t in traces:
        report.parse.merge(t.parse)
    if len(traces) == 1:
        only = report.rank_views[0]
        report.asserts, report.totals, report.summary = only.asserts, only.totals, only.summary
    else:
        report.asserts = assert_totals(report.graphs)
        report.totals = totals_of(report.compiles, [t.trace_only for t in traces], [t.phase_total for t in traces])
        report.summary = summarize_compiles(report.compiles, report.totals.trace_only)
    report.unattributed = merge_span_totals([t.unattributed for t in traces])
    self_time = merge_sums([t.phase_self for t in traces])
    report.spends = top_spends({name: v / 1e9 for name, v in self_time.items()}, report.summary.compile_time_s)
    views = iter(report.rank_views)
    report.jobs = [job_view(name, [next(views) for _ in g], n) for name, g, n in zip(names, groups, notes, strict=True)]
    if len(report.jobs) == 1:
        report.skew, report.divergence = report.jobs[0].skew, report.jobs[0].divergence
    else:  # ranks of different jobs share numbers: frames are counted job by job
        report.summary.frames = sum(j.summary.frames for j in report.jobs)
        report.summary.frames_per_rank = {}
    return report
