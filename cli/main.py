"""The `compileprof` command: a registry of thin subcommands, and one way every error is shown."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import typer
from compileprof.profiler import __version__
from compileprof.profiler.errors import EXIT_USAGE
from typer.core import TyperGroup

from .cache import explain_cache_command
from .common import STDOUT, fail
from .gate import check_command, diff_command
from .history import history_app
from .models import models_command
from .report import report_command
from .run import run_command
from .sweep import sweep_command


def _is_click_error(err: BaseException) -> bool:
    """A click usage error (typer ships its own copy of click: classes are matched by name)."""
    return any(c.__name__ == "ClickException" for c in type(err).__mro__)


class OneLineGroup(TyperGroup):
    """Every usage error as one line (`compileprof: error: ...`, exit 2) instead of click's box, and a
    closed pipe on stdout as a quiet exit."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        """Run the command; show errors our way."""
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except Exception as err:
            if not _is_click_error(err):
                raise
            if getattr(err, "exit_code", EXIT_USAGE) != EXIT_USAGE:
                raise
            ctx = getattr(err, "ctx", None)
            sub = f" {ctx.info_name}" if ctx is not None and ctx.parent is not None else ""
            message = err.format_message() if hasattr(err, "format_message") else str(err)  # type: ignore[attr-defined]
            fail(f"{message} (see compileprof{sub} --help)", EXIT_USAGE)
            sys.exit(EXIT_USAGE)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help renderer costs 0.1 s of start-up
    help="A profiler for torch.compile: where compile time goes, what TORCH_TRACE logging costs, "
    "what runtime asserts cost.",
)
app.command("run")(run_command)
app.command("report")(report_command)
app.command("models")(models_command)
app.command("check")(check_command)
app.command("diff")(diff_command)
app.command("explain-cache")(explain_cache_command)
app.command("sweep")(sweep_command)
app.add_typer(history_app, name="history")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"compileprof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """compileprof: profile torch.compile."""


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM stops a command the way Ctrl-C does: temporary files are removed, a run asks its child
    to stop and keeps its directory (exit 130)."""
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminated)
    if sys.stdout is None:  # started with stdout closed (`>&-`): say so where output was asked for
        STDOUT["closed"] = True
        sys.stdout = open(os.devnull, "w")
    app()
