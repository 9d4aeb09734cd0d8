"""Count Inductor's runtime asserts in generated wrapper code (Python or C++).

Recognised forms (torch 2.3 - 2.13):
- `assert_size_stride(buf6, (2, 32), (32, 1), 'torch.ops.aten.mm.default')`, C++ `{..}` form too;
  the header alias `assert_size_stride = torch._C._dynamo.guards.assert_size_stride` is not one;
- `assert_alignment(buf6, 16, 'op')`;
- scalar asserts: `if not (u1 >= 2):` followed by `raise RuntimeError(...)`, or C++
  `if (!(u1 >= 2)) { throw std::runtime_error(...)`;
- nan asserts: `assert not x.isnan().any().item()` and the `isinf` twin.
"""

from __future__ import annotations

import re

from ..model.asserts import AssertCounts, GraphAsserts

# Each pattern starts with its literal (a fast scan finds it); `_at_line_start` then checks that
# only blanks precede it on its line, which a `^[ \t]*` prefix would make the engine try at every line.
_SIZE = re.compile(r"assert_size_stride\(\s*([\w.\[\]]+)(.*)$", re.M)
_ALIGN = re.compile(r"assert_alignment\(\s*([\w.\[\]]+)(.*)$", re.M)
_SCALAR_PY = re.compile(r"if not \(.+\):[ \t]*\n[ \t]*raise RuntimeError\(")
_SCALAR_CPP = re.compile(r"if \(!\(.+\)\)\s*\{\s*\n?\s*throw std::runtime_error\(")
_AOTI_CHECK = re.compile(r'ss << "input_handles\[\d+\]: unmatched ')
_NAN = re.compile(r"assert not [\w.\[\]]+\.is(?:nan|inf)\(\)\.any\(\)\.item\(\)")
_TENSOR_ASSERTS = ((_SIZE, "size_stride", "assert_size_stride("), (_ALIGN, "alignment", "assert_alignment("))
_LAST_STRING = re.compile(r"""['"]([^'"]*)['"]\s*\)\s*;?\s*$""")


LINES_KEPT = 20  # assert lines kept per graph (to show; every one is counted)


def _line(code: str, pos: int) -> str:
    """The line of `code` that holds `pos`, stripped and cut to 200 characters."""
    end = code.find("\n", pos)
    return code[code.rfind("\n", 0, pos) + 1 : end if end >= 0 else len(code)].strip()[:200]


def _at_line_start(code: str, pos: int) -> bool:
    """True when only spaces and tabs precede `pos` on its line."""
    return not code[code.rfind("\n", 0, pos) + 1 : pos].strip(" \t")


def _count(pattern: re.Pattern[str], code: str, literal: str, lines: list[str]) -> int:
    """Matches of `pattern` that start a line (none without scanning when `literal` is absent); the
    first lines are added to `lines`."""
    if literal not in code:
        return 0
    n = 0
    for m in pattern.finditer(code):
        if _at_line_start(code, m.start()):
            n += 1
            if len(lines) < LINES_KEPT:
                lines.append(_line(code, m.start()))
    return n


def count_asserts(code: str, lines: list[str] | None = None) -> tuple[AssertCounts, list[str], dict[str, int]]:
    """Count the asserts in `code`; also name the guarded inputs and the ops whose outputs are guarded,
    and add the first assert lines to `lines`."""
    counts = AssertCounts()
    inputs: list[str] = []
    ops: dict[str, int] = {}
    lines = [] if lines is None else lines
    for pattern, kind, literal in _TENSOR_ASSERTS:
        n = 0
        for m in pattern.finditer(code) if literal in code else ():
            if not _at_line_start(code, m.start()):
                continue
            n += 1
            if len(lines) < LINES_KEPT:
                lines.append(_line(code, m.start()))
            target, rest = m.group(1), m.group(2)
            label = _LAST_STRING.search(rest)
            what = label.group(1) if label else None
            if what == "input" or (what is None and target.startswith(("arg", "primals"))):
                if target not in inputs:
                    inputs.append(target)
            elif what:
                ops[what] = ops.get(what, 0) + 1
        setattr(counts, kind, n)
    counts.scalar = _count(_SCALAR_PY, code, "if not (", lines) + _count(
        _SCALAR_CPP, code, "throw std::runtime_error(", lines
    )
    counts.nan = _count(_NAN, code, "assert not ", lines)
    counts.aoti_checks = len(_AOTI_CHECK.findall(code)) if "input_handles[" in code else 0
    return counts, inputs, ops


def graph_asserts(code: str, compile_id: str | None, rank: int | None, filename: str | None) -> GraphAsserts:
    """The `GraphAsserts` of one output-code record."""
    lines: list[str] = []
    counts, inputs, ops = count_asserts(code, lines)
    language = "cpp" if (filename and filename.endswith((".cpp", ".h"))) or 'extern "C"' in code[:20000] else "python"
    return GraphAsserts(compile_id, rank, filename, counts, inputs, ops, language, lines=lines)
