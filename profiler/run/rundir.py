"""The run directory: where it goes, and refusing to clobber one."""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path

from ..errors import EXIT_USAGE, CompileprofError
from ..model.run import CHILD_FILES, KIND, MANIFEST, REPORTS, is_run_output
from ..trace.discover import LOG_GLOB

DEFAULT_ROOT = Path("compileprof-runs")


def default_run_dir(model_label: str, root: Path = DEFAULT_ROOT) -> Path:
    """A new timestamped directory name under `root` (never an existing one)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model_label).name if ":" in model_label else model_label).strip("-")
    base = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug or 'model'}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def prepare_run_dir(path: Path, force: bool) -> Path:
    """Create the run directory. An existing non-empty one is refused (exit 2) unless `force` and it
    is a previous run's (it holds this tool's manifest): then only what a run writes is removed (the
    manifest, the reports, and in each child folder its job, result, progress and output files and
    the trace logs); anything else, in the directory or its child folders, is left where it is."""
    if path.exists() and not path.is_dir():
        raise CompileprofError(f"--out {path}: exists and is not a directory", EXIT_USAGE)
    if path.exists() and any(path.iterdir()):
        if not force:
            raise CompileprofError(
                f"--out {path}: directory exists and is not empty; choose another --out or pass --force to replace "
                "the run in it",
                EXIT_USAGE,
            )
        if not is_run_dir(path):
            raise CompileprofError(
                f"--out {path}: not a compileprof run directory (no manifest.json of a run), so --force will not "
                "replace anything in it; choose another --out",
                EXIT_USAGE,
            )
        clear_run(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_run_dir(path: Path) -> bool:
    """True when `path` holds a manifest.json that `compileprof run` wrote (even a damaged one that
    still names its kind)."""
    try:
        data = json.loads((path / MANIFEST).read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("kind") == KIND


def clear_run(path: Path) -> None:
    """Remove what a previous run wrote in `path`, and nothing else; links are removed, never followed."""
    for p in path.iterdir():
        if not is_run_output(p.name):
            continue
        if p.is_symlink() or not p.is_dir():
            if p.name in (MANIFEST, *REPORTS):
                p.unlink()
            continue
        for name in CHILD_FILES:
            target = p / name
            if target.is_symlink() or target.is_file():
                target.unlink()
        trace = p / "trace"
        if trace.is_dir() and not trace.is_symlink():
            for log in trace.glob(LOG_GLOB):
                if log.is_symlink() or log.is_file():
                    log.unlink()
        for folder in (trace, p):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when nothing of the user's is left in it
