"""`compileprof models`: what MODEL can name."""

from __future__ import annotations

import typer


def models_command() -> None:
    """List the built-in models, one line each, and the other ways to name a model."""
    from compileprof.profiler.run.zoo.catalog import BUILTIN, DEFAULT_MODEL, HF_ARCHS

    width = max(len(n) for n in BUILTIN)
    for name, (_, about) in BUILTIN.items():
        typer.echo(f"{name:<{width}}  {about}")
    typer.echo("")
    typer.echo("Also: FILE.py:FN or MODULE:FN (a factory returning (model, example_inputs)), and hf:ARCH")
    typer.echo(f"(transformers from config, random weights; needs compileprof[hf]): {', '.join(HF_ARCHS)}.")
    typer.echo(f"Default: {DEFAULT_MODEL}.")
