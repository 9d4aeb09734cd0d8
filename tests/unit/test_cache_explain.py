"""Why a cache lookup missed, on hand-built key components: changed, added, removed, reordered,
unstable; grouped; within one run."""

from __future__ import annotations

from compileprof.profiler.analysis.cache_explain import change_text, diff_components, explain, groups, within
from compileprof.profiler.fold.cache_keys import _components
from compileprof.profiler.model.cache_keys import Lookup


def lookup(cid: str, state: str, comps: dict[str, str], cache: str = "fx") -> Lookup:
    parts = [f"[{'h' + str(abs(hash(v)) % 10**8)}] {n}: {v}" for n, v in comps.items()]
    return Lookup(cache, state, cid, None, "k" + str(abs(hash(tuple(parts))) % 10**8), _components(parts))


BASE = {"gm": "def forward(x):\n    return x + 1\n", "example_inputs[0]": "shape=[2, 16]",
        "inductor_config[size_asserts]": "True", "torch_version": "2.13"}  # fmt: skip


def test_changed_added_removed_and_reordered_components():
    a = lookup("0/0", "hit", BASE)
    reordered = dict(reversed(list(BASE.items())))
    assert diff_components(a, lookup("0/0", "miss", reordered)) == []  # order is not a difference
    b = {**BASE, "inductor_config[size_asserts]": "False", "custom_pass": "MyPass"}
    del b["torch_version"]
    changes = {(c.name, c.kind, c.a, c.b) for c in diff_components(a, lookup("0/0", "miss", b))}
    assert changes == {
        ("inductor_config[size_asserts]", "changed", "True", "False"),
        ("custom_pass", "added", None, "MyPass"),
        ("torch_version", "removed", "2.13", None),
    }


def test_each_miss_is_matched_to_the_same_compile_and_grouped_by_cause():
    a = [lookup("0/0", "miss", BASE), lookup("1/0", "miss", {**BASE, "gm": "def g(): pass"})]
    b = [lookup(c.compile_id, "miss", {**BASE, **({"gm": "def g(): pass"} if c.compile_id == "1/0" else {}),
                                       "inductor_config[size_asserts]": "False"}) for c in a]  # fmt: skip
    out = explain(a, b)
    assert [e.how for e in out] == ["same compile in A", "same compile in A"]
    ((cause, group),) = groups(out)
    assert cause == ("changed:inductor_config[size_asserts]",) and len(group) == 2
    assert change_text(group[0].changes[0]) == "`inductor_config[size_asserts]`: True -> False"


def test_a_graph_no_compile_of_a_matches_finds_the_closest():
    a = [lookup("5/0", "miss", {**BASE, "gm": "other"}), lookup("6/0", "miss", BASE)]
    (e,) = explain(a, [lookup("9/0", "miss", {**BASE, "example_inputs[0]": "shape=[4, 16]"})])
    assert e.how == "closest graph in A" and e.counterpart.compile_id == "6/0"
    assert [c.name for c in e.changes] == ["example_inputs[0]"]


def test_a_long_value_is_shown_as_a_diff_and_an_address_is_called_unstable():
    a = lookup("0/0", "hit", {**BASE, "gm": "def f(x):\n" + "    y = x\n" * 20 + "    return y\n"})
    b = lookup("0/0", "miss", {**BASE, "gm": "def f(x):\n" + "    y = x\n" * 20 + "    return y * 2\n"})
    (c,) = diff_components(a, b)
    text = change_text(c)
    assert text.startswith("`gm` differs:") and "-    return y" in text and "+    return y * 2" in text
    a2 = lookup("0/0", "hit", {**BASE, "fx_kwargs[fn]": "<function f at 0x7f7005a67880>"})
    b2 = lookup("0/0", "miss", {**BASE, "fx_kwargs[fn]": "<function f at 0x7f11aa0c1d30>"})
    (u,) = diff_components(a2, b2)
    assert u.unstable == "a memory address" and "cache-key bug worth reporting upstream" in change_text(u)


def test_within_one_run_a_recompile_for_a_new_size_is_named():
    first = lookup("0/0", "miss", BASE)
    second = lookup("0/1", "miss", {**BASE, "example_inputs[0]": "shape=[4, 16]"})
    (e,) = within([first, second])
    assert e.counterpart is first and [(c.name, c.a, c.b) for c in e.changes] == [
        ("example_inputs[0]", "shape=[2, 16]", "shape=[4, 16]")
    ]


def test_components_that_are_not_components_are_skipped():
    assert _components(["[abc] name: value", "garbage", 5, None, "[x]"]) == {"name": ("abc", "value")}
    assert _components("not a list") == {}


def test_a_long_one_line_repr_shows_only_the_fields_that_differ():
    meta = "TensorMetadata(dtype=torch.float32, shape=torch.Size([{}, 16]), stride=(16, 1), device=device(type='cpu'))"
    a = lookup("0/0", "hit", {**BASE, "example_inputs[0]": meta.format(2) + " " * 100})
    b = lookup("0/0", "miss", {**BASE, "example_inputs[0]": meta.format(3) + " " * 100})
    (c,) = diff_components(a, b)
    assert change_text(c) == "`example_inputs[0]`: shape=torch.Size([2, 16]) -> shape=torch.Size([3, 16])"


def test_a_piecewise_miss_is_matched_to_the_same_piece_and_named_by_it():
    a = []
    for i in range(3):
        x = lookup("0/0", "miss", {**BASE, "gm": f"piece {i}"})
        x.piece = f"piece {i}, sizes 1.."
        a.append(x)
    b = lookup("0/0", "miss", {**BASE, "gm": "piece 2", "inductor_config[size_asserts]": "False"})
    b.piece = "piece 2, sizes 1.."
    (e,) = explain(a, [b])
    assert e.counterpart is a[2] and e.how == "same compile and piece in A"
    assert [c.name for c in e.changes] == ["inductor_config[size_asserts]"]
    assert e.miss.label == "fx 0/0 piece 2, sizes 1.." and e.to_dict()["piece"] == "piece 2, sizes 1.."
    assert within(a) == []  # different pieces are different graphs, not recompiles


def test_runs_of_several_children_are_compared_child_with_child(tmp_path):
    import json
    import shutil

    from conftest import FIXTURES, run_cli

    other = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_mlp", other)
    # WHEN two runs of cold and warm children are compared
    d = json.loads(run_cli("explain-cache", str(FIXTURES / "run_mlp"), str(other), "-f", "json").stdout)
    # THEN cold is compared with cold and warm with warm, never the children pooled
    assert [(p["label"], p["lookups_a"], p["lookups_b"], p["hits_b"]) for p in d["pairs"]] == [
        ("cold vs cold", 12, 12, 0), ("warm vs warm", 12, 12, 12)]  # fmt: skip
    assert all(m["same_key"] for m in d["pairs"][0]["misses"])  # the same keys: no config was blamed
    # AND a run against itself: the warm child against the cold child that filled the cache
    d = json.loads(run_cli("explain-cache", str(other), str(other), "-f", "json").stdout)
    assert [(p["label"], p["hits_b"], len(p["misses"])) for p in d["pairs"]] == [("cold vs warm", 12, 0)]
    text = run_cli("explain-cache", str(FIXTURES / "run_mlp"), str(other)).stdout
    assert "== cold vs cold ==" in text and "== warm vs warm ==" in text


def test_within_one_run_a_miss_differing_in_two_components_is_named_and_in_three_is_not():
    first = lookup("0/0", "miss", BASE)
    two = lookup("0/1", "miss", {**BASE, "example_inputs[0]": "shape=[4, 16]", "torch_version": "2.14"})
    (e,) = within([first, two])
    assert [c.name for c in e.changes] == ["example_inputs[0]", "torch_version"]
    three = lookup("0/2", "miss", {**BASE, "example_inputs[0]": "shape=[8, 16]", "torch_version": "2.15",
                                   "inductor_config[size_asserts]": "False"})  # fmt: skip
    assert within([first, three]) == []
