"""The run directory: where it goes, refusing to clobber one, and the manifest that describes it."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, CompileprofError

MANIFEST = "manifest.json"
DEFAULT_ROOT = Path("compileprof-runs")
# What a run writes; with --force only these are replaced, nothing else in the directory is touched.
OWNED = ("manifest.json", "report.json", "report.md", "cold", "warm", "fill")
_REPEAT = re.compile(r"^(cold|warm)\d+$")


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
    replaces only what a run writes there."""
    if path.exists() and not path.is_dir():
        raise CompileprofError(f"--out {path}: exists and is not a directory", EXIT_USAGE)
    if path.exists() and any(path.iterdir()):
        if not force:
            raise CompileprofError(
                f"--out {path}: directory exists and is not empty; choose another --out or pass --force to replace "
                "the run in it",
                EXIT_USAGE,
            )
        for name in [*OWNED, *(p.name for p in path.iterdir() if _REPEAT.match(p.name))]:
            p = path / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The manifest of a run directory, or None when `run_dir` is not one."""
    p = Path(run_dir) / MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as err:
        raise CompileprofError(f"{p}: unreadable run manifest ({err}); rerun or remove it") from None
    return data if isinstance(data, dict) and data.get("kind") == "compileprof-run" else None


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    """Write manifest.json."""
    (Path(run_dir) / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
