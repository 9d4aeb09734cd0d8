"""Find the TORCH_TRACE logs a user's PATH names: a file, a trace directory or a run directory.

In a directory every regular file is sniffed: it is a log when one of its first lines is a
glog-prefixed JSON record, whatever its name (torch's own `dedicated_log_torch_trace*.log`, a
launcher's renamed copy, a log beside the others). Files that are not logs are listed with why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CompileprofError

LOG_GLOB = "dedicated_log_torch_trace*.log"
SNIFF_BYTES = 64 << 10
_RECORD = re.compile(rb"(?:^|\n)[^\n]*?[VIWEC]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^\]\n]*:\d+\][^{\n]*? \{\"")


@dataclass(slots=True)
class Found:
    """The logs under a path, in name order, and the files passed over with the reason."""

    logs: list[Path]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _stdin() -> Path:
    """Standard input: the file it was redirected from (so it can be read in parallel parts), else the pipe."""
    real = Path("/dev/stdin").resolve()
    return real if real.is_file() else Path("/dev/stdin")


def is_log(path: Path) -> bool:
    """True when one of the file's first lines is a TORCH_TRACE record (or it is named like one)."""
    if path.name.startswith("dedicated_log_torch_trace"):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False
    return _RECORD.search(head) is not None


def discover(path: str | Path, latest: bool = False) -> Found:
    """The logs under `path` (`-` is standard input) and the files skipped; only the newest log with
    `latest`. Raises `CompileprofError` (exit 4) when the path is missing or holds no log."""
    p = _stdin() if str(path) == "-" else Path(path)
    try:
        exists = p.exists()
    except OSError as err:  # a name too long, a component that is not a directory...
        raise CompileprofError(
            f"{str(p)[:200]}: {err.strerror}; pass a TORCH_TRACE log or a directory of them"
        ) from None
    if not exists:
        raise CompileprofError(
            f"{p}: no such file or directory; pass a TORCH_TRACE log or the directory TORCH_TRACE pointed at"
        )
    if not p.is_dir():  # a file, or a pipe, a device, standard input: read as one log
        return Found([p])
    found = Found([])
    for f in sorted(x for x in p.rglob("*") if x.is_file()):
        if is_log(f):
            found.logs.append(f)
        else:
            found.skipped.append((str(f), "not a TORCH_TRACE log (no glog-prefixed JSON record in its first lines)"))
    if not found.logs:
        raise CompileprofError(f"{p}: no TORCH_TRACE logs in this directory; run with TORCH_TRACE={p} first")
    if latest:
        newest = max(found.logs, key=lambda f: (f.stat().st_mtime, f.name))
        found.skipped += [(str(f), "not the newest (--latest)") for f in found.logs if f != newest]
        found.logs = [newest]
    return found


def find_logs(path: str | Path, latest: bool = False) -> list[Path]:
    """The log files under `path` (see `discover`)."""
    return discover(path, latest).logs
