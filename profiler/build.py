"""From a PATH to a `Report`: find the logs, fold them (in parallel), combine them, and add what a run
directory's manifest says."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis.combine import combine
from .errors import CompileprofError
from .files import same_file
from .fold.parallel import fold_files
from .model.cache_keys import CacheComparison, CacheReport
from .model.instructions import Instructions
from .model.report import CacheRun, Report, RunFacts
from .model.rows import Chain
from .trace.discover import Found, discover, find_logs

if TYPE_CHECKING:
    from .model.run import RunManifest
    from .model.trace import TraceReport

CACHE_RUN_PHASES = 8  # span totals kept per child in a run's cold/warm comparison


def build_report(path: str | Path, latest: bool = False, jobs: int | None = None, ray: str | None = None) -> Report:
    """Find the logs under `path`, read them (in parallel) and combine them.

    A run directory (it holds a `compileprof run` manifest) is reported from its primary child's
    trace, with the run's facts (model, backend, steps, output check, forward timing, the other
    cache runs) in `Report.run` and its A/B measurements in `Report.measurements`.
    A run directory whose manifest is damaged is read as a plain trace directory, the damage named
    in `Report.manifest_error`. Raises `CompileprofError` when the path is missing, holds no log, or
    is one file that is not a TORCH_TRACE log. With `ray` (a cluster address), the logs are folded as
    Ray tasks on that cluster (see fold/on_ray.py): the same report.
    """
    if not Path(path).is_dir():  # a log file (or stdin): no run manifest to look for
        return _read_found(discover(path, latest=latest), str(path), jobs, ray)
    from .model.run import DamagedManifest, read_manifest  # run directories only: a fast start on a log

    try:
        manifest = read_manifest(Path(path))
    except DamagedManifest as err:
        report = _read_found(discover(path, latest=latest), str(path), jobs, ray)
        report.manifest_error = err.message
        return report
    if manifest is None:
        return _read_found(discover(path, latest=latest), str(path), jobs, ray)
    child = manifest.primary_child
    trace = child.trace if child is not None else "cold/trace"
    try:
        logs = find_logs(Path(path) / trace, latest=latest)
    except CompileprofError:
        raise CompileprofError(
            f"{path}: the run ({manifest.status}) left no trace in {trace}; its manifest.json says what happened"
        ) from None
    report = read_logs(logs, str(path), jobs, ray)
    report.run = RunFacts(manifest, cache_runs(Path(path), manifest, report, jobs))
    report.instructions = series_instructions(manifest)
    if child is not None:
        from .analysis.measurements import measurements

        graphs = Chain([report.graphs, report.measure_graphs])
        pieces = report.pieces + report.measure_pieces
        report.measurements = measurements(child, graphs, pieces, report.measure_compiles)
    return report


def logs_of(path: str | Path) -> list[Path]:
    """The logs a report of `path` reads: a run directory's primary child's, else the logs under it."""
    from .model.run import read_manifest

    if Path(path).is_dir():
        manifest = read_manifest(Path(path))
        if manifest is not None:
            child = manifest.primary_child
            return find_logs(Path(path) / (child.trace if child is not None else "cold/trace"))
    return find_logs(path)


def build_graph_changes(a: str | Path, b: str | Path, reports: tuple[Report, Report], full: bool = False) -> list:
    """What changed in what was compiled between runs (or traces) A and B: each compile matched and
    compared, ranked by the time its change cost (see analysis/graph_diff.py). Reads the logs' graph
    payloads, which `report` never does."""
    from .analysis.graph_diff import compare
    from .fold.graphs import read_compiled

    compiled_a = read_compiled(logs_of(a))
    compiled_b = read_compiled(logs_of(b), other=compiled_a)
    return compare(compiled_a, compiled_b, reports[0], reports[1], full)


def series_instructions(manifest: RunManifest) -> Instructions | None:
    """The primary child's instruction count, with the compile counts of its series' children (the
    primary and its repeats) as samples; None when the run was not counted."""
    from .model.run import same_series

    child = manifest.primary_child
    counted = Instructions.of(child.instructions) if child is not None else None
    if counted is None:
        return None
    counted.samples = [
        int(c.instructions["compile"])
        for label, c in manifest.children.items()
        if same_series(label, manifest.primary) and c.ok and Instructions.of(c.instructions) is not None
    ]
    return counted


def _read_found(found: Found, source: str, jobs: int | None, ray: str | None = None) -> Report:
    report = read_logs(found.logs, source, jobs, ray)
    report.skipped_files = found.skipped
    return report


def read_logs(logs: list[Path], source: str, jobs: int | None, ray: str | None = None) -> Report:
    """Read `logs` (in parallel processes, or as Ray tasks on the cluster at `ray`) and combine them
    into one report; `source` names what was asked for."""
    if ray is not None:
        from .fold.on_ray import fold_files_on_ray

        traces = fold_files_on_ray(logs, ray)
    else:
        traces = fold_files(logs, jobs=jobs)
    if len(traces) == 1 and traces[0].parse.records == 0 and traces[0].parse.lines > 0:
        t = traces[0]
        raise CompileprofError(
            f"{t.path}: not a TORCH_TRACE log (none of its {t.parse.lines} lines is a glog-prefixed JSON record)"
        )
    name_logs(traces, Path(source))
    return combine(source, traces)


def name_logs(traces: list[TraceReport], root: Path) -> None:
    """Name each log by its path relative to what was asked for (its file name when that was the file),
    with its process id when its file holds several processes."""
    base = root if root.is_dir() else None
    for t in traces:
        path = Path(t.path)
        try:
            name = str(path.relative_to(base)) if base is not None else path.name
        except ValueError:
            name = str(path)
        t.name = name + (f" (pid {t.pid})" if t.processes > 1 else "")


def _cache_run(label: str, report: Report) -> CacheRun:
    phases = dict(list(report.phases.items())[:CACHE_RUN_PHASES])
    all_phases = report.phases
    traced = {
        "dynamo": all_phases.get("dynamo", 0.0),
        "backend_compile": all_phases.get("backend_compile", 0.0),
        "pieces": sum(v for k, v in all_phases.items() if k.endswith("_compile_piece")),
    }
    summary = report.summary
    return CacheRun(label, summary.compiles, summary.compile_time_s, summary.cache, phases, traced)


def cache_runs(run_dir: Path, manifest: RunManifest, primary: Report, jobs: int | None) -> list[CacheRun]:
    """Per child process that left a trace: its compile count, compile time and cache events (cold vs
    warm side by side); the primary child's report is `primary`, already read."""
    runs = []
    for label, child in manifest.children.items():
        if label == manifest.primary:
            runs.append(_cache_run(label, primary))
            continue
        try:
            other = read_logs(find_logs(run_dir / child.trace), str(run_dir), jobs)
        except CompileprofError:
            continue
        runs.append(_cache_run(label, other))
    return runs


def build_cache_report(a: str | Path, b: str | Path, label: str = "") -> CacheReport:
    """B's compile-cache misses explained against A, and within B (one pair of logs or trace folders)."""
    from .analysis.cache_explain import explain, within  # not on `report`'s start-up path
    from .fold.cache_keys import read_lookups

    la, lb = read_lookups(a), read_lookups(b)
    hits = sum(x.state == "hit" for x in lb)
    return CacheReport(str(a), str(b), len(la), len(lb), hits, explain(la, lb), within(lb), label)


def _children(path: Path) -> list[tuple[str, Path]]:
    """The traces of a run directory's children that left one ([(label, trace folder)], primary first),
    or [("", path)] for anything else."""
    from .model.run import DamagedManifest, read_manifest

    try:
        manifest = read_manifest(path) if path.is_dir() else None
    except DamagedManifest:
        manifest = None
    if manifest is None:
        return [("", path)]
    kids = [(label, path / child.trace) for label, child in manifest.children.items() if (path / child.trace).is_dir()]
    kids.sort(key=lambda kv: kv[0] != manifest.primary)
    return kids or [("", path)]


def cache_pairs(a: Path, b: Path) -> list[tuple[str, Path, Path]]:
    """Which logs `explain-cache A B` compares (label, A's, B's): runs of several children child with
    child of the same label (cold with cold, warm with warm); one run against itself, each later child
    with the one before it that filled the cache; a run against plain logs, its primary child."""
    ka, kb = _children(Path(a)), _children(Path(b))
    if len(ka) == 1 and len(kb) == 1:  # one pair: nothing to tell apart
        return [("", ka[0][1], kb[0][1])]
    if same_file(Path(a), Path(b)) and len(kb) > 1:  # one run: what the first child cached, the others missed
        ordered = sorted(kb, key=lambda kv: (kv[0].startswith("warm"), kv[0]))
        return [(f"{x} vs {y}", px, py) for (x, px), (y, py) in pairwise(ordered)]
    labels_a = dict(ka)
    common = [(label, labels_a[label], pb) for label, pb in kb if label in labels_a]
    if common:
        return [(f"{label} vs {label}", pa, pb) for label, pa, pb in common]
    return [(f"{la or 'A'} vs {lb or 'B'}", ka[0][1], pb) for la, _ in ka[:1] for lb, pb in kb]


def build_cache_reports(a: str | Path, b: str | Path) -> CacheComparison:
    """B's compile-cache misses explained against A, pair by pair (see `cache_pairs`)."""
    pairs = [build_cache_report(pa, pb, label) for label, pa, pb in cache_pairs(Path(a), Path(b))]
    return CacheComparison(str(a), str(b), pairs)
