"""The torch.export part of a report (console and Markdown), and what a log with no compiles holds."""

from __future__ import annotations

from rich.table import Table

from ..model.export import ExportInfo
from ..model.report import Report
from .md import code, esc
from .terminal import styled
from .text import count, trace_name

EXPORT_HINT = (
    "torch.export writes its records (the exported program, guards, data-dependent errors) only under "
    "TORCH_DTRACE=<dir>, the verbose form of TORCH_TRACE"
)


def export_headline(e: ExportInfo) -> str:
    """`2 exports: 1 succeeded, 1 failed`."""
    return f"{count(len(e.attempts), 'export')}: {len(e.attempts) - e.failed} succeeded, {e.failed} failed"


def _lines(e: ExportInfo) -> list[tuple[str, str]]:
    """(what, value) rows of one log's export records."""
    rows = []
    for i, a in enumerate(e.attempts, 1):
        if a.ok:
            size = f"{count(a.program_nodes, 'node')} ({a.program_ops} torch ops), {a.program_bytes} bytes printed"
            inputs = f"; inputs: {', '.join(a.inputs)}" if a.inputs else ""
            ranges = f"; ranges: {a.range_constraints}" if a.range_constraints else ""
            rows.append((f"export {i}", f"ok: {size}{inputs}{ranges}"))
        else:
            rows.append((f"export {i}", f"FAILED: {a.failure}"))
    rows.append(("guards added", f"{e.guards}" + (f": {'; '.join(e.guard_list)}" if e.guard_list else "")))
    spec = f": {'; '.join(e.specialization_list)}" if e.specialization_list else ""
    rows.append(("specializations", f"{e.specializations}{spec}"))
    rows.append(("symbols", f"{e.symbols} symbolic sizes, {e.unbacked_symbols} data-dependent (unbacked)"))
    if e.data_dependent_errors:
        rows.append(("data-dependent errors", f"{e.data_dependent_errors}: {'; '.join(e.data_dependent_list)}"))
    if e.fake_kernel_issues:
        rows.append(("fake kernel issues", f"{e.fake_kernel_issues}: {'; '.join(e.fake_kernel_list)}"))
    return rows


def export_parts(report: Report) -> list:
    """Console: one table per log with torch.export records; a note when a log holds no compile at all."""
    out: list = []
    multi = report.several_logs
    for trace, e in report.exports:
        where = f" ({trace_name(trace)}, rank {trace.rank})" if multi else ""
        t = Table(title=f"torch.export{where}: {export_headline(e)}", title_justify="left", show_header=False)
        t.add_column("what", style="bold")
        t.add_column("value", overflow="fold")
        for what, value in _lines(e):
            t.add_row(what, styled(value, "red") if value.startswith("FAILED") else value)
        out.append(t)
    if _holds_nothing(report):
        out.append(styled(no_compiles(report), "yellow"))
    return out


def _holds_nothing(report: Report) -> bool:
    """True when the logs hold neither a compile (the model's or a measurement's) nor an export."""
    return not report.compiles and not report.exports and not report.measure_compiles


def no_compiles(report: Report) -> str:
    """What a log without a single compile holds, and what to do if it came from torch.export."""
    kinds = ", ".join(f"{k} {n}" for k, n in list(report.record_kinds.items())[:8]) or "no records"
    return f"No compiles in {count(len(report.traces), 'log')} (records: {kinds}). If this came from torch.export: " + (
        EXPORT_HINT + "."
    )


def export_markdown(report: Report) -> list[str]:
    """Markdown: the same rows, one list per log."""
    lines: list[str] = []
    for trace, e in report.exports:
        lines += [f"### torch.export ({code(trace_name(trace))}): {export_headline(e)}", ""]
        lines += [f"- **{what}**: {esc(value)}" for what, value in _lines(e)] + [""]
    if _holds_nothing(report):
        lines += [f"_{esc(no_compiles(report))}_", ""]
    return lines
