"""How `check` and `diff` show their results: console lines, Markdown, JSON and JUnit XML."""

from __future__ import annotations

from typing import Any, BinaryIO
from xml.etree import ElementTree as ET

import orjson
from rich.table import Table
from rich.text import Text

from ..errors import EXIT_OK
from ..gate.compare import IMPROVEMENT, MISSING, REGRESSION, CheckOutcome, GateResult, Verdict
from ..gate.diff import EXACT, NOISE, SIGNIFICANT, UNTESTED, DiffResult
from ..gate.metrics import COUNT, INSTRUCTIONS, TIME
from ..gate.update import BaselineChange
from ..unicode import dumps, xml_text
from .escaping import clean
from .md import code, esc
from .md import table as md_table
from .registry import RenderOptions
from .terminal import console_on, styled
from .text import count, fmt_s

STYLE = {
    "PASS": "green", "REGRESSION": "bold red", "IMPROVEMENT": "bold yellow", "INCONCLUSIVE": "yellow",
    "NEW": "cyan", "MISSING": "bold red", "SKIPPED": "dim", "MOVED": "yellow",
}  # fmt: skip


def fmt_value(kind: str, v: float | None) -> str:
    """A count as an integer, an instruction count with separators, a time as a duration."""
    if v is None:
        return "-"
    if kind == INSTRUCTIONS:
        return f"{round(v):,}"
    return f"{v:g}" if kind == COUNT else fmt_s(v)


def fmt_change(kind: str, change: float | None, rel: float | None) -> str:
    """`+2`, `+12.3 ms (+4.1%)`, `+1,234,567 (+0.1%)`."""
    if change is None:
        return "-"
    sign = "+" if change >= 0 else "-"
    text = f"{sign}{fmt_value(kind, abs(change))}" if kind != TIME else f"{sign}{fmt_s(abs(change))}"
    return text + (f" ({rel * 100:+.1f}%)" if rel is not None else "")


def fmt_evidence(row: dict[str, Any]) -> str:
    """What a diff row's change rests on, in words: `exact`, `p = 0.003`, `noise (p = 0.31)`,
    `1 vs 1 samples: untested`."""
    said, p = row.get("evidence"), row.get("p_value")
    if said == SIGNIFICANT:
        return f"p = {p:.2g}"
    if said == NOISE:
        return f"noise (p = {p:.2g})" if p is not None else "noise (within 1%)"
    if said == UNTESTED:
        return f"{row['samples_a']} vs {row['samples_b']} samples: untested"
    return str(said or "-")


def fmt_tolerance(v: Verdict) -> str:
    """`exact`, `10%`, `5 ms or 10%`."""
    a, r = v.tolerance.get("abs", 0.0), v.tolerance.get("rel", 0.0)
    if not a and not r:
        return "exact"
    parts = ([fmt_value(v.kind, a)] if a else []) + ([f"{r * 100:g}%"] if r else [])
    return " or ".join(parts)


def verdict_line(v: Verdict) -> Text:
    """One line per metric."""
    label = v.status + ("" if v.gated or v.status in ("PASS", "NEW", "SKIPPED", "MOVED") else " (advisory)")
    figures = (
        f" {v.name:<46} {fmt_value(v.kind, v.baseline):>10} -> {fmt_value(v.kind, v.current):<10} "
        f"{fmt_change(v.kind, v.change, v.rel_change):<22} tolerance {fmt_tolerance(v)}"
    )
    return Text.assemble(
        styled(f"{label:<24}", STYLE[v.status]), styled(figures), styled(f"  {v.note}" if v.note else "", "dim")
    )


def status_word(result: GateResult) -> str:
    """FAIL, STALE or PASS."""
    if result.failing:
        return "FAIL"
    if result.improvements:
        return "STALE"
    return "PASS"


def summary_line(result: GateResult) -> str:
    """`FAIL: 1 regression, 0 missing, 2 improvements; 30 metrics`."""
    counts: dict[str, int] = {}
    for v in result.verdicts:
        counts[v.status] = counts.get(v.status, 0) + 1
    parts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    return f"{status_word(result)}: {parts} ({count(len(result.verdicts), 'metric')})"


def gate_markdown(result: GateResult, update_command: str) -> str:
    """A Markdown summary (GitHub step summary); metric names and notes escaped."""
    lines = [f"## compileprof check: {status_word(result)}", "", summary_line(result), ""]
    lines += [f"> {esc(n)}" for n in result.notes]
    order = {REGRESSION: 0, MISSING: 1, IMPROVEMENT: 2}
    rows = [
        [f"{v.status}{'' if v.gated else ' (advisory)'}", code(v.name), fmt_value(v.kind, v.baseline),
         fmt_value(v.kind, v.current), fmt_change(v.kind, v.change, v.rel_change), fmt_tolerance(v)]
        for v in sorted(result.verdicts, key=lambda v: (order.get(v.status, 3), v.name))
    ]  # fmt: skip
    lines += ["", *md_table(["status", "metric", "baseline", "current", "change", "tolerance"], rows)]
    lines += [f"Update the baseline: {code(update_command)}", ""]
    return "\n".join(lines)


def gate_junit(result: GateResult) -> bytes:
    """JUnit XML: one test case per metric; gated regressions, missing metrics and improvements fail.
    Every string is cut to the characters XML 1.0 allows, so the document always parses."""
    suite = ET.Element("testsuite", name="compileprof check", tests=str(len(result.verdicts)))
    failures = skipped = 0
    for v in result.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"compileprof.{v.kind}", name=xml_text(v.name))
        text = xml_text(
            f"{v.status}: {fmt_value(v.kind, v.baseline)} -> {fmt_value(v.kind, v.current)} "
            f"({fmt_change(v.kind, v.change, v.rel_change)}), tolerance {fmt_tolerance(v)}. {v.note}".strip()
        )
        if v.gated and v.status in (REGRESSION, MISSING, IMPROVEMENT):
            failures += 1
            ET.SubElement(case, "failure", message=text, type=v.status)
        elif v.status in ("SKIPPED", "INCONCLUSIVE") or (not v.gated and v.status != "PASS"):
            skipped += 1
            ET.SubElement(case, "skipped", message=text)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    if result.notes:  # the environment's differences (a torch version is log text)
        ET.SubElement(suite, "system-out").text = xml_text("\n".join(result.notes))
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def gate_json(result: GateResult, exit_code: int) -> dict[str, Any]:
    """The JSON form of a check."""
    return {
        "schema_version": 1,
        "status": status_word(result),
        "exit_code": exit_code,
        "fingerprint": {"baseline": result.fingerprint_baseline, "current": result.fingerprint_current},
        "fingerprint_match": result.fingerprint_match,
        "fail_on_time": result.fail_on_time,
        "notes": result.notes,
        "verdicts": [v.to_dict() for v in result.verdicts],
    }


def diff_markdown(rows: list[dict[str, Any]], a: str, b: str) -> str:
    """The diff as a Markdown table (paths and metric names escaped)."""
    cells = [
        [code(r["name"]), fmt_value(r["kind"], r["a"]), fmt_value(r["kind"], r["b"]),
         fmt_change(r["kind"], r["change"], r["rel_change"]), fmt_evidence(r)]
        for r in rows
    ]  # fmt: skip
    head = f"## compileprof diff: {code(a)} vs {code(b)}"
    return "\n".join([head, "", *md_table(["metric", "A", "B", "change", "evidence"], cells)])


def change_line(c: BaselineChange) -> str:
    """`UPDATED  compile_time_s: 1.20 s -> 1.50 s (+300.0 ms (+25.0%))` for a baseline refresh."""
    if c.before is None:
        return f"NEW      {c.name}: {fmt_value(c.kind, c.after)}"
    if c.after is None:
        return f"REMOVED  {c.name}"
    change = c.after - c.before
    rel = change / c.before if c.before else None
    return (
        f"UPDATED  {c.name}: {fmt_value(c.kind, c.before)} -> {fmt_value(c.kind, c.after)} "
        f"({fmt_change(c.kind, change, rel)})"
    )


def _dump(doc: dict[str, Any], out: BinaryIO) -> None:
    out.write(dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")


def check_change_lines(doc: CheckOutcome) -> list[str]:
    """A failed check's "what changed" section: its title (naming the baseline's run), then a line per
    compile; empty when there was nothing to compare with or nothing changed."""
    from .graph_view import TITLE, change_lines

    lines = change_lines(doc.changes or [])
    return [f"{TITLE}, since the baseline's run {doc.against}:", *lines] if lines else []


class CheckConsole:
    """A line per metric, the summary, and how to accept the figures."""

    def write(self, doc: CheckOutcome, out: BinaryIO, opts: RenderOptions) -> None:
        """Print the check."""
        console, text = console_on(out, opts)
        whole = not console.is_terminal  # a log or a pipe: one line per record, never wrapped mid-phrase
        try:
            for note in doc.result.notes:
                console.print(Text.assemble(styled("note:", "yellow"), styled(f" {note}")), soft_wrap=whole)
            for v in doc.result.verdicts:
                console.print(verdict_line(v), soft_wrap=whole)
            console.print(styled(summary_line(doc.result), "bold"), soft_wrap=whole)
            for i, line in enumerate(check_change_lines(doc)):
                console.print(styled(line if i == 0 else "  " + line, "bold" if i == 0 else ""), soft_wrap=whole)
            if doc.exit_code != EXIT_OK:
                console.print(f"to accept these figures: {doc.update_command}", soft_wrap=whole)
        finally:
            text.flush()
            text.detach()


class CheckJson:
    """The check as JSON."""

    def write(self, doc: CheckOutcome, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the check as JSON (`changes` and `changes_against` on a failure, when the baseline's run
        is still on disk)."""
        body = gate_json(doc.result, doc.exit_code)
        if doc.changes is not None:
            body["changes_against"], body["changes"] = doc.against, [c.to_dict() for c in doc.changes]
        _dump(body, out)


class CheckMarkdown:
    """The check as Markdown (also what goes to GitHub's step summary)."""

    def write(self, doc: CheckOutcome, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the check as Markdown."""
        text = gate_markdown(doc.result, doc.update_command)
        lines = check_change_lines(doc)
        if lines:
            text += f"\n### {esc(lines[0])}\n\n" + "\n".join(f"- {esc(x)}" for x in lines[1:]) + "\n"
        out.write(clean(text).encode())


class CheckJunit:
    """The check as JUnit XML, a test case per metric."""

    def write(self, doc: CheckOutcome, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the check as JUnit XML."""
        out.write(gate_junit(doc.result))


class DiffConsole:
    """The diff as a table, and the environment fields that differ."""

    def write(self, doc: DiffResult, out: BinaryIO, opts: RenderOptions) -> None:
        """Print the diff."""
        t = Table(title=f"compileprof diff: A = {doc.a}, B = {doc.b}", title_justify="left")
        for col, j in (("metric", "left"), ("A", "right"), ("B", "right"), ("change", "right"), ("evidence", "left")):
            t.add_column(col, justify=j)  # type: ignore[arg-type]
        for r in doc.rows:
            real = r.get("evidence") in (EXACT, SIGNIFICANT)  # only a change that is known to be real stands out
            t.add_row(
                r["name"], fmt_value(r["kind"], r["a"]), fmt_value(r["kind"], r["b"]),
                fmt_change(r["kind"], r["change"], r["rel_change"]), fmt_evidence(r), style="bold" if real else None,
            )  # fmt: skip
        console, text = console_on(out, opts)
        try:
            console.print(t)
            if doc.differing:
                fa, fb = doc.fingerprint_a, doc.fingerprint_b
                differ = ", ".join(f"{k} {fa[k]} vs {fb[k]}" for k in doc.differing)
                console.print(Text.assemble(styled("note:", "yellow"), styled(f" environments differ: {differ}")))
            for line in cache_summary(doc.cache):
                console.print(styled(line))
            if doc.changes is not None:
                from .graph_view import TITLE, change_lines, graph_diffs

                lines = change_lines(doc.changes)
                if lines:
                    console.print(styled(TITLE + ":", "bold"))
                for line in lines:
                    console.print(styled("  " + line))
                for title, diff in graph_diffs(doc.changes) if doc.graphs else []:
                    console.print(styled(title, "bold"))
                    for line in diff:
                        console.print(styled(line, "green" if line.startswith("+") else "red" if line.startswith("-")
                                             else ""), soft_wrap=True)  # fmt: skip
        finally:
            text.flush()
            text.detach()


def cache_summary(cache: Any, shown: int = 5) -> list[str]:
    """A diff's short cache section: B's misses against A, one line per cause, pair by pair (see
    explain-cache)."""
    if cache is None:
        return []
    from ..analysis.cache_explain import groups
    from .cache_view import cause_line

    out = []
    for pair in cache.pairs:
        if not pair.against_a:
            continue
        found = groups(pair.against_a)
        more = [f"  ... {len(found) - shown} more causes: compileprof explain-cache A B"] if len(found) > shown else []
        head = f"Cache misses of B, against A ({pair.label}):" if pair.label else "Cache misses of B, against A:"
        out += [head, *("  " + cause_line(g) for _, g in found[:shown]), *more]
    return out


class DiffJson:
    """The diff as JSON."""

    def write(self, doc: DiffResult, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the diff as JSON."""
        fingerprint = {"a": doc.fingerprint_a, "b": doc.fingerprint_b}
        body = {"schema_version": 1, "a": doc.a, "b": doc.b, "fingerprint": fingerprint, "metrics": doc.rows}
        if doc.cache is not None:
            from .cache_view import comparison_to_dict

            body["cache_explain"] = comparison_to_dict(doc.cache)
        if doc.changes is not None:
            body["changes"] = [c.to_dict(doc.graphs) for c in doc.changes]
        _dump(body, out)


class DiffMarkdown:
    """The diff as a Markdown table."""

    def write(self, doc: DiffResult, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the diff as Markdown."""
        text = diff_markdown(doc.rows, doc.a, doc.b)
        if doc.changes:
            from .graph_view import TITLE, change_lines, graph_diffs
            from .md import block

            text += f"\n### {TITLE}\n\n" + "\n".join(f"- {esc(x)}" for x in change_lines(doc.changes)) + "\n"
            for title, diff in graph_diffs(doc.changes) if doc.graphs else []:
                text += f"\n**{esc(title)}**\n\n{block(chr(10).join(diff), 'diff')}\n"
        out.write(clean(text).encode())
