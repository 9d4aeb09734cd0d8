"""Details of the analysis that a planted bug got past, each to its exact value: graph rows and their
boundaries, retargeted nodes, the unified diff's labels, compiles compared without reports, rank
lists, cache outcomes said per group, jobs that touch in time, the paired test's edges, the asserts
measurement's keys, a wall account's first run, and a cache miss with nothing to compare it with."""

from __future__ import annotations

import zlib
from collections import Counter
from types import SimpleNamespace

import pytest
from compileprof.profiler.analysis.ab import paired
from compileprof.profiler.analysis.cache_explain import explain
from compileprof.profiler.analysis.divergence import rank_list
from compileprof.profiler.analysis.graph_diff import (
    MAX_ROWS,
    compare,
    graph_change,
    line_changes,
    side_by_side,
)
from compileprof.profiler.analysis.jobs import SLACK_S, _overlaps
from compileprof.profiler.analysis.measurements import assert_measurement, wall_accounts
from compileprof.profiler.model.cache_keys import Lookup
from compileprof.profiler.model.graphs import Compiled, Graph
from compileprof.profiler.model.report import CacheRun
from compileprof.profiler.model.run import ChildRecord


def test_a_node_that_keeps_its_name_and_changes_its_operator_is_retargeted_not_replaced():
    assert line_changes("x = torch.sin(a)", "x = torch.cos(a)") == (0, 0, 1)
    assert line_changes("x = torch.sin(a)", "y = torch.sin(a)") == (1, 1, 0)
    # a node line is `name = ...` whatever its name begins with
    assert line_changes("returned = torch.sin(a)", "returned = torch.cos(a)") == (0, 0, 1)


def test_equal_lines_between_changes_are_kept_up_to_context_either_side_plus_one():
    seven = [f"same {i}" for i in range(7)]  # CONTEXT after one change, CONTEXT before the next, and one
    a, b = "\n".join(["a1", *seven, "a2"]), "\n".join(["b1", *seven, "b2"])
    rows = side_by_side(a, b)
    assert [r[0] for r in rows] == ["~", *["="] * 7, "~"]
    eight = [*seven, "same 7"]
    rows = side_by_side("\n".join(["a1", *eight, "a2"]), "\n".join(["b1", *eight, "b2"]))
    assert rows[4] == ("...", "2 equal lines", "") and len(rows) == 1 + 3 + 1 + 3 + 1


def test_lines_only_on_one_side_leave_the_other_empty_and_long_diffs_stop_at_max_rows():
    assert side_by_side("a\nb", "a") == [("=", "a", "a"), ("-", "b", "")]
    many_a = "\n".join(f"a{i}" for i in range(MAX_ROWS + 10))
    many_b = "\n".join(f"b{i}" for i in range(MAX_ROWS + 10))
    rows = side_by_side(many_a, many_b)
    assert len(rows) == MAX_ROWS + 1 and rows[-1] == ("...", "rows past this are left out", "")


def _graph(code: str, digest: str) -> Graph:
    return Graph("aot_forward", digest, code.count("\n") + 1, Counter(), [], zlib.compress(code.encode()))


def test_the_full_diff_of_a_changed_graph_is_labelled_a_and_b():
    change = graph_change("aot_forward", _graph("x = torch.sin(a)", "1"), _graph("x = torch.cos(a)", "2"), True)
    assert change.diff[:2] == ["--- A", "+++ B"] and change.diff[-2:] == ["-x = torch.sin(a)", "+x = torch.cos(a)"]
    assert graph_change("aot_forward", _graph("x", "1"), _graph("x", "2"), False).diff in (None, [])


def test_compiles_compare_without_their_reports():
    a = {(None, "0/0"): Compiled("0/0", None, frame="f (m.py:1)")}
    b = {(None, "0/0"): Compiled("0/0", None, frame="f (m.py:1)"), (None, "1/0"): Compiled("1/0", None, frame="g")}
    changes = compare(a, b, None, None)
    assert [(c.compile_id, c.status, c.time_a, c.time_b) for c in changes] == [
        ("1/0", "only in B", None, None), ("0/0", "same", None, None)]  # fmt: skip


def test_ranks_are_listed_one_or_as_runs():
    assert rank_list([3]) == "rank 3"
    assert rank_list([6, 0, 1, 2, 4]) == "ranks 0-2, 4, 6"


def test_jobs_whose_times_touch_within_the_slack_overlap():
    window = (100.0, 200.0)
    trace = lambda first, last: SimpleNamespace(first_s=first, last_s=last)  # noqa: E731
    assert _overlaps(trace(200.0 + SLACK_S, 300.0), window)
    assert not _overlaps(trace(200.5 + SLACK_S, 300.0), window)
    assert _overlaps(trace(0.0, 100.0 - SLACK_S), window)
    assert not _overlaps(trace(0.0, 99.5 - SLACK_S), window)
    assert not _overlaps(trace(None, 150.0), window) and not _overlaps(trace(150.0, 160.0), None)


def test_the_paired_test_refuses_unpaired_samples_and_calls_no_change_insignificant():
    with pytest.raises(ValueError, match="paired samples need the same, non-zero number of rounds"):
        paired([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="paired samples need"):
        paired([], [])
    same = paired([1.0] * 8, [1.0] * 8)
    assert same.ci95 == (0.0, 0.0) and not same.significant and same.enough


def test_the_asserts_measurement_says_whether_the_outputs_matched():
    raw = {"samples_on_s": [1.1] * 6, "samples_off_s": [1.0] * 6, "rounds": 6, "calls_per_round": 20,
           "outputs": {"match": False, "max_abs_err": 0.5}, "batch_size": 2, "threads": 4, "device": "cpu"}  # fmt: skip
    m = assert_measurement(raw, [], [])
    assert (m["outputs_match"], m["outputs_max_abs_diff"]) == (False, 0.5)
    assert (m["rounds"], m["calls_per_round"], m["threads"], m["device"], m["batch_size"]) == (6, 20, 4, "cpu", 2)
    assert m["asserts_per_call"] is None and m["per_assert_s"] is None


def test_a_wall_account_holds_the_compiled_call_s_median_as_the_first_run():
    child = ChildRecord("cold", "cold/trace", "ok", steps_s={"compile": 10.0}, forward={"compiled_median_s": 0.25})
    run = SimpleNamespace(children={"cold": child})
    (account,) = wall_accounts(run, [CacheRun("cold", 1, 6.0, {}, {}, {"dynamo": 7.0, "backend_compile": 5.0})])
    assert (account.step_s, account.traced_s, account.parts, account.first_run_s) == (
        10.0, 7.0, {"backend_compile": 5.0}, 0.25)  # fmt: skip


def test_a_miss_with_nothing_of_its_cache_in_a_is_compared_with_none():
    miss = Lookup("fx_graph_cache", "miss", "0/0", None, "k1", {"config": ("h1", "x")})
    (e,) = explain([], [miss])
    assert e.counterpart is None and e.how == "none" and e.changes == []


def test_graph_rows_and_node_counts_align_long_codes_of_repeated_lines_exactly():
    # difflib's "autojunk" would treat a line repeated in over 1% of 200+ lines as junk and call
    # every repeat changed: long generated graphs repeat lines, so it is off
    same = ["x = torch.relu(a)"] * 250
    rows = side_by_side("\n".join([*same, "y = torch.sin(x)"]), "\n".join([*same, "y = torch.cos(x)"]))
    assert rows == [("...", "247 equal lines", ""), *[("=", same[0], same[0])] * 3,
                    ("~", "y = torch.sin(x)", "y = torch.cos(x)")]  # fmt: skip
    assert line_changes("\n".join([*same, "y = torch.sin(x)"]), "\n".join([*same, "y = torch.cos(x)"])) == (0, 0, 1)


def _sequence(*items: str):
    from compileprof.profiler.analysis.divergence import RankSequence

    seq = RankSequence()
    for item in items:
        seq.add(item)
    return seq


def test_a_group_s_cache_outcomes_are_counted_and_compiles_without_any_are_not_named():
    from compileprof.profiler.analysis.divergence import _summary

    seq = _sequence("0/0: fx miss, aot miss", "1/0: none", "2/0: fx hit, aot hit", "3/0: fx miss")
    assert _summary("cache", seq) == "4 compiles: aot hit 1, aot miss 1, fx hit 1, fx miss 2"
    assert _summary("cache", _sequence("0/0: none")) == "1 compile: no cache events"


def _inputs_of(*inputs: tuple[str, str]) -> Graph:
    return Graph("aot_forward", "d", 1, Counter(), list(inputs))


def test_inputs_that_changed_are_said_with_their_shapes_and_whether_they_became_dynamic():
    from compileprof.profiler.analysis.graph_diff import _inputs

    a = _inputs_of(("x", "f32[8, 4]"), ("y", "f32[8]"), ("z", "i64[2]"))
    b = _inputs_of(("x", "f32[s0, 4]"), ("y", "f16[8]"))
    assert _inputs(a, b) == ["input 0 (x): f32[8, 4] -> f32[s0, 4] (dynamism changed)",
                             "input 1 (y): f32[8] -> f16[8]", "input 2 (z) only in A"]  # fmt: skip
    assert _inputs(b, a)[-1] == "input 2 (z) only in B"


def test_a_compile_s_configs_that_differ_are_listed_with_both_values():
    from compileprof.profiler.analysis.graph_diff import compare_compiled

    a = Compiled("0/0", None, config={"inductor_config.max_autotune": False, "inductor_config.same": 1})
    b = Compiled("0/0", None, config={"inductor_config.max_autotune": True, "inductor_config.same": 1,
                                      "inductor_config.new": "x"})  # fmt: skip
    change = compare_compiled(a, b, False)
    assert change.config == [("inductor_config.max_autotune", False, True), ("inductor_config.new", None, "x")]
    assert change.status == "changed"


def test_graphs_past_the_described_limit_are_counted_when_they_changed_or_are_on_one_side():
    from compileprof.profiler.analysis.graph_diff import MAX_GRAPH_CHANGES, compare_compiled

    changed = {f"aot_forward_graph#{i}": _graph(f"x = f{i}(a)", f"a{i}") for i in range(MAX_GRAPH_CHANGES)}
    same, only_a, only_b = "aot_forward_graph#100", "aot_forward_graph#101", "aot_forward_graph#102"
    a = Compiled("0/0", None, graphs={**changed, same: _graph("s", "s"), only_a: _graph("o", "o")})
    b = Compiled("0/0", None, graphs={**{k: _graph(f"y = {k}", f"b{k}") for k in changed},
                                      same: _graph("s", "s"), only_b: _graph("n", "n")})  # fmt: skip
    out = compare_compiled(a, b, False)
    assert len(out.graphs) == MAX_GRAPH_CHANGES and out.more_graphs == 2  # only_a and only_b; `same` did not change


def test_why_a_compile_one_side_has_happened_in_words():
    from compileprof.profiler.analysis.graph_diff import _why

    info = lambda **kw: SimpleNamespace(**{"user_stack": [], "graph_break_reasons": [], "recompile_reason": None,  # noqa: E731
                                           "fail_reason": None, **kw})  # fmt: skip
    assert _why(info(fail_reason="x" * 400)) == "failed: " + "x" * 300
    assert _why(info(user_stack=["m.py:3 in f"])) == "a new compile at m.py:3 in f"
    assert _why(info()) is None
    assert _why(None, "torch_dynamo_resume_in_forward_at_12") == "the rest of forward after a graph break at line 12"


def test_changes_are_ranked_by_the_time_they_cost_and_those_without_a_time_after_any_with_one():
    from compileprof.profiler.model.graphs import CompileChange

    a = {(None, "0/0"): Compiled("0/0", None, frame="f"), (None, "1/0"): Compiled("1/0", None, frame="g")}
    b = {(None, "0/0"): Compiled("0/0", None, frame="f", code_bytes=5),
         (None, "1/0"): Compiled("1/0", None, frame="g", code_bytes=5)}  # fmt: skip

    def times(t: float) -> SimpleNamespace:
        info = SimpleNamespace(rank=None, compile_id="1/0", compile_time_s=t, phases=list, graph_break_reasons=[],
                               user_stack=[])  # fmt: skip
        return SimpleNamespace(compiles=[info])

    out = compare(a, b, times(1.0), times(1.5))
    assert [c.compile_id for c in out] == ["1/0", "0/0"] and isinstance(out[0], CompileChange)
    assert out[0].delta_s == 0.5 and out[1].delta_s is None


def test_a_failure_without_a_reason_is_its_type_alone_in_a_rank_s_sequence():
    from compileprof.profiler.analysis.divergence import sequences

    c = SimpleNamespace(co_name="f", co_filename="m.py", co_firstlineno=1, compile_id="0/0", attempt=0, cache={},
                        is_recompile=False, fail_type="TypeError", fail_reason=None, collectives=[])  # fmt: skip
    assert sequences(SimpleNamespace(compiles=[c], graphs=[]))["failures"].head == ["TypeError"]


def test_a_sequence_tallies_its_first_head_distinct_items_and_keeps_counting_them():
    from compileprof.profiler.analysis.divergence import HEAD

    seq = _sequence(*(f"i{i}" for i in range(HEAD + 5)), "i0")
    assert len(seq.tally) == HEAD and seq.tally["i0"] == 2 and "i1000" not in seq.tally and seq.count == HEAD + 6


def test_the_spread_needs_three_samples():
    from compileprof.profiler.analysis.noise import spread

    assert spread([1.0, 2.0]) is None
    assert abs(spread([1.0, 2.0, 4.0]) - 1.4826 * 1.0 / 2.0) < 1e-12
    assert spread([0.0, 0.0, 1.0]) is None


def test_the_asserts_measurement_keeps_the_machine_s_load_and_cpus():
    raw = {"samples_on_s": [1.1] * 6, "samples_off_s": [1.0] * 6, "rounds": 6, "calls_per_round": 20,
           "load": [0.5, 0.7], "cpus": 2}  # fmt: skip
    m = assert_measurement(raw, [], [])
    assert (m["load"], m["cpus"]) == ([0.5, 0.7], 2)


def test_a_rank_whose_sequence_ends_early_says_end_where_the_others_go_on():
    from compileprof.profiler.analysis.divergence import _first_difference

    short, long = _sequence("f a.py:1", "g a.py:2"), _sequence("f a.py:1", "g a.py:2", "h a.py:3")
    assert _first_difference(short, long, [0, 1, 2]) == "#3: end (h a.py:3 on ranks 0-2)"
    assert _first_difference(long, short, [4]) == "#3: h a.py:3 (end on rank 4)"


def test_sequences_equal_in_their_first_head_items_say_so_and_how_many():
    from compileprof.profiler.analysis.divergence import HEAD, _first_difference

    same = [f"f{i}" for i in range(HEAD)]
    a, b = _sequence(*same, "x"), _sequence(*same, "y")
    assert _first_difference(a, b, [0]) == f"the same first {HEAD} items, then different"


def _lookup(n: int) -> Lookup:
    return Lookup("fx", "miss", f"0/{n}", None, f"k{n}")


def test_the_closest_lookup_is_the_earliest_of_those_sharing_the_most_components():
    from compileprof.profiler.analysis.cache_explain import _Nearest

    nearest, first, second, third = _Nearest(), _lookup(1), _lookup(2), _lookup(3)
    nearest.add(first, frozenset({("a", "1"), ("b", "9")}))
    nearest.add(second, frozenset({("a", "1"), ("b", "2")}))
    nearest.add(third, frozenset({("a", "1"), ("c", "2")}))
    assert nearest.closest(frozenset({("a", "1"), ("b", "2"), ("c", "2")})) is second  # ties: the earliest
    assert nearest.closest(frozenset({("a", "1")})) is first
    nearest.add(_lookup(4), frozenset({("a", "1"), ("b", "9")}))  # a set seen before is not kept again
    assert len(nearest.firsts) == 3


def test_only_the_latest_nearest_component_sets_are_compared_with_a_miss():
    from compileprof.profiler.analysis.cache_explain import NEAREST, _Nearest

    nearest, old = _Nearest(), _lookup(0)
    nearest.add(old, frozenset({("a", "1"), ("b", "2")}))  # the best match, but NEAREST sets ago
    for n in range(1, NEAREST + 1):
        nearest.add(_lookup(n), frozenset({("a", "1"), ("n", str(n))}))
    got = nearest.closest(frozenset({("a", "1"), ("b", "2")}))
    assert got is nearest.firsts[1] and got.key == "k1"


def test_fields_split_at_commas_with_or_without_a_space_after_them():
    from compileprof.profiler.analysis.cache_explain import _field_changes, _fields

    assert _fields("f(a=1,b=(2,3),c=4)") == ["a=1", "b=(2,3)", "c=4"]
    assert _field_changes("f(a=1,b=2)", "f(a=1,b=3)") == [("b=2", "b=3")]


def test_exactly_max_rows_rows_are_shown_whole():
    a = "\n".join(f"a{i}" for i in range(MAX_ROWS))
    b = "\n".join(f"b{i}" for i in range(MAX_ROWS))
    rows = side_by_side(a, b)
    assert len(rows) == MAX_ROWS and rows[-1] == ("~", f"a{MAX_ROWS - 1}", f"b{MAX_ROWS - 1}")


def test_compile_attempts_are_seen_through_and_their_siblings_kept_as_they_are():
    from compileprof.profiler.analysis.graph_diff import _through_attempts

    leaf = {"name": "compile_file", "total_s": 0.5, "children": []}
    nodes = [
        {"name": "compile_attempt_0", "total_s": 1.0, "children": [{"name": "trace", "total_s": 1.0, "children": []}]},
        {"name": "compile_attempt_1", "total_s": 2.0, "children": [{"name": "trace", "total_s": 2.0, "children": []}]},
        {"name": "backend_compile", "total_s": 3.0, "children": [leaf]},
    ]
    assert _through_attempts(nodes) == [
        {"name": "trace", "total_s": 3.0, "children": []},
        {"name": "backend_compile", "total_s": 3.0, "children": [leaf]},
    ]


def test_nodes_only_inserted_are_counted_as_added():
    assert line_changes("x = torch.sin(a)", "x = torch.sin(a)\ny = torch.cos(x)\nz = torch.tan(y)") == (2, 0, 0)
    assert line_changes("x = torch.sin(a)\ny = torch.cos(x)", "x = torch.sin(a)") == (0, 1, 0)


def test_a_graph_change_names_the_inputs_that_changed():
    a = Graph("aot_forward", "1", 1, Counter(), [("x", "f32[8]")], zlib.compress(b"x = torch.sin(a)"))
    b = Graph("aot_forward", "2", 1, Counter(), [("x", "f32[16]")], zlib.compress(b"x = torch.sin(a)"))
    assert graph_change("aot_forward", a, b, False).inputs == ["input 0 (x): f32[8] -> f32[16]"]
    assert graph_change("aot_forward", None, b, False).inputs == []


def test_a_new_graph_break_without_a_user_stack_is_said_without_a_line():
    from compileprof.profiler.analysis.graph_diff import _new_breaks

    a = SimpleNamespace(graph_break_reasons=["old"], user_stack=[])
    b = SimpleNamespace(graph_break_reasons=["old", "Unsupported: print"], user_stack=[])
    assert _new_breaks(a, b) == "a new graph break: Unsupported: print"
    b.user_stack = ["m.py:3 in forward"]
    assert _new_breaks(a, b) == "a new graph break at m.py:3 in forward: Unsupported: print"
    assert _new_breaks(b, a) is None and _new_breaks(None, b) is None


def test_an_item_of_exactly_the_width_is_shown_whole():
    from compileprof.profiler.analysis.divergence import _short

    assert _short("x" * 60) == "x" * 60 and _short("x" * 61) == "x" * 59 + "…"
    assert _short("y" * 80, 80) == "y" * 80


def test_the_measuring_compiles_add_up_their_times_leaving_out_unknown_ones():
    from compileprof.profiler.analysis.combine import measured

    compiles = [SimpleNamespace(variant="asserts_on", compile_time_s=2.0), SimpleNamespace(variant="asserts_on",
                compile_time_s=None), SimpleNamespace(variant=None, compile_time_s=0.5)]  # fmt: skip
    m = measured(SimpleNamespace(measure_compiles=compiles, measure_graphs=[1, 2, 3]))
    assert (m.variants, m.compile_time_s, m.graphs) == ({"asserts_on": 2, "?": 1}, 2.5, 3)
    assert measured(SimpleNamespace(measure_compiles=[], measure_graphs=[])) is None
