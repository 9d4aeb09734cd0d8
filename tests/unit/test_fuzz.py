"""A seeded short run of the structured fuzzer (tests/fuzz/generate.py): mutated logs, manifests and
baselines through the report, every renderer and the gate, without a crash. The long run is
`python benchmarks/fuzz.py --inputs 100000`."""

from __future__ import annotations

from fuzz.generate import fuzz


def test_short_fuzz_run_has_no_crash(tmp_path):
    outcome = fuzz(25, seed=20261129, work=tmp_path)
    assert outcome.inputs == 25
    assert outcome.crashes == [], outcome.crashes[0]
    assert outcome.refused > 0  # some damaged manifests and baselines were refused with a one-line error


def test_the_checks_catch_what_they_must():
    """The fuzzer checks most pages by the structural rule alone: it must catch each way a page breaks."""
    import pytest
    from compileprof.profiler.render.html_report import document
    from fuzz.validity import Unsafe, check_html, check_markdown

    good = document("report", "a < b", {"x": 1})
    assert check_html(good, full=False) == check_html(good) == {"kind": "report", "x": 1}
    broken = {
        "a title with markup": good.replace(b"a &lt; b", b"<!--<script>"),
        "data that swallows the drawing script": good.replace(b'{"kind"', b'<!--<script>{"kind"'),
        "a changed drawing script": good.replace(b"</script></body>", b"alert(1)</script></body>"),
        "a second script in the head": good.replace(b"<title>", b"<script>x</script><title>"),
    }
    for what, page in broken.items():
        assert page != good, what
        with pytest.raises(Unsafe):
            check_html(page, full=False)
        with pytest.raises(Unsafe):
            check_html(page)
    assert check_markdown("a `<b>` &lt;i&gt; | x") == "a <b> <i> | x\n"
    for md in ("<img src=x>", "[a](http://x)", "![i](x.png)", "<https://x>"):
        with pytest.raises(Unsafe):
            check_markdown(md)
