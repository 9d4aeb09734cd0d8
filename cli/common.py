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
from compileprof.profiler.errors import EXIT_INTERRUPTED, EXIT_NO_DATA, EXIT_USAGE, EXIT_WRITE, CompileprofError

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
            from compileprof.profiler.files import WRITE_ERRNOS, write_error

            if err.errno in WRITE_ERRNOS:  # a full disk, a read-only mount: an output, not an input
                raise fail(write_error(err.filename or "an output", err).message, EXIT_WRITE) from None
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


def cap_jobs(jobs: int | None) -> int | None:
    """`--jobs` capped at the CPUs this process may use, with a note on stderr when it was (more
    processes than CPUs only slow the reading; the work's own parts and files cap it further)."""
    if jobs is None:
        return None
    from compileprof.profiler.fold.parallel import usable_cpus

    cpus = usable_cpus()
    if jobs > cpus:
        note(f"--jobs {jobs}: this machine lets compileprof use {cpus} CPUs; reading with {cpus} processes")
        return cpus
    return jobs


def jobs_option() -> Any:
    """The `--jobs/-j` option every reading command takes (capped by `cap_jobs`)."""
    return typer.Option(
        None, "--jobs", "-j", min=1, callback=cap_jobs,
        help="Processes reading logs in parallel (default and most: the CPUs this process may use).",
    )  # fmt: skip


def note(message: str) -> None:
    """Print `compileprof: note: message` to stderr (one line; hostile text printed as text)."""
    from compileprof.profiler.render.terminal import SafeConsole, styled
    from rich.text import Text

    line = Text.assemble(styled("compileprof: note:", "yellow"), styled(" " + " ".join(message.split("\n"))))
    SafeConsole(stderr=True, soft_wrap=True).print(line)


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
    from compileprof.profiler.files import write_atomic, write_error

    if out is not None:
        write_atomic(out, lambda fh: renderer.write(doc, fh, opts))
        return
    try:
        sys.stdout.flush()
        renderer.write(doc, sys.stdout.buffer, opts)
        sys.stdout.buffer.flush()
    except OSError as err:  # stdout is a full disk (`> /dev/full`) or a file on a read-only mount
        if isinstance(err, BrokenPipeError) or err.filename is not None:
            raise  # a closed pipe; or an input that could not be read while rendering
        quiet_stdout()
        raise write_error("standard output", err) from None


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
