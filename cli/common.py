"""What every command shares: user-facing errors as one line and an exit code, output files."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import typer
from compileprof.profiler.errors import EXIT_NO_DATA, EXIT_USAGE, CompileprofError
from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int) -> typer.Exit:
    """Print `compileprof: error: message` to stderr and return the Exit to raise."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]compileprof: error:[/] {message}")
    return typer.Exit(code)


def user_errors(fn: F) -> F:
    """Turn CompileprofError and OS errors raised by a command into one line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CompileprofError as err:
            raise fail(err.message, err.exit_code) from None
        except OSError as err:
            where = f"{err.filename}: " if err.filename else ""
            raise fail(f"{where}{err.strerror or err}", EXIT_NO_DATA) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def write_output(content: str | bytes | Callable[[BinaryIO], None], out: Path | None, force: bool) -> None:
    """Write `content` (text, bytes, or a function writing to a binary handle) to `out`, refusing to
    overwrite an existing file without `force`; to stdout when `out` is None."""
    if out is not None and out.exists() and not force:
        raise CompileprofError(f"{out}: already exists; pass --force to overwrite it", EXIT_USAGE)

    def emit(fh: BinaryIO) -> None:
        if callable(content):
            content(fh)
        else:
            fh.write(content.encode() if isinstance(content, str) else content)

    if out is None:
        sys.stdout.flush()
        emit(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh:
        emit(fh)


def format_for(fmt: str | None, out: Path | None) -> str:
    """The output format: the one named, else the output file's extension, else console."""
    if fmt:
        return fmt
    if out is not None:
        suffix = out.suffix.lower()
        if suffix == ".json":
            return "json"
        if suffix in (".md", ".markdown"):
            return "markdown"
    return "console"
