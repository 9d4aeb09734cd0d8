"""Fold torch.export's records (written under TORCH_DTRACE, or by draft_export) into an `ExportInfo`.

An export begins with an `export` record and succeeds with an `exported_program` record (the printed
program); an export that logs no program before the next one begins, or before the log ends, failed.
Guards, specializations, symbols and data-dependent errors are counted while an export is open.
"""

from __future__ import annotations

import re

from ..model.export import SHOWN, ExportAttempt, ExportInfo
from ..trace.records import Record
from ..trace.values import Values

_NODE = re.compile(r'^\s+\w+: "[^"]*" = ')  # `linear: "f32[s77, 8]" = torch.ops.aten.linear.default(...)`
_TORCH = ("/torch/", "site-packages", "<frozen", "/threading.py")


class ExportTracker:
    """The export records of one log, in order."""

    def __init__(self, values: Values, strings: dict[int, str]) -> None:
        self.values = values
        self.strings = strings
        self.info = ExportInfo()
        self.current: ExportAttempt | None = None
        self.reasons: list[str] = []  # what went wrong in the open export, in order
        self.unresolved = 0  # interned file names looked up before the log named them

    @property
    def active(self) -> bool:
        """True while an export is open (its guards and specializations are the export's)."""
        return self.current is not None

    def begin(self, rec: Record) -> None:
        """An `export` record: a new export; an open one that logged no program failed."""
        self._close()
        self.current = ExportAttempt()
        self.info.attempts.append(self.current)

    def program(self, rec: Record) -> None:
        """An `exported_program` record: the open export succeeded; its program's size and signature."""
        if self.current is None:  # draft_export, or a log that misses the `export` record
            self.current = ExportAttempt()
            self.info.attempts.append(self.current)
        attempt, text = self.current, rec.text()
        lines = text.splitlines()
        nodes = [line for line in lines if _NODE.match(line)]
        attempt.ok, attempt.program_bytes = True, len(text.encode("utf-8", "replace"))
        attempt.program_nodes, attempt.program_ops = len(nodes), sum("torch.ops." in line for line in nodes)
        attempt.inputs = _section(lines, "# inputs")[:SHOWN]
        constraints = next((line.strip() for line in lines if line.strip().startswith("Range constraints:")), None)
        attempt.range_constraints = constraints.split(":", 1)[1].strip()[:200] if constraints else None
        self.current, self.reasons = None, []

    def guard(self, rec: Record) -> None:
        """`guard_added` (or `guard_added_fast`, the same guard again): one guard per distinct expression."""
        if self.current is None or not isinstance(rec.meta, dict):
            return
        expr = self.values.text(rec.meta.get("expr"), "guard.expr")
        if expr and expr not in self.info.guard_seen:
            self.info.guard_seen[expr] = f"{expr[:160]}{self._where(rec.meta)}"

    def specialization(self, text: str) -> None:
        """A symbolic size made concrete while exporting."""
        self.info.specializations += 1
        if len(self.info.specialization_list) < SHOWN:
            self.info.specialization_list.append(text)

    def symbol(self, rec: Record) -> None:
        """`create_symbol` / `create_unbacked_symbol`: a symbolic size, or a data-dependent one."""
        if self.current is not None:
            if rec.kind == "create_unbacked_symbol":
                self.info.unbacked_symbols += 1
            else:
                self.info.symbols += 1

    def data_dependent(self, rec: Record) -> None:
        """`guard_on_data_dependent_error`: a branch on a data-dependent size the export cannot decide."""
        meta = rec.meta if isinstance(rec.meta, dict) else {}
        expr = self.values.text(meta.get("expr"), "guard_on_data_dependent_error.expr") or "?"
        text = f"data-dependent guard `{expr[:160]}`{self._where(meta)}"
        self.info.data_dependent_errors += 1
        if len(self.info.data_dependent_list) < SHOWN:
            self.info.data_dependent_list.append(text)
        self.reasons.append(text)

    def fake_kernel(self, rec: Record) -> None:
        """`missing_fake_kernel` / `mismatched_fake_kernel` (draft export): an op export could not trace."""
        meta = rec.meta if isinstance(rec.meta, dict) else {}
        op = self.values.text(meta.get("op"), "fake_kernel.op") or "?"
        reason = self.values.text(meta.get("reason"), "fake_kernel.reason")
        text = f"{rec.kind.replace('_', ' ')}: {op}" + (f" ({reason[:160]})" if reason else "")
        self.info.fake_kernel_issues += 1
        if len(self.info.fake_kernel_list) < SHOWN:
            self.info.fake_kernel_list.append(text)
        self.reasons.append(text)

    def finish(self) -> ExportInfo | None:
        """The log's exports (None when it holds no export record)."""
        self._close()
        info = self.info
        return info if info.attempts or info.data_dependent_errors or info.fake_kernel_issues else None

    def _close(self) -> None:
        if self.current is not None and not self.current.ok:
            self.current.failure = (
                self.reasons[-1]
                if self.reasons
                else "no exported program was logged (the export raised; its exception is not in the log)"
            )
        self.current, self.reasons = None, []

    def _where(self, meta: dict) -> str:
        """` at program.py:11: if x.shape[0] > 2:`: the innermost frame of the user's code."""
        for key in ("user_stack", "stack"):
            frames = meta.get(key)
            if not isinstance(frames, list):
                continue
            for f in reversed(frames):
                if not isinstance(f, dict):
                    continue
                name = f.get("filename")
                if type(name) is int:
                    self.unresolved += name not in self.strings  # a part read in parallel may not know it
                    name = self.strings.get(name, "?")
                else:
                    name = self.values.str(name, "stack.filename")
                if name and not any(part in name for part in _TORCH):
                    line, loc = self.values.int(f.get("line"), "stack.line"), self.values.text(f.get("loc"), "loc")
                    return f" at {name.rsplit('/', 1)[-1]}:{line}" + (f": {loc.strip()[:120]}" if loc else "")
        return ""


def _section(lines: list[str], heading: str) -> list[str]:
    """The lines under `heading` in a printed program's graph signature, up to the next heading or blank."""
    out: list[str] = []
    inside = False
    for line in lines:
        text = line.strip()
        if text == heading:
            inside = True
        elif inside and (not text or text.startswith("#")):
            break
        elif inside:
            out.append(text[:160])
    return out
