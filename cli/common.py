"""What every command shares: user-facing errors as one line and an exit code, writing a rendered
document to stdout or a file, and the command line as given."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from compileprof.profiler.errors import EXIT_INTERRUPTED, EXIT_NO_DATA, EXIT_USAGE, CompileprofError

if TYPE_CHECKING:
    from compileprof.profiler.render.registry import Renderer, RenderOptions

F = TypeVar("F", bound=Callable[..., Any])
EXIT_BROKEN_PIPE = 141  # what a shell reports for a tool stopped by SIGPIPE (`compileprof report | head`)
STDOUT = {"closed": False}  # set by main() when the process started without a standard output


def fail(message: str, code: int) -> typer.Exit:
    """Print `compileprof: error: message` to stderr (one line, markup and control characters in the
    message never obeyed) and return the Exit to raise."""
    from compileprof.profiler.render.terminal import SafeConsole, styled
    from rich.text import Text

    line = Text.assemble(styled("compileprof: error:", "bold red"), styled(" " + " ".join(message.split("\n"))))
    SafeConsole(stderr=True, soft_wrap=True).print(line)
    return typer.Exit(code)


def user_errors(fn: F) -> F:
    """Turn CompileprofError and OS errors raised by a command into one line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CompileprofError as err:
            raise fail(err.message, err.exit_code) from None
        except BrokenPipeError:
            quiet_stdout()  # stdout went away (`| head`): stop quietly, as Unix tools do
            sys.exit(EXIT_BROKEN_PIPE)
        except OSError as err:
            where = f"{err.filename}: " if err.filename else ""
            raise fail(f"{where}{err.strerror or err}", EXIT_NO_DATA) from None
        except KeyboardInterrupt:
            raise fail("interrupted", EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain about the pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def refuse_overwrite(out: Path | None, force: bool) -> None:
    """A usage error when `out` is an existing file and `force` was not given (a device such as
    /dev/null, or a FIFO, is written to, not overwritten)."""
    if out is not None and out.is_file() and not force:
        raise CompileprofError(f"{out}: already exists; pass --force to overwrite it", EXIT_USAGE)


def stdout_width(out: Path | None, piped: int = 120) -> int | None:
    """Console width: a terminal's own (None), else `piped` columns (rich would use 80)."""
    return None if out is None and sys.stdout.isatty() else piped


def emit(renderer: Renderer, doc: Any, opts: RenderOptions, out: Path | None, force: bool) -> None:
    """Write `doc` with `renderer` to `out`, refusing to overwrite an existing file without `force`;
    to stdout when `out` is None."""
    refuse_overwrite(out, force)
    if out is None and STDOUT["closed"]:
        raise CompileprofError("standard output is closed; write the report to a file with -o FILE", EXIT_USAGE)
    if out is None:
        sys.stdout.flush()
        renderer.write(doc, sys.stdout.buffer, opts)
        sys.stdout.buffer.flush()
        return
    from compileprof.profiler.files import write_atomic

    write_atomic(out, lambda fh: renderer.write(doc, fh, opts))


def _words(param: Any, value: Any) -> list[str]:
    """The words that give `param` the value `value` on a command line."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    plain = [v.value if isinstance(v, Enum) else str(v) for v in values]
    if param.param_type_name == "argument":
        return plain
    if getattr(param, "is_flag", False):
        return [param.opts[0] if value or not param.secondary_opts else param.secondary_opts[0]]
    return [word for v in plain for word in (param.opts[0], v)]


def command_line(ctx: Any) -> list[str]:
    """The command as the user gave it: `compileprof`, the subcommand, and each argument or option
    that came from the command line (long option names, in the command's order). `ctx` is the
    command's click context (typer ships its own copy of click: its classes are compared by name)."""
    words = ["compileprof", ctx.command.name or ctx.info_name or ""]
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name) if param.name else None
        if getattr(source, "name", None) == "COMMANDLINE":
            words += _words(param, ctx.params[param.name])
    return words
