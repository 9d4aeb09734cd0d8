"""The `compileprof` command: a registry of thin subcommands."""

from __future__ import annotations

import typer
from compileprof.profiler import __version__

from .gate import check_command, diff_command
from .models import models_command
from .report import report_command
from .run import run_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="A profiler for torch.compile: where compile time goes, what TORCH_TRACE logging costs, "
    "what runtime asserts cost.",
)
app.command("run")(run_command)
app.command("report")(report_command)
app.command("models")(models_command)
app.command("check")(check_command)
app.command("diff")(diff_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"compileprof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """compileprof: profile torch.compile."""


def main() -> None:
    """Console-script entry point."""
    app()
