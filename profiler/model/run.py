"""The run manifest: what `compileprof run` did, typed; the child labels and the plan of children.

Written by the runner, read by the report, the gate and the views: `manifest.json` is read and
written here only. The labels: `cold` (a fresh Inductor cache), `fill` (fills a cache, not measured),
`warm` (the cache the fill left), and repeats of the measured compile (`cold2`, `warm2`, ...).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import EXIT_NO_DATA, CompileprofError
from ..files import write_atomic
from ..unicode import sanitized
from .shape import ANY, NUM, each, opt, problem

MANIFEST = "manifest.json"
KIND = "compileprof-run"
COLD, WARM, FILL = "cold", "warm", "fill"
CACHE_MODES = (COLD, WARM, "both")
# What a run writes into its directory; `--force` replaces only these (and the repeat directories).
REPORTS = ("report.json", "report.md", "report.html")
OWNED = (MANIFEST, *REPORTS, COLD, WARM, FILL)
CHILD_FILES = ("job.json", "progress.jsonl", "result.json", "stdout.txt", "stderr.txt")  # a child folder's
_REPEAT = re.compile(rf"^({COLD}|{WARM})(\d+)$")

# Trace markers of A/B measurements: an artifact named VARIANT_MARK tags the compiles after it.
VARIANT_MARK = "compileprof_measure_variant"
ASSERTS_ON, ASSERTS_OFF, LOGGING_ON = "asserts_on", "asserts_off", "logging_on"
# Compiles made only to measure (not the model's own compile): reported in their own section.
MEASUREMENT_VARIANTS = frozenset({ASSERTS_OFF, LOGGING_ON})


# Keys not marked opt are what the readers index: a manifest lacking one is damaged (strict check).
_CHECK = {"max_abs_err": opt(NUM), "tolerance": NUM, "match": opt(bool), "inputs_checked": opt(int), "why": opt(str)}
_SAMPLES = {"samples_on_s": [NUM], "samples_off_s": [NUM]}
_COST = {"calls": int, "seconds": NUM}
_CAUSE = {"type": opt(str), "message": opt(str)}  # the innermost exception under a wrapper
_CHILD = {
    "directory": str, "trace": str, "status": str, "exit_code": opt(int), "wall_s": opt(NUM),
    "steps_s": opt(each(NUM)), "failed_step": opt(str), "stderr_tail": opt([str]),
    "error": opt({"step": opt(str), "type": opt(str), "message": opt(str), "cause": opt(_CAUSE)}),
    "versions": opt(each(opt(str))), "device": opt(str), "threads": opt(int),
    "model": opt({"class": opt(str), "parameters": opt(int), "inputs": opt([str])}),
    "check": opt(_CHECK),
    "forward": opt({
        "calls": opt(int), "compiled_median_s": opt(NUM), "eager_median_s": opt(NUM), "device": opt(str),
        "compiled_samples_s": opt([NUM]), "eager_samples_s": opt([NUM]), "load": opt([opt(NUM)]), "cpus": opt(int),
    }),
    "measure_asserts": opt({
        **_SAMPLES, "rounds": int, "calls_per_round": int, "load": opt([opt(NUM)]), "cpus": opt(int),
        "threads": opt(int), "batch_size": opt(int),
        "outputs": opt(_CHECK), "device": opt(str),
    }),
    "measure_logging": opt({**_SAMPLES, "pairs": opt(int), "error": opt(str), "direct_on_s": opt([NUM]),
                             "too_small_s": opt(NUM),
                             "load": opt([opt(NUM)]), "cpus": opt(int)}),
    "trace_cost": opt({"by_step": each(_COST), "by_kind": each(each(_COST)), "by_compile": each(_COST)}),
    "instructions": opt({"tool": str, "event": str, "compile": int, "dumps": opt(int), "phases": opt(each(int)),
                         "counted": opt(str), "not_counted": opt(str), "environment": opt(each(str))}),
}  # fmt: skip
MANIFEST_SHAPE = {
    "argv": [str], "started": opt(str), "wall_s": opt(NUM), "status": str, "backend": str, "device": str,
    "model": {"kind": opt(str), "target": opt(str), "function": opt(str), "label": opt(str)},
    "factory_kwargs": each(opt(ANY)), "device_name": opt(str), "threads": opt(int), "cpu_count": opt(int),
    "backend_options": {
        "inductor_options": opt(each(ANY)), "split_ops": opt([str]), "compile_sizes": opt([int]),
        "artifact_prefix": opt(str), "dynamic": opt(bool),
    },
    "platform": opt(str), "versions": opt(each(opt(str))), "cache": str, "cache_dir": opt(str),
    "timeout_s": opt(NUM), "measure": opt([str]), "repeat": opt(int), "primary": str,
    "children": each(_CHILD), "tool": opt(each(ANY)), "host": opt(each(opt(ANY))), "count": opt(str),
}  # fmt: skip
REQUIRED = ("argv", "status", "model", "backend", "backend_options", "device", "cache", "primary", "children")


class DamagedManifest(CompileprofError):
    """A run directory whose manifest.json is not what `compileprof run` writes (exit 4)."""


@dataclass(frozen=True, slots=True)
class PlannedChild:
    """One child process a run starts."""

    label: str
    measured: bool  # times the forward and makes the asked measurements
    fresh_cache: bool  # starts from an empty Inductor cache (unless the user shares one)


@dataclass(frozen=True, slots=True)
class RunPlan:
    """The children of a run, in order, and the label the report is built from."""

    children: tuple[PlannedChild, ...]
    primary: str


def plan(cache: str, repeat: int = 1) -> RunPlan:
    """The children for a cache mode; `repeat` > 1 adds repeats of the measured compile as samples."""
    extra = range(2, max(1, repeat) + 1)
    if cache == WARM:
        kids = [(FILL, False), (WARM, True), *((f"{WARM}{i}", False) for i in extra)]
        primary = WARM
    elif cache == "both":
        kids = [(COLD, True), (WARM, True), *((f"{k}{i}", False) for i in extra for k in (COLD, WARM))]
        primary = COLD
    else:
        kids = [(COLD, True), *((f"{COLD}{i}", False) for i in extra)]
        primary = COLD
    children = tuple(PlannedChild(label, measured, not label.startswith(WARM)) for label, measured in kids)
    return RunPlan(children, primary)


def same_series(label: str, primary: str) -> bool:
    """True when `label` is `primary` or one of its repeats (`cold2` of `cold`)."""
    return label.rstrip("0123456789") == primary.rstrip("0123456789")


def is_run_output(name: str) -> bool:
    """True for the files and folders a run writes into its directory."""
    return name in OWNED or _REPEAT.match(name) is not None


@dataclass(slots=True)
class ChildRecord:
    """The manifest's entry for one child process."""

    directory: str
    trace: str
    status: str  # ok, failed, crashed, timeout
    exit_code: int | None = None
    wall_s: float | None = None
    steps_s: dict[str, float] = field(default_factory=dict)
    failed_step: str | None = None
    error: dict[str, Any] | None = None
    stderr_tail: list[str] | None = None
    versions: dict[str, Any] | None = None
    device: str | None = None
    threads: int | None = None
    model: dict[str, Any] | None = None
    check: dict[str, Any] | None = None
    forward: dict[str, Any] | None = None
    measure_asserts: dict[str, Any] | None = None
    measure_logging: dict[str, Any] | None = None
    trace_cost: dict[str, Any] | None = None  # calls and seconds of TORCH_TRACE logging, timed in the child
    instructions: dict[str, Any] | None = None  # the compile step's instruction count (run/counting.py)

    @property
    def ok(self) -> bool:
        """True when the child finished every step."""
        return self.status == "ok"


@dataclass(slots=True)
class RunManifest:
    """`manifest.json`: what was asked, the environment, and each child's outcome."""

    argv: list[str]
    started: str
    wall_s: float
    status: str  # ok, failed, timeout
    model: dict[str, Any]
    factory_kwargs: dict[str, Any]
    backend: str
    backend_options: dict[str, Any]
    device: str
    device_name: str | None
    threads: int | None
    cpu_count: int | None
    platform: str
    versions: dict[str, Any]
    cache: str
    cache_dir: str | None
    timeout_s: float | None
    measure: list[str]
    repeat: int
    primary: str
    children: dict[str, ChildRecord]
    tool: dict[str, Any] = field(default_factory=dict)
    host: dict[str, Any] | None = None  # the machine: system, architecture, CPU model (the history's series)
    count: str | None = None  # "instructions" when the compile was counted under callgrind

    @property
    def primary_child(self) -> ChildRecord | None:
        """The child the report is built from."""
        return self.children.get(self.primary)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, in the order `manifest.json` has always had."""
        body = asdict(self)
        tool = body.pop("tool")
        for key in ("host", "count"):  # newer keys: absent, not null, in a manifest that has none
            if body.get(key) is None:
                body.pop(key, None)
        for child in body["children"].values():
            for key in ("trace_cost", "instructions"):  # newer keys: absent, not null, where a child has none
                if child.get(key) is None:
                    child.pop(key, None)
        return {"kind": KIND, "schema_version": 1, "tool": tool, **body}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunManifest:
        """Read the JSON form (missing keys take their defaults)."""
        children = {
            label: ChildRecord(**{f.name: child[f.name] for f in fields(ChildRecord) if f.name in child})
            for label, child in (data.get("children") or {}).items()
        }
        known = {f.name for f in fields(cls)} - {"children"}
        return cls(children=children, **{k: data.get(k) for k in known if k in data or k != "tool"})


def _damaged(p: Path, what: str) -> DamagedManifest:
    return DamagedManifest(
        f"{p}: damaged run manifest ({what}); rerun, or report its cold/ or warm/ trace directory", EXIT_NO_DATA
    )


def read_manifest(run_dir: Path) -> RunManifest | None:
    """The manifest of a run directory, or None when `run_dir` is not one; raises `DamagedManifest`
    (exit 4) when manifest.json is unreadable or not shaped as `compileprof run` writes it."""
    p = Path(run_dir) / MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_bytes())
    except (OSError, ValueError, RecursionError) as err:
        raise _damaged(p, f"not JSON: {str(err)[:120]}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        return None
    missing = [k for k in REQUIRED if data.get(k) is None]
    what = f"{', '.join(missing)} missing" if missing else problem(data, MANIFEST_SHAPE, strict=True)
    if what is None and data["primary"] not in data["children"] and data["children"]:
        what = f"primary {data['primary']!r} is not one of its children"
    if what:
        raise _damaged(p, what)
    return RunManifest.from_dict(data)


def _finite(value: Any) -> Any:
    """The document with NaN and infinities as null (a model whose output is NaN has a NaN error):
    manifest.json stays standard JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    """Write manifest.json."""
    doc = sanitized(_finite(manifest.to_dict()))  # a factory's path that is not UTF-8: U+FFFD, valid Unicode
    text = json.dumps(doc, indent=2, default=str, allow_nan=False, ensure_ascii=False) + "\n"
    write_atomic(Path(run_dir) / MANIFEST, lambda fh: fh.write(text.encode()))
