"""A structured fuzzer of compileprof's inputs: TORCH_TRACE logs, run manifests and baselines.

Logs are built from the records of real fixtures, re-serialised with valid md5s (so mutated values
reach the fold, not just the reader's md5 check), then mutated: a field of any record kind set to a
value of the wrong type, size or content (markup, terminal escapes, huge or non-finite numbers),
deep and unbalanced spans, a record's metadata or payload replaced, bytes cut or flipped. Each input
goes through the whole report and every renderer, the gate's metrics and check; manifests and
baselines through what reads them. An input "crashes" when anything raises other than the tool's own
`CompileprofError` (a one-line error with an exit code).

    python benchmarks/fuzz.py --inputs 100000 --seed 1     # the long run
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import random
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compileprof.profiler.build import build_report
from compileprof.profiler.errors import CompileprofError
from compileprof.profiler.gate.baseline import baseline_layers, baseline_metrics, read_baseline
from compileprof.profiler.gate.compare import CheckOutcome, compare
from compileprof.profiler.gate.diff import DiffResult, diff_rows
from compileprof.profiler.gate.metrics import report_metrics
from compileprof.profiler.render.registry import CACHE, CHECK, DIFF, REPORT, RenderOptions, formats, renderer

from .hostile import NAMES
from .validity import Unsafe, check_output

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STAMP = "V1122 02:10:24.560000 2241 torch/_dynamo/utils.py:2350] "

HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1.5, -2.5, 1e308, -1e308, 2**53 + 1, 2**63, 2**64 - 1, -(2**63), 10**30,
    "", "0", "1", "x", "None", "[/]", "[red]x", "[/usr/x.py:3]", "[bold", "\x1b[2J\x1b[H", "\x1b]0;pwned\x07",
    "a\nb\r\nc", "\t", "\u202eevil", "😀" * 3, "x" * 5000, [], [1], [[1]], ["a.py", [1]], {}, {"a": 1},
    {"str": ["a.py", [1]]}, {"name": None, "ph": 5}, *NAMES,
]  # fmt: skip
MARKUP = [*NAMES, "<b>x</b>", "`", "``` ", "|", "]]>", "<![CDATA[x]]>", "\x00", "\x0b\x0c", "\ufffe\uffff",
          "&#x3c;script&#x3e;", "\\", "*x* _y_ ~z~", "# heading", "> quote", "- item", "javascript:alert(1)",
          "\u200b\u2060\ufeff"]  # fmt: skip
# Log file names: plain, and hostile (markup, a bidirectional override, a newline, bytes that are not UTF-8).
FILE_NAMES = [b"dedicated_log_torch_trace_fuzz.log", b"dedicated_log_torch_trace_<!--<script>.log",
              b"dedicated_log_torch_trace_\xff\xfe.log", b"dedicated_log_torch_trace_a\nb|`c`.log",
              b"dedicated_log_torch_trace_\xe2\x80\xaeevil.log",
              b"dedicated_log_torch_trace_[red]x&amp;.log"]  # fmt: skip
CONSOLE_EVERY = 10  # inputs per rich console report (JSON and Markdown: every input)
HTML5LIB_EVERY = 10  # inputs per page parsed by html5lib too (every page: by the exact structural rule)
GATE_CONSOLE_EVERY = 50
ENVELOPE = ("rank", "frame_id", "frame_compile_id", "attempt", "compiled_autograd_id", "has_payload", "stack")
EVENT_FIELDS = ("name", "ph", "ts", "dur", "pid", "tid", "args", "cat")


@dataclass
class Rec:
    """One record: its envelope object and its payload text (None: no payload)."""

    obj: dict[str, Any]
    payload: str | None

    def kind(self) -> str:
        """The type key."""
        return next((k for k in self.obj if k not in ENVELOPE), "?")


def read_records(path: Path) -> list[Rec]:
    """The records of a real log (its glog prefixes dropped; they are written anew)."""
    recs: list[Rec] = []
    for line in path.read_text(errors="replace").split("\n"):
        if line.startswith("\t") and recs:
            body = line[1:]
            recs[-1].payload = body if recs[-1].payload is None else recs[-1].payload + "\n" + body
        elif "] {" in line:
            try:
                obj = json.loads(line[line.index("] {") + 2 :])
            except ValueError:
                continue
            recs.append(Rec(obj, None))
    return recs


def write_log(recs: list[Rec]) -> bytes:
    """Records as torch writes them, each payload with its md5 (hostile values written as JSON)."""
    out = []
    for r in recs:
        obj = dict(r.obj)
        if r.payload is not None and "has_payload" not in obj:
            obj["has_payload"] = hashlib.md5(r.payload.encode("utf-8", "surrogatepass")).hexdigest()
        line = STAMP + json.dumps(obj, allow_nan=True)
        if r.payload is not None:
            line += "".join("\n\t" + x for x in r.payload.split("\n"))
        out.append(line)
    return ("\n".join(out) + "\n").encode("utf-8", "surrogatepass")


def _event(rng: random.Random, r: Rec) -> dict | None:
    try:
        ev = json.loads(r.payload or "")
    except ValueError:
        return None
    return ev if isinstance(ev, dict) else None


def set_field(rng: random.Random, recs: list[Rec]) -> None:
    """A field of one record (envelope, metadata, or its JSON payload) set to a hostile value."""
    r = rng.choice(recs)
    where = rng.randrange(3)
    value = copy.deepcopy(rng.choice(HOSTILE))
    if where == 0:
        r.obj[rng.choice(ENVELOPE)] = value
        r.obj.pop("has_payload", None) if rng.random() < 0.5 else None
    elif where == 1 and isinstance(r.obj.get(r.kind()), dict):
        meta = r.obj[r.kind()]
        keys = list(meta) or ["name"]
        meta[rng.choice([*keys, "filename", "compile_id", "name", "pytorch_version"])] = value
    else:
        ev = _event(rng, r)
        if ev is None:
            return
        keys = [*ev, *EVENT_FIELDS]
        key = rng.choice(keys)
        if key == "args" and isinstance(ev.get("args"), dict) and rng.random() < 0.5:
            ev["args"]["compile_id"] = value
        else:
            ev[key] = value
        r.payload = json.dumps(ev, allow_nan=True)
        r.obj.pop("has_payload", None)


def replace_meta(rng: random.Random, recs: list[Rec]) -> None:
    """A record's metadata or payload replaced by something of another shape."""
    r = rng.choice(recs)
    if rng.random() < 0.5:
        r.obj[r.kind()] = copy.deepcopy(rng.choice(HOSTILE))
    else:
        r.payload = rng.choice(["", "not json", "[1, 2]", "null", '{"name": "[/]"}', "\x1b[2J", "{" * 50])
        r.obj.pop("has_payload", None)


def _span(name: str, ph: str, ts: float, cid: str, pid: Any = 0) -> Rec:
    ev = {"name": name, "ts": ts, "args": {"compile_id": cid}, "ph": ph, "cat": "dynamo_timed", "tid": 0, "pid": pid}
    frame, fc = cid.split("/")
    return Rec(
        {"chromium_event": {}, "frame_id": int(frame), "frame_compile_id": int(fc), "attempt": 0}, json.dumps(ev)
    )


def deep_spans(rng: random.Random, recs: list[Rec]) -> None:
    """Hundreds of nested B events in one compile, closed or not, inserted somewhere."""
    depth = rng.choice([70, 130, 300, 700, 1500])
    names = [rng.choice(["dynamo", "x", f"n{i}", "[/]"]) for i in range(depth)]
    begins = [_span(n, "B", 1000.0 + i, "0/0") for i, n in enumerate(names)]
    ends = [_span(n, "E", 5000.0 - i, "0/0") for i, n in enumerate(reversed(names))]
    block = begins + (ends[: rng.randrange(len(ends) + 1)] if rng.random() < 0.7 else [])
    at = rng.randrange(len(recs) + 1)
    recs[at:at] = block


def unbalance(rng: random.Random, recs: list[Rec]) -> None:
    """Chromium events dropped, duplicated or moved."""
    spans = [i for i, r in enumerate(recs) if r.kind() == "chromium_event"]
    for _ in range(rng.randrange(1, 6)):
        if not spans:
            return
        i = rng.choice(spans)
        op = rng.randrange(3)
        if op == 0:
            recs[i] = Rec({"artifact": {"name": "dropped", "encoding": "string"}}, "x")
        elif op == 1:
            recs.insert(i, copy.deepcopy(recs[i]))
        else:
            recs.insert(rng.randrange(len(recs)), recs.pop(i))


def _markup(rng: random.Random, value: Any) -> Any:
    """`value` with some of its strings (keys too) replaced by markup and control characters."""
    if isinstance(value, str):
        return rng.choice(MARKUP) + value if rng.random() < 0.3 else value
    if isinstance(value, dict):
        return {_markup(rng, k): _markup(rng, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_markup(rng, v) for v in value]
    return value


def markup_everywhere(rng: random.Random, recs: list[Rec]) -> None:
    """Markup and control characters put into the strings of many records: metadata, JSON payloads
    (span names, cache keys, reasons) and text payloads (generated code, graphs, guards)."""
    for r in rng.sample(recs, min(len(recs), rng.randrange(1, 30))):
        kind = r.kind()
        r.obj[kind] = _markup(rng, r.obj[kind])
        if r.payload is None:
            continue
        try:
            r.payload = json.dumps(_markup(rng, json.loads(r.payload)), allow_nan=True)
        except ValueError:
            lines = r.payload.split("\n")
            i = rng.randrange(len(lines))
            lines[i] = rng.choice(MARKUP) + lines[i]
            r.payload = "\n".join(lines)
        r.obj.pop("has_payload", None)


MUTATIONS: list[Callable[[random.Random, list[Rec]], None]] = [
    set_field,
    set_field,
    replace_meta,
    deep_spans,
    unbalance,
    markup_everywhere,
    markup_everywhere,
]


def damage_bytes(rng: random.Random, data: bytes) -> bytes:
    """Bytes cut, flipped, or a NUL / invalid UTF-8 / CRLF put in."""
    if not data:
        return data
    op = rng.randrange(4)
    at = rng.randrange(len(data))
    if op == 0:
        return data[:at]
    if op == 1:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    if op == 2:
        return data[:at] + rng.choice([b"\x00", b"\xff\xfe", b"\r\n", b"\n\t", b"]"]) + data[at:]
    return data.replace(b"\n", b"\r\n")


@dataclass
class Outcome:
    """What a fuzz run met."""

    inputs: int = 0
    crashes: list[str] = field(default_factory=list)
    refused: int = 0  # inputs the tool refused with its own one-line error


def _render(doc_kind: str, fmt: str, doc: Any, opts: RenderOptions, full: bool = True) -> None:
    """Render one document in one format and check the output is valid and safe for that format (a
    page by html5lib too with `full`)."""
    out = io.BytesIO()
    renderer(doc_kind, fmt).write(doc, out, opts)
    check_output(fmt, out.getvalue(), full)


def render_all(report: Any, console: bool = True, gate_console: bool = True, full: bool = True) -> None:
    """Every report format, the gate's metrics of the report, and a check and diff of it against itself
    (the rich consoles, ten times slower than the rest, only when asked); every output checked for
    its format (HTML parses with its scripts intact, JUnit parses, JSON and Perfetto load, Markdown
    renders no HTML, link or image, the console holds no control character)."""
    opts = RenderOptions(limit=5, width=100)

    def wanted(fmt: str, asked: bool) -> bool:
        return fmt != "console" or asked

    for fmt in (f for f in formats(REPORT) if wanted(f, console)):
        _render(REPORT, fmt, report, opts, full)
    metrics = report_metrics(report)
    result = compare(metrics, metrics, [], {"torch": "2.12\x01<b>"}, {}, fail_on_time=True)
    for fmt in (f for f in formats(CHECK) if wanted(f, gate_console)):
        _render(CHECK, fmt, CheckOutcome(result, "compileprof check x"), opts, full)
    for fmt in (f for f in formats(DIFF) if wanted(f, gate_console)):
        doc = DiffResult(report.source, "b", diff_rows(metrics, metrics), {}, {}, (report, report))
        _render(DIFF, fmt, doc, opts, full)


_SEED_REPORT: dict[str, Any] = {}


def graphs_all(path: Path, report: Any, full: bool = True, console: bool = True) -> None:
    """What changed in what was compiled between a real fixture and the input (every graph, guard and
    kernel of the input read, normalized, matched and said), in every diff format with --graphs (the
    rich console only with `console`)."""
    from compileprof.profiler.build import build_graph_changes

    seed = FIXTURES / "graph_break.log"
    if "seed" not in _SEED_REPORT:
        _SEED_REPORT["seed"] = build_report(seed, jobs=1)
    changes = build_graph_changes(seed, path, (_SEED_REPORT["seed"], report), full=True)
    metrics = report_metrics(report)
    doc = DiffResult(
        str(seed), report.source, diff_rows(metrics, metrics), {}, {}, (report, report), None, changes, True
    )
    for fmt in (f for f in formats(DIFF) if f != "console" or console):
        _render(DIFF, fmt, doc, RenderOptions(limit=5, width=100), full)


def explain_all(path: Path, full: bool = True) -> None:
    """explain-cache of the log against itself and against an empty set, in every format."""
    from compileprof.profiler.analysis.cache_explain import explain, within
    from compileprof.profiler.fold.cache_keys import read_lookups
    from compileprof.profiler.model.cache_keys import CacheComparison, CacheReport

    lookups = read_lookups(path)
    for a in (lookups, [], lookups[::-1]):
        pair = CacheReport(str(path), "b", len(a), len(lookups), 0, explain(a, lookups), within(lookups), "x vs y")
        doc = CacheComparison(str(path), "b", [pair, pair] if len(a) % 2 else [pair])
        for fmt in formats(CACHE):
            _render(CACHE, fmt, doc, RenderOptions(), full)


def _attempt(outcome: Outcome, what: str, fn: Callable[[], None]) -> None:
    outcome.inputs += 1
    try:
        fn()
    except CompileprofError:
        outcome.refused += 1
    except Unsafe as err:
        outcome.crashes.append(f"{what}\nunsafe output: {err}\n{traceback.format_exc(limit=-6)}")
    except Exception:
        outcome.crashes.append(f"{what}\n{traceback.format_exc(limit=-6)}")


def _mutated_log(rng: random.Random, seeds: list[list[Rec]]) -> bytes:
    """A slice of a seed log's records, mutated one to three times, its bytes damaged now and then."""
    seed = rng.choice(seeds)
    start = rng.randrange(max(1, len(seed) - 40))
    recs = copy.deepcopy(seed[start : start + rng.randrange(20, 400)])
    for _ in range(rng.randrange(1, 4)):
        rng.choice(MUTATIONS)(rng, recs)
    data = write_log(recs)
    return damage_bytes(rng, data) if rng.random() < 0.15 else data


def _log_name(rng: random.Random) -> str:
    """A log's file name: plain four times in five, else hostile (markup, a newline, bytes that are not UTF-8)."""
    return os.fsdecode(rng.choice(FILE_NAMES) if rng.random() < 0.2 else FILE_NAMES[0])


def fuzz_logs(rng: random.Random, seeds: list[list[Rec]], work: Path, n: int, outcome: Outcome) -> None:
    """`n` mutated logs through the report, every renderer and the gate; one in five is a directory of
    two or three mutated rank logs (the multi-rank views: ranks, divergence). One in five logs has a
    hostile file name."""
    ranks = work / "ranks"
    for i in range(n):
        shutil.rmtree(ranks, ignore_errors=True)
        for old in work.glob("dedicated_log_torch_trace_*"):
            old.unlink()
        if rng.random() < 0.2:
            ranks.mkdir()
            for r in range(rng.randrange(2, 4)):
                name = _log_name(rng).replace("trace_", f"trace_rank_{r}_", 1)
                (ranks / name).write_bytes(_mutated_log(rng, seeds))
            path, size = ranks, sum(f.stat().st_size for f in ranks.iterdir())
        else:
            path = work / _log_name(rng)
            path.write_bytes(_mutated_log(rng, seeds))
            size = path.stat().st_size
        console, gate, full = i % CONSOLE_EVERY == 0, i % GATE_CONSOLE_EVERY == 0, i % HTML5LIB_EVERY == 0
        _attempt(
            outcome,
            f"log #{i} ({size} bytes)",
            lambda p=path, c=console, g=gate, f=full: _every_output(p, c, g, f),
        )
        if outcome.crashes and outcome.crashes[-1].startswith(f"log #{i} "):
            keep = work / f"crash_{i}{'' if path.is_file() else '_dir'}"
            shutil.copytree(path, keep) if path.is_dir() else shutil.copy(path, keep.with_suffix(".log"))


def _every_output(path: Path, console: bool, gate: bool, full: bool) -> None:
    """A fuzzed log through the report's formats, check and diff, explain-cache and the graph diff."""
    report = build_report(path, jobs=1)
    render_all(report, console, gate, full)
    explain_all(path, full)
    if path.is_file():
        graphs_all(path, report, full, console)


def _mutate_json(rng: random.Random, doc: Any, depth: int = 0) -> Any:
    """A copy of a JSON document with one value somewhere set to a hostile one."""
    if isinstance(doc, dict) and doc and (depth < 3 or rng.random() < 0.5):
        key = rng.choice(list(doc))
        if rng.random() < 0.6 and isinstance(doc[key], (dict, list)) and doc[key]:
            doc[key] = _mutate_json(rng, doc[key], depth + 1)
        else:
            doc[key] = copy.deepcopy(rng.choice([*HOSTILE, float("nan"), float("inf"), "\udcff\ud800 lone surrogates"]))
        return doc
    if isinstance(doc, list) and doc:
        i = rng.randrange(len(doc))
        doc[i] = _mutate_json(rng, doc[i], depth + 1) if rng.random() < 0.5 else copy.deepcopy(rng.choice(HOSTILE))
        return doc
    return copy.deepcopy(rng.choice(HOSTILE))


def fuzz_manifests(rng: random.Random, work: Path, n: int, outcome: Outcome) -> None:
    """`n` damaged manifests of a real run directory through the report and every renderer."""
    run = work / "run"
    if not run.exists():
        shutil.copytree(FIXTURES / "run_mlp", run)
    good = json.loads((FIXTURES / "run_mlp" / "manifest.json").read_text())
    counted = copy.deepcopy(good)  # a run counted under callgrind (run --count instructions --count-phases)
    counted["count"] = "instructions"
    counted["children"]["cold"]["instructions"] = {
        "tool": "callgrind", "event": "Ir", "compile": 1990670598, "dumps": 13, "counted": "the compile step",
        "not_counted": "the C++ compiler", "environment": {"PYTHONHASHSEED": "0"},
        "phases": {"outside_phases": 840911393, "dynamo": 1149759205, "dynamo/bytecode_tracing": 511335847},
    }  # fmt: skip
    for i in range(n):
        doc = _mutate_json(rng, copy.deepcopy(counted if i % 2 else good))
        (run / "manifest.json").write_text(json.dumps(doc, allow_nan=True))
        _attempt(
            outcome,
            f"manifest #{i}: {json.dumps(doc, allow_nan=True)[:300]}",
            lambda i=i: render_all(
                build_report(run, jobs=1), i % CONSOLE_EVERY == 0, i % GATE_CONSOLE_EVERY == 0, i % HTML5LIB_EVERY == 0
            ),
        )


def fuzz_baselines(rng: random.Random, work: Path, n: int, outcome: Outcome) -> None:
    """`n` damaged baselines through what `check` does with them."""
    report = build_report(FIXTURES / "mlp.log", jobs=1)
    current = report_metrics(report)
    good = {
        "kind": "compileprof-baseline", "schema_version": 1, "fingerprint": {"torch": "2.13"}, "tolerances": {},
        "metrics": {k: {"kind": m.kind, "value": m.value, "samples": m.samples} for k, m in current.items()},
    }  # fmt: skip
    path = work / "baseline.json"

    def check() -> None:
        old = read_baseline(path)
        result = compare(baseline_metrics(old), current, baseline_layers(old), old.get("fingerprint") or {}, {}, True)
        for fmt in formats(CHECK):
            renderer(CHECK, fmt).write(CheckOutcome(result, "x"), io.BytesIO(), RenderOptions())

    for i in range(n):
        doc = _mutate_json(rng, copy.deepcopy(good))
        path.write_text(json.dumps(doc, allow_nan=True))
        _attempt(outcome, f"baseline #{i}: {json.dumps(doc, allow_nan=True)[:300]}", check)


def seeds() -> list[list[Rec]]:
    """The records of the real fixtures the log mutations start from."""
    real = ("mlp", "graph_break", "aoti", "warm_cache", "cache_bypass", "cache_disabled", "compiled_autograd",
            "export_ok", "export_fail")  # fmt: skip
    logs = [FIXTURES / f"{name}.log" for name in real]
    logs += [*sorted((FIXTURES / "run_mlp").rglob("*.log")), *sorted((FIXTURES / "ranks2").glob("*.log"))]
    return [read_records(p) for p in logs]


def fuzz(inputs: int, seed: int, work: Path) -> Outcome:
    """`inputs` inputs in all: 80% logs, 10% manifests, 10% baselines; deterministic for a seed."""
    rng = random.Random(seed)
    outcome = Outcome()
    fuzz_logs(rng, seeds(), work, inputs * 8 // 10, outcome)
    fuzz_manifests(rng, work, inputs // 10, outcome)
    fuzz_baselines(rng, work, inputs - inputs * 8 // 10 - inputs // 10, outcome)
    return outcome
