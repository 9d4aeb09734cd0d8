"""A TORCH_TRACE log whose every string is an attack on the outputs (shared by the hostile-input tests,
the browser test and the fuzzer's seeds)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import event, record_line

# What a hostile log carries in every string it has: a page's script swallowed, raw HTML, a link, an
# image, an autolink, an e-mail link, a code span broken out of, table pipes, line separators,
# terminal escapes, a bidirectional override.
NAMES = [
    "<!--<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    "<img src=x onerror=alert(3)>",
    "`x` [link](http://evil.example) ![img](http://evil.example/a.png)",
    "www.evil.example http://evil.example a@evil.example |pipe| &amp; \u2028\u2029 \x01\x1b[31m \u202eevil",
]
SHOWN = ["<!--<script>alert(1)</script>", "<img src=x onerror=alert(3)>", "[link](http://evil.example)"]


def hostile_log(path: Path) -> Path:
    """A log whose span names, function name, graph-break reason, guards, recompile reason, bypass
    reason, failure and file names carry the hostile strings."""
    recs = []
    for i, name in enumerate(NAMES):
        cid = f"{i}/0"
        env = {"frame_id": i, "frame_compile_id": 0, "attempt": 0}
        recs += [event("dynamo", "B", 10.0 * i), event(name, "B", 10.0 * i + 1, compile_id=cid)]
        recs.append(event(name, "E", 10.0 * i + 5, compile_id=cid))
        recs.append(record_line("artifact", {"name": "dynamo_graph_break_reason", "encoding": "string"}, name, **env))
        recs.append(record_line("dynamo_cpp_guards_str", {}, f"TREE_GUARD_MANAGER:\n+- RootGuardManager\n| +- "
                                                          f"TENSOR_MATCH: {name} L['x']", **env))  # fmt: skip
        recs.append(record_line("artifact", {"name": "fx_graph_cache_bypass", "encoding": "json"},
                                json.dumps({"cache_bypass_reason": name}), **env))  # fmt: skip
        recs.append(record_line("inductor_output_code", {"filename": f"/tmp/{name}.py"},
                                f"assert_size_stride(arg0_1, (2,), (1,), '{name}')", **env))  # fmt: skip
        recs.append(event("dynamo", "E", 10.0 * i + 9))
        metrics = {"co_name": name, "co_filename": name, "entire_frame_compile_time_s": 1.0 + i,
                   "recompile_reason": name if i else None, "fail_type": name if i == 2 else None,
                   "fail_reason": name, "pytorch_version": "2.13.0\x01"}  # fmt: skip
        recs.append(record_line("compilation_metrics", metrics, **env))
    path.write_text("".join(recs))
    return path
