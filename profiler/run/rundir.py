"""The run directory: where it goes, and refusing to clobber one."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from ..errors import EXIT_USAGE, CompileprofError
from ..model.run import is_run_output

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
    """Create the run directory; an existing non-empty one is refused (exit 2) unless `force`, which
    replaces only what a run writes there (nothing else in the directory is touched)."""
    if path.exists() and not path.is_dir():
        raise CompileprofError(f"--out {path}: exists and is not a directory", EXIT_USAGE)
    if path.exists() and any(path.iterdir()):
        if not force:
            raise CompileprofError(
                f"--out {path}: directory exists and is not empty; choose another --out or pass --force to replace "
                "the run in it",
                EXIT_USAGE,
            )
        for p in [p for p in path.iterdir() if is_run_output(p.name)]:
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path
