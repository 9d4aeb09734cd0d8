"""The Markdown renderer: a compact report for a CI job summary or a pull-request comment."""

from __future__ import annotations

from ..report import Report
from .run_view import measurement_markdown, run_markdown
from .words import cache_label, fmt_pct, fmt_s, graph_cells, piece_cache, piece_range, spend_sentence


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _share(part: float, total: float) -> str:
    return fmt_pct(part / total) if total else "-"


def render_markdown(report: Report, limit: int = 25) -> str:
    """The report as GitHub-flavoured Markdown."""
    s = report.summary
    a = report.asserts
    total = s.compile_time_s
    lines = [f"## compileprof report: `{report.source}`", ""]
    if report.run:
        lines += run_markdown(report.run)
    if report.measurements:
        lines += measurement_markdown(report.measurements)
    lines += _table(
        ["what", "value"],
        [
            ["logs / ranks", f"{len(report.traces)} / {', '.join(map(str, report.ranks)) or '-'}"],
            ["torch", ", ".join(report.torch_versions) or "unknown"],
            ["compiled frames", f"{s.frames} ({s.compiles} compiles, {s.attempts} attempts)"],
            ["compile time", fmt_s(total)],
            ["graph breaks", str(s.graph_breaks)],
            ["recompiles", str(len(s.recompiles))],
            ["failures / restarts", f"{len(s.failures)} / {len(s.restarts)}"],
            ["caches", ", ".join(f"{cache_label(k)} {v}" for k, v in s.cache.items()) or "-"],
            [
                "structured logging overhead",
                f"{fmt_s(s.structured_logging_overhead_s)} ({_share(s.structured_logging_overhead_s, total)})",
            ],
            [
                "`*_torch_trace_only` spans",
                f"{fmt_s(s.torch_trace_only_s)} ({_share(s.torch_trace_only_s, total)})",
            ],
            [
                "runtime asserts",
                f"{a.total} (size/stride {a.size_stride}, alignment {a.alignment}, scalar {a.scalar}, nan {a.nan})",
            ],
            ["parse damage", str(report.parse.damage)],
        ],
    )
    if report.spends:
        lines += ["### Where compile time goes", ""] + [f"- {spend_sentence(sp)}" for sp in report.spends[:3]] + [""]
    rows = [
        [
            c.compile_id or "?",
            str(c.rank) if c.rank is not None else "-",
            c.co_name or "?",
            fmt_s(c.compile_time_s),
            fmt_s(c.backend_compile_time_s),
            fmt_s(c.inductor_compile_time_s),
            fmt_s(c.code_gen_time_s),
            fmt_s(c.structured_logging_overhead_s),
            "failed" if c.fail_type else "ok",
        ]
        for c in report.compiles[:limit]
    ]
    lines += ["### Compiles", ""]
    lines += _table(
        ["id", "rank", "function", "compile", "backend", "inductor", "code gen", "log overhead", "status"], rows
    )
    if len(report.compiles) > limit:
        lines += [f"_{len(report.compiles) - limit} more compiles not shown._", ""]
    pieces = report.pieces
    if pieces:
        split = report.piecewise
        lines += ["### Piece compiles", ""]
        if split is not None:
            lines += [
                f"{split.pieces} pieces, {split.compiled_pieces} compiled, {split.splitting_pieces} eager at "
                f"{', '.join(split.splitting_ops or []) or 'splitting ops not stated'}.",
                "",
            ]
        lines += _table(
            ["compile", "piece", "submodule", "size / range", "compile time", "ops", "asserts", "cache"],
            [
                [
                    p.compile_id or "-",
                    str(p.piecewise_index),
                    p.submod_name or "-",
                    piece_range(p),
                    fmt_s(p.compile_time_s),
                    str(p.ops) if p.ops is not None else "-",
                    str(p.asserts.total) if p.asserts else "-",
                    piece_cache(p),
                ]
                for p in pieces[:limit]
            ],
        )
    if report.phases:
        lines += ["### Phase totals", ""]
        lines += _table(
            ["span", "total", "share"],
            [[n, fmt_s(v), fmt_pct(v / total) if total else "-"] for n, v in list(report.phases.items())[:12]],
        )
    if s.recompiles or s.failures:
        lines += ["### Recompiles and failures", ""]
        lines += _table(
            ["compile", "kind", "reason"],
            [[c or "?", "recompile", r or "-"] for c, r in s.recompiles]
            + [[c or "?", t, r or "(null)"] for c, t, r in s.failures],
        )
    if report.skew:
        sk = report.skew
        lines += [
            f"**Rank skew:** slowest rank {sk.slowest_rank} {fmt_s(sk.slowest_s)}, fastest rank "
            f"{sk.fastest_rank} {fmt_s(sk.fastest_s)} ({fmt_s(sk.spread_s)} apart).",
            "",
        ]
    if report.graphs:
        lines += ["### Runtime asserts per graph", ""]
        lines += _table(
            ["compile", "graph", "size/stride", "alignment", "scalar", "nan"],
            [graph_cells(g) for g in report.graphs[:limit]],
        )
    return "\n".join(lines).rstrip() + "\n"
