"""Counting runtime asserts in generated code."""

from __future__ import annotations

from compileprof.profiler.fold.asserts import count_asserts

PYTHON_WRAPPER = """
assert_size_stride = torch._C._dynamo.guards.assert_size_stride
assert_alignment = torch._C._dynamo.guards.assert_alignment

def call(args):
    arg0_1, arg1_1, s0 = args
    assert_size_stride(arg0_1, (2, 32), (32, 1), 'input')
    assert_size_stride(arg1_1, (32, 32), (32, 1), 'input')
    buf0 = empty_strided_cpu((2, 32), (32, 1), torch.float32)
    extern_kernels.mm(arg0_1, arg1_1, out=buf0)
    assert_size_stride(buf0, (2, 32), (32, 1), 'torch.ops.aten.mm.default')
    assert_alignment(buf0, 16, 'torch.ops.aten.mm.default')
    u1 = buf0.item()
    if not (u1 >= 2):
        raise RuntimeError('u1 >= 2')
    assert not buf0.isnan().any().item()
    assert not buf0.isinf().any().item()
    return (buf0, )
"""

CPP_WRAPPER = """
    assert_size_stride(arg0_1, {2, 32}, {32, 1}, "input");
    assert_size_stride(buf0, {2, 32}, {32, 1}, "aten.mm");
    if (!(u1 >= 2)) {
        throw std::runtime_error("u1 >= 2");
    }
"""


def test_python_wrapper_counts_each_kind_and_skips_header_aliases():
    counts, inputs, ops = count_asserts(PYTHON_WRAPPER)
    assert counts.to_dict() == {"size_stride": 3, "alignment": 1, "scalar": 1, "nan": 2, "aoti_checks": 0}
    assert inputs == ["arg0_1", "arg1_1"]
    assert ops == {"torch.ops.aten.mm.default": 2}


def test_cpp_wrapper():
    counts, inputs, ops = count_asserts(CPP_WRAPPER)
    assert (counts.size_stride, counts.scalar) == (2, 1)
    assert inputs == ["arg0_1"] and ops == {"aten.mm": 1}


def test_code_without_asserts():
    counts, _, _ = count_asserts(
        "assert_size_stride = torch._C._dynamo.guards.assert_size_stride\ndef call(a):\n    return a\n"
    )
    assert counts.total == 0


def test_aoti_input_checks_are_their_own_kind():
    code = """
    if (cpp_dtype != expected) {
        std::stringstream ss;
        ss << "input_handles[0]: unmatched dtype, "
           << "expected: " << expected << "\\n";
        throw std::runtime_error(std::move(ss).str());
    }
        ss << "input_handles[0]: unmatched dim value at 0, "
        ss << "input_handles[1]: unmatched stride value at 1, "
    """
    counts, _, _ = count_asserts(code)
    assert counts.aoti_checks == 3 and counts.total == 3 and counts.size_stride == 0


def test_only_asserts_that_start_a_line_count():
    # GIVEN each kind of assert once as code and once inside a comment or a string
    code = "\n".join(
        [
            "    assert_size_stride(buf0, (2, 32), (32, 1), 'op')",
            "    # assert_size_stride(buf1, (2, 32), (32, 1), 'op')",
            "\tassert_alignment(buf0, 16, 'op')",
            "    x = 'assert_alignment(buf1, 16, 'op')'",
            "    if not (u0 >= 2):",
            "        raise RuntimeError('u0 >= 2')",
            "    # if not (u1 >= 2):",
            "        raise RuntimeError('u1 >= 2')",
            "    assert not buf0.isnan().any().item()",
            "    log('assert not buf1.isnan().any().item()')",
        ]
    )
    # THEN only the real ones are counted
    counts, _, ops = count_asserts(code)
    assert (counts.size_stride, counts.alignment, counts.scalar, counts.nan) == (1, 1, 1, 1)
    assert ops == {"op": 2}


def test_the_first_assert_lines_are_kept_as_written():
    lines: list[str] = []
    counts, _, _ = count_asserts(PYTHON_WRAPPER, lines)
    assert lines[0] == "assert_size_stride(arg0_1, (2, 32), (32, 1), 'input')"
    assert "if not (u1 >= 2):" in lines and "assert not buf0.isnan().any().item()" in lines
    assert len(lines) == counts.total == 7
