"""Writing files without losing what was there: a temporary file renamed into place, and no output
that is one of the inputs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from .errors import EXIT_USAGE, CompileprofError


def same_file(a: Path, b: Path) -> bool:
    """True when `a` and `b` are the same existing file (also through links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_inputs(out: Path | None, inputs: Iterable[Path], what: str = "output") -> None:
    """A usage error (exit 2) when `out` is one of `inputs`: writing it would destroy what is read."""
    if out is None or not out.exists():
        return
    for p in inputs:
        if same_file(out, p):
            raise CompileprofError(f"{out}: the {what} would overwrite an input ({p}); write it elsewhere", EXIT_USAGE)


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through `write(handle)` into a temporary file beside it, renamed into place only
    when the writing succeeded: a failure leaves the old file as it was, never half written. A path
    that exists and is not a regular file (/dev/null, a FIFO, a terminal) is written in place: renaming
    over it would replace the device with a file."""
    if path.exists() and not path.is_file():
        with open(path, "wb") as fh:
            write(fh)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
