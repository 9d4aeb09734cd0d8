"""A rich console safe for strings from logs, paths, factories and exceptions."""

from __future__ import annotations

import io
from typing import BinaryIO

from rich.console import Console
from rich.text import Text

from .escaping import clean
from .registry import RenderOptions


class SafeConsole(Console):
    """A rich console that reads no markup and no control characters from the strings it prints:
    styles come only from the `Text` objects renderers build (`styled`), so a `[/]` or an escape
    sequence in a function name, a reason or a path is printed as text, never obeyed."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(markup=False, highlight=False, **kwargs)  # type: ignore[arg-type]

    def render_str(self, text: str, **kwargs: object) -> Text:  # type: ignore[override]
        """Every plain string rendered (table cells, tree labels, panels) is cleaned, never parsed."""
        kwargs["markup"] = False
        return super().render_str(clean(text), **kwargs)  # type: ignore[arg-type]


def styled(text: object, style: str = "") -> Text:
    """Text from anywhere (a log, a path) with a style of ours."""
    return Text(clean(text), style=style)


def console_on(out: BinaryIO, opts: RenderOptions) -> tuple[Console, io.TextIOWrapper]:
    """A safe rich console writing UTF-8 to the binary stream `out` (a terminal gets colour and its width)."""
    text = io.TextIOWrapper(out, encoding="utf-8", errors="replace", newline="", write_through=True)
    return SafeConsole(file=text, width=opts.width), text
