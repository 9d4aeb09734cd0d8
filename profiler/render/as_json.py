"""The JSON renderer: the report contract (schema_version 1), streamed compile by compile."""

from __future__ import annotations

import io
from typing import BinaryIO

import orjson

from ..report import Report, compile_to_dict, report_to_dict

_PLACEHOLDER = "\u0000compiles\u0000"


def write_json(report: Report, out: BinaryIO) -> None:
    """Write the report as UTF-8 JSON to `out`, ending with a newline.

    The document is indented; each entry of `compiles` sits on one line and is written on its own,
    its phase tree copied from the compile's stored JSON, so no copy of the whole report is built in
    memory however many compiles there are.
    """
    doc = report_to_dict(report, with_compiles=False)
    doc["compiles"] = _PLACEHOLDER
    head, tail = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).split(
        orjson.dumps(_PLACEHOLDER), 1
    )
    out.write(head)
    if not report.compiles:
        out.write(b"[]")
    else:
        out.write(b"[")
        for i, c in enumerate(report.compiles):
            body = orjson.dumps(compile_to_dict(c, with_phases=False))
            out.write(b"\n    " if i == 0 else b",\n    ")
            out.write(body[:-1] + b',"phases":' + c.phases_json() + b"}")
        out.write(b"\n  ]")
    out.write(tail)


def json_bytes(report: Report) -> bytes:
    """The report as JSON bytes (see `write_json`)."""
    buf = io.BytesIO()
    write_json(report, buf)
    return buf.getvalue()


def render_json(report: Report) -> str:
    """The report as JSON text, ending with a newline."""
    return json_bytes(report).decode()
