"""The torch.compile backends `compileprof run --backend` knows; importing this does not import torch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compileprof.profiler.errors import EXIT_USAGE, CompileprofError

from .options import BackendOptions


@dataclass(frozen=True, slots=True)
class Backend:
    """One entry of the registry: how to turn options into `torch.compile` keyword arguments."""

    name: str
    description: str
    compile_kwargs: Callable[[BackendOptions], dict[str, Any]]
    dynamic_batch: bool = False  # mark dim 0 of tensor inputs dynamic before compiling (when options.dynamic)


def _inductor(opts: BackendOptions) -> dict[str, Any]:
    return {"backend": "inductor", "options": dict(opts.inductor_options) or None}


def _named(name: str) -> Callable[[BackendOptions], dict[str, Any]]:
    def kwargs(opts: BackendOptions) -> dict[str, Any]:
        return {"backend": name}

    return kwargs


def _piecewise(opts: BackendOptions) -> dict[str, Any]:
    from .piecewise import compile_kwargs  # imports torch

    return compile_kwargs(opts)


REGISTRY: dict[str, Backend] = {
    "piecewise": Backend(
        "piecewise",
        "split at attention (--split-ops), eager splitting pieces, each other piece compiled by Inductor (vLLM's way)",
        _piecewise,
        dynamic_batch=True,
    ),
    "inductor": Backend("inductor", "the whole graph compiled by Inductor (torch.compile's default)", _inductor),
    "aot_eager": Backend(
        "aot_eager", "AOT autograd tracing, no code generation (isolates Dynamo + AOT)", _named("aot_eager")
    ),
    "eager": Backend("eager", "Dynamo tracing only; the graph runs eagerly", _named("eager")),
}


def get_backend(name: str) -> Backend:
    """The backend called `name`; raises `CompileprofError` (exit 2) naming the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise CompileprofError(
            f"--backend {name}: unknown backend; use one of {', '.join(REGISTRY)}", EXIT_USAGE
        ) from None
