"""Running a sweep's cells as Ray tasks: each cell is one task (`num_cpus` = its torch threads) that
runs `compileprof run` on whichever node Ray picks. Its run directory comes back through Ray's object
store as a tar archive and is unpacked under the sweep's --out (or, with `shared`, the task writes it
straight into --out, on storage every node sees). A task whose node dies is retried by Ray (up to
RETRIES times); a cell that fails is one failed cell; Ctrl-C cancels the tasks.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from ..cluster import connect, node_name
from ..errors import EXIT_NO_DATA, CompileprofError
from .execute import CRASHED, INTERRUPTED, LOGS, CellRun, OnEvent, cell_args, status_of, tail_of
from .suite import Cell

RETRIES = 3  # times Ray runs a cell again when its node or worker dies
POLL_S = 0.5


def run_cell_task(args: list[str], shared_out: str | None) -> dict[str, Any]:
    """On a Ray worker: run one cell's `compileprof run`; its exit code, output, node and wall time,
    and (unless it wrote to shared storage) its run directory as a gzip'd tar archive."""
    import ray

    start = time.perf_counter()
    scratch = None if shared_out else tempfile.mkdtemp(prefix="compileprof-cell-")
    out = Path(shared_out) if shared_out else Path(scratch) / "run"  # type: ignore[arg-type]
    if shared_out and out.exists():  # a try on a node that died: its half-written run is replaced
        shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "compileprof", *args, "--out", str(out)], capture_output=True)
    result = {"exit_code": done.returncode, "output": (done.stdout + done.stderr).decode(errors="replace")[-20000:],
              "node": node_name(ray), "wall_s": time.perf_counter() - start, "archive": None,
              "out": str(out)}  # fmt: skip
    if scratch is not None:
        if out.is_dir():
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                tar.add(out, arcname=".")
            result["archive"] = buf.getvalue()
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def unpack(archive: bytes, target: Path) -> None:
    """A cell's run directory from its archive: regular files and folders only, every name inside
    `target` (a link, a device or a name that climbs out is refused: the archive is data)."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
        for m in members:
            name = Path(m.name)
            if name.is_absolute() or ".." in name.parts or not (m.isfile() or m.isdir()):
                raise CompileprofError(f"{target}: a cell's archive holds {m.name!r}, not a run's file", EXIT_NO_DATA)
        target.mkdir(parents=True, exist_ok=True)
        for m in members:
            dest = target / m.name
            if m.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(m)
            if src is not None:
                with open(dest, "wb") as fh:
                    shutil.copyfileobj(src, fh)


class RayCells:
    """Cells run as Ray tasks on the cluster at `address`."""

    def __init__(self, out: Path, address: str, threads: int, shared: bool, on_event: OnEvent) -> None:
        self.out, self.threads, self.shared, self.on_event = out, threads, shared, on_event
        self.ray = connect(address)

    def run(self, cells: list[Cell]) -> list[CellRun]:
        """Submit every cell, collect each as it finishes; on Ctrl-C cancel the rest."""
        ray = self.ray
        (self.out / LOGS).mkdir(parents=True, exist_ok=True)
        task = ray.remote(num_cpus=self.threads, max_retries=RETRIES)(run_cell_task)
        pending: dict[Any, Cell] = {}
        for cell in cells:
            shared = str((self.out / cell.key).resolve()) if self.shared else None
            pending[task.remote(cell_args(cell, self.threads), shared)] = cell
            self.on_event("start", cell, None)
        runs: dict[str, CellRun] = {}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
                for ref in ready:
                    cell = pending.pop(ref)
                    runs[cell.key] = self._collect(ref, cell)
                    self.on_event("end", cell, runs[cell.key])
        except KeyboardInterrupt:
            for ref, cell in pending.items():
                ray.cancel(ref, force=True)
                runs[cell.key] = CellRun(cell, INTERRUPTED, None, 0.0, "ray", ["cancelled: the sweep was interrupted"])
        return [runs[c.key] for c in cells]

    def _collect(self, ref: Any, cell: Cell) -> CellRun:
        """A finished task's cell: its run directory written under --out, its output kept in logs/."""
        try:
            result = self.ray.get(ref)
        except Exception as err:  # the task itself failed past its retries (a node lost each time, ...)
            text = str(err).strip().splitlines()
            return CellRun(cell, CRASHED, None, 0.0, "ray", [f"{type(err).__name__}: {text[0] if text else ''}"[:500]])
        here = str(self.out / cell.key)
        output = str(result["output"]).replace(str(result.get("out") or here), here)  # paths as they are here
        (self.out / LOGS / f"{cell.key}.txt").write_text(output, encoding="utf-8")
        if result["archive"] is not None:
            unpack(result["archive"], self.out / cell.key)
        code = result["exit_code"]
        return CellRun(cell, status_of(code), code, float(result["wall_s"]), str(result["node"]), tail_of(output))
