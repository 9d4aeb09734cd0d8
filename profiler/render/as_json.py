"""The JSON renderer: the report contract (schema_version 1) as text."""

from __future__ import annotations

import orjson

from ..report import Report, report_to_dict


def json_bytes(report: Report) -> bytes:
    """The report as indented UTF-8 JSON, ending with a newline (no str copy of a large report)."""
    return orjson.dumps(report_to_dict(report), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def render_json(report: Report) -> str:
    """The report as indented JSON text, ending with a newline."""
    return json_bytes(report).decode()
