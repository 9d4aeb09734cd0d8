"""Read what was compiled (for `diff` only: `report` never reads graph payloads): every logged graph,
normalized and summed up, the guards, the generated kernels, the configs, per compile.

Streaming, one log at a time; a graph whose payload is byte for byte its counterpart's in the run read
first is not decoded again (its summary is shared); normalized code is kept compressed within a byte
budget (TEXT_BUDGET per run), past which only the summaries are kept: memory does not grow with the
logs beyond it.

Normalized: node and input names without the counters FX appends (`linear_1` -> `linear`), comments and
`x = None` deletions dropped, so renumbering is not a change; shapes, dtypes and targets are kept.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from ..model.graphs import CODE, GRAPH_KINDS, Compiled, Graph
from ..trace.reader import TraceReader

MAX_MET = 50_000  # distinct graphs remembered per run by their payload's digest (about 100 bytes each)
TEXT_BUDGET = 48 << 20  # bytes of compressed normalized code kept per run
MAX_GUARDS = 400  # guard lines kept per compile
MAX_TEXT = 4 << 20  # a graph's code longer than this is summed up, not kept
_COUNTER = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*?[A-Za-z])_\d+\b")  # `linear_1` -> `linear` (not `arg0`)
_DELETE = re.compile(r";\s+[\w, ]+= None\s*$")
_NODE = re.compile(r'^\s*(\w+)(?:: "[^"]*")? = (.+?)\s*$')
_CALL = re.compile(r"^([A-Za-z_][\w.]*)\(")
_BINARY = re.compile(r"^\w+ ([-+*/%@&|^<>=!]{1,2}) ")
_ALIAS = re.compile(r"^[A-Za-z_][\w.]*$")
_SUBSCRIPT = re.compile(r"^[\w.]+\[")
_PARAM = re.compile(r'(\w+): "([^"]*)"')
_KERNEL = re.compile(r"^(\w+?)(?:_\d+)? = async_compile\.\w+\(", re.M)
_GUARD_PREFIX = re.compile(r"^[|\s+-]*")
_GUARD_COMMENT = re.compile(r"\s+#\s.*$")
_GUARD_NOISE = re.compile(r"0x[0-9a-fA-F]+|\b\d{6,}\b")
_OVERLOADS = frozenset({"default", "Tensor", "Scalar", "int", "float", "bool", "out", "self", "dim", "using_ints",
                        "Tensor_Scalar", "Tensor_Tensor", "Scalar_Tensor", "dim_IntList", "correction"})  # fmt: skip


def op_of(rhs: str) -> str | None:
    """The operator a node calls: `aten.mm` for `torch.ops.aten.mm.default(...)`, the function for
    other calls, `operator *` for an infix operator, `getitem` for a subscript; None for a plain name
    or attribute (an alias, not an operator)."""
    if _ALIAS.match(rhs):
        return None
    call = _CALL.match(rhs)
    if call:
        target = call.group(1)
        if target.startswith("torch.ops."):
            parts = target[len("torch.ops.") :].split(".")
            return ".".join(parts[:2]) if len(parts) < 3 or parts[2] in _OVERLOADS else ".".join(parts[:3])
        return target
    binary = _BINARY.match(rhs)
    if binary:
        return f"operator {binary.group(1)}"
    return "getitem" if _SUBSCRIPT.match(rhs) else "other"


def normalize(text: str) -> tuple[list[str], int, Counter, list[tuple[str, str]]]:
    """A graph's code as normalized lines, its node count, its operators and its inputs."""
    lines: list[str] = []
    ops: Counter = Counter()
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        line = _COUNTER.sub(r"\1", _DELETE.sub("", raw.rstrip()))
        node = _NODE.match(line)
        op = op_of(node.group(2)) if node else None  # (`def`, `class`, `return` lines are no `name = ...`)
        if op is not None:
            ops[op] += 1
        lines.append(line)
    start = text.find("def forward(")
    head = text[start : text.find("):", start) + 1] if start >= 0 else ""
    inputs = [(_COUNTER.sub(r"\1", name), _shape(note)) for name, note in _PARAM.findall(head)]
    return lines, sum(ops.values()), ops, inputs


def _shape(annotation: str) -> str:
    """`f32[8][1]cpu` -> `f32[8]` (dtype and sizes; strides and device dropped)."""
    end = annotation.find("]")
    return annotation[: end + 1] if end >= 0 else annotation


def guard_lines(text: str) -> list[str]:
    """A guard tree's lines with what differs between processes masked (addresses, ids) and the tree
    drawing and source comments dropped."""
    out = []
    for raw in text.splitlines():
        line = _GUARD_NOISE.sub("N", _GUARD_COMMENT.sub("", _GUARD_PREFIX.sub("", raw))).strip()
        if line and not line.endswith(":") and line not in ("RootGuardManager",):
            out.append(line)
    return out[:MAX_GUARDS]


def config_of(meta: dict) -> dict[str, Any]:
    """`inductor_config.KEY` -> value of the scalar settings a compile's metrics state."""
    text = meta.get("inductor_config")
    if not isinstance(text, str):
        return {}
    try:
        config = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(config, dict):
        return {}
    return {f"inductor_config.{k}": v for k, v in config.items()
            if not k.startswith("_") and (v is None or isinstance(v, (bool, int, float, str)))}  # fmt: skip


_CONFIG_COMPONENT = re.compile(r"^\[\w+\] inductor_config\[([^\]]{1,200})\]: (.*)$", re.S)


def cache_config(text: str) -> dict[str, str]:
    """`inductor_config.KEY` -> value (as text) of the settings an FX graph cache lookup's key holds:
    the settings the compile ran with, per-compile options included (what the metrics, logged after
    the options are undone, do not show)."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    components = doc.get("components") if isinstance(doc, dict) else None
    out = {}
    for item in components if isinstance(components, list) else []:
        m = _CONFIG_COMPONENT.match(item) if isinstance(item, str) else None
        if m:
            out[f"inductor_config.{m.group(1)}"] = m.group(2)[:200]
    return out


class Budget:
    """Bytes of compressed code a run may keep; and, for the second run, the first run's graphs, whose
    identical counterparts are not decoded again."""

    def __init__(self, limit: int = TEXT_BUDGET, other: dict[tuple, Compiled] | None = None) -> None:
        self.left, self.other = limit, other or {}

    def keep(self, text: str) -> bytes | None:
        """The code compressed, while the budget lasts."""
        if len(text) > MAX_TEXT or self.left <= 0:
            return None
        packed = zlib.compress(text.encode(), 6)
        self.left -= len(packed)
        return packed if self.left >= 0 else None


class GraphReader:
    """The compiles of one run (its logs, read in order) and what each compiled."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.compiled: dict[tuple, Compiled] = {}
        self.seen: Counter = Counter()  # (compile, kind) -> graphs of that kind met (pieces log several)
        self.met: dict[tuple[str, str], Graph] = {}  # (kind, payload digest) -> its graph (pieces repeat)

    def _compile(self, rank: int | None, cid: str | None) -> Compiled:
        key = (rank, cid)
        found = self.compiled.get(key)
        if found is None:
            found = self.compiled[key] = Compiled(cid, rank)
        return found

    def read(self, logs: Iterable[Path]) -> dict[tuple, Compiled]:
        """Read every log; the compiles in log order."""
        for log in logs:
            for rec in TraceReader(log):
                self._record(rec)
        return self.compiled

    def _record(self, rec: Any) -> None:
        kind = rec.kind
        if kind == "artifact" and isinstance(rec.meta, dict):
            kind = str(rec.meta.get("name"))
        if kind in GRAPH_KINDS:
            self._graph(rec, kind)
        elif kind == CODE and rec.payload:
            c = self._compile(rec.rank, rec.compile_id)
            text = rec.text()
            c.code_bytes += len(text.encode())
            c.kernels.update(_KERNEL.findall(text))
        elif kind in ("dynamo_cpp_guards_str", "dynamo_guards") and rec.payload:
            c = self._compile(rec.rank, rec.compile_id)
            if not c.guards:
                c.guards = guard_lines(rec.text())
        elif kind.startswith("fx_graph_cache_") and rec.payload:
            c = self._compile(rec.rank, rec.compile_id)
            c.config.update(cache_config(rec.text()))
            c.config_from_cache = True
        elif kind == "compilation_metrics" and isinstance(rec.meta, dict):
            c = self._compile(rec.rank, rec.compile_id)
            m = rec.meta
            if m.get("co_name"):
                where = f"{Path(str(m.get('co_filename') or '?')).name}:{m.get('co_firstlineno') or '?'}"
                c.frame = f"{str(m['co_name'])[:200]} ({where[:200]})"
            if not c.config_from_cache:  # the cache key's settings are the compile's own (options included)
                c.config = config_of(m)

    def _graph(self, rec: Any, kind: str) -> None:
        c = self._compile(rec.rank, rec.compile_id)
        n = self.seen[(c.key, kind)]
        self.seen[(c.key, kind)] += 1
        slot = kind if n == 0 else f"{kind}#{n}"
        raw = hashlib.md5(rec.payload or b"").hexdigest()
        twin = self.budget.other.get(c.key)
        same = twin.graphs.get(slot) if twin is not None else None
        if same is not None and same.raw == raw:
            c.graphs[slot] = same  # byte for byte the first run's: not decoded again
            return
        met = self.met.get((kind, raw))
        if met is not None:  # byte for byte a graph this run logged before (a layer's piece, a repeat)
            c.graphs[slot] = met
            return
        lines, nodes, ops, inputs = normalize(rec.text())
        text = "\n".join(lines)
        digest = hashlib.md5(text.encode()).hexdigest()
        c.graphs[slot] = graph = Graph(kind, digest, nodes, ops, inputs, self.budget.keep(text), raw)
        if len(self.met) < MAX_MET:
            self.met[(kind, raw)] = graph


def read_compiled(logs: list[Path], other: dict[tuple, Compiled] | None = None) -> dict[tuple, Compiled]:
    """What each compile of a run compiled (`other`: the run read first, whose identical graphs are shared)."""
    return GraphReader(Budget(other=other)).read(logs)
