"""`-f html`: one self-contained page (styles, script and data inline; nothing fetched at view time).

The page's data is the JSON report's (`report_to_dict`), cut to what a page can hold, plus the
merged phase tree the flame chart draws. The drawing code is `assets/report.js` (SVG, written for
this tool); the page works offline, opened from disk. A report of a huge log stays a few MB: compiles
past MAX_COMPILES and tree nodes past MAX_NODES are aggregated, and the page says so.
"""

from __future__ import annotations

import html
import sys
import time
from importlib import resources
from itertools import islice
from typing import Any, BinaryIO

import orjson

from .. import __version__
from ..model.report import Report
from ..unicode import dumps
from .escaping import clean, script_json
from .instructions_view import annotate_flame, phase_rows, sentences
from .json_report import compile_to_dict, report_to_dict
from .registry import RenderOptions

MAX_COMPILES = 2000  # compiles drawn on the timeline and listed (the rest are counted)
MAX_NODES = 4000  # nodes of the merged flame tree (smaller subtrees beyond are folded into "other")
TIMELINE_DEPTH = 6  # phase levels of a compile kept once MAX_PAGE_NODES nodes are on the page
MAX_PAGE_NODES = 60_000  # nodes of the compiles' own phase trees a page holds (a few MB)
MAX_GRAPHS = 200  # graphs whose asserts are listed
COMPILE_KEYS = (
    "compile_id",
    "rank",
    "co_name",
    "start_s",
    "compile_time_s",
    "forward_compile_time_s",
    "backward",
    "backend_compile_time_s",
    "structured_logging_overhead_s",
    "graph_breaks",
    "graph_break_reasons",
    "cache",
    "recompile_reason",
    "fail_reason",
)  # fmt: skip  (what the page shows of a compile, beside its phases)


class PhaseMerge:
    """Phase trees of many compiles merged by path, one compile at a time (memory grows with the
    distinct paths, not with the compiles)."""

    def __init__(self) -> None:
        self.root: dict[str, Any] = {"name": "all compiles", "total_s": 0.0, "self_s": 0.0, "count": 0, "kids": {}}

    def add(self, roots: list[dict[str, Any]]) -> None:
        """Add one compile's phase tree (a list of outermost spans)."""
        self.root["count"] += 1
        stack = [(self.root, roots)]
        while stack:
            parent, nodes = stack.pop()
            for n in nodes:
                mine = parent["kids"].get(n["name"])
                if mine is None:
                    mine = parent["kids"][n["name"]] = {"name": n["name"], "total_s": 0.0, "self_s": 0.0,
                                                        "count": 0, "kids": {}}  # fmt: skip
                mine["total_s"] += n["total_s"]
                mine["self_s"] += n["self_s"]
                mine["count"] += n["count"]
                stack.append((mine, n["children"]))

    def tree(self) -> dict[str, Any]:
        """The merged tree: name, total_s, self_s, count, children (lists, largest first)."""
        self.root["total_s"] = sum(k["total_s"] for k in self.root["kids"].values())
        return _finish(self.root, [MAX_NODES])


def merge_phases(trees: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The phase trees of many compiles merged by path (see `PhaseMerge`)."""
    merge = PhaseMerge()
    for roots in trees:
        merge.add(roots)
    return merge.tree()


def _finish(node: dict[str, Any], budget: list[int]) -> dict[str, Any]:
    """Children as lists, largest first; past the node budget a level's smallest children are folded
    into one `other (N spans)` node."""
    kids = sorted(node.pop("kids").values(), key=lambda k: (-k["total_s"], k["name"]))
    budget[0] -= 1
    kept, folded = [], []
    for kid in kids:
        (kept if budget[0] > len(kept) else folded).append(kid)
    node["children"] = [_finish(k, budget) for k in kept]
    if folded:
        total = sum(k["total_s"] for k in folded)
        node["children"].append({"name": f"other ({len(folded)} spans)", "total_s": total, "self_s": total,
                                 "count": sum(k["count"] for k in folded), "children": []})  # fmt: skip
    for key in ("total_s", "self_s"):
        node[key] = round(node[key], 6)
    return node


def _cut(phases: list[dict[str, Any]], depth: int) -> list[dict[str, Any]]:
    """A compile's phase tree to `depth` levels (for the timeline)."""
    if depth <= 0:
        return []
    return [{**p, "children": _cut(p["children"], depth - 1)} for p in phases]


def page_data(report: Report, command: str | None = None) -> dict[str, Any]:
    """What the report page shows: the JSON report, its compiles cut to MAX_COMPILES (each with its
    whole phase tree until MAX_PAGE_NODES nodes are drawn, then TIMELINE_DEPTH levels), the flame tree
    of every compile (read one at a time: memory does not grow with the compiles), and the sentences
    the console prints (`said`)."""
    data = report_to_dict(report, streamed=True)
    merge, shown, nodes, cut = PhaseMerge(), [], 0, 0
    for c in report.compiles:
        phases = c.phases()
        merge.add(phases)
        if len(shown) < MAX_COMPILES:
            row = compile_to_dict(c, with_phases=False)
            size = _size(phases)
            if nodes + size > MAX_PAGE_NODES:
                phases, cut = _cut(phases, TIMELINE_DEPTH), cut + 1
                size = _size(phases)
            nodes += size
            shown.append({**{k: row[k] for k in COMPILE_KEYS}, "phases": phases})
    data["flame"], data["compiles"], data["compiles_total"] = merge.tree(), shown, merge.root["count"]
    data["phases_cut"] = cut  # compiles whose own tree was cut to TIMELINE_DEPTH levels (the page says so)
    if report.instructions:
        annotate_flame(data["flame"], report.instructions)
        rows = phase_rows(report.instructions, report.phases)
        data["instructions_view"] = {"said": sentences(report.instructions),
                                     "rows": [list(r) for r in rows]}  # fmt: skip
    graphs = [g.to_dict() for g in islice(report.graphs, MAX_GRAPHS)]
    data["asserts"] = {**data["asserts"], "graphs": graphs}
    data["graphs_total"] = len(report.graphs)
    data["said"] = said(report)
    data["made"] = {"tool": f"compileprof {__version__}", "command": command, "at": time.strftime("%Y-%m-%d %H:%M:%S")}
    return data


def _size(phases: list[dict[str, Any]]) -> int:
    """Nodes of a phase tree."""
    return sum(1 + _size(p["children"]) for p in phases)


def said(report: Report) -> dict[str, Any]:
    """The sentences the console prints about a run and its measurements, for the page to show as text."""
    from .run_view import assert_sentences, check_sentence, forward_sentence, logging_sentences, wall_sentences

    out: dict[str, Any] = {}
    m = report.measurements or {}
    if m.get("asserts"):
        out["asserts"] = assert_sentences(m["asserts"])
    if m.get("logging"):
        out["logging"] = logging_sentences(m["logging"])
    if report.run is not None:
        run, primary = report.run.manifest, report.run.manifest.primary_child
        check, warn = check_sentence(primary.check if primary else None)
        out["run"] = {
            "wall": wall_sentences(report.run),
            "check": check,
            "check_warn": warn,
            "forward": forward_sentence(primary.forward if primary else None, run.threads),
        }
    return {k: _cleaned(v) for k, v in out.items()}


def _cleaned(value: Any) -> Any:
    """Sentences with control characters removed (the page shows them as text)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return value


def document(kind: str, title: str, data: dict[str, Any], script: str = "report.js") -> bytes:
    """The whole page: styles, the drawing `script` (an asset) and data inline (the data as JSON, see
    `script_json`)."""
    assets = resources.files(__package__) / "assets"
    style = (assets / "report.css").read_text(encoding="utf-8")
    script = (assets / script).read_text(encoding="utf-8")
    payload = script_json(dumps({"kind": kind, **data}, option=orjson.OPT_NON_STR_KEYS))
    head = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(clean(title))}</title><style>{style}</style></head>\n"
        f'<body><main id="app"><noscript>This report draws with JavaScript.</noscript></main>\n'
        f'<script type="application/json" id="data">'
    ).encode()
    return head + payload + f"</script>\n<script>{script}</script></body></html>\n".encode()


CARD_KEYS = ("source", "torch_versions", "device", "parse", "summary", "totals", "asserts", "rank_skew", "ranks")


def diff_flame(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two merged phase trees matched by path: each node has the larger of A's and B's time as its
    width (a phase only one side has is drawn too), `a_s`, `b_s` and `change_s` (B - A)."""
    out = {
        "name": b["name"], "a_s": a["total_s"], "b_s": b["total_s"], "change_s": round(b["total_s"] - a["total_s"], 6),
        "total_s": max(a["total_s"], b["total_s"]), "self_s": b["self_s"], "count": b["count"] or a["count"],
    }  # fmt: skip
    kids_a = {k["name"]: k for k in a["children"]}
    kids_b = {k["name"]: k for k in b["children"]}
    names = list(kids_b) + [n for n in kids_a if n not in kids_b]
    out["children"] = [diff_flame(kids_a.get(n, _empty(n)), kids_b.get(n, _empty(n))) for n in names]
    return out


def _empty(name: str) -> dict[str, Any]:
    """A phase one side of a diff does not have."""
    return {"name": name, "total_s": 0.0, "self_s": 0.0, "count": 0, "children": []}


class DiffHtml:
    """`compileprof diff A B -o diff.html`: the metric table, a differential flame chart, both runs' cards."""

    def write(self, doc: Any, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the diff page (the flame chart needs the reports the diff was made of)."""
        from .gate_view import cache_summary, fmt_change, fmt_evidence, fmt_value

        rows = [{**r, "a_text": fmt_value(r["kind"], r["a"]), "b_text": fmt_value(r["kind"], r["b"]),
                 "change_text": fmt_change(r["kind"], r["change"], r["rel_change"]), "evidence_text": fmt_evidence(r)}
                for r in doc.rows]  # fmt: skip
        data: dict[str, Any] = {"a_label": doc.a, "b_label": doc.b, "rows": rows,
                                "cache_lines": [clean(x) for x in cache_summary(doc.cache)],
                                "differing": [f"{k} {doc.fingerprint_a.get(k)} vs {doc.fingerprint_b.get(k)}"
                                              for k in doc.differing]}  # fmt: skip
        if doc.changes is not None:
            from .graph_view import page_changes

            data["changes"] = page_changes(doc.changes)
        if doc.reports is not None:
            pa, pb = (page_data(r) for r in doc.reports)
            data["flame"] = diff_flame(pa["flame"], pb["flame"])
            data["a"], data["b"] = ({k: p[k] for k in CARD_KEYS} for p in (pa, pb))
            data["made"] = pb["made"]
        out.write(document("diff", f"compileprof diff: {doc.a} vs {doc.b}", data))


class HtmlReport:
    """The report as a self-contained HTML page."""

    def write(self, report: Report, out: BinaryIO, opts: RenderOptions) -> None:
        """Write the page."""
        called = sys.argv[0] if sys.argv else ""
        command = "compileprof " + " ".join(sys.argv[1:]) if "compileprof" in called else None  # not a test runner's
        out.write(document("report", f"compileprof: {report.source}", page_data(report, command)))
