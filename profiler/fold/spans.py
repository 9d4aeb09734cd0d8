"""Build per-compile span trees from chromium events (B/E pairs, X spans, instants).

Spans are stacked per (pid, tid, compile id): torch writes tid 0 for every thread, so the compile
id is what keeps a background thread's spans (compile id "None") off a compile's stack. Those, and
spans of compiles that never got a metrics record, are kept as flat per-name totals. An E with no
matching B, or a B never closed (a truncated log), is counted, never fatal. Trees are at most
MAX_DEPTH spans deep: a span opened deeper is counted (`too_deep`) and kept one level up, so no
walk over a tree recurses deeper than that, whatever the log holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.spans import PhaseNode, PhaseTree, SpanTotal
from ..trace.values import MAX_INT, MAX_SECONDS, MAX_TEXT, Values

TRACE_ONLY_SUFFIX = "_torch_trace_only"
AOT = "\x00aot\x00"  # the compile id of an AOTInductor compile's spans (torch logs them with none)
AOT_SPAN = "compile_fx_aot"
RUNTIME = "\x00runtime\x00"  # marks a stack key's compile id: spans a compile's code ran after it was compiled
MAX_DEPTH = 64  # span tree depth; torch's real trees are about 20 deep
MAX_BACKGROUND = 2000  # spans of no compile kept with their times, per log (for timelines; all are summed)


@dataclass(slots=True)
class _Open:
    name: str
    ts: float
    node: PhaseNode
    child_total: float = 0.0


class PhaseBuilder:
    """Feed chromium events in log order; claim each compile's tree when its metrics arrive."""

    def __init__(self, values: Values | None = None) -> None:
        self.values = values or Values()
        self._stacks: dict[tuple, list[_Open]] = {}
        self._trees: dict[str, PhaseTree] = {}
        self._flat_open: dict[tuple, list[float]] = {}
        self._claimed: set[str] = set()  # compile ids whose metrics record has arrived
        self._runtime: dict[str, PhaseTree] = {}  # spans at run time, by the compile they name
        self.args_ids = 0  # events whose compile id only their args named (no envelope ids)
        self.unattributed: dict[str, SpanTotal] = {}
        self.trace_only: dict[str, SpanTotal] = {}
        self.stray_begin = 0
        self.stray_end = 0
        self.background: list[tuple[str, float, float, str]] = []  # (name, start s, duration s, thread)
        self.first_us: float | None = None  # the earliest and latest event time met (the log's clock, us)
        self.last_us: float | None = None

    def _tree(self, compile_id: str) -> PhaseTree:
        if compile_id.startswith(RUNTIME):
            real = compile_id[len(RUNTIME) :]
            tree = self._runtime.get(real)
            if tree is None:
                tree = self._runtime[real] = PhaseTree(claimed=True)
            return tree
        tree = self._trees.get(compile_id)
        if tree is None:
            tree = self._trees[compile_id] = PhaseTree()
        return tree

    def feed(self, event: dict, compile_id: str | None) -> float | None:
        """Take one chromium event; `compile_id` is the record's (None: belongs to no compile).

        Returns the duration in seconds of the span the event closes (E or X), else None.
        """
        values, get = self.values, event.get
        name, ph, ts = get("name"), get("ph"), get("ts")
        # Fast paths for well-formed values; anything else is read (and counted) by `values`.
        if type(name) is not str or len(name) > MAX_TEXT:
            name = values.str(name, "chromium.name")
        if ph is not None and (type(ph) is not str or len(ph) > MAX_TEXT):
            ph = values.str(ph, "chromium.ph")
        if type(ts) is not float or ts - ts != 0.0:  # not a finite float (nan and inf give nan)
            ts = values.number(ts, "chromium.ts")
        if name is None or ts is None:
            return None
        if self.first_us is None or ts < self.first_us:
            self.first_us = ts
        if self.last_us is None or ts > self.last_us:
            self.last_us = ts
        thread = None
        if compile_id is None:
            compile_id, thread = self._compile_from_args(event, name, ph)
        if ph == "i" or ph == "I":
            if compile_id is not None:
                inst = self._tree(compile_id).instants
                inst[name] = inst.get(name, 0) + 1
            return None
        key = (*(thread or self._thread(event)), compile_id)
        if ph == "X":
            dur = values.number(event.get("dur"), "chromium.dur", 0.0, MAX_SECONDS * 1e6)
            if dur is not None:
                self._close_flat_or_leaf(name, key, dur / 1e6, ts)
                return dur / 1e6
            return None
        if compile_id is None:
            return self._feed_flat(key, name, ph, ts)
        if ph == "B":
            self._begin(key, name, ts, compile_id)
        elif ph == "E":
            return self._end(key, name, ts)
        return None

    def _thread(self, event: dict) -> tuple:
        """(pid, tid) of an event, each read (and a bad one counted) once."""
        pid, tid = event.get("pid"), event.get("tid")
        if type(pid) is int and type(tid) is int and -MAX_INT <= pid <= MAX_INT and -MAX_INT <= tid <= MAX_INT:
            return pid, tid
        return self.values.key(pid, "chromium.pid"), self.values.key(tid, "chromium.tid")

    def _compile_from_args(self, event: dict, name: str, ph: str | None) -> tuple[str | None, tuple | None]:
        """The compile of an event whose record names none: its args' compile id (a compile already
        claimed: a span it ran at run time), an AOTInductor compile's (spans in compile_fx_aot), or none;
        and the event's thread when finding that out read it."""
        args = event.get("args")
        cid = args.get("compile_id") if isinstance(args, dict) else None
        compile_id = cid if isinstance(cid, str) and cid != "None" else None
        self.args_ids += compile_id is not None
        if compile_id in self._claimed:  # named explicitly after its compile: runtime autotuning, cudagraphs
            return RUNTIME + compile_id, None
        if compile_id is not None:
            return compile_id, None
        if name == AOT_SPAN and ph == "B":
            return AOT, None  # an AOTInductor compile: its spans, nested in compile_fx_aot, name no compile
        if not self._trees.get(AOT):
            return None, None
        thread = self._thread(event)
        return (AOT if self._stacks.get((*thread, AOT)) else None), thread

    def aot_pending(self) -> bool:
        """True when an AOTInductor compile's spans wait for its metrics record (which names no compile)."""
        tree = self._trees.get(AOT)
        return tree is not None and not tree.claimed

    def _begin(self, key: tuple, name: str, ts: float, compile_id: str) -> None:
        """Open a span of a compile: a child of the open one on its stack, else a root of its tree."""
        stack = self._stacks.get(key)
        if stack is None:
            stack = self._stacks[key] = []
        if len(stack) >= MAX_DEPTH:
            self.values.stats.too_deep += 1
            node = stack[MAX_DEPTH - 2].node.child(name)  # kept at the deepest level, beside its parent
        elif stack:
            node = stack[-1].node.child(name)
        elif compile_id.startswith(RUNTIME):
            node = self._tree(compile_id).root.child(name)
        else:
            tree = self._trees.get(compile_id)
            if tree is None or tree.claimed:  # claimed and closed: a new compile, same id
                tree = self._trees[compile_id] = PhaseTree()
            node = tree.root.child(name)
        stack.append(_Open(name, ts, node))

    def _end(self, key: tuple, name: str, ts: float) -> float | None:
        """Close the innermost open span called `name` (spans opened inside it and never closed are
        counted as stray); its duration, or None for an E with no B."""
        stack = self._stacks.get(key)
        if not stack:
            self.stray_end += 1
            return None
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].name == name:
                break
        else:
            self.stray_end += 1
            return None
        self.stray_begin += len(stack) - 1 - i
        del stack[i + 1 :]
        span = stack.pop()
        dur = self._duration(ts, span.ts)
        node = span.node
        node.add_call(span.ts / 1e6, dur)
        node.self_s += max(0.0, dur - span.child_total)
        if stack:
            stack[-1].child_total += dur
        if name.endswith(TRACE_ONLY_SUFFIX):
            self._add(self.trace_only, name, dur)
        return dur

    def _close_flat_or_leaf(self, name: str, key: tuple, dur: float, ts: float) -> None:
        compile_id = key[2]
        stack = self._stacks.get(key) if compile_id else None
        if compile_id is None:
            self._keep_background(name, ts, dur, key)
            self._add(self.unattributed, name, dur)
        else:
            parent = stack[-1].node if stack else self._tree(compile_id).root
            node = parent.child(name)
            node.add_call(ts / 1e6, dur)
            node.self_s += dur
            if stack:
                stack[-1].child_total += dur
        if name.endswith(TRACE_ONLY_SUFFIX):
            self._add(self.trace_only, name, dur)

    def _feed_flat(self, key: tuple, name: str, ph: str | None, ts: float) -> float | None:
        """Spans of no compile: pair B/E by name (LIFO); the summed time is order-independent."""
        opened = self._flat_open.setdefault((*key, name), [])
        if ph == "B":
            opened.append(ts)
        elif ph == "E":
            if not opened:
                self.stray_end += 1
                return None
            start = opened.pop()
            dur = self._duration(ts, start)
            self._keep_background(name, start, dur, key)
            self._add(self.unattributed, name, dur)
            if name.endswith(TRACE_ONLY_SUFFIX):
                self._add(self.trace_only, name, dur)
            return dur
        return None

    def _duration(self, end_us: float, start_us: float) -> float:
        """Seconds from a begin to its end; a span longer than MAX_SECONDS (clocks of two processes, or
        damage) is counted as a bad value and taken as 0."""
        dur = max(0.0, (end_us - start_us) / 1e6)
        if dur <= MAX_SECONDS:
            return dur
        self.values.bad("chromium.span")
        return 0.0

    def _keep_background(self, name: str, start_us: float, dur: float, key: tuple) -> None:
        """Keep the first MAX_BACKGROUND spans of no compile with their times and thread."""
        if len(self.background) < MAX_BACKGROUND:
            self.background.append((name, start_us / 1e6, dur, f"{key[0]}/{key[1]}"))

    @staticmethod
    def _add(table: dict[str, SpanTotal], name: str, dur: float) -> None:
        total = table.get(name)
        if total is None:
            total = table[name] = SpanTotal(name)
        total.add(dur)

    def claim(self, compile_id: str | None) -> PhaseTree:
        """The tree of `compile_id` for its metrics record; later spans of it still land there."""
        if compile_id is None:
            return PhaseTree(claimed=True)
        tree = self._tree(compile_id)
        if tree.claimed:  # a second metrics record for the same id (e.g. concatenated logs)
            tree = self._trees[compile_id] = PhaseTree()
        tree.claimed = True
        self._claimed.add(compile_id)
        return tree

    def runtime(self) -> dict[str, dict[str, SpanTotal]]:
        """Spans that ran after their compile (its code's runtime autotuning, cudagraph recording), by
        compile id: the outermost spans' totals by name."""
        out: dict[str, dict[str, SpanTotal]] = {}
        for cid, tree in self._runtime.items():
            spans = out[cid] = {}
            for node in tree.root.children.values():
                if node.count:
                    spans[node.name] = SpanTotal(node.name)
                    spans[node.name].add(node.total_s, node.count)
        return out

    @property
    def idle(self) -> bool:
        """True when no span is open and every compile's tree has been claimed and released, or is
        one no metrics record claimed yet (`unclaimed`): what follows can be folded from scratch with
        the same result, as long as it claims none of those (see `parallel.read_cut`)."""
        unclaimed = all(not t.claimed for t in self._trees.values()) and AOT not in self._trees
        return (unclaimed and not self._runtime and not any(self._stacks.values())
                and not any(self._flat_open.values()))  # fmt: skip

    def idle_once_released(self, keys: set[str | None]) -> bool:
        """`idle` as it would be once the trees of `keys` (compiles whose spans have all closed) were
        sealed and released; nothing changes."""
        trees = {cid: t for cid, t in self._trees.items() if cid not in keys}
        unclaimed = all(not t.claimed for t in trees.values()) and AOT not in trees
        return (unclaimed and not self._runtime and not any(self._stacks.values())
                and not any(self._flat_open.values()))  # fmt: skip

    @property
    def unclaimed(self) -> set[str]:
        """Compile ids whose spans no metrics record has claimed (compiled autograd's, for one)."""
        return {cid for cid, tree in self._trees.items() if not tree.claimed}

    @property
    def claimed(self) -> set[str]:
        """Compile ids whose metrics record has arrived."""
        return self._claimed

    def is_open(self, compile_id: str | None) -> bool:
        """True while a span of `compile_id` is still open (its tree may still grow)."""
        return any(stack and key[2] == compile_id for key, stack in self._stacks.items())

    def release(self, compile_id: str | None, tree: PhaseTree) -> None:
        """Forget a claimed tree whose compile is finished (events of that id after this start a new tree)."""
        if compile_id is not None and self._trees.get(compile_id) is tree:
            del self._trees[compile_id]
        for key in [k for k, stack in self._stacks.items() if k[2] == compile_id and not stack]:
            del self._stacks[key]

    def finish(self) -> None:
        """Count spans left open and fold trees no metrics record claimed into the flat totals."""
        for stack in self._stacks.values():
            self.stray_begin += len(stack)
        for opened in self._flat_open.values():
            self.stray_begin += len(opened)
        for tree in self._trees.values():
            if not tree.claimed:
                for node in tree.root.walk():
                    if node is not tree.root and node.count:
                        self.unattributed.setdefault(node.name, SpanTotal(node.name)).add(node.total_s, node.count)
