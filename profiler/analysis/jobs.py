"""Which logs are one job: a folder may hold the rank logs of several runs and loose logs beside them.

Rules, per folder (the processes of one file are in their file's folder):
- Logs that name their rank (in their records, else `rank_N` in their file name) form one job when
  no rank repeats (the ranks of one job may be recorded far apart: their clocks are not compared).
  Records that repeat a rank the file names tell apart (a launcher that rewrote the rank) are one job
  too. When ranks really repeat (two runs into one TORCH_TRACE folder), logs whose times overlap are
  one job: each log joins the first job that lacks its rank and ran at the same time.
- A log that names no rank joins the job it ran at the same time as (a driver beside its ranks),
  else the other rankless logs it ran at the same time as; one that ran alone is a job of its own.
Two logs ran at the same time when their windows, from their first to their last record's time,
overlap once widened by SLACK_S. Ranks of different jobs are never compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..fold.parallel import rank_in_name
from ..model.trace import TraceReport

SLACK_S = 1.0  # clock skew allowed between two logs that ran at the same time (sequential runs are seconds apart)


@dataclass(slots=True)
class JobGroup:
    """The logs of one job, in the order they were given, and what the job is called."""

    folder: str
    traces: list[TraceReport] = field(default_factory=list)
    name: str = ""

    def window(self) -> tuple[float, float] | None:
        """The earliest first and the latest last time of its logs (None when none has a time)."""
        times = [(t.first_s, t.last_s) for t in self.traces if t.first_s is not None and t.last_s is not None]
        return (min(a for a, _ in times), max(b for _, b in times)) if times else None

    def has_rank(self, rank: int | None) -> bool:
        """True when one of its logs names `rank`."""
        return any(t.rank == rank for t in self.traces)


def _overlaps(trace: TraceReport, window: tuple[float, float] | None) -> bool:
    """True when `trace` ran at the same time as `window` (both known, widened by SLACK_S)."""
    if window is None or trace.first_s is None or trace.last_s is None:
        return False
    return trace.first_s <= window[1] + SLACK_S and trace.last_s >= window[0] - SLACK_S


def _named(trace: TraceReport) -> int | None:
    """The rank its file's name gives (only for a file of one process)."""
    return rank_in_name(trace.path) if trace.processes == 1 else None


def _ranked_jobs(folder: str, ranked: list[TraceReport]) -> list[JobGroup]:
    """The jobs of a folder's logs that name their rank."""
    ranks = [t.rank for t in ranked]
    named = [_named(t) for t in ranked]
    if len(set(ranks)) == len(ranks) or (None not in named and len(set(named)) == len(named)):
        return [JobGroup(folder, list(ranked))] if ranked else []
    jobs: list[JobGroup] = []
    timed = sorted(ranked, key=lambda t: (t.first_s is None, t.first_s or 0.0))
    for trace in timed:
        home = next((j for j in jobs if not j.has_rank(trace.rank) and _overlaps(trace, j.window())), None)
        if home is None and trace.first_s is None:
            home = next((j for j in jobs if not j.has_rank(trace.rank)), None)
        if home is None:
            home = JobGroup(folder)
            jobs.append(home)
        home.traces.append(trace)
    return jobs


def _folder_jobs(folder: str, traces: list[TraceReport]) -> list[JobGroup]:
    """The jobs of one folder's logs (see the module's rules)."""
    ranked = [t for t in traces if t.rank is not None]
    jobs = _ranked_jobs(folder, ranked)
    rankless: list[JobGroup] = []
    for trace in (t for t in traces if t.rank is None):
        home = next((j for j in (*jobs, *rankless) if _overlaps(trace, j.window())), None)
        if home is None:
            home = JobGroup(folder)
            rankless.append(home)
        home.traces.append(trace)
    return jobs + rankless


def group_jobs(traces: list[TraceReport]) -> list[JobGroup]:
    """The jobs of a report's logs, each job's logs in the order given, jobs in the order their first
    log was given; named by their folder (relative to what was asked for), numbered when a folder
    holds several, or by their log when they are one."""
    folders: dict[str, list[TraceReport]] = {}
    for t in traces:
        folders.setdefault(str(Path(t.name or t.path).parent), []).append(t)
    jobs = [job for folder, members in folders.items() for job in _folder_jobs(folder, members)]
    order = {id(t): i for i, t in enumerate(traces)}
    for job in jobs:
        job.traces.sort(key=lambda t: order[id(t)])
    jobs.sort(key=lambda j: order[id(j.traces[0])])
    alone = [len(j.traces) == 1 and j.traces[0].rank is None for j in jobs]  # a rankless log: named by itself
    per_folder: dict[str, int] = {}
    for job, single in zip(jobs, alone, strict=True):
        per_folder[job.folder] = per_folder.get(job.folder, 0) + (not single)
    seen: dict[str, int] = {}
    for job, single in zip(jobs, alone, strict=True):
        if single:
            job.name = job.traces[0].name or job.traces[0].path
            continue
        seen[job.folder] = seen.get(job.folder, 0) + 1
        base = "." if job.folder in ("", ".") else job.folder
        job.name = base + (f" #{seen[job.folder]}" if per_folder[job.folder] > 1 else "")
    return jobs
