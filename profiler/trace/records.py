"""What the reader yields: typed records of a TORCH_TRACE log, and the parse-health counters."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# Record types seen in torch 2.3 - 2.13 logs. Anything else is kept and counted as "unknown".
KNOWN_KINDS = frozenset(
    """dynamo_start compilation_metrics bwd_compilation_metrics compilation_metrics_runtime
    chromium_event artifact inductor_output_code dynamo_output_graph aot_forward_graph
    aot_backward_graph aot_inference_graph aot_joint_graph inductor_pre_grad_graph
    inductor_post_grad_graph dynamo_guards dynamo_cpp_guards_str graph_dump describe_tensor
    describe_storage describe_source symbolic_shape_specialization guard_added guard_added_fast
    propagate_real_tensors_provenance exported_program dump_file link str optimize_ddp_split_graph
    optimize_ddp_split_child compiled_autograd_graph cache_status_detailed cache_bypass_reason
    triton_bundler_meta missing_fake_kernel mismatched_fake_kernel expression_created
    create_unbacked_symbol unbacked_symbol_created bwd_compilation_metrics_runtime
    inductor_provenance_tracking_node_mappings create_symbol freeze_runtime_asserts
    dynamo_graph_break_reason recompile_reasons export guard_on_data_dependent_error
    propagate_real_tensors""".split()
)


def compile_id_string(
    compiled_autograd_id: int | None, frame_id: int | None, frame_compile_id: int | None
) -> str | None:
    """Format a compile id the way torch prints it: `0/1`, `!1/0/0`, `!1`; None when there is none."""
    if compiled_autograd_id is not None:
        if frame_id is None:
            return f"!{compiled_autograd_id}"
        return f"!{compiled_autograd_id}/{frame_id}/{frame_compile_id}"
    if frame_id is None:
        return None
    return f"{frame_id}/{frame_compile_id}"


def unescape_payload(block: bytes) -> bytes:
    """A payload block as written (`\\tline\\n` per line, or `\\tline\\r\\n` where the log's lines
    end with CRLF) -> the logged text's bytes (what md5 covers)."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    return block[1:-1].replace(b"\n\t", b"\n")


@dataclass(slots=True)
class Record:
    """One structured-log record: its type key, that key's metadata, its compile and its payload."""

    kind: str
    meta: Any
    compile_id: str | None
    attempt: int | None
    rank: int | None
    payload: bytes | None = None
    stamp: bytes = b""  # the glog time of day, `HH:MM:SS.ffffff`
    pid: int = 0  # the process that wrote it (the glog prefix's): a file may hold several

    def seconds_of_day(self) -> float | None:
        """The glog time as seconds since midnight (None when the prefix had none)."""
        try:
            h, m, sec = self.stamp.split(b":")
            return int(h) * 3600 + int(m) * 60 + float(sec)
        except ValueError:
            return None

    def text(self) -> str:
        """The payload as text (invalid UTF-8 replaced, CRLF read as LF); empty when the record has none."""
        if self.payload is None:
            return ""
        return unescape_payload(self.payload).decode("utf-8", "replace")


@dataclass(slots=True)
class ParseStats:
    """How much of a log was read, and each kind of damage met on the way."""

    lines: int = 0
    records: int = 0
    fail_glog: int = 0  # a line that is not a glog-prefixed record (nor a payload line)
    fail_json: int = 0  # a record line whose JSON does not parse
    fail_payload_md5: int = 0  # a payload whose md5 differs from has_payload (kept anyway)
    unknown: int = 0  # a record type this tool does not know (kept, counted)
    other_rank: int = 0  # a record of another rank than the file's first one (skipped)
    invalid_utf8: int = 0  # records holding invalid UTF-8 (replaced, kept)
    truncated: int = 0  # the file ends inside a record (last line not terminated)
    bad_value: int = 0  # a field of the wrong type or range (dropped; by field in bad_value_fields)
    too_deep: int = 0  # spans nested past the tree's depth limit (kept, one level up)
    oversized: int = 0  # records past the size limit (skipped without being held)
    bytes: int = 0
    unknown_kinds: dict[str, int] = field(default_factory=dict)
    bad_value_fields: dict[str, int] = field(default_factory=dict)

    DAMAGE = (
        "fail_glog", "fail_json", "fail_payload_md5", "unknown", "other_rank", "invalid_utf8", "truncated",
        "bad_value", "too_deep", "oversized",
    )  # fmt: skip

    @property
    def damage(self) -> int:
        """Total count of damaged or unexpected lines and records."""
        return sum(getattr(self, name) for name in self.DAMAGE)

    def merge(self, other: ParseStats) -> None:
        """Add another file's counters to these."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, n in theirs.items():
                    mine[key] = mine.get(key, 0) + n
            else:
                setattr(self, f.name, mine + theirs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the report contract's `parse` object)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
