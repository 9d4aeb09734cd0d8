"""Find the TORCH_TRACE logs a user's PATH names: a file, a trace directory or a run directory."""

from __future__ import annotations

from pathlib import Path

from ..errors import CompileprofError

LOG_GLOB = "dedicated_log_torch_trace*.log"


def _stdin() -> Path:
    """Standard input: the file it was redirected from (so it can be read in parallel parts), else the pipe."""
    real = Path("/dev/stdin").resolve()
    return real if real.is_file() else Path("/dev/stdin")


def find_logs(path: str | Path, latest: bool = False) -> list[Path]:
    """The log files under `path`, sorted by name; only the newest with `latest`. `-` is standard input.

    Raises `CompileprofError` (exit 4) when the path is missing or holds no log.
    """
    p = _stdin() if str(path) == "-" else Path(path)
    if not p.exists():
        raise CompileprofError(
            f"{p}: no such file or directory; pass a TORCH_TRACE log or the directory TORCH_TRACE pointed at"
        )
    if not p.is_dir():  # a file, or a pipe, a device, standard input: read as one log
        return [p]
    logs = sorted(p.rglob(LOG_GLOB))
    if not logs:  # a directory of logs renamed by hand
        logs = sorted(f for f in p.glob("*.log") if f.is_file())
    if not logs:
        raise CompileprofError(
            f"{p}: no TORCH_TRACE logs ({LOG_GLOB}) in this directory; run with TORCH_TRACE={p} first"
        )
    if latest:
        logs = [max(logs, key=lambda f: (f.stat().st_mtime, f.name))]
    return logs
