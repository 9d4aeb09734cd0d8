"""Time `compileprof report` against tlparse, side by side in one run, on every kind of log.

    python benchmarks/report_speed.py [--mb 200] [--repeat 3] [--keep]

Builds five logs of at least --mb MB each under benchmarks/out/ by concatenating whole real logs:
- `fixtures.log`: this repository's CPU fixtures (graph_break.log, mlp.log): few, large payloads;
- `shared.log`: ../shared/traces (simple.log, comp_metrics.log, cache_hit_miss.log), logs written
  by other projects on GPUs: many small records;
- `fidelity.log`: the fidelity fixtures (rank 0 of ranks2, aoti, export ok and failing, warm cache,
  bypass, compiled autograd);
- `mix.log`: different projects' logs and several processes in one file: ../shared/traces' single
  logs, its four multi_rank logs (four processes) and this repository's fixtures, one after another;
- `crlf.log`: ../shared/traces' rank 1 log of multi_rank, a real log whose lines end with CRLF.
For each it runs, as child processes, `compileprof report LOG -f json` with every core and with
`-j 1`, and `tlparse LOG` (when installed: `pip install tlparse`), --repeat times each, and prints
the best wall time, MB/s and the peak RSS. Then: how one large log and a directory of rank logs scale
from 1 to N processes, the default against `-j 1` on logs of 2-64 MB (where splitting starts to
pay), a directory of 1,000 small rank logs, start-up (`--help`, `report` on a
small log), and what 16 cores would give: each log cut into 16 parts as `report -j 16` cuts it, each
part's fold timed alone, so the balance of the parts and the serial rest (Amdahl) show without such a
machine. Nothing here runs in the test suite; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared" / "traces"
OUT = Path(__file__).resolve().parent / "out"
OURS = [sys.executable, "-m", "compileprof", "report"]
SOURCES = {
    "fixtures.log": [FIXTURES / "graph_break.log", FIXTURES / "mlp.log"],
    "shared.log": [SHARED / "simple.log", SHARED / "comp_metrics.log", SHARED / "cache_hit_miss.log"],
    "fidelity.log": [FIXTURES / "ranks2" / "dedicated_log_torch_trace_rank_0.log", FIXTURES / "aoti.log",
                     FIXTURES / "export_ok.log", FIXTURES / "export_fail.log", FIXTURES / "warm_cache.log",
                     FIXTURES / "cache_bypass.log", FIXTURES / "compiled_autograd.log"],
    "mix.log": [SHARED / "simple.log", SHARED / "comp_metrics.log", SHARED / "cache_hit_miss.log",
                *sorted((SHARED / "multi_rank").glob("*.log")), FIXTURES / "graph_break.log", FIXTURES / "mlp.log",
                FIXTURES / "warm_cache.log"],
    "crlf.log": [SHARED / "multi_rank" / "dedicated_log_torch_trace_rank_1.log"],
}  # fmt: skip


def build_log(path: Path, sources: list[Path], megabytes: float) -> None:
    """Write a log of at least `megabytes` MB made of whole copies of `sources`, one after the other.
    (Rank-stamped logs keep their rank: the repeated log is one rank's.)"""
    unit = b"".join(d if d.endswith(b"\n") else d + b"\n" for d in (p.read_bytes() for p in sources if p.exists()))
    copies = int(megabytes * 1_000_000 // len(unit)) + 1
    with open(path, "wb") as fh:
        for _ in range(copies):
            fh.write(unit)


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run `cmd`; return (wall seconds, peak RSS in MB of the largest of it and its children)."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a chatty child never blocks on a full pipe
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err.read()[-2000:].decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024


def best_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and the largest peak RSS over `repeat` runs."""
    runs = [measure(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def ours(path: Path, jobs: int | None, repeat: int) -> tuple[float, float]:
    """compileprof report PATH -f json (-j jobs)."""
    extra = ["-j", str(jobs)] if jobs else []
    return best_of([*OURS, str(path), *extra, "-f", "json", "-o", os.devnull, "--force"], repeat)


def theirs(path: Path, repeat: int) -> tuple[float, float] | None:
    """tlparse PATH (None when tlparse is not installed)."""
    tlparse = shutil.which("tlparse")
    if tlparse is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        flags = ["--all-ranks-html"] if path.is_dir() else []
        return best_of([tlparse, str(path), *flags, "-o", tmp, "--overwrite", "--no-browser"], repeat)


def floor_mb_s(log: Path) -> float:
    """The physical floor of a checked read on one core: the file read from the page cache and the
    md5 of every byte (compileprof hashes every payload), in MB/s."""
    import hashlib

    start = time.process_time()
    digest = hashlib.md5()
    with open(log, "rb") as fh:
        while chunk := fh.read(4 << 20):
            digest.update(chunk)
    return log.stat().st_size / 1e6 / (time.process_time() - start)


def side_by_side(logs: list[Path], repeat: int) -> None:
    """Each log: compileprof with every core, with one, and tlparse; the ratios."""
    cores = os.cpu_count() or 1
    print(f"\n| log | MB | compileprof ({cores} processes) | compileprof -j 1 | MB/s -j 1 | floor MB/s | tlparse "
          "| x tlparse |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for log in logs:
        mb = log.stat().st_size / 1e6
        (w, r), (w1, r1) = ours(log, None, repeat), ours(log, 1, repeat)
        t = theirs(log, repeat)
        tl = f"{t[0]:.2f} s, {t[1]:.0f} MB" if t else "-"
        ratio = f"{t[0] / w:.1f}x" if t else "-"
        cells = [log.name, f"{mb:.0f}", f"{w:.2f} s, {r:.0f} MB", f"{w1:.2f} s, {r1:.0f} MB", f"{mb / w1:.0f}"]
        cells.append(f"{floor_mb_s(log):.0f}")
        cells += [tl, ratio]
        print("| " + " | ".join(cells) + " |")


def scaling(log: Path, ranks: Path, repeat: int) -> None:
    """Wall time of one large log and of a directory of rank logs with 1..N processes."""
    cores = os.cpu_count() or 1
    print("\n| processes | one log | directory of rank logs |")
    print("|---|---|---|")
    for jobs in range(1, cores + 1):
        print(f"| {jobs} | {ours(log, jobs, repeat)[0]:.2f} s | {ours(ranks, jobs, repeat)[0]:.2f} s |")


def small_logs(work: Path, repeat: int, sizes: tuple[float, ...] = (2, 4, 8, 16, 32, 64)) -> None:
    """Below `PARALLEL_MIN_BYTES` a log is read in one process: for each kind of log at each size, the
    default against `-j 1`, so where splitting starts to pay shows (the default must never be slower)."""
    print("\n| log | " + " | ".join(f"{mb:g} MB" for mb in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name in ("fixtures.log", "shared.log", "mix.log"):
        cells = []
        for mb in sizes:
            log = work / f"small_{mb:g}_{name}"
            build_log(log, SOURCES[name], mb)
            pairs = [(ours(log, None, 1)[0], ours(log, 1, 1)[0]) for _ in range(repeat)]
            default, one = min(p[0] for p in pairs), min(p[1] for p in pairs)
            cells.append(f"{default:.2f} / {one:.2f} s ({one / default:.2f}x)")
            log.unlink()
        print(f"| {name} | " + " | ".join(cells) + " |")


def many_ranks(work: Path, n: int = 1000) -> None:
    """A directory of `n` small rank logs (a 180 KB warm-cache compile each): time per file and per MB."""
    folder = work / "many_ranks"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data = (FIXTURES / "warm_cache.log").read_bytes()
    for r in range(n):
        (folder / f"dedicated_log_torch_trace_rank_{r}.log").write_bytes(data)
    wall, rss = ours(folder, None, 1)
    mb = len(data) * n / 1e6
    print(f"\n{n} rank logs ({mb:.0f} MB): {wall:.2f} s, {wall / n * 1000:.1f} ms per log, {mb / wall:.0f} MB/s, "
          f"{rss:.0f} MB peak RSS")  # fmt: skip


def _timed_fold(args: tuple[Path, int, int]) -> float:
    """Seconds to fold the bytes `[start, end)` of a log (`(path, start, end)`) in this process."""
    from compileprof.profiler.fold.log import fold_range

    start = time.perf_counter()
    fold_range(*args)
    return time.perf_counter() - start


def _parts(log: Path, parts: int) -> list[tuple[Path, int, int]]:
    """`log` cut as `report -j parts` cuts it (at the compile boundaries nearest each share), as
    `(path, start, end)` byte ranges."""
    from compileprof.profiler.trace.reader import compile_boundary

    size = log.stat().st_size
    cuts = sorted({c for c in (compile_boundary(log, size * i // parts) for i in range(1, parts)) if c})
    return [(log, a, b) for a, b in zip([0, *cuts], [*cuts, size], strict=True)]


def balance(log: Path, parts: int = 16) -> None:
    """Cut `log` where `report -j parts` would and time each part's fold alone in this process: the
    largest part bounds the wall time on `parts` cores; the rest of a one-process read (`-j 1`) that is
    not in any part is serial (merge, output, start-up)."""
    times = [_timed_fold(part) for part in _parts(log, parts)]
    one = ours(log, 1, 1)[0]
    serial = max(0.0, one - sum(times))
    print(f"{log.name}: {len(times)} parts, fold {sum(times):.2f} s in all, largest part {max(times):.2f} s, "
          f"mean {sum(times) / len(times):.2f} s (balance {max(times) / (sum(times) / len(times)):.2f}); "
          f"-j 1 {one:.2f} s, so serial {serial:.2f} s ({serial / one:.0%}); on {parts} cores at best "
          f"{serial + max(times):.2f} s, {one / (serial + max(times)):.1f}x -j 1")  # fmt: skip


def ceiling(log: Path, repeat: int) -> None:
    """What two processes can reach on this machine at best: `log` cut in two where `report -j 2` cuts
    it, each half folded alone, then both at once in two processes that share nothing (no merge, no
    hand-over). Where the halves run slower side by side than alone (cores that share a cache or a
    physical core), no reader reaches 2x; the serial rest of `-j 1` (start-up, output) lowers it more."""
    from concurrent.futures import ProcessPoolExecutor

    halves = _parts(log, 2)
    if len(halves) < 2:
        print(f"{log.name}: no compile boundary to cut at; two processes would read it as one")
        return
    alone = [min(_timed_fold(h) for _ in range(repeat)) for h in halves]
    together = []
    for _ in range(repeat):
        with ProcessPoolExecutor(max_workers=2) as pool:
            together.append(list(pool.map(_timed_fold, halves)))
    both = min(together, key=max)
    one = ours(log, 1, repeat)[0]
    serial = max(0.0, one - sum(alone))
    best = serial + max(both)
    print(f"{log.name}: halves alone {alone[0]:.2f} + {alone[1]:.2f} s, side by side {both[0]:.2f} and "
          f"{both[1]:.2f} s ({max(both) / max(alone):.2f}x slower); -j 1 {one:.2f} s, serial rest {serial:.2f} s; "
          f"two processes at best {best:.2f} s, {one / best:.2f}x -j 1 "
          f"(the fold alone {sum(alone) / max(both):.2f}x)")  # fmt: skip


def start_up(repeat: int = 5) -> None:
    """Wall time of `compileprof --help` and of `report` on a small log."""
    small = FIXTURES / "mlp.log"
    helps = [measure([sys.executable, "-m", "compileprof", "--help"])[0] for _ in range(repeat)]
    reports = [measure([*OURS, str(small), "-o", os.devnull, "--force"])[0] for _ in range(repeat)]
    floor = [measure([sys.executable, "-c", "pass"])[0] for _ in range(repeat)]
    print(f"\nstart-up (best of {repeat}): --help {min(helps):.2f} s, report mlp.log {min(reports):.2f} s "
          f"(the interpreter alone: {min(floor):.2f} s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    logs = []
    for name, sources in SOURCES.items():
        build_log(OUT / name, sources, args.mb)
        logs.append(OUT / name)
    side_by_side(logs, args.repeat)
    ranks = OUT / "ranks"
    shutil.rmtree(ranks, ignore_errors=True)
    ranks.mkdir()
    for r in range(os.cpu_count() or 1):
        build_log(ranks / f"dedicated_log_torch_trace_rank_{r}.log", SOURCES["shared.log"][:3], args.mb / 4)
    scaling(OUT / "shared.log", ranks, args.repeat)
    print("\ndefault / -j 1 on smaller logs (each pair timed one after the other, best of --repeat):")
    small_logs(OUT, args.repeat)
    many_ranks(OUT)
    start_up()
    print("\nwhat two processes can reach on this machine at best:")
    for log in logs:
        ceiling(log, args.repeat)
    print("\nwhat 16 cores would give:")
    for log in logs:
        balance(log)
    if not args.keep:
        shutil.rmtree(OUT)


if __name__ == "__main__":
    main()
