"""The console views of a report of several logs (ranks): per-rank figures, phase totals by rank, and
the divergence between ranks, check by check."""

from __future__ import annotations

from rich.table import Table

from ..model.report import JobView, RankView, Report
from .terminal import styled
from .text import fmt_s, rank_cell, rank_list, trace_name

PHASE_ROWS = 15  # rows of the phase totals
CHECK_NAMES = {
    "frames": "compiled frames", "compile_ids": "compile ids", "graphs": "graphs", "cache": "cache hits/misses",
    "recompiles": "recompile reasons", "failures": "failures", "collectives": "collective ops",
}  # fmt: skip
RANK_COLUMNS = 8  # ranks shown one column each in the phase totals (more: only the slowest and the sum)


def _by_rank(report: Report, title: str, rows: list[tuple[str, float, list[str]]], value_of, extra: list[str]) -> Table:
    """A table of span names with each rank's figure (`value_of(view, name)`; up to RANK_COLUMNS ranks),
    the slowest rank's, the sum over ranks and the `extra` columns each row brings."""
    views = report.rank_views
    shown = views if len(views) <= RANK_COLUMNS else []
    t = Table(title=title, title_justify="left")
    t.add_column("span")
    for v in shown:
        t.add_column(f"rank {rank_cell(v.trace.rank)}", justify="right")
    for name in ("slowest (rank)", "sum", *extra):
        t.add_column(name, justify="right")
    for name, total, more in rows:
        per_rank = [(value_of(v, name), v.trace.rank) for v in views]
        slow, rank = max(per_rank, key=lambda pr: pr[0])
        cells = [fmt_s(x) if x else "-" for x, _ in per_rank] if shown else []
        t.add_row(name, *cells, f"{fmt_s(slow)} ({rank_cell(rank)})", fmt_s(total), *more)
    return t


def phase_totals_by_rank(report: Report) -> Table:
    """Phase totals of several ranks: each rank's (up to RANK_COLUMNS of them), the slowest, and the sum."""
    rows = [(name, total, []) for name, total in list(report.phases.items())[:PHASE_ROWS]]
    title = "Phase totals by rank (each rank's compiles; the sum is over ranks)"
    return _by_rank(report, title, rows, lambda v, name: v.totals.phases.get(name, 0.0), [])


def unattributed_by_rank(report: Report) -> Table:
    """Spans outside any compile, each rank's total (up to RANK_COLUMNS ranks, else the slowest) and the sum."""

    def value_of(v: RankView, name: str) -> float:
        span = v.trace.unattributed.get(name)
        return span.total_s if span is not None else 0.0

    rows = [(s.name, s.total_s, [str(s.count)]) for s in list(report.unattributed.values())[:10]]
    title = "Spans outside any compile, by rank (background threads, compile id None, compiles without metrics)"
    return _by_rank(report, title, rows, value_of, ["count"])


def jobs_table(report: Report) -> list:
    """Console: a report of several jobs, a row per job (what it waited for: its slowest rank), then
    each job of several logs with its own ranks compared."""
    if not report.several_jobs:
        return []
    t = Table(title="Jobs (logs of one folder that ran together; ranks are compared within a job only)",
              title_justify="left")  # fmt: skip
    for name in ("job", "logs", "ranks", "compiles", "compile time", "slowest rank", "spread", "diverged"):
        t.add_column(name, justify="left" if name in ("job", "ranks", "diverged") else "right")
    for j in report.jobs:
        sk = j.skew
        diverged = ", ".join(CHECK_NAMES[d.check] for d in j.divergence if d.diverged) or "-"
        t.add_row(
            j.name, str(len(j.rank_views)), rank_list(j.ranks) if j.ranks else "-", str(j.totals.compiles),
            fmt_s(j.totals.compile_time_s), f"{rank_cell(sk.slowest_rank)} ({fmt_s(sk.slowest_s)})" if sk else "-",
            fmt_s(sk.spread_s) if sk else "-", diverged,
        )  # fmt: skip
    out: list = [t]
    for j in report.jobs:
        if j.skew is not None:
            out += [styled(f"Job {j.name}", "bold"), *rank_parts(j)]
    return out


def rank_parts(view: Report | JobView) -> list:
    """Console: the per-rank table, the skew between the slowest and the fastest rank, the divergence
    (of a report of one job, or of one job of a report)."""
    if len(view.rank_views) < 2 or view.skew is None:
        return []
    report = view
    t = Table(title="Ranks", title_justify="left")
    for name in ("rank", "log", "compiles", "compile time", "log ovh", "asserts", "damage"):
        t.add_column(name, justify="left" if name == "log" else "right")
    for v in report.rank_views:
        tr = v.trace
        t.add_row(
            str(tr.rank) if tr.rank is not None else "-",
            trace_name(tr),
            str(v.totals.compiles),
            fmt_s(v.totals.compile_time_s),
            fmt_s(v.totals.structured_logging_overhead_s),
            str(v.asserts.total),
            str(tr.parse.damage),
        )
    sk = report.skew
    ratio = f" ({sk.ratio:.2f}x)" if sk.ratio else ""
    line = styled(
        f"Rank skew: slowest rank {sk.slowest_rank} {fmt_s(sk.slowest_s)} vs fastest rank {sk.fastest_rank} "
        f"{fmt_s(sk.fastest_s)}: {fmt_s(sk.spread_s)} apart{ratio}"
    )
    return [t, line, *_divergence(report)]


def _divergence(report: Report | JobView) -> list:
    """Which ranks compiled differently from which, check by check; the checks they agree on in one line."""
    diverged = [d for d in report.divergence if d.diverged]
    agreed = [CHECK_NAMES[d.check] for d in report.divergence if not d.diverged and d.groups[0].count]
    empty = [CHECK_NAMES[d.check] for d in report.divergence if not d.diverged and not d.groups[0].count]
    if not report.divergence:
        return []
    tail = [styled(f"Ranks agree on: {', '.join(agreed)}.", "green")] if agreed else []
    tail += [styled(f"{CHECK_NAMES[d.check].capitalize()}: {d.note}.", "dim") for d in report.divergence if d.note]
    tail += [styled(f"None in any log: {', '.join(empty)}.", "dim")] if empty else []
    if not diverged:
        return tail
    t = Table(title="Divergence between ranks (grouped: each group did the same)", title_justify="left")
    for name in ("check", "ranks", "what they did", "first difference from the largest group"):
        t.add_column(name, overflow="fold")
    for d in diverged:
        for i, g in enumerate(d.groups):
            t.add_row(CHECK_NAMES[d.check] if i == 0 else "", rank_list(g.ranks), g.summary, g.first_difference or "")
    return [t, *tail]
