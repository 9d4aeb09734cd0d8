"""The Markdown renderer: a compact report for a CI job summary or a pull-request comment."""

from __future__ import annotations

from typing import BinaryIO

from ..analysis.measurements import direct_trace_cost
from ..model.compile import CompileInfo
from ..model.report import Report
from .escaping import clean
from .export_view import export_markdown
from .instructions_view import instruction_markdown
from .md import Md, code, esc, table
from .registry import RenderOptions
from .run_view import measurement_markdown, run_markdown
from .text import (
    assert_kinds,
    cache_line,
    compile_time_line,
    count,
    fmt_pct,
    fmt_s,
    frames_line,
    graph_cells,
    graph_header,
    piece_cache,
    piece_range,
    rank_cell,
    rank_list,
    spend_sentence,
)

PHASE_ROWS = 12


def _direct_label(label: str) -> Md:
    """A row of the directly timed logging: `trace_structured` and the record types (from the log) as code."""
    text = label.strip()
    if text.startswith("of which "):
        return Md("of which " + code(text.removeprefix("of which ")))
    head, _, rest = text.partition(" ")
    return Md(code(head) + " " + esc(rest))


def _share(part: float, total: float) -> str:
    return fmt_pct(part / total) if total else "-"


def _summary(report: Report) -> list[str]:
    s, a, total = report.summary, report.asserts, report.summary.compile_time_s
    direct = direct_trace_cost(report.run.manifest if report.run else None)
    return table(
        ["what", "value"],
        [
            [
                "logs / ranks",
                f"{len(report.traces)} / {', '.join(map(str, report.ranks)) or '-'}"
                + (f" in {count(len(report.jobs), 'job')}" if report.several_jobs else ""),
            ],
            ["torch", ", ".join(report.torch_versions) or "unknown"],
            ["compiled frames", frames_line(s, len(report.traces))],
            ["compile time", compile_time_line(report)],
            ["graph breaks", str(s.graph_breaks)],
            ["recompiles", str(len(s.recompiles))],
            ["failures / restarts", f"{len(s.failures)} / {len(s.restarts)}"],
            ["caches", cache_line(s)],
            [
                "structured logging overhead",
                f"{fmt_s(s.structured_logging_overhead_s)} ({_share(s.structured_logging_overhead_s, total)})",
            ],
            [
                Md("`*_torch_trace_only` spans"),
                f"{fmt_s(s.torch_trace_only_s)} ({_share(s.torch_trace_only_s, total)})",
            ],
            *[
                [_direct_label(label), f"{fmt_s(sec)} ({_share(sec, total)}, {calls} calls)"]
                for label, sec, calls in direct
            ],
            [
                "runtime asserts",
                f"{a.total} ({assert_kinds(a)})",
            ],
            ["parse damage", str(report.parse.damage)],
        ],
    )


def _jobs(report: Report) -> list[str]:
    """A report of several jobs: a row per job (ranks are compared within a job only)."""
    if not report.several_jobs:
        return []
    rows = [
        [code(j.name), str(len(j.rank_views)), rank_list(j.ranks) if j.ranks else "-", str(j.totals.compiles),
         fmt_s(j.totals.compile_time_s), f"{rank_cell(j.skew.slowest_rank)} ({fmt_s(j.skew.slowest_s)})" if j.skew
         else "-", ", ".join(d.check for d in j.divergence if d.diverged) or "-"]
        for j in report.jobs
    ]  # fmt: skip
    header = ["job", "logs", "ranks", "compiles", "compile time", "slowest rank", "diverged"]
    return ["### Jobs", "", *table(header, rows)]


def _compiles(report: Report, limit: int) -> list[str]:
    backward = any(c.backward is not None for c in report.compiles)

    def split(c: CompileInfo) -> list[str]:
        if not backward:
            return []
        if c.backward is None:
            return [fmt_s(c.compile_time_s), "-"]
        return [fmt_s(c.forward_compile_time_s), fmt_s(c.backward.compile_time_s)]

    rows = [
        [
            c.compile_id or "?",
            str(c.rank) if c.rank is not None else "-",
            code(c.co_name or "?"),
            fmt_s(c.compile_time_s),
            *split(c),
            fmt_s(c.backend_compile_time_s),
            fmt_s(c.inductor_compile_time_s),
            fmt_s(c.code_gen_time_s),
            fmt_s(c.structured_logging_overhead_s),
            "failed" if c.fail_type else "ok",
        ]
        for c in report.compiles[:limit]
    ]
    header = ["id", "rank", "function", "compile", *(["forward", "backward"] if backward else []), "backend",
              "inductor", "code gen", "log overhead", "status"]  # fmt: skip
    lines = ["### Compiles", "", *table(header, rows)]
    if len(report.compiles) > limit:
        lines += [f"_{count(len(report.compiles) - limit, 'more compile')} not shown._", ""]
    return lines


def _pieces(report: Report, limit: int) -> list[str]:
    pieces, split = report.pieces, report.piecewise
    if not pieces:
        return []
    lines = ["### Piece compiles", ""]
    if split is not None:
        lines += [
            f"{count(split.pieces, 'piece')}, {split.compiled_pieces} compiled, {split.splitting_pieces} eager at "
            f"{esc(', '.join(split.splitting_ops or []) or 'splitting ops not stated')}.",
            "",
        ]
    multi = report.several_logs
    rows = [
        [
            p.compile_id or "-",
            *([rank_cell(p.rank)] if multi else []),
            str(p.piecewise_index),
            code(p.submod_name or "-"),
            piece_range(p),
            fmt_s(p.compile_time_s),
            str(p.ops) if p.ops is not None else "-",
            str(p.asserts.total) if p.asserts else "-",
            piece_cache(p),
        ]
        for p in pieces[:limit]
    ]
    header = ["compile", *(["rank"] if multi else []), "piece", "submodule", "size / range", "compile time", "ops",
              "asserts", "cache"]  # fmt: skip
    return lines + table(header, rows)


def _phases_and_reasons(report: Report) -> list[str]:
    s, total = report.summary, report.summary.compile_time_s
    lines: list[str] = []
    if report.phases and report.several_logs:
        views = report.rank_views
        header = ["span", *(f"rank {rank_cell(v.trace.rank)}" for v in views), "sum over ranks"]
        rows = [
            [code(n), *(fmt_s(v.totals.phases.get(n)) for v in views), fmt_s(value)]
            for n, value in list(report.phases.items())[:PHASE_ROWS]
        ]
        lines += ["### Phase totals by rank", "", *table(header, rows)]
    elif report.phases:
        rows = [
            [code(n), fmt_s(v), fmt_pct(v / total) if total else "-"]
            for n, v in list(report.phases.items())[:PHASE_ROWS]
        ]
        lines += ["### Phase totals", "", *table(["span", "total", "share"], rows)]
    if s.recompiles or s.failures:
        multi = report.several_logs
        rows = [
            [n.compile_id or "?", *([rank_cell(n.rank)] if multi else []), n.kind, n.reason or "-"]
            for n in (*s.recompiles, *s.failures)
        ]
        header = ["compile", *(["rank"] if multi else []), "kind", "reason"]
        lines += ["### Recompiles and failures", "", *table(header, rows)]
    return lines


def _runtime(report: Report) -> list[str]:
    """Run-time costs of compiled code by compile (compilation_metrics_runtime, runtime spans)."""
    rows = [
        [cid, rank_cell(rank), code(what), fmt_s(seconds), str(n)]
        for rank, cid, cost in report.runtime
        for what, seconds, n in cost.items()
    ]
    if not rows:
        return []
    return ["### Run-time costs of compiled code", "", *table(["compile", "rank", "what", "time", "count"], rows)]


def _divergence(report: Report) -> list[str]:
    """The checks on which ranks diverged, each group of ranks on a row; the checks they agree on."""
    diverged = [d for d in report.divergence if d.diverged]
    if not diverged:
        return []
    rows = [
        [d.check if i == 0 else "", rank_list(g.ranks), g.summary, g.first_difference or ""]
        for d in diverged
        for i, g in enumerate(d.groups)
    ]
    lines = ["### Divergence between ranks", "", *table(["check", "ranks", "what they did", "first difference"], rows)]
    agreed = ", ".join(d.check for d in report.divergence if not d.diverged and d.groups[0].count)
    notes = [f"{d.check}: {d.note}." for d in report.divergence if d.note]
    return lines + ([f"Ranks agree on: {agreed}.", ""] if agreed else []) + ([*notes, ""] if notes else [])


def _ranks_and_asserts(report: Report, limit: int) -> list[str]:
    lines: list[str] = []
    if report.skew:
        sk = report.skew
        lines += [
            f"**Rank skew:** slowest rank {sk.slowest_rank} {fmt_s(sk.slowest_s)}, fastest rank "
            f"{sk.fastest_rank} {fmt_s(sk.fastest_s)} ({fmt_s(sk.spread_s)} apart).",
            "",
        ]
    lines += _divergence(report)
    if report.graphs:
        multi, aoti = report.several_logs, report.asserts.aoti_checks > 0
        name_at = 2 if multi else 1  # the generated file's name: an identifier, shown as code
        rows = [graph_cells(g, multi, aoti) for g in report.graphs[:limit]]
        rows = [[*r[:name_at], code(r[name_at]), *r[name_at + 1 :]] for r in rows]
        lines += ["### Runtime asserts per graph", "", *table(graph_header(multi, aoti), rows)]
    return lines


def render_markdown(report: Report, limit: int = 25) -> str:
    """The report as GitHub-flavoured Markdown (at most `limit` rows per table)."""
    lines = [f"## compileprof report: {code(report.source)}", ""]
    if report.run:
        lines += run_markdown(report.run)
    if report.measurements:
        lines += measurement_markdown(report.measurements)
    if report.instructions:
        lines += instruction_markdown(report.instructions, report.phases)
    lines += _summary(report)
    if report.spends:
        spends = [f"- {spend_sentence(sp, code)}" for sp in report.spends[:3]]
        lines += ["### Where compile time goes", "", *spends, ""]
    lines += export_markdown(report)
    lines += _jobs(report)
    lines += _compiles(report, limit)
    lines += _pieces(report, limit)
    lines += _phases_and_reasons(report)
    lines += _runtime(report)
    lines += _ranks_and_asserts(report, limit)
    return "\n".join(lines).rstrip() + "\n"


class MarkdownReport:
    """`--format markdown`: the compact report (every row when `--limit 0`)."""

    def write(self, doc: Report, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the report as Markdown."""
        out.write(clean(render_markdown(doc, limit=opts.limit or len(doc.compiles))).encode())
