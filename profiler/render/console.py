"""The terminal report (rich): summary, compiles, phase trees, logging overhead, asserts, parse health."""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import BinaryIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..analysis.measurements import direct_trace_cost
from ..model.compile import CompileInfo
from ..model.report import Report
from .export_view import export_headline, export_parts
from .instructions_view import instruction_parts
from .ranks_view import PHASE_ROWS, jobs_table, phase_totals_by_rank, rank_parts, unattributed_by_rank
from .registry import RenderOptions
from .terminal import console_on, styled
from .text import (
    assert_kinds,
    cache_label,
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
    spend_sentence,
)

MIN_SHARE = 0.01  # spans under this share of their compile are summed into one line of a phase tree
GRAPH_ROWS = 25  # rows of the per-graph assert table


def _where(c: CompileInfo) -> str:
    name = c.co_name or "?"
    if c.co_filename:
        return f"{name}  {Path(c.co_filename).name}:{c.co_firstlineno if c.co_firstlineno is not None else '?'}"
    return name


def _summary(report: Report) -> Panel:
    s = report.summary
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    ranks = report.ranks
    jobs = f" in {count(len(report.jobs), 'job')}" if report.several_jobs else ""
    shown = "" if not ranks or report.several_jobs else f"  (ranks {', '.join(map(str, ranks))})"
    grid.add_row("logs", f"{len(report.traces)}{jobs}{shown}")
    others = "; ".join(f"{name} {', '.join(v)}" for name, v in report.versions.items() if name != "torch")
    grid.add_row(
        "torch", (", ".join(report.torch_versions) or "unknown (not in this log)") + (f"; {others}" if others else "")
    )
    device = report.device
    grid.add_row("device", device or "unknown (no generated code)")
    grid.add_row("compiled frames", frames_line(s, len(report.traces)))
    for trace, e in report.exports:
        grid.add_row("torch.export", export_headline(e) + (f" (rank {trace.rank})" if report.several_logs else ""))
    grid.add_row("compile time", compile_time_line(report))
    gb = f"{s.graph_breaks}"
    if s.graph_break_reasons:
        top, n = next(iter(s.graph_break_reasons.items()))
        gb += f"  top: {top[:90]} (x{n})"
    grid.add_row("graph breaks", gb)
    grid.add_row("recompiles", str(len(s.recompiles)))
    grid.add_row("failures", str(len(s.failures)))
    grid.add_row("restarts", str(len(s.restarts)))
    grid.add_row("caches", cache_line(s))
    m = report.measured
    if m is not None:
        variants = ", ".join(sorted(m.variants))
        grid.add_row(
            "measurement",
            f"{count(m.compiles, 'compile')} ({variants}) in {fmt_s(m.compile_time_s)}, not counted above",
        )
    return Panel(grid, title=styled(f"compileprof report: {report.source}"), title_align="left")


def _more(shown: int, total: int, what: str) -> list:
    """A dim line saying how many rows --limit left out."""
    return [styled(f"... {total - shown} more {what} (--limit 0 shows all)", "dim")] if total > shown else []


def _reasons(report: Report, opts: RenderOptions) -> list:
    s = report.summary
    limit = opts.limit or None
    multi = report.several_logs
    out: list = []
    if s.recompiles:
        t = Table(title="Recompiles", title_justify="left", show_edge=False)
        t.add_column("compile")
        if multi:
            t.add_column("rank", justify="right")
        t.add_column("reason", overflow="fold")
        for n in s.recompiles[:limit]:
            rank = [rank_cell(n.rank)] if multi else []
            t.add_row(n.compile_id or "?", *rank, n.reason or "(no reason in the log)")
        out += [t, *_more(t.row_count, len(s.recompiles), "recompiles")]
    if s.failures or s.restarts:
        t = Table(title="Failures and restarts", title_justify="left", show_edge=False)
        t.add_column("compile")
        if multi:
            t.add_column("rank", justify="right")
        t.add_column("kind")
        t.add_column("reason", overflow="fold")
        rows = [(n, styled(n.kind, "red"), n.reason or "(null fail_reason)") for n in s.failures]
        rows += [(n, "restart", n.reason) for n in s.restarts]
        for n, kind, reason in rows[:limit]:
            t.add_row(n.compile_id or "?", *([rank_cell(n.rank)] if multi else []), kind, reason)
        out += [t, *_more(t.row_count, len(rows), "failures and restarts")]
    return out


def _compiles(report: Report, opts: RenderOptions) -> list:
    if not report.compiles:
        return []
    multi = report.several_logs
    title = "Compiles (whole-frame time and its parts from compilation_metrics"
    title += "; compile = forward + its lazily compiled backward)" if any(c.backward for c in report.compiles) else ")"
    t = Table(title=title, title_justify="left")
    t.add_column("id")
    if multi:
        t.add_column("rank", justify="right")
    t.add_column("function", overflow="fold")
    trace_only = any(c.trace_only_s for c in report.compiles)
    backward = any(c.backward is not None for c in report.compiles)
    names = ("compile", *(("forward", "backward") if backward else ()), "backend", "inductor", "code gen", "log ovh")
    for name in (*names, *(("trace-only",) if trace_only else ())):
        t.add_column(name, justify="right")
    t.add_column("cache")
    t.add_column("status")
    rows = report.compiles if not opts.limit else report.compiles[: opts.limit]
    for c in rows:
        cache = ", ".join(f"{cache_label(k)}" + (f" x{v}" if v > 1 else "") for k, v in c.cache.items() if v)
        cache = ", ".join([*([cache] if cache else []), *(f"{name} off" for name in c.cache_disabled)])
        word = "failed" if c.fail_type else ("restarted" if c.restart_reasons else "ok")
        status = styled(word + (" recompile" if c.is_recompile else ""), "red" if c.fail_type else "")
        cells = [f"{c.compile_id or '-'}" + (f" a{c.attempt}" if c.attempt else "")]
        if multi:
            cells.append(rank_cell(c.rank))
        cells += [
            _where(c),
            fmt_s(c.compile_time_s),
            *(_forward_backward(c) if backward else ()),
            fmt_s(c.backend_compile_time_s),
            fmt_s(c.inductor_compile_time_s),
            fmt_s(c.code_gen_time_s),
            fmt_s(c.structured_logging_overhead_s),
            *([fmt_s(c.trace_only_s or None)] if trace_only else []),
            cache or "-",
            status,
        ]
        t.add_row(*cells)
    out: list = [t]
    if opts.limit and len(report.compiles) > opts.limit:
        out.append(
            styled(f"... {count(len(report.compiles) - opts.limit, 'more compile')} (--limit 0 shows all)", "dim")
        )
    return out


def _forward_backward(c: CompileInfo) -> tuple[str, str]:
    """The forward's and the lazily compiled backward's time of a compile (`-`: it has no backward)."""
    if c.backward is None:
        return fmt_s(c.compile_time_s), "-"
    return fmt_s(c.forward_compile_time_s), fmt_s(c.backward.compile_time_s)


def _known(n: int | None) -> int | str:
    return "?" if n is None else n


def _pieces(report: Report) -> list:
    pieces = report.pieces
    split = report.piecewise
    if not pieces and split is None:
        return []
    out: list = []
    if split is not None:
        ops = ", ".join(split.splitting_ops or []) or "not stated"
        out.append(
            styled(
                f"Piecewise split ({split.prefix}): {count(_known(split.pieces), 'piece')}, "
                f"{split.compiled_pieces if split.compiled_pieces is not None else '?'} compiled, "
                f"{split.splitting_pieces if split.splitting_pieces is not None else '?'} run eagerly at "
                f"splitting ops ({ops}); compile sizes: {split.compile_sizes or 'none'}",
                style="bold",
            )
        )
    t = Table(title=f"Piece compiles ({len(pieces)})", title_justify="left")
    multi = report.several_logs
    for col, j in (
        ("compile", "left"), *([("rank", "right")] if multi else []), ("piece", "right"), ("submodule", "left"),
        ("size / range", "left"), ("compile time", "right"), ("ops", "right"), ("asserts", "right"),
        ("cache", "left"),
    ):  # fmt: skip
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for p in pieces:
        t.add_row(
            p.compile_id or "-",
            *([rank_cell(p.rank)] if multi else []),
            str(p.piecewise_index) if p.piecewise_index is not None else "-",
            p.submod_name or "-",
            piece_range(p),
            fmt_s(p.compile_time_s) + ("*" if p.time_source == "log timestamps" else ""),
            str(p.ops) if p.ops is not None else "-",
            str(p.asserts.total) if p.asserts else "-",
            piece_cache(p),
        )
    out.append(t)
    timed = [p.compile_time_s for p in pieces if p.compile_time_s is not None]
    backend = report.totals.backend_compile_time_s
    note = f"pieces compiled in {fmt_s(sum(timed))}"
    if backend:
        note += f" of {fmt_s(backend)} backend compile time ({fmt_pct(sum(timed) / backend)})"
    if any(p.time_source == "log timestamps" for p in pieces):
        note += "; * timed from the log's timestamps (no compile span in this trace)"
    out.append(styled(note, style="dim"))
    return out


def _tree(c: CompileInfo, opts: RenderOptions, multi: bool = False) -> Tree:
    roots = c.phases()
    whole = c.compile_time_s or sum(n["total_s"] for n in roots) or None
    callers = [f for f in c.user_stack[:-1] if "/torch/" not in f and "site-packages" not in f]
    called = f"  (called from {Path(callers[-1]).name})" if callers else ""
    label = Text.assemble(
        styled(c.compile_id or "-", "bold"),
        styled(f" rank {rank_cell(c.rank)}" if multi else ""),
        styled(f" {c.co_name or ''}  {fmt_s(c.compile_time_s)}"),
        styled(called, "dim"),
    )
    tree = Tree(label)

    def add(parent: Tree, node: dict, depth: int) -> None:
        share = node["total_s"] / whole if whole else None
        text = (
            f"{node['name']}  {fmt_s(node['total_s'])} total, {fmt_s(node['self_s'])} self"
            + (f", x{node['count']}" if node["count"] != 1 else "")
            + (f"  {fmt_pct(share)}" if share is not None else "")
        )
        branch = parent.add(text)
        if depth >= opts.depth:
            return
        hidden = 0.0
        for child in sorted(node["children"], key=lambda n: -n["total_s"]):
            if whole and child["total_s"] / whole < MIN_SHARE:
                hidden += child["total_s"]
                continue
            add(branch, child, depth + 1)
        if hidden:
            branch.add(styled(f"(spans under {fmt_pct(MIN_SHARE)} each: {fmt_s(hidden)})", style="dim"))

    for root in roots:
        add(tree, root, 1)
    if not roots:
        tree.add(styled("no chromium events for this compile in the log", style="dim"))
    return tree


def _phases(report: Report, opts: RenderOptions) -> list:
    out: list = []
    slowest = heapq.nlargest(opts.trees, report.compiles, key=lambda c: c.compile_time_s or 0)
    if slowest:
        title = (
            "Phase tree of the slowest compile"
            if len(slowest) == 1
            else f"Phase trees of the {len(slowest)} slowest compiles"
        )
        out.append(styled(title, style="bold italic"))
        out.extend(_tree(c, opts, report.several_logs) for c in slowest)
    by_rank = report.several_logs and not report.several_jobs  # ranks of different jobs share numbers
    if report.phases:
        out.append(phase_totals_by_rank(report) if by_rank else _phase_table(report))
    if report.unattributed:
        out.append(unattributed_by_rank(report) if by_rank else _unattributed(report))
    begin, end = report.stray_events
    if begin or end:
        out.append(
            styled(
                f"Unpaired events: {begin} B never closed, {end} E with no B (truncated or interleaved log)",
                style="yellow",
            )
        )
    if report.spends:
        out.append(styled("Where compile time goes", style="bold italic"))
        for spend in report.spends[:3]:
            out.append(styled("  - " + spend_sentence(spend)))
    return out


def _unattributed(report: Report) -> Table:
    t = Table(
        title="Spans outside any compile (background threads, compile id None, compiles without metrics)",
        title_justify="left",
    )
    t.add_column("span")
    t.add_column("total", justify="right")
    t.add_column("count", justify="right")
    for span in list(report.unattributed.values())[:10]:
        t.add_row(span.name, fmt_s(span.total_s), str(span.count))
    return t


def _phase_table(report: Report) -> Table:
    total = report.summary.compile_time_s
    t = Table(title="Phase totals across compiles", title_justify="left")
    t.add_column("span")
    t.add_column("total", justify="right")
    t.add_column("share", justify="right")
    for name, value in list(report.phases.items())[:PHASE_ROWS]:
        t.add_row(name, fmt_s(value), fmt_pct(value / total) if total else "-")
    return t


def _runtime(report: Report) -> list:
    """What compiled code cost when it ran (runtime autotuning, cudagraphs), by the compile it belongs to."""
    rows = report.runtime
    if not rows:
        return []
    multi = report.several_logs
    t = Table(title="Run-time costs of compiled code, by compile (compilation_metrics_runtime, runtime spans)",
              title_justify="left")  # fmt: skip
    for name in ("compile", *(["rank"] if multi else []), "what", "time", "count"):
        t.add_column(name, justify="right" if name in ("rank", "time", "count") else "left")
    for rank, cid, cost in rows[:GRAPH_ROWS]:
        for i, (what, seconds, n) in enumerate(cost.items()):
            t.add_row(cid if i == 0 else "", *([rank_cell(rank) if i == 0 else ""] if multi else []), what,
                      fmt_s(seconds), str(n))  # fmt: skip
    return [t]


def _logging(report: Report) -> list:
    if not report.compiles:
        return []
    s = report.summary
    total = s.compile_time_s
    t = Table(title="Structured-logging (TORCH_TRACE) overhead", title_justify="left")
    t.add_column("what")
    t.add_column("time", justify="right")
    t.add_column("share of compile", justify="right")
    t.add_column("count", justify="right")
    overhead = report.totals.structured_logging_overhead_s
    reported = report.totals.overhead_reported
    t.add_row(
        "torch structured_logging_overhead",
        fmt_s(overhead) if overhead is not None else "not in log",
        fmt_pct(overhead / total) if overhead is not None and total else "-",
        str(reported),
    )
    for span in report.trace_only.values():
        t.add_row(
            f"span {span.name}", fmt_s(span.total_s), fmt_pct(span.total_s / total) if total else "-", str(span.count)
        )
    if not report.trace_only:
        t.add_row("*_torch_trace_only spans", "none in log", "-", "0")
    for label, seconds, calls in direct_trace_cost(report.run.manifest if report.run else None):
        t.add_row(label, fmt_s(seconds), fmt_pct(seconds / total) if total else "-", str(calls))
    return [t]


def _asserts(report: Report) -> list:
    a = report.asserts
    head = styled(
        f"Runtime asserts in generated code: {a.total} ({assert_kinds(a)}) in {count(len(report.graphs), 'graph')}",
        style="bold",
    )
    out: list = [head]
    if report.graphs:
        t = Table(show_edge=False)
        multi, aoti = report.several_logs, a.aoti_checks > 0
        for name in (*graph_header(multi, aoti), "guards"):
            numeric = name in ("rank", "size", "align", "scalar", "nan", "aoti")
            t.add_column(name, justify="right" if numeric else "left", overflow="fold")
        for g in report.graphs[:GRAPH_ROWS]:
            ops = ", ".join(f"{op} x{n}" for op, n in sorted(g.guarded_ops.items(), key=lambda kv: -kv[1])[:3])
            guards = count(len(g.guarded_inputs), "input") + (f"; ops: {ops}" if ops else "")
            t.add_row(*graph_cells(g, multi, aoti), guards)
        out.append(t)
        if len(report.graphs) > GRAPH_ROWS:
            out.append(styled(f"... {count(len(report.graphs) - GRAPH_ROWS, 'more graph')} (see --format json)", "dim"))
    return out


def _health(report: Report) -> Text:
    p = report.parse
    parts = [f"{p.lines} lines, {p.records} records, {p.bytes / 1e6:.1f} MB"]
    damage = [(name, getattr(p, name)) for name in p.DAMAGE if getattr(p, name)]
    if damage:
        parts.append("damage: " + ", ".join(f"{name} {n}" for name, n in damage))
        if p.unknown_kinds:
            parts.append("unknown types: " + ", ".join(f"{k} x{n}" for k, n in p.unknown_kinds.items()))
        if p.bad_value_fields:
            parts.append("bad values in: " + ", ".join(f"{k} x{n}" for k, n in p.bad_value_fields.items()))
    if report.rank_conflicts:
        parts.append("ranks chosen: " + "; ".join(report.rank_conflicts))
    if report.skipped_files:
        parts.append(
            f"{count(len(report.skipped_files), 'file')} under the path not read (JSON skipped_files says why)"
        )
    if len(parts) > 1:
        return styled("Parse health: " + "; ".join(parts), style="yellow")
    return styled("Parse health: " + parts[0] + "; no damage", style="green")


def render_console(report: Report, console: Console, opts: RenderOptions | None = None) -> None:
    """Print the whole report to `console`."""
    opts = opts or RenderOptions()
    if report.run or report.measurements:
        from .run_view import measurement_parts, run_parts  # a run directory's parts: not for a plain log
    parts: list = [
        *(run_parts(report.run) if report.run else []),
        *(measurement_parts(report.measurements) if report.measurements else []),
        *(instruction_parts(report.instructions, report.phases) if report.instructions else []),
        _summary(report),
        *_reasons(report, opts),
        *export_parts(report),
        *_compiles(report, opts),
        *_pieces(report),
        *_phases(report, opts),
        *_runtime(report),
        *_logging(report),
        *_asserts(report),
        *rank_parts(report),
        *jobs_table(report),
        _health(report),
    ]
    console.print(Group(*parts))


class ConsoleReport:
    """The terminal report (the default format)."""

    def write(self, doc: Report, out: BinaryIO, opts: RenderOptions) -> None:
        """Print the report to `out`."""
        console, text = console_on(out, opts)
        try:
            render_console(doc, console, opts)
        finally:
            text.flush()
            text.detach()
