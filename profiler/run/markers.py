"""Markers a child writes into its trace: which measurement variant the compiles after it belong to."""

from __future__ import annotations

import json

from ..model.run import VARIANT_MARK


def mark_variant(variant: str) -> None:
    """Write a VARIANT_MARK artifact: the compiles after it belong to `variant` (imports torch)."""
    from torch._logging import trace_structured

    trace_structured(
        "artifact",
        metadata_fn=lambda: {"name": VARIANT_MARK, "encoding": "json"},
        payload_fn=lambda: json.dumps({"variant": variant}),
        expect_trace_id=False,
    )
