"""Turn a `compilation_metrics` record into a `CompileInfo`, whatever torch version wrote it."""

from __future__ import annotations

from ..model.compile import BACKWARD_SPAN, BackwardInfo, CompileInfo
from ..model.spans import PhaseTree
from ..trace.values import MAX_SECONDS, Values

# Timing fields reported as the compile's parts, normalised to seconds ("_us" / 1e6).
PART_FIELDS = (
    "dynamo_cumulative_compile_time_us",
    "aot_autograd_cumulative_compile_time_us",
    "inductor_cumulative_compile_time_us",
    "inductor_code_gen_cumulative_compile_time_us",
    "triton_compile_time_us",
    "compile_time_autotune_time_us",
    "pre_grad_pass_time_us",
    "post_grad_pass_time_us",
    "joint_graph_pass_time_us",
    "gc_time_us",
    "dynamo_compile_time_before_restart_us",
    "backward_cumulative_compile_time_us",
    "remote_fx_graph_cache_get_time_us",
    "distributed_ephemeral_timeout_us",
)
# Durations that have a place of their own in CompileInfo (not repeated in parts_s).
_TOP_LEVEL = frozenset({
    "entire_frame_compile_time_s", "backend_compile_time_s", "inductor_compile_time_s", "code_gen_time_s",
    "structured_logging_overhead_s",
})  # fmt: skip
COUNT_FIELDS = ("guard_count", "shape_env_guard_count", "graph_op_count", "graph_node_count", "graph_input_count")
CACHE_FIELDS = {
    "fx_graph_cache_hit": "inductor_fx_local_cache_hit_count",
    "fx_graph_cache_miss": "inductor_fx_local_cache_miss_count",
    "aotautograd_cache_hit": "aotautograd_local_cache_hit_count",
    "aotautograd_cache_miss": "aotautograd_local_cache_miss_count",
}


def seconds(meta: dict, name_s: str, name_us: str | None = None, values: Values | None = None) -> float | None:
    """`meta[name_s]`, else `meta[name_us]` / 1e6, else None (missing or null); a value that is not
    a duration (a string, a negative or non-finite number) is counted in `values` and not used."""
    values = values or Values()
    value = values.seconds(meta.get(name_s), name_s)
    if value is None and name_us is not None:
        us = values.number(meta.get(name_us), name_us, 0.0, MAX_SECONDS * 1e6)
        value = us / 1e6 if us is not None else None
    return value


def _span_total(tree: PhaseTree, name: str) -> float | None:
    for node in tree.root.walk():
        if node.name == name and node.count:
            return node.total_s
    return None


_UNITS = (("_us", 1e-6), ("_ms", 1e-3), ("_s", 1.0))
_NOT_DURATIONS = ("start_time", "end_time", "timestamp")


def _unit(key: str) -> tuple[str, float] | None:
    """The duration unit a field's name ends with (`_us`, `_ms`, `_s`) and its scale to seconds."""
    for suffix, scale in _UNITS:
        if key.endswith(suffix):
            return suffix, scale
    return None


def _parts(meta: dict, values: Values) -> dict[str, float]:
    """Every duration the record holds, in seconds, named `<stem>_s`: the PART_FIELDS first (in their
    order), then any other `_s`, `_ms` or `_us` number (not timestamps); a stem given in several units
    is read once, seconds first."""
    parts: dict[str, float] = {}
    for name in PART_FIELDS:
        value = seconds(meta, name.replace("_us", "_s"), name, values)
        if value is not None:
            parts[name[: -len("_us")] + "_s"] = value
    for key, raw in meta.items():
        kind = type(raw)
        if kind is not int and kind is not float:  # most fields are text, flags or null
            continue
        unit = _unit(key)
        if unit is None or any(w in key for w in _NOT_DURATIONS):
            continue
        stem = key[: -len(unit[0])] + "_s"
        if stem in parts or stem in _TOP_LEVEL:
            continue
        value = values.number(raw * unit[1], key, 0.0, MAX_SECONDS)
        if value is not None:
            parts[stem] = value
    return parts


def _ints(meta: dict, names: dict[str, str], values: Values) -> dict[str, int]:
    """`{key: meta[field]}` for the fields holding a count (others counted in `values` and left out)."""
    out = {}
    for key, name in names.items():
        n = values.int(meta.get(name), name)
        if n is not None:
            out[key] = n
    return out


def compile_from_metrics(
    meta: dict,
    compile_id: str | None,
    attempt: int | None,
    rank: int | None,
    tree: PhaseTree,
    values: Values | None = None,
) -> CompileInfo:
    """Build a `CompileInfo` from a metrics record; `tree` is its (possibly still growing) span tree.
    `compile_id` is the record envelope's, which wins over the payload's own `compile_id`.
    Every field is read through `values`: a value of the wrong type is counted there and dropped."""
    v = values or Values()

    def secs(name_s: str, name_us: str) -> float | None:
        return seconds(meta, name_s, name_us, v)

    compile_time = secs("entire_frame_compile_time_s", "dynamo_cumulative_compile_time_us")
    start_us = v.number(meta.get("start_time_us"), "start_time_us", 0.0)
    if compile_time is None:  # AOTInductor's metrics carry only when the compile started and ended
        end = v.number(meta.get("end_time_us"), "end_time_us")
        compile_time = (end - start_us) / 1e6 if start_us is not None and end is not None and end >= start_us else None

    info = CompileInfo(
        compile_id=compile_id or v.str(meta.get("compile_id"), "compile_id"),
        attempt=attempt,
        rank=rank,
        co_name=v.str(meta.get("co_name"), "co_name"),
        co_filename=v.str(meta.get("co_filename"), "co_filename"),
        co_firstlineno=v.int(meta.get("co_firstlineno"), "co_firstlineno"),
        compile_time_s=compile_time,
        backend_compile_time_s=secs("backend_compile_time_s", "aot_autograd_cumulative_compile_time_us"),
        inductor_compile_time_s=secs("inductor_compile_time_s", "inductor_cumulative_compile_time_us"),
        code_gen_time_s=secs("code_gen_time_s", "inductor_code_gen_cumulative_compile_time_us"),
        structured_logging_overhead_s=secs("structured_logging_overhead_s", "structured_logging_overhead_us"),
        fail_type=v.text(meta.get("fail_type"), "fail_type"),
        fail_reason=v.text(meta.get("fail_reason"), "fail_reason"),
        restart_reasons=v.texts(meta.get("restart_reasons"), "restart_reasons"),
        recompile_reason=v.text(meta.get("recompile_reason"), "recompile_reason") or None,
        parts_s=_parts(meta, v),
        counts=_ints(meta, {k: k for k in COUNT_FIELDS}, v),
        tree=tree,
        cache=_ints(meta, CACHE_FIELDS, v),
    )
    info.start_s = metrics_start(meta, v, start_us)
    return info


def backward_from_metrics(meta: dict, tree: PhaseTree, values: Values | None = None) -> BackwardInfo:
    """A lazily compiled backward from its `bwd_compilation_metrics` record and its span tree: its time
    is its `entire_backward_compile` span (the whole backward compile), else the record's Inductor
    time (a log without spans); its cache lookups are read by the caller."""
    v = values or Values()
    span = _span_total(tree, BACKWARD_SPAN)
    inductor = seconds(meta, "inductor_compile_time_s", "inductor_cumulative_compile_time_us", v)
    return BackwardInfo(
        compile_time_s=span if span is not None else inductor,
        inductor_compile_time_s=inductor,
        code_gen_time_s=seconds(meta, "code_gen_time_s", "inductor_code_gen_cumulative_compile_time_us", v),
        structured_logging_overhead_s=seconds(
            meta, "structured_logging_overhead_s", "structured_logging_overhead_us", v
        ),
        start_s=metrics_start(meta, v),
    )


def metrics_cache(meta: dict, values: Values) -> dict[str, int]:
    """The cache counters a metrics record carries (`inductor_fx_local_cache_miss_count`, ...)."""
    return _ints(meta, CACHE_FIELDS, values)


_UNREAD = float("nan")


def metrics_start(meta: dict, values: Values, start_us: float | None = _UNREAD) -> float | None:
    """When the compile started, as its metrics state it (`start_time` in seconds, or
    `start_time_us`), in epoch seconds; None when they do not. Both are read (a bad one counted once)
    unless the caller has read `start_us` already."""
    start = values.number(meta.get("start_time"), "start_time", 0.0)
    if start_us is _UNREAD:
        start_us = values.number(meta.get("start_time_us"), "start_time_us", 0.0)
    return start if start is not None or start_us is None else start_us / 1e6


def resolve_span_fallbacks(info: CompileInfo) -> None:
    """When a compile's span tree is complete (it is being sealed): fill a missing compile time from
    its `entire_frame_compile` span."""
    if info.compile_time_s is None:
        info.compile_time_s = _span_total(info.tree, "entire_frame_compile")


def caches_disabled(meta: dict, cache: dict[str, int]) -> list[str]:
    """The caches (`fx`, `aot`) a compile without events of that cache had turned off, as its config
    strings state (`fx_graph_cache`, `enable_autograd_cache`, `force_disable_caches`)."""
    inductor, functorch, compiler = (meta.get(k) for k in ("inductor_config", "functorch_config", "compiler_config"))
    texts = [t for t in (inductor, functorch, compiler) if isinstance(t, str)]
    forced = any('"force_disable_caches": true' in t for t in texts)
    out = []
    if not any(k.startswith("fx_graph_cache_") for k in cache):
        if forced or (isinstance(inductor, str) and '"fx_graph_cache": false' in inductor):
            out.append("fx")
    if not any(k.startswith("aotautograd_cache_") for k in cache):
        if forced or (isinstance(functorch, str) and '"enable_autograd_cache": false' in functorch):
            out.append("aot")
    return out
