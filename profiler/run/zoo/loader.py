"""Turn a `ModelSpec` into `(model, example_inputs, more_inputs)`; runs in the child process (imports torch)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import EXIT_USAGE, CompileprofError
from .catalog import BUILTIN, ModelSpec


def factory_for(spec: ModelSpec) -> Callable[..., Any]:
    """The factory function MODEL names (imports the user's file or module)."""
    if spec.kind == "builtin":
        from . import builtin

        return getattr(builtin, BUILTIN[spec.target][0])
    if spec.kind == "hf":
        from . import hf

        def build(**kwargs: Any) -> Any:
            return hf.build(spec.target, **kwargs)

        return build
    if spec.kind == "file":
        path = Path(spec.target)
        sys.path.insert(0, str(path.parent))  # so the file can import its neighbours
        name = f"compileprof_user_{path.stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise CompileprofError(f"{path}: cannot be imported as Python", EXIT_USAGE)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
    else:
        sys.path.insert(0, str(Path.cwd()))
        module = importlib.import_module(spec.target)
    fn = getattr(module, spec.function or "", None)
    if not callable(fn):
        raise CompileprofError(f"{spec.label}: {spec.target} has no function {spec.function!r}", EXIT_USAGE)
    return fn


def call_factory(fn: Callable[..., Any], kwargs: dict[str, Any]) -> tuple[Any, tuple, list[tuple]]:
    """Call `fn` with the keyword arguments it accepts (all of them if it takes **kwargs) and check
    what it returns: `(model, example_inputs)` or `(model, example_inputs, more_inputs)`."""
    params = inspect.signature(fn).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    result = fn(**kwargs)
    if not isinstance(result, tuple) or len(result) not in (2, 3):
        raise TypeError(
            f"the factory returned {type(result).__name__}; it must return (model, example_inputs) "
            "or (model, example_inputs, more_inputs)"
        )
    model, inputs = result[0], result[1]
    more = list(result[2]) if len(result) == 3 else []
    if not callable(model):
        raise TypeError(f"the factory's model is a {type(model).__name__}, not a callable module")
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    return model, inputs, [m if isinstance(m, tuple) else (m,) for m in more]
