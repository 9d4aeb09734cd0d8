"""What changed in what was compiled, without compiling: graph code normalized (renumbering is not a
change), operators, inputs, guards, kernels, configs read from real fixtures' payloads, compiles matched
and ranked by their time, the sentences, the side-by-side rows, the byte budget, and hostile graph text
in every format. tests/e2e/test_graph_diff.py diffs real runs changed four ways."""

from __future__ import annotations

import json
import random
from collections import Counter

from compileprof.profiler.analysis.graph_diff import compare, line_changes, match, phase_moves, side_by_side
from compileprof.profiler.build import build_report
from compileprof.profiler.fold.graphs import Budget, cache_config, guard_lines, normalize, op_of, read_compiled
from compileprof.profiler.model.graphs import Compiled, Graph
from compileprof.profiler.render.graph_view import change_lines, summary
from conftest import FIXTURES, run_cli
from fuzz.validity import check_html, check_markdown

AOT = """class <lambda>(torch.nn.Module):
    def forward(
        self,
        arg0_1: "f32[8][1]cpu",  # PlainAOTInput(idx=0)
        primals_3: "f32[s0, 4][4, 1]cpu",
    ):
        # No stacktrace found for following nodes
        sin_2: "f32[8][1]cpu" = torch.ops.aten.sin.default(arg0_1);  arg0_1 = None
        mul_7: "f32[8][1]cpu" = torch.ops.aten.mul.Tensor(sin_2, 2);  sin_2 = None
        l_x_ = L_x_
        getitem_1 = foo[0]
        y: "f32[8][1]cpu" = mul_7 * 2
        return (mul_7,)
"""


def test_graph_code_is_normalized_so_renumbering_is_no_change():
    lines, nodes, ops, inputs = normalize(AOT)
    renumbered = normalize(AOT.replace("sin_2", "sin_5").replace("mul_7", "mul_1"))
    assert renumbered[0] == lines and nodes == 4  # the alias `l_x_ = L_x_` is no operator
    assert ops == Counter({"aten.sin": 1, "aten.mul": 1, "getitem": 1, "operator *": 1})
    assert inputs == [("arg0_1", "f32[8]"), ("primals", "f32[s0, 4]")]
    assert '        sin: "f32[8][1]cpu" = torch.ops.aten.sin.default(arg0_1)' in lines  # no `= None`, no counter
    assert not any(x.lstrip().startswith("#") for x in lines)


def test_operators_are_named_by_target_without_their_overload():
    assert op_of("torch.ops.aten.mm.default(a, b)") == "aten.mm"
    assert op_of("torch.ops.aten.add.Tensor(a, b)") == "aten.add"
    assert op_of("torch.ops.aten.native_layer_norm.default(x)") == "aten.native_layer_norm"
    assert op_of("torch.ops._c10d_functional.all_reduce.default(x)") == "_c10d_functional.all_reduce"
    assert op_of("torch.ops.aten.sum.dim_IntList(x, [0])") == "aten.sum"
    assert op_of("torch.ops.prims.convert_element_type.something(x)") == "prims.convert_element_type.something"
    assert op_of("torch._C._nn.linear(x, w)") == "torch._C._nn.linear"
    assert (op_of("a * 2"), op_of("a // b"), op_of("foo[1]"), op_of("L_x_"), op_of("self.w"), op_of("{}")) == (
        "operator *", "operator //", "getitem", None, None, "other")  # fmt: skip


def test_guards_mask_what_differs_between_processes():
    text = ("TREE_GUARD_MANAGER:\n+- RootGuardManager\n| +- TYPE_MATCH: ___check_type_id(L['x'], 94712345678)"
            "  # model.py:3 in f\n| +- ID_MATCH: ___check_obj_id(G, 0x7f00aa11)\n")  # fmt: skip
    assert guard_lines(text) == ["TYPE_MATCH: ___check_type_id(L['x'], N)", "ID_MATCH: ___check_obj_id(G, N)"]


def test_a_cache_lookup_s_key_gives_the_compile_s_settings():
    doc = {"key": "f", "components": ["[aa1] inductor_config[size_asserts]: False", "[bb2] gm: x",
                                      "[cc3] inductor_config[max_autotune]: True", 7]}  # fmt: skip
    assert cache_config(json.dumps(doc)) == {"inductor_config.size_asserts": "False",
                                             "inductor_config.max_autotune": "True"}  # fmt: skip
    assert cache_config("not json") == {} and cache_config("[1]") == {}


def test_nodes_added_removed_and_retargeted():
    a = "x = torch.ops.aten.sin.default(a)\ny = torch.ops.aten.mul.Tensor(x, 2)\nz = torch.ops.aten.cos.default(y)"
    b = "x = torch.ops.aten.cos.default(a)\ny = torch.ops.aten.mul.Tensor(x, 2)\nw = torch.ops.aten.exp.default(y)\n" \
        "v = torch.ops.aten.neg.default(w)"  # fmt: skip
    assert line_changes(a, b) == (2, 1, 1)  # w and v added, z removed, x retargeted from sin to cos
    assert line_changes(a, a) == (0, 0, 0)


def test_side_by_side_rows_keep_context_around_changes():
    a = "\n".join(f"line {i}" for i in range(30))
    b = a.replace("line 15", "LINE 15")
    rows = side_by_side(a, b)
    assert ("~", "line 15", "LINE 15") in rows
    assert rows[0] == ("...", "12 equal lines", "") and rows[-1] == ("...", "11 equal lines", "")
    assert len([r for r in rows if r[0] == "="]) == 6  # three either side of the change
    assert side_by_side("a", "a\nb") == [("=", "a", "a"), ("+", "", "b")]


def test_compiles_are_matched_by_id_then_by_where_they_are():
    c = lambda cid, frame: ((None, cid), Compiled(cid, None, frame=frame))  # noqa: E731
    a = dict([c("0/0", "f (m.py:1)"), c("1/0", "g (m.py:9)")])
    b = dict([c("0/0", "f (m.py:1)"), c("2/0", "g (m.py:9)"), c("3/0", "h (m.py:20)")])
    got = [(x.compile_id if x else None, y.compile_id if y else None, how) for x, y, how in match(a, b)]
    assert got == [("0/0", "0/0", "compile id"), ("1/0", "2/0", "code location"), (None, "3/0", "-")]


def test_the_phases_that_moved_are_found_where_the_change_is():
    tree = lambda lowering, codegen: [{"name": "dynamo", "total_s": 1 + lowering + codegen, "children": [  # noqa: E731
        {"name": "inductor_compile", "total_s": lowering + codegen, "children": [
            {"name": "GraphLowering.run", "total_s": lowering, "children": []},
            {"name": "code_gen", "total_s": codegen, "children": []}]}]}]  # fmt: skip
    assert phase_moves(tree(1.0, 1.0), tree(7.1, 3.8)) == [("GraphLowering.run", 6.1), ("code_gen", 2.8)]


def test_two_real_logs_compared_and_said_in_a_sentence():
    a, b = FIXTURES / "mlp.log", FIXTURES / "graph_break.log"
    ca = read_compiled([a])
    cb = read_compiled([b], other=ca)
    changes = compare(ca, cb, build_report(a), build_report(b))
    first = changes[0]
    assert first.compile_id == "0/0" and first.status == "changed" and first.time_a and first.time_b
    dynamo = next(g for g in first.graphs if g.kind == "dynamo_output_graph")
    assert dynamo.ops["torch._C._nn.linear"] == -2 and dynamo.ops["torch.sin"] == 1  # as the payloads hold them
    assert {c.status for c in changes[1:]} == {"only in B"} and len(changes) == 4
    said = summary(first)
    assert said.startswith("0/0 fn (<string>:7) -") and "Dynamo's graph lost" in said
    breaks = [c for c in changes if c.reason and c.reason.startswith("graph break at <string>:7")]
    assert len(breaks) == 1 and summary(breaks[0]).startswith("0/1 fn (<string>:7) +")


def test_a_log_diffed_with_itself_changed_nothing_and_shares_its_graphs():
    log = FIXTURES / "graph_break.log"
    ca = read_compiled([log])
    cb = read_compiled([log], other=ca)
    assert all(cb[k].graphs[s] is ca[k].graphs[s] for k in ca for s in ca[k].graphs)  # not decoded again
    changes = compare(ca, cb, build_report(log), build_report(log))
    assert {c.status for c in changes} == {"same"}
    assert change_lines(changes) == ["4 compiles compiled the same graphs, guards and code in both"]


def test_code_is_kept_within_its_byte_budget():
    budget = Budget(limit=200)
    assert budget.keep("x" * 100) is not None
    noise = random.Random(0)
    assert budget.keep("".join(noise.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5000))) is None
    assert budget.keep("y") is None  # and nothing after it
    g = Graph("dynamo_output_graph", "d", 1)
    assert g.code() is None


def test_hostile_graph_code_stays_text_in_every_format(tmp_path):
    hostile = "</script><img src=x onerror=alert(1)>`|#@x.com\x1b[2J"
    log = tmp_path / "h.log"
    log.write_bytes((FIXTURES / "graph_break.log").read_bytes().replace(b"torch.sin", hostile.encode()))
    for fmt, check in (("markdown", check_markdown), ("html", check_html)):
        result = run_cli("diff", str(FIXTURES / "graph_break.log"), str(log), "-f", fmt, "--graphs")
        assert result.exit_code == 0
        check(result.stdout if fmt == "markdown" else result.stdout_bytes)
    doc = json.loads(run_cli("diff", str(FIXTURES / "graph_break.log"), str(log), "-f", "json", "--graphs").stdout)
    assert any(hostile[:20] in line for c in doc["changes"] for g in c["graphs"] for line in g["diff"])
    assert "\x1b" not in run_cli("diff", str(FIXTURES / "graph_break.log"), str(log), "--graphs").stdout


def test_changes_come_in_one_order_whatever_the_hash_seed():
    # GIVEN a compile with a dozen graphs of one kind (a piecewise backend's pieces) and operators
    # whose changes tie in size
    def graphs(seed: int) -> dict[str, Graph]:
        out = {}
        for n in range(12):
            ops = Counter({f"op{(n + seed) % 3}": 1, "aten.mm": 2}) if seed else Counter({"aten.add": 1})
            out["dynamo_output_graph" if n == 0 else f"dynamo_output_graph#{n}"] = Graph(
                "dynamo_output_graph", f"{seed}-{n}", 3, ops
            )
        return out

    a, b = Compiled("0/0", None, graphs(0)), Compiled("0/0", None, graphs(1))
    # WHEN they are compared
    from compileprof.profiler.analysis.graph_diff import compare_compiled

    change = compare_compiled(a, b, False)
    # THEN the graphs come in the order they were logged (#2 before #10), ties of operators by name
    assert [g.kind for g in change.graphs][:3] == ["dynamo_output_graph", "dynamo_output_graph#1",
                                                  "dynamo_output_graph#2"]  # fmt: skip
    assert [g.kind for g in change.graphs][-2:] == ["dynamo_output_graph#10", "dynamo_output_graph#11"]
    assert list(change.graphs[0].ops) == ["aten.mm", "aten.add", "op1"]


def test_a_graph_logged_again_byte_for_byte_is_read_once(tmp_path):
    # GIVEN a log holding the same job twice (as pieces of one layer repeat in a piecewise backend)
    log = tmp_path / "twice.log"
    log.write_bytes((FIXTURES / "mlp.log").read_bytes() * 2)
    # WHEN its graphs are read
    compiled = read_compiled([log])
    # THEN the second copy of each graph is the first one's object, not a second decoding
    graphs = compiled[(None, "0/0")].graphs
    assert graphs["dynamo_output_graph#1"] is graphs["dynamo_output_graph"]
    assert graphs["dynamo_output_graph"].nodes > 0


def test_a_compile_logging_thousands_of_graphs_keeps_64_described_and_counts_the_rest():
    # GIVEN a compile whose 500 graphs all changed
    def graphs(tag: str) -> dict[str, Graph]:
        return {f"dynamo_output_graph#{n}" if n else "dynamo_output_graph": Graph("dynamo_output_graph",
                f"{tag}{n}", 2, Counter({"aten.add": 1})) for n in range(500)}  # fmt: skip

    from compileprof.profiler.analysis.graph_diff import MAX_GRAPH_CHANGES, compare_compiled

    change = compare_compiled(Compiled("0/0", None, graphs("a")), Compiled("0/0", None, graphs("b")), False)
    # THEN 64 are described, 436 counted, and the sentence says how many in all
    assert (len(change.graphs), change.more_graphs) == (MAX_GRAPH_CHANGES, 500 - MAX_GRAPH_CHANGES) == (64, 436)
    assert change.to_dict()["more_graphs"] == 436
    change.status = "changed"
    assert "497 more graphs changed" in summary(change)


def test_a_compile_s_generated_code_is_summed_over_its_output_code_records(tmp_path):
    from conftest import record_line

    env = {"frame_id": 0, "frame_compile_id": 0, "attempt": 0}
    code_a = "def triton_poi_fused_add_0(in_ptr0):\n    pass"
    code_b = "def cpp_fused_mul_1(in_ptr0):\n    pass\n"
    log = tmp_path / "code.log"
    log.write_text(record_line("inductor_output_code", {"filename": "a.py"}, code_a, **env)
                   + record_line("inductor_output_code", {"filename": "b.py"}, code_b, **env))  # fmt: skip
    (c,) = read_compiled([log]).values()
    assert c.code_bytes == len(code_a.encode()) + len(code_b.encode())
