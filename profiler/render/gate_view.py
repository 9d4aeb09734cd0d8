"""How `check` and `diff` show their results: console lines, Markdown, JSON and JUnit XML."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..gate import IMPROVEMENT, MISSING, REGRESSION, GateResult, Verdict
from ..metrics import COUNT, Metric
from .words import fmt_s

STYLE = {
    "PASS": "green", "REGRESSION": "bold red", "IMPROVEMENT": "bold yellow", "INCONCLUSIVE": "yellow",
    "NEW": "cyan", "MISSING": "bold red", "SKIPPED": "dim",
}  # fmt: skip


def fmt_value(kind: str, v: float | None) -> str:
    """A count as an integer, a time as a duration."""
    if v is None:
        return "-"
    return f"{v:g}" if kind == COUNT else fmt_s(v)


def fmt_change(kind: str, change: float | None, rel: float | None) -> str:
    """`+2`, `+12.3 ms (+4.1%)`."""
    if change is None:
        return "-"
    sign = "+" if change >= 0 else "-"
    text = f"{sign}{abs(change):g}" if kind == COUNT else f"{sign}{fmt_s(abs(change))}"
    return text + (f" ({rel * 100:+.1f}%)" if rel is not None else "")


def fmt_tolerance(v: Verdict) -> str:
    """`exact`, `10%`, `5 ms or 10%`."""
    a, r = v.tolerance.get("abs", 0.0), v.tolerance.get("rel", 0.0)
    if not a and not r:
        return "exact"
    parts = ([fmt_value(v.kind, a)] if a else []) + ([f"{r * 100:g}%"] if r else [])
    return " or ".join(parts)


def verdict_line(v: Verdict) -> str:
    """One line per metric (rich markup)."""
    label = v.status + ("" if v.gated or v.status in ("PASS", "NEW", "SKIPPED") else " (advisory)")
    return (
        f"[{STYLE[v.status]}]{label:<24}[/] {v.name:<46} {fmt_value(v.kind, v.baseline):>10} -> "
        f"{fmt_value(v.kind, v.current):<10} {fmt_change(v.kind, v.change, v.rel_change):<22} "
        f"tolerance {fmt_tolerance(v)}" + (f"  [dim]{v.note}[/]" if v.note else "")
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
    return f"{status_word(result)}: {parts} ({len(result.verdicts)} metrics)"


def gate_markdown(result: GateResult, update_command: str) -> str:
    """A Markdown summary (GitHub step summary)."""
    lines = [f"## compileprof check: {status_word(result)}", "", summary_line(result), ""]
    lines += [f"> {n}" for n in result.notes]
    lines += ["", "| status | metric | baseline | current | change | tolerance |", "|---|---|---|---|---|---|"]
    order = {REGRESSION: 0, MISSING: 1, IMPROVEMENT: 2}
    for v in sorted(result.verdicts, key=lambda v: (order.get(v.status, 3), v.name)):
        lines.append(
            f"| {v.status}{'' if v.gated else ' (advisory)'} | `{v.name}` | {fmt_value(v.kind, v.baseline)} | "
            f"{fmt_value(v.kind, v.current)} | {fmt_change(v.kind, v.change, v.rel_change)} | {fmt_tolerance(v)} |"
        )
    lines += ["", f"Update the baseline: `{update_command}`", ""]
    return "\n".join(lines)


def gate_junit(result: GateResult) -> bytes:
    """JUnit XML: one test case per metric; gated regressions, missing metrics and improvements fail."""
    suite = ET.Element("testsuite", name="compileprof check", tests=str(len(result.verdicts)))
    failures = skipped = 0
    for v in result.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"compileprof.{v.kind}", name=v.name)
        text = (
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


def diff_rows(a: dict[str, Metric], b: dict[str, Metric]) -> list[dict[str, Any]]:
    """One row per metric of A or B: values, change and relative change."""
    rows = []
    for name in sorted(set(a) | set(b)):
        ma, mb = a.get(name), b.get(name)
        kind = (ma or mb).kind  # type: ignore[union-attr]
        va = ma.value if ma else None
        vb = mb.value if mb else None
        change = vb - va if va is not None and vb is not None else None
        rel = change / va if change is not None and va else None
        rows.append({"name": name, "kind": kind, "a": va, "b": vb, "change": change, "rel_change": rel,
                     "samples_a": len(ma.samples) if ma else 0, "samples_b": len(mb.samples) if mb else 0})  # fmt: skip
    return rows


def diff_markdown(rows: list[dict[str, Any]], a: str, b: str) -> str:
    """The diff as a Markdown table."""
    lines = [f"## compileprof diff: `{a}` vs `{b}`", "", "| metric | A | B | change |", "|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| `{r['name']}` | {fmt_value(r['kind'], r['a'])} | {fmt_value(r['kind'], r['b'])} | "
            f"{fmt_change(r['kind'], r['change'], r['rel_change'])} |"
        )
    return "\n".join([*lines, ""])
