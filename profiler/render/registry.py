"""One renderer protocol and one registry for every document the tool prints: a report, a check, a diff.

A renderer has a name, the file extensions it owns, and one way to write: `write(doc, out, options)`
onto a binary stream. The format is the one named, else the output file's extension, else console;
an extension no renderer of that document owns is a usage error. A writer's module is imported only
when it writes, so a command pays for the format it prints. Adding a format is one module and one
line in `_RENDERERS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ..errors import EXIT_USAGE, CompileprofError

REPORT, CHECK, DIFF, CACHE, HISTORY, CHANGES, SWEEP = (
    "report", "check", "diff", "cache", "history", "changes", "sweep",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How much to show: compile rows (0 = all), phase trees and their depth, and the console width
    (None: the terminal's; colour comes with a terminal)."""

    limit: int = 25
    trees: int = 3
    depth: int = 6
    width: int | None = 120


class Writer(Protocol):
    """The one way a renderer writes: a document onto a binary stream."""

    def write(self, doc: Any, out: BinaryIO, opts: RenderOptions) -> None:
        """Write `doc` to `out`."""


@dataclass(frozen=True, slots=True)
class Renderer:
    """A format of a document: its name, the file extensions it owns, and where its writer lives."""

    doc: str
    name: str
    extensions: tuple[str, ...]
    target: str  # "module:Class" under compileprof.profiler.render

    def write(self, doc: Any, out: BinaryIO, opts: RenderOptions) -> None:
        """Write `doc` to the binary stream `out` (the writer's module is imported now)."""
        module, cls = self.target.split(":")
        writer: Writer = getattr(importlib.import_module(f"{__package__}.{module}"), cls)()
        writer.write(doc, out, opts)


_RENDERERS = [
    Renderer(REPORT, "console", (".txt",), "console:ConsoleReport"),
    Renderer(REPORT, "json", (".json",), "json_report:JsonReport"),
    Renderer(REPORT, "markdown", (".md", ".markdown"), "markdown:MarkdownReport"),
    Renderer(REPORT, "html", (".html", ".htm"), "html_report:HtmlReport"),
    Renderer(REPORT, "perfetto", (), "perfetto:PerfettoReport"),
    Renderer(CHECK, "console", (".txt",), "gate_view:CheckConsole"),
    Renderer(CHECK, "json", (".json",), "gate_view:CheckJson"),
    Renderer(CHECK, "markdown", (".md", ".markdown"), "gate_view:CheckMarkdown"),
    Renderer(CHECK, "junit", (".xml",), "gate_view:CheckJunit"),
    Renderer(DIFF, "console", (".txt",), "gate_view:DiffConsole"),
    Renderer(DIFF, "json", (".json",), "gate_view:DiffJson"),
    Renderer(DIFF, "markdown", (".md", ".markdown"), "gate_view:DiffMarkdown"),
    Renderer(DIFF, "html", (".html", ".htm"), "html_report:DiffHtml"),
    Renderer(CACHE, "console", (".txt",), "cache_view:CacheConsole"),
    Renderer(CACHE, "json", (".json",), "cache_view:CacheJson"),
    Renderer(CACHE, "markdown", (".md", ".markdown"), "cache_view:CacheMarkdown"),
    Renderer(HISTORY, "console", (".txt",), "history_view:HistoryConsole"),
    Renderer(HISTORY, "json", (".json",), "history_view:HistoryJson"),
    Renderer(HISTORY, "markdown", (".md", ".markdown"), "history_view:HistoryMarkdown"),
    Renderer(HISTORY, "html", (".html", ".htm"), "history_view:HistoryHtml"),
    Renderer(CHANGES, "console", (".txt",), "history_view:ChangesConsole"),
    Renderer(CHANGES, "json", (".json",), "history_view:ChangesJson"),
    Renderer(CHANGES, "markdown", (".md", ".markdown"), "history_view:ChangesMarkdown"),
    Renderer(SWEEP, "console", (".txt",), "sweep_view:SweepConsole"),
    Renderer(SWEEP, "json", (".json",), "sweep_view:SweepJson"),
    Renderer(SWEEP, "markdown", (".md", ".markdown"), "sweep_view:SweepMarkdown"),
    Renderer(SWEEP, "html", (".html", ".htm"), "sweep_view:SweepHtml"),
]


def formats(doc: str) -> list[str]:
    """The format names of `doc` (report, check, diff)."""
    return [r.name for r in _RENDERERS if r.doc == doc]


def renderer(doc: str, fmt: str) -> Renderer:
    """The renderer of `doc` called `fmt`; a usage error naming the known ones."""
    for r in _RENDERERS:
        if r.doc == doc and r.name == fmt:
            return r
    raise CompileprofError(f"--format {fmt}: unknown format; use one of {', '.join(formats(doc))}", EXIT_USAGE)


def choose(doc: str, fmt: str | None, out: Path | None) -> Renderer:
    """The format named, else the one owning the output file's extension, else console."""
    if fmt:
        return renderer(doc, fmt)
    if out is None or not out.suffix:
        return renderer(doc, "console")
    suffix = out.suffix.lower()
    mine = [r for r in _RENDERERS if r.doc == doc]
    for r in mine:
        if suffix in r.extensions:
            return r
    owned = ", ".join(e for r in mine for e in r.extensions)
    raise CompileprofError(
        f"-o {out}: no {doc} format writes {suffix} files; use an extension of {owned}, or name a format with "
        f"--format ({', '.join(formats(doc))})",
        EXIT_USAGE,
    )
