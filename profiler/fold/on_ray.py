"""`report --ray`: a job's rank logs (thousands of files on storage every node sees) folded as Ray
tasks, the per-process reports merged on the driver exactly as the local reader merges them, so the
report is the same as without Ray."""

from __future__ import annotations

from pathlib import Path

from ..cluster import cluster_cpus, connect
from ..model.trace import TraceReport
from .parallel import fold_file

BATCHES_PER_CPU = 4  # files are sent in batches: a few per CPU of the cluster, so none waits on one slow batch


def _fold_batch(paths: list[str]) -> list[list[TraceReport]]:
    """Fold each log of a batch (on a Ray worker): one list of per-process reports per file."""
    return [fold_file(Path(p), jobs=1) for p in paths]


def fold_files_on_ray(paths: list[Path], address: str) -> list[TraceReport]:
    """Fold `paths` as Ray tasks on the cluster at `address`; reports per process of each file, files
    in the order given (what `fold_files` returns)."""
    ray = connect(address)
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        from ..errors import EXIT_USAGE, CompileprofError

        raise CompileprofError(f"{missing[0]}: report --ray reads files by path on every node; save it first",
                               EXIT_USAGE)  # fmt: skip
    batches = max(1, min(len(paths), cluster_cpus(ray) * BATCHES_PER_CPU))
    size = -(-len(paths) // batches)
    groups = [[str(p) for p in paths[i : i + size]] for i in range(0, len(paths), size)]
    task = ray.remote(num_cpus=1)(_fold_batch)
    refs = [task.remote(g) for g in groups]
    try:
        done = ray.get(refs)
    except KeyboardInterrupt:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    return [t for batch in done for streams in batch for t in streams]
