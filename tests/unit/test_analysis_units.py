"""The analysis wing's small decisions at their boundaries, with exact values: sums over compiles with
missing times, cache explanations of identical and long components, paired comparisons at the fewest
pairs, noise sentences, masked addresses, and why a compile only one run has happened."""

from __future__ import annotations

from compileprof.profiler.analysis.ab import MIN_PAIRS, paired
from compileprof.profiler.analysis.cache_explain import change_text, within
from compileprof.profiler.analysis.graph_diff import _why, graph_change
from compileprof.profiler.analysis.noise import noise_warning
from compileprof.profiler.analysis.summary import summarize_compiles
from compileprof.profiler.model.cache_keys import Change, Lookup
from compileprof.profiler.model.compile import CompileInfo
from compileprof.profiler.model.graphs import Graph


def _info(cid: str, seconds: float | None, restarts: list[str] | None = None) -> CompileInfo:
    return CompileInfo(cid, 0, None, "f", "m.py", 1, seconds, None, None, None, None, None, None,
                       restarts or [], None, {}, {}, None)  # fmt: skip


def test_a_compile_without_a_time_adds_nothing_to_the_sum_and_restarts_are_notes_of_their_kind():
    s = summarize_compiles([_info("0/0", 2.5), _info("1/0", None, ["Graph break: x\nmore"])], {})
    assert s.compile_time_s == 2.5 and s.compiles == 2
    assert [(n.compile_id, n.kind, n.reason) for n in s.restarts] == [("1/0", "restart", "Graph break: x")]


def _lookup(state: str, **components: str) -> Lookup:
    return Lookup("fx", state, "0/0", None, "k", {n: (h, f"value {h}") for n, h in components.items()})


def test_a_miss_like_an_earlier_lookup_in_all_but_one_component_is_explained_and_an_identical_one_is_not():
    first = _lookup("hit", gm="g1", cfg="c1")
    same = _lookup("miss", gm="g1", cfg="c1")  # identical components: nothing to say about it
    changed = _lookup("miss", gm="g1", cfg="c2")
    found = within([first, same, changed])
    assert [(e.miss is changed, [c.name for c in e.changes]) for e in found] == [(True, ["cfg"])]


def test_a_long_change_shows_its_first_lines_and_counts_the_rest_only_past_the_limit():
    a = "\n".join(f"line {i}" for i in range(20))
    b = a.replace("line 3", "LINE 3")
    text = change_text(Change("gm", "changed", a, b), lines=5)  # 5 diff lines exactly: nothing more to say
    assert "more lines" not in text and "-line 3" in text and "+LINE 3" in text and " line 4" in text
    assert change_text(Change("gm", "changed", a, b), lines=4).endswith("... 1 more lines")


def test_a_paired_comparison_is_enough_from_exactly_min_pairs_rounds():
    on, off = [1.0 + i * 0.01 for i in range(MIN_PAIRS)], [0.5 + i * 0.01 for i in range(MIN_PAIRS)]
    assert paired(on, off).enough and not paired(on[:-1], off[:-1]).enough
    assert paired(on, off).significant and paired(on, off).delta == 0.5


def test_a_noise_sentence_joins_its_reasons_with_semicolons():
    text = noise_warning([[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]], [9.0, 9.0, 9.0], 2)
    assert text is not None and text.startswith("Noisy: the machine was busy (load average 9.0 on 2 CPUs")
    assert "this measurement included); repeated calls varied by" in text
    assert noise_warning([[1.0, 1.0, 1.0]], None, 2) is None and noise_warning([[1.0] * 3], [9.0], None) is None


def test_a_compile_only_one_run_has_that_resumes_after_a_break_names_its_function_and_line():
    assert _why(None, "torch_dynamo_resume_in_forward_at_15") == "the rest of forward after a graph break at line 15"
    assert _why(None, "forward") is None


def test_a_graph_only_in_a_counts_its_nodes_as_removed_when_its_code_was_not_kept():
    a = Graph("dynamo_output_graph", "d", 7)  # text None: past the byte budget
    change = graph_change("dynamo_output_graph", a, None, False)
    assert (change.kind, change.nodes_a, change.nodes_b, change.added, change.removed) == (
        "dynamo_output_graph", 7, 0, 0, 7)  # fmt: skip
    b = Graph("dynamo_output_graph", "e", 9)
    grown = graph_change("dynamo_output_graph#2", a, b, False)
    assert (grown.kind, grown.added, grown.removed) == ("dynamo_output_graph#2", 2, 0)
