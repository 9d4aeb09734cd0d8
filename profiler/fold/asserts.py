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

_SIZE = re.compile(r"^[ \t]*assert_size_stride\(\s*([\w.\[\]]+)(.*)$", re.M)
_ALIGN = re.compile(r"^[ \t]*assert_alignment\(\s*([\w.\[\]]+)(.*)$", re.M)
_SCALAR_PY = re.compile(r"^[ \t]*if not \(.+\):[ \t]*\n[ \t]*raise RuntimeError\(", re.M)
_SCALAR_CPP = re.compile(r"^[ \t]*if \(!\(.+\)\)\s*\{\s*\n?\s*throw std::runtime_error\(", re.M)
_AOTI_CHECK = re.compile(r'ss << "input_handles\[\d+\]: unmatched ')
_NAN = re.compile(r"^[ \t]*assert not [\w.\[\]]+\.is(?:nan|inf)\(\)\.any\(\)\.item\(\)", re.M)
_LAST_STRING = re.compile(r"""['"]([^'"]*)['"]\s*\)\s*;?\s*$""")


def count_asserts(code: str) -> tuple[AssertCounts, list[str], dict[str, int]]:
    """Count the asserts in `code`; also name the guarded inputs and the ops whose outputs are guarded."""
    counts = AssertCounts()
    inputs: list[str] = []
    ops: dict[str, int] = {}
    for pattern, kind in ((_SIZE, "size_stride"), (_ALIGN, "alignment")):
        n = 0
        for m in pattern.finditer(code):
            n += 1
            target, rest = m.group(1), m.group(2)
            label = _LAST_STRING.search(rest)
            what = label.group(1) if label else None
            if what == "input" or (what is None and target.startswith(("arg", "primals"))):
                if target not in inputs:
                    inputs.append(target)
            elif what:
                ops[what] = ops.get(what, 0) + 1
        setattr(counts, kind, n)
    counts.scalar = len(_SCALAR_PY.findall(code)) + len(_SCALAR_CPP.findall(code))
    counts.nan = len(_NAN.findall(code))
    counts.aoti_checks = len(_AOTI_CHECK.findall(code))
    return counts, inputs, ops


def graph_asserts(code: str, compile_id: str | None, rank: int | None, filename: str | None) -> GraphAsserts:
    """The `GraphAsserts` of one output-code record."""
    counts, inputs, ops = count_asserts(code)
    language = "cpp" if (filename and filename.endswith((".cpp", ".h"))) or 'extern "C"' in code[:20000] else "python"
    return GraphAsserts(compile_id, rank, filename, counts, inputs, ops, language)
