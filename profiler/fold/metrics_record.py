"""Turn a `compilation_metrics` record into a `CompileInfo`, whatever torch version wrote it."""

from __future__ import annotations

from typing import Any

from ..model.compile import CompileInfo
from ..model.spans import PhaseTree

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
COUNT_FIELDS = ("guard_count", "shape_env_guard_count", "graph_op_count", "graph_node_count", "graph_input_count")
CACHE_FIELDS = {
    "fx_graph_cache_hit": "inductor_fx_local_cache_hit_count",
    "fx_graph_cache_miss": "inductor_fx_local_cache_miss_count",
    "aotautograd_cache_hit": "aotautograd_local_cache_hit_count",
    "aotautograd_cache_miss": "aotautograd_local_cache_miss_count",
}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def seconds(meta: dict, name_s: str, name_us: str | None = None) -> float | None:
    """`meta[name_s]`, else `meta[name_us]` / 1e6, else None (missing, null or not a number)."""
    value = _num(meta.get(name_s))
    if value is None and name_us is not None:
        us = _num(meta.get(name_us))
        value = us / 1e6 if us is not None else None
    return value


def _span_total(tree: PhaseTree, name: str) -> float | None:
    for node in tree.root.walk():
        if node.name == name and node.count:
            return node.total_s
    return None


def compile_from_metrics(
    meta: dict, compile_id: str | None, attempt: int | None, rank: int | None, tree: PhaseTree
) -> CompileInfo:
    """Build a `CompileInfo` from a metrics record; `tree` is its (possibly still growing) span tree."""
    cid = meta.get("compile_id") if isinstance(meta.get("compile_id"), str) else compile_id
    parts = {}
    for name in PART_FIELDS:
        value = seconds(meta, name.replace("_us", "_s"), name)
        if value is not None:
            parts[name[: -len("_us")] + "_s"] = value
    restart = meta.get("restart_reasons")
    restart_reasons = [str(r) for r in restart] if isinstance(restart, list) else []
    co_first = meta.get("co_firstlineno")
    return CompileInfo(
        compile_id=cid,
        attempt=attempt,
        rank=rank,
        co_name=meta.get("co_name") if isinstance(meta.get("co_name"), str) else None,
        co_filename=meta.get("co_filename") if isinstance(meta.get("co_filename"), str) else None,
        co_firstlineno=co_first if isinstance(co_first, int) else None,
        compile_time_s=seconds(meta, "entire_frame_compile_time_s", "dynamo_cumulative_compile_time_us"),
        backend_compile_time_s=seconds(meta, "backend_compile_time_s", "aot_autograd_cumulative_compile_time_us"),
        inductor_compile_time_s=seconds(meta, "inductor_compile_time_s", "inductor_cumulative_compile_time_us"),
        code_gen_time_s=seconds(meta, "code_gen_time_s", "inductor_code_gen_cumulative_compile_time_us"),
        structured_logging_overhead_s=seconds(meta, "structured_logging_overhead_s", "structured_logging_overhead_us"),
        fail_type=str(meta["fail_type"]) if meta.get("fail_type") is not None else None,
        fail_reason=str(meta["fail_reason"]) if meta.get("fail_reason") is not None else None,
        restart_reasons=restart_reasons,
        recompile_reason=str(meta["recompile_reason"]) if meta.get("recompile_reason") else None,
        parts_s=parts,
        counts={k: meta[k] for k in COUNT_FIELDS if isinstance(meta.get(k), int)},
        tree=tree,
        cache={k: meta[f] for k, f in CACHE_FIELDS.items() if isinstance(meta.get(f), int)},
    )


def resolve_span_fallbacks(info: CompileInfo) -> None:
    """When a compile's span tree is complete (it is being sealed): fill a missing compile time from
    its `entire_frame_compile` span."""
    if info.compile_time_s is None:
        info.compile_time_s = _span_total(info.tree, "entire_frame_compile")
