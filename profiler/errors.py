"""The one error type the tool raises for bad input, and the documented exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_REGRESSION = 1  # check: a regression or a missing metric
EXIT_USAGE = 2  # bad options or configuration
EXIT_STALE = 3  # check: only improvements (the baseline is stale)
EXIT_NO_DATA = 4  # nothing could be measured or parsed: missing path, not a trace, no logs
EXIT_DAMAGED = 5  # report --strict: the log was read, but damage was counted
EXIT_RUN_FAILED = 6  # run: the child failed (factory raised, compile failed, crashed)
EXIT_TIMEOUT = 7  # run: the child ran past --timeout and was stopped
EXIT_WRITE = 8  # an output could not be written (full disk, read-only, no permission, a lock not had in time)
EXIT_INTERRUPTED = 130  # interrupted (Ctrl-C); a run keeps its directory, manifest status "interrupted"


class CompileprofError(Exception):
    """A user-facing failure: one line of text (what, where, what to do) and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_NO_DATA) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
