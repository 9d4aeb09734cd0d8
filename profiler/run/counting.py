"""`run --count instructions`: the compile step's instructions, counted by valgrind's callgrind.

The child runs under `valgrind --tool=callgrind --collect-atstart=no`; it switches collection on just
before the compile step and off just after (`torch._C._valgrind_toggle`), so torch's import, the model's
build and the checks are not counted. With `--count-phases` it also dumps callgrind's counters at the
boundaries of torch's main compile phases (its `dynamo_timed` spans), each dump holding the
instructions since the one before; the parent assigns each interval to the innermost phase open in it.

What is counted, and what is held fixed so counts do not drift with what does not matter:
- the child process only: Inductor's compile workers run in it (`compile_threads=1`); the C++ compiler
  processes Inductor starts run outside valgrind and are not counted;
- `PYTHONHASHSEED=0`; a fresh Inductor cache for a cold child (the run's default);
- Inductor's C++ built for x86-64-v3 (AVX2) on x86-64: valgrind implements no AVX-512, and
  Inductor's default `-march=native` on a host that has it builds kernels valgrind cannot run.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, CompileprofError
from ..model.instructions import OUTSIDE

OUT_NAME = "callgrind.out"
BOUNDARIES = "callgrind-phases.json"
HELPER = "callgrind-helper.so"
# torch's compile phases whose boundaries get a dump (nested as torch nests them).
PHASES = ("dynamo", "bytecode_tracing", "build_guards", "backend_compile", "create_aot_dispatcher_function",
          "inductor_compile", "GraphLowering.run", "code_gen", "compile_file", "async_compile.wait",
          "entire_backward_compile")  # fmt: skip
COUNTED = (
    "the compile step in the child: torch.compile and the first call of each input (the model's own run "
    "included, as outside_phases), TORCH_TRACE logging included; Inductor's compile workers ran in this "
    "process (compile_threads=1)"
)
NOT_COUNTED = ("torch's import, the model's build and the output check; the C++ compiler processes Inductor starts "
               "(they run outside valgrind)")  # fmt: skip
SLOWDOWN = "instruction counting runs the compile under valgrind's callgrind: 10 to 100 times slower than a plain run"
HELPER_SOURCE = """#include <valgrind/callgrind.h>
void compileprof_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void compileprof_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""
# `totals:` is the sum of a dump's cost lines; its `summary:` is not to be trusted (the exit dump of a child
# instrumented late has a summary wrapped below zero), so it is read only where a dump has no totals.
_TOTALS = re.compile(rb"^totals: (\d+)", re.M)
_SUMMARY = re.compile(rb"^summary: (\d+)", re.M)
_PART = re.compile(rb"^part: (\d+)", re.M)


def require_valgrind() -> str:
    """The valgrind executable; a usage error (exit 2) saying how to install it where there is none."""
    found = shutil.which("valgrind")
    if found is None or platform.system() != "Linux":
        raise CompileprofError(
            "--count instructions needs valgrind on Linux: install it (apt-get install valgrind, or dnf install "
            "valgrind), or run without --count",
            EXIT_USAGE,
        )
    return found


def build_helper(directory: Path) -> Path | None:
    """A tiny shared library whose functions are callgrind's START/STOP_INSTRUMENTATION client requests
    (from valgrind's own callgrind.h), built with the C compiler: with it the child runs uninstrumented
    (about 4 times slower instead of 50) until the compile step. None where it cannot be built (no
    header, no compiler): the child is then instrumented throughout, which counts the same, slower."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        return None
    source, out = directory / "callgrind-helper.c", directory / HELPER
    source.write_text(HELPER_SOURCE)
    try:
        done = subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(out), str(source)],
                              capture_output=True, timeout=60)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        source.unlink(missing_ok=True)
    return out if done.returncode == 0 and out.is_file() else None


def command(valgrind: str, directory: Path, instrument_at_start: bool) -> list[str]:
    """The valgrind prefix of a counted child's command line."""
    return [valgrind, "--tool=callgrind", "--collect-atstart=no", "--dump-instr=no", "--dump-line=no", "-q",
            f"--instr-atstart={'yes' if instrument_at_start else 'no'}",
            f"--callgrind-out-file={directory / OUT_NAME}.%p"]  # fmt: skip


def environment() -> dict[str, str]:
    """What a counted child's environment fixes (see the module's docstring)."""
    env = {"PYTHONHASHSEED": "0", "TORCHINDUCTOR_COMPILE_THREADS": "1"}
    if platform.machine() in ("x86_64", "AMD64") and not os.environ.get("TORCHINDUCTOR_CPP_MARCH"):
        env["TORCHINDUCTOR_CPP_MARCH"] = "x86-64-v3"
    return env


def _parts(directory: Path) -> list[tuple[int, int]]:
    """(part, instructions) of every callgrind dump file the child left, in part order."""
    out = []
    for path in directory.glob(f"{OUT_NAME}.*"):
        data = path.read_bytes()
        part, total = _PART.search(data), _TOTALS.search(data) or _SUMMARY.search(data)
        if part and total:
            out.append((int(part.group(1)), int(total.group(1))))
    return sorted(out)


def phase_counts(boundaries: list[list[str]], counts: list[int]) -> dict[str, int]:
    """Instructions per phase path (`backend_compile/inductor_compile`, inclusive), from the boundaries
    the child dumped at (`["B"|"E", name]` each) and the dumps' counts: dump i holds the instructions
    between boundary i - 1 and boundary i; the last, those after the last boundary. Instructions
    outside every phase are OUTSIDE's."""
    inclusive: dict[str, int] = {}
    stack: list[str] = []
    for i, n in enumerate(counts):
        path = "/".join(stack) if stack else OUTSIDE
        parts = path.split("/") if stack else [path]
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            inclusive[key] = inclusive.get(key, 0) + n
        if i < len(boundaries):
            kind, name = boundaries[i]
            if kind == "B":
                stack.append(name)
            elif name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
    return inclusive


def discard(directory: Path) -> None:
    """Remove the dump files a child left (one that failed: its counts mean nothing)."""
    for path in directory.glob(f"{OUT_NAME}.*"):
        path.unlink()
    for name in (BOUNDARIES, HELPER):
        (directory / name).unlink(missing_ok=True)


def read_counts(directory: Path) -> dict[str, Any] | None:
    """The compile step's instructions from a counted child's dumps (None when it left none), then the
    dump files are removed (each is megabytes; the counts are kept in the manifest)."""
    parts = _parts(directory)
    if not parts:
        return None
    counts = [n for _, n in parts]
    boundaries = []
    extra = directory / BOUNDARIES
    if extra.is_file():
        boundaries = json.loads(extra.read_text()).get("boundaries", [])
    out: dict[str, Any] = {"tool": "callgrind", "event": "Ir", "compile": sum(counts), "dumps": len(counts),
                           "counted": COUNTED, "not_counted": NOT_COUNTED,
                           "environment": environment()}  # fmt: skip
    if boundaries:
        out["phases"] = phase_counts(boundaries, counts)
    discard(directory)
    return out


class Collection:
    """In the counted child: collection switched on for the compile step only, and dumps at phase
    boundaries when asked (`phases`)."""

    def __init__(self, torch: Any, directory: Path, phases: bool, helper: str | None = None) -> None:
        self.torch, self.directory, self.phases = torch, directory, phases
        self.helper = ctypes.CDLL(helper) if helper else None  # instrumentation switched on and off
        self.boundaries: list[list[str]] = []
        self._restore: list[tuple[Any, str, Any]] = []

    def supported(self) -> bool:
        """True when this torch was built with valgrind's client requests."""
        return bool(getattr(self.torch._C, "_valgrind_supported_platform", lambda: False)())

    def _dump(self, kind: str, name: str) -> None:
        c = self.torch._C
        c._valgrind_toggle_and_dump_stats()  # collection off, counters dumped and zeroed
        self.boundaries.append([kind, name])
        c._valgrind_toggle()  # on again

    def _hook(self) -> None:
        """Dump at the start and end of each of PHASES (torch's chromium event logger sees them all)."""
        logger = self.torch._dynamo.utils.ChromiumEventLogger
        start, end = logger.log_event_start, logger.log_event_end

        def log_event_start(this: Any, event_name: str, *args: Any, **kwargs: Any) -> Any:
            if event_name in PHASES:
                self._dump("B", event_name)
            return start(this, event_name, *args, **kwargs)

        def log_event_end(this: Any, event_name: str, *args: Any, **kwargs: Any) -> Any:
            out = end(this, event_name, *args, **kwargs)
            if event_name in PHASES:
                self._dump("E", event_name)
            return out

        logger.log_event_start, logger.log_event_end = log_event_start, log_event_end  # type: ignore[method-assign]
        self._restore = [(logger, "log_event_start", start), (logger, "log_event_end", end)]

    def __enter__(self) -> Collection:
        if self.phases:
            self._hook()
        if self.helper is not None:
            self.helper.compileprof_start()
        self.torch._C._valgrind_toggle()
        return self

    def __exit__(self, *exc: object) -> None:
        self.torch._C._valgrind_toggle_and_dump_stats()
        if self.helper is not None:
            self.helper.compileprof_stop()
        for owner, name, original in self._restore:
            setattr(owner, name, original)
        if self.boundaries:
            (self.directory / BOUNDARIES).write_text(json.dumps({"boundaries": self.boundaries}))
