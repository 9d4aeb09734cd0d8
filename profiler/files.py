"""Writing files without losing what was there, and without being led astray by a planted link.

- `write_atomic`: the new content goes into a temporary file created beside the destination with a
  name no one can guess and exclusive creation (`mkstemp`: `O_CREAT|O_EXCL|O_NOFOLLOW`), so a link
  planted where a temporary file would go is never followed; it is renamed into place only when the
  writing succeeded. Temporary files a killed process left (their name holds its pid) are removed
  on the next write of the same file.
- `locked`: an exclusive lock on a file's directory, for read-modify-write updates (a baseline).
- `refuse_inputs`: no output that is one of the inputs.
- Every failure to write names the path and exits with `EXIT_WRITE`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import EXIT_USAGE, EXIT_WRITE, CompileprofError

TMP_SUFFIX = ".compileprof-tmp"
LOCK_WAIT_S = 60.0  # how long `locked` waits for another process's update before giving up
# Errors that mean the output could not be written (not that an input could not be read).
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EIO})


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


def write_error(path: object, err: OSError) -> CompileprofError:
    """The one-line error for an output that could not be written (exit `EXIT_WRITE`)."""
    why = err.strerror or str(err)
    return CompileprofError(f"{path}: cannot write ({why}); free space or choose another output", EXIT_WRITE)


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through `write(handle)` into an exclusive temporary file beside it, renamed into
    place only when the writing succeeded: a failure leaves the old file as it was, never half
    written, and no temporary file behind. A path that exists and is not a regular file (/dev/null,
    a FIFO, a terminal) is written in place: renaming over it would replace the device with a file.
    A failure to write raises `CompileprofError` (exit `EXIT_WRITE`) naming the path."""
    try:
        if path.exists() and not path.is_file():
            with open(path, "wb") as fh:
                write(fh)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as err:
        raise _mine(err, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise _mine(err, path, tmp) from None
        raise


def _mine(err: OSError, path: Path, *also: str) -> BaseException:
    """A write error naming `path` when `err` is about the output (no file named, or the output or
    its temporary file); else `err` itself (an input that could not be read while rendering)."""
    if err.filename is None or str(err.filename) in (str(path), str(path.parent), *also):
        return write_error(path, err)
    return err


def _umask() -> int:
    """The process's umask (read by setting it; restored at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_STALE = re.compile(
    rf"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+{re.escape(TMP_SUFFIX)}$|^\.(?P<old>.+)\.(?P<oldpid>\d+)\.tmp$"
)


def sweep_stale(path: Path) -> int:
    """Remove the temporary files of `path` that a process which no longer runs left behind (killed
    while writing): regular files of this user, named by this module (or its earlier `.NAME.PID.tmp`
    form). Never follows a link. Returns how many were removed."""
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        m = _STALE.match(entry.name)
        if m is None or (m.group("name") or m.group("old")) != path.name:
            continue
        pid = int(m.group("pid") or m.group("oldpid"))
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_file(follow_symlinks=False) or st.st_uid != os.geteuid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    """True when a process `pid` exists (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


@contextlib.contextmanager
def locked(path: Path, wait_s: float | None = None, what: str = "file") -> Iterator[None]:
    """Hold an exclusive lock on `path`'s directory while the block runs: a second process updating
    the same file waits for the first (up to `wait_s`, default LOCK_WAIT_S), then reads what the
    first wrote. Locking the directory leaves no lock file behind. Raises `CompileprofError` (exit
    `EXIT_WRITE`) when the lock is not had in time."""
    import fcntl

    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as err:
        raise write_error(path, err) from None
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CompileprofError(
                        f"{path}: another compileprof has been updating this {what} for {wait_s:.0f} s; "
                        "try again when it has finished",
                        EXIT_WRITE,
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
