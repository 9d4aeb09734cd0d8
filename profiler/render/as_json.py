"""The JSON renderer: the report contract (schema_version 1) as text."""

from __future__ import annotations

import orjson

from ..report import Report, report_to_dict


def render_json(report: Report) -> str:
    """The report as indented JSON text, ending with a newline."""
    return orjson.dumps(report_to_dict(report), option=orjson.OPT_INDENT_2).decode() + "\n"
