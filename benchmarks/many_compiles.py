"""Write a log of N small compiles (span tree, metrics, a cache artifact, a restart, output code) to
measure what the report costs per compile: `python benchmarks/many_compiles.py 100000 /tmp/many.log`,
then `/usr/bin/time -v compileprof report /tmp/many.log -f json -o /dev/null`."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

STAMP = "V1122 02:10:24.560000 2241 torch/_dynamo/utils.py:2350] "


def record(kind: str, meta: object, payload: str | None = None, **envelope: object) -> str:
    """One record as torch writes it."""
    obj = {kind: meta, **envelope}
    if payload is not None:
        obj["has_payload"] = hashlib.md5(payload.encode()).hexdigest()
    text = STAMP + json.dumps(obj)
    if payload is not None:
        text += "".join(f"\n\t{line}" for line in payload.split("\n"))
    return text + "\n"


def one_compile(i: int) -> str:
    """The records of frame i's compile."""
    env = {"frame_id": i, "frame_compile_id": 0, "attempt": 0}
    t = i * 1000.0
    spans = [
        ("dynamo", "B", t),
        ("backend_compile", "B", t + 1),
        ("backend_compile", "E", t + 500),
        ("dynamo", "E", t + 900),
    ]
    out = [
        record("chromium_event", {}, json.dumps({"name": n, "ph": ph, "ts": ts, "pid": 0, "tid": 0,
                                                 "args": {"compile_id": f"{i}/0"}}), **env)
        for n, ph, ts in spans
    ]  # fmt: skip
    out.append(record("artifact", {"name": "fx_graph_cache_miss", "encoding": "json"}, "{}", **env))
    code = "def call(args):\n    assert_size_stride(arg0_1, (4, 16), (16, 1), 'input')\n    return (buf0,)"
    out.append(record("inductor_output_code", {"filename": f"/tmp/c{i}.py"}, code, **env))
    metrics = {
        "co_name": f"fn_{i}", "co_filename": "model.py", "co_firstlineno": i, "entire_frame_compile_time_s": 0.0009,
        "backend_compile_time_s": 0.0005, "guard_count": 10, "restart_reasons": ["graph break"] if i % 3 == 0 else [],
        "fail_type": "RuntimeError" if i % 7 == 0 else None, "fail_reason": "boom" if i % 7 == 0 else None,
    }  # fmt: skip
    out.append(record("compilation_metrics", metrics, **env))
    return "".join(out)


def main(argv: list[str]) -> int:
    """Write the log."""
    n, path = int(argv[0]), Path(argv[1])
    with open(path, "w") as fh:
        fh.write(record("artifact", {"name": "torch_version", "encoding": "json"}, '{"pytorch_version": "2.13.0"}'))
        for i in range(n):
            fh.write(one_compile(i))
    print(f"wrote {path}: {n} compiles, {path.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
