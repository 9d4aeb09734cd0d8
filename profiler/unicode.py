"""Strings that are valid Unicode, and JSON that is always valid UTF-8.

Python holds the undecodable bytes of a file name (`a\\xff.log`) as lone surrogates (U+DC80 to
U+DCFF), and a JSON manifest may carry an escaped lone surrogate (`"\\ud800"`); neither can be
written as UTF-8, and orjson refuses them. Every document the tool writes goes through `dumps`,
which replaces them with U+FFFD (only when there are any: the common case costs nothing).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

_SURROGATE = re.compile("[\ud800-\udfff]")
# What XML 1.0 forbids: C0 controls but TAB, LF and CR; surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def valid_unicode(text: str) -> str:
    """`text` with every lone surrogate (an undecodable byte of a file name, an escaped surrogate in
    a JSON file) replaced by U+FFFD."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def xml_text(text: object) -> str:
    """`text` with every character XML 1.0 forbids removed (lone surrogates become U+FFFD), so any
    string can be an attribute or text of a well-formed document."""
    s = valid_unicode(text if isinstance(text, str) else str(text))
    return _NOT_XML.sub("", s)


def sanitized(value: Any) -> Any:
    """A copy of a JSON-able value whose strings (keys too) are valid Unicode and whose integers fit
    in 64 bits (larger ones become their decimal text)."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {(valid_unicode(k) if isinstance(k, str) else k): sanitized(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitized(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return str(value)
    return value


def dumps(value: Any, option: int = 0) -> bytes:
    """orjson's bytes of `value`; a string that is not valid Unicode (or an integer past 64 bits) is
    made writable first instead of failing."""
    try:
        return orjson.dumps(value, option=option)
    except TypeError:
        return orjson.dumps(sanitized(value), option=option)
