"""`compileprof history show` and `history changes`: a series' metrics over commits (console table with a
sparkline, JSON, Markdown, a self-contained trend page) and the change points found in them."""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson
from rich.table import Table
from rich.text import Text

from ..gate.metrics import COUNT
from ..history.trend import FoundChange, MetricTrend, SeriesTrend
from ..unicode import dumps
from .md import code, esc, table
from .registry import RenderOptions
from .terminal import console_on, styled
from .text import fmt_s

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 24) -> str:
    """The last `width` values as block characters, lowest to highest (a flat series: all low)."""
    shown = values[-width:]
    lo, hi = min(shown), max(shown)
    if hi == lo:
        return BARS[0] * len(shown)
    return "".join(BARS[min(len(BARS) - 1, int((v - lo) / (hi - lo) * len(BARS)))] for v in shown)


def value_text(kind: str, v: float | None) -> str:
    """A count as an integer, a time as a duration."""
    if v is None:
        return "-"
    return f"{v:g}" if kind == COUNT else fmt_s(v)


def machine_text(machine: dict[str, Any]) -> str:
    """`Linux x86_64, AMD EPYC 7B13 x2, cpu`."""
    cpu = machine.get("cpu")
    count = machine.get("cpu_count")
    parts = [" ".join(str(machine[k]) for k in ("system", "machine") if machine.get(k))]
    parts.append(f"{cpu or 'CPU'}" + (f" x{count}" if count else ""))
    parts.append(str(machine.get("device") or "?"))
    return ", ".join(p for p in parts if p)


def change_text(m: MetricTrend, shown: int = 3) -> str:
    """`at abc1234 +18.2%` for the last changes of a metric."""
    parts = []
    for c in m.changes[-shown:]:
        rel = f" {c.relative * 100:+.1f}%" if c.relative is not None else f" {c.step:+g}"
        parts.append(f"at {m.commits[c.index][:8]}{rel}")
    return "; ".join(parts) or "-"


def series_to_dict(t: SeriesTrend) -> dict[str, Any]:
    """The JSON form of one series' trends."""
    return {
        "series": t.key, "model": t.model, "machine": t.machine, "branch": t.branch, "commits": t.commits,
        "recorded_at": t.recorded_at,
        "environment_changes": [{"index": i, "what": w} for i, w in t.environment_changes],
        "metrics": [
            {"name": m.name, "kind": m.kind, "commits": m.commits, "values": m.values,
             "spread": [list(s) for s in m.spread], "latest": m.latest, "relative": m.relative,
             "changes": [{"index": c.index, "commit": m.commits[c.index], "before": c.before, "after": c.after,
                          "relative": c.relative, "p_value": c.p_value} for c in m.changes]}
            for m in t.metrics
        ],
    }  # fmt: skip


class HistoryConsole:
    """One table per series: each metric's latest value, its change over the points shown, a sparkline
    and its change points."""

    def write(self, doc: list[SeriesTrend], out: BinaryIO, opts: RenderOptions) -> None:
        """Print the trends."""
        console, text = console_on(out, opts)
        try:
            if not doc:
                console.print("the history holds no point that matches")
            for t in doc:
                title = f"{t.model} on {machine_text(t.machine)}" + (f", branch {t.branch}" if t.branch else "")
                tab = Table(title=f"{title}: {len(t.commits)} points, {t.commits[0][:8]} .. {t.commits[-1][:8]}",
                            title_justify="left")  # fmt: skip
                for name, justify in (("metric", "left"), ("latest", "right"), ("change", "right"),
                                      ("trend", "left"), ("change points", "left")):  # fmt: skip
                    tab.add_column(name, justify=justify)  # type: ignore[arg-type]
                for m in t.metrics[: opts.limit or None]:
                    rel = f"{m.relative * 100:+.1f}%" if m.relative is not None else "-"
                    tab.add_row(m.name, value_text(m.kind, m.latest), rel, sparkline(m.values), change_text(m))
                console.print(tab)
                for i, what in t.environment_changes:
                    console.print(styled(f"  at {t.commits[i][:8]}: {what}", "dim"))
        finally:
            text.flush()
            text.detach()


class HistoryJson:
    """The trends as JSON."""

    def write(self, doc: list[SeriesTrend], out: BinaryIO, opts: RenderOptions) -> None:
        """Write the trends."""
        body = {"schema_version": 1, "series": [series_to_dict(t) for t in doc]}
        out.write(dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


class HistoryMarkdown:
    """The trends as Markdown tables (a CI job summary)."""

    def write(self, doc: list[SeriesTrend], out: BinaryIO, opts: RenderOptions) -> None:
        """Write the trends."""
        lines = ["## compileprof history", ""]
        for t in doc:
            lines += [f"### {esc(t.model)} on {esc(machine_text(t.machine))}", ""]
            rows = [[code(m.name), value_text(m.kind, m.latest),
                     f"{m.relative * 100:+.1f}%" if m.relative is not None else "-", sparkline(m.values),
                     change_text(m)] for m in t.metrics[: opts.limit or None]]  # fmt: skip
            lines += table(["metric", "latest", "change", "trend", "change points"], rows)
        out.write("\n".join(lines).encode())


class HistoryHtml:
    """`-o trend.html`: one self-contained page, a chart per metric over commits (see assets/trend.js)."""

    def write(self, doc: list[SeriesTrend], out: BinaryIO, opts: RenderOptions) -> None:
        """Write the page."""
        from .html_report import document

        data = {"series": [series_to_dict(t) | {"machine_text": machine_text(t.machine)} for t in doc]}
        out.write(document("trend", "compileprof history", data, script="trend.js"))


def _change_row(f: FoundChange) -> list[str]:
    c = f.change
    rel = f"{c.relative * 100:+.1f}%" if c.relative is not None else "-"
    sig = "exact" if f.kind == COUNT else f"p = {c.p_value:.3g}"
    return [f.model, f.metric, f.commit[:12], f.previous[:12], f"{value_text(f.kind, c.before)} -> "
            f"{value_text(f.kind, c.after)}", rel, sig]  # fmt: skip


CHANGE_HEADER = ["model", "metric", "first commit after", "last before", "step", "relative", "significance"]


class ChangesConsole:
    """The change points, largest relative step first."""

    def write(self, doc: list[FoundChange], out: BinaryIO, opts: RenderOptions) -> None:
        """Print the change points."""
        console, text = console_on(out, opts)
        try:
            if not doc:
                console.print("no change point in the history")
                return
            tab = Table(title=f"{len(doc)} change points (E-Divisive means for times; every change of a count)",
                        title_justify="left")  # fmt: skip
            for name in CHANGE_HEADER:
                tab.add_column(name)
            for f in doc[: opts.limit or None]:
                tab.add_row(*_change_row(f))
            console.print(tab)
        finally:
            text.flush()
            text.detach()


class ChangesJson:
    """The change points as JSON."""

    def write(self, doc: list[FoundChange], out: BinaryIO, opts: RenderOptions) -> None:
        """Write the change points."""
        body = {"schema_version": 1, "changes": [
            {"model": f.model, "series": f.series, "metric": f.metric, "kind": f.kind, "commit": f.commit,
             "previous": f.previous, "before": f.change.before, "after": f.change.after, "step": f.change.step,
             "relative": f.change.relative, "p_value": f.change.p_value} for f in doc]}  # fmt: skip
        out.write(dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


class ChangesMarkdown:
    """The change points as a Markdown table."""

    def write(self, doc: list[FoundChange], out: BinaryIO, opts: RenderOptions) -> None:
        """Write the change points."""
        rows = [[esc(c) for c in _change_row(f)] for f in doc[: opts.limit or None]]
        out.write("\n".join(["## compileprof history: change points", "", *table(CHANGE_HEADER, rows)]).encode())


def recorded_line(point_id: int, commit: str, branch: str | None, model: str, metrics: int, where: str) -> Text:
    """`recorded point #12: commit abc123 (main), mlp, 31 metrics in .compileprof/history.db`."""
    on = f" ({branch})" if branch else ""
    return styled(f"recorded point #{point_id}: commit {commit[:12]}{on}, {model}, {metrics} metrics in {where}")
