"""The HTML pages in a real browser: headless Chromium (Debian's), driven by Playwright, the page opened
from disk with the network off. Fails on any console error; checks the charts drew, a tooltip shows
on hover and zooming changes the range; saves screenshots (README's pictures come from here).

Run with the rest of the slow tests; skipped (with the reason) where Chromium or Playwright is missing.
`COMPILEPROF_SCREENSHOTS=DIR` also writes the screenshots there.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from compileprof.profiler.build import build_report
from conftest import FIXTURES, event, record_line, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, path: Path, width: int = 1280, scheme: str = "light"):
    """The page from disk, offline, with every console error, page error and dialog collected."""
    context = browser.new_context(viewport={"width": width, "height": 900}, offline=True, color_scheme=scheme)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))  # a script that was not ours
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("rect.flame-rect")
    return page, errors


def shoot(page, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    page.mouse.move(0, 0)  # no tooltip over the picture
    page.wait_for_timeout(50)
    page.screenshot(path=str(out), full_page=False)
    keep = os.environ.get("COMPILEPROF_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / name)
    return out


def test_report_page_draws_and_responds(browser, tmp_path):
    html = tmp_path / "report.html"
    assert run_cli("report", str(FIXTURES / "ranks2"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    # the charts drew: one timeline bar per compile (both ranks), flame rectangles, the tables
    expected = [(c.rank, c.compile_id) for c in build_report(FIXTURES / "ranks2").compiles]
    drawn = page.locator("#timeline rect[data-name^='compile ']")
    assert drawn.count() == len(expected) == 4
    assert {drawn.nth(i).get_attribute("data-compile") for i in range(4)} == {cid for _, cid in expected}
    assert page.locator("#flame rect.flame-rect").count() > 20
    assert page.locator("#compiles tbody tr").count() == 4
    # the kernel-compile work of no compile is on each rank's lowest row (3 compile_file spans)
    assert page.locator("#timeline rect[data-compile^='none (background']").count() == 3
    # hovering a compile shows its tooltip
    page.locator("#timeline rect[data-name^='compile ']").first.hover()
    tip = page.locator("#tip")
    assert tip.is_visible() and "duration" in tip.inner_text() and "compile" in tip.inner_text()
    # zooming in narrows the visible range
    before = float(page.locator("#timeline svg").get_attribute("data-v1")) - float(
        page.locator("#timeline svg").get_attribute("data-v0")
    )
    page.get_by_role("button", name="zoom in").click()
    after = float(page.locator("#timeline svg").get_attribute("data-v1")) - float(
        page.locator("#timeline svg").get_attribute("data-v0")
    )
    assert after == pytest.approx(before / 2)
    # clicking a flame rectangle zooms into it; the search box highlights
    page.locator("#flame rect.flame-rect[data-name='dynamo']").first.click()
    assert "zoomed into dynamo" in page.locator("#flame").inner_text()
    page.locator("#flame input[type=search]").fill("inductor")
    assert page.locator("#flame rect.hit").count() > 0
    page.get_by_role("button", name="reset").click()
    page.locator("#flame input[type=search]").fill("")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, tmp_path, "report.png")
    assert errors == []


def test_report_page_fits_a_phone(browser, tmp_path):
    html = tmp_path / "report.html"
    assert run_cli("report", str(FIXTURES / "graph_break.log"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html, width=390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#timeline rect[data-name^='compile ']").count() == 4 and errors == []


def test_diff_page_draws_the_differential_flame_chart(browser, tmp_path):
    # the cold and the warm child of a real run: what the warm cache saved, phase by phase
    html = tmp_path / "diff.html"
    cold, warm = FIXTURES / "run_mlp" / "cold" / "trace", FIXTURES / "run_mlp" / "warm" / "trace"
    result = run_cli("diff", str(cold), str(warm), "-o", str(html))
    assert result.exit_code == 0
    page, errors = open_page(browser, html)
    rects = page.locator("#flame rect.flame-rect")
    assert rects.count() > 10
    # one sample a side: no change is known to be real, so none is coloured (a loaded machine's 28%
    # "speed-up" is not painted blue); the exact counts that changed are
    assert set(fills(page)) == {GREY}
    assert page.locator("#metrics .chg.worse, #metrics .chg.better").count() == changed_counts(html)
    rects.first.hover()
    tip = page.locator("#tip").inner_text()
    assert "change" in tip and "A " in tip and "B " in tip and "not tested" in tip
    page.locator("#all-changes").check()  # asked for: untested changes coloured too
    assert len(set(fills(page))) > 3
    assert page.locator("#metrics tbody tr").count() > 3
    assert errors == []


GREY = "#d3d8e0"


def fills(page) -> list[str]:
    return page.locator("#flame rect.flame-rect").evaluate_all("rs => rs.map(r => r.getAttribute('fill'))")


def changed_counts(html: Path) -> int:
    """Rows of a diff page whose change is exact or significant (and not zero)."""
    data = json.loads(html.read_text().split('id="data">', 1)[1].split("</script>", 1)[0])
    return sum(r["evidence"] in ("exact", "significant") and r["change"] not in (None, 0) for r in data["rows"])


def repeated_run(root: Path, name: str, log: Path, repeats: int = 5) -> Path:
    """A run directory (tests/fixtures/run_mlp's manifest) whose cold series is `repeats` copies of `log`."""
    run = root / name
    run.mkdir()
    manifest = json.loads((FIXTURES / "run_mlp" / "manifest.json").read_text())
    base = manifest["children"]["cold"]
    manifest["children"] = {}
    for i in range(repeats):
        label = "cold" if i == 0 else f"cold{i + 1}"
        (run / label / "trace").mkdir(parents=True)
        shutil.copy(log, run / label / "trace" / "dedicated_log_torch_trace_a.log")
        manifest["children"][label] = {**base, "directory": label, "trace": f"{label}/trace"}
    manifest.update(cache="cold", primary="cold", repeat=repeats, measure=[])
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def test_the_diff_page_colours_a_change_once_the_samples_show_it(browser, tmp_path, monkeypatch):
    # five repeats a side, each side's compiles alike: every phase's change is significant
    repeated_run(tmp_path, "a", FIXTURES / "train_cold.log")
    repeated_run(tmp_path, "b", FIXTURES / "train_warm.log")
    html = tmp_path / "diff.html"
    monkeypatch.chdir(tmp_path)  # the page names A and B as given: short
    assert run_cli("diff", "a", "b", "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    coloured = [f for f in fills(page) if f != GREY]
    assert coloured and all(f.startswith("#") and len(f) == 7 for f in coloured)
    row = page.locator("#metrics tbody tr", has_text="phase.backend_compile")
    assert row.locator(".chg.better").count() == 1 and "p = 0.00" in row.inner_text()  # significant at 0.01
    shoot(page, tmp_path, "diff.png")
    assert errors == []


def test_the_report_page_answers_first_and_marks_diverging_ranks(browser, tmp_path):
    html = tmp_path / "report.html"
    assert run_cli("report", str(FIXTURES / "ranks2"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    banner = page.locator("#divergence-banner")
    assert banner.is_visible() and "Ranks diverged" in banner.inner_text()
    top = page.evaluate("document.querySelector('#divergence-banner').getBoundingClientRect().top")
    assert top < 200  # at the top of the page, above the fold
    answers = page.locator("#answers").inner_text()
    report = build_report(FIXTURES / "ranks2")
    first = report.spends[0]
    assert first.name in answers and "Slowest compile" in answers and f"rank {report.skew.slowest_rank}" in answers
    bottom = page.evaluate("document.querySelector('#answers').getBoundingClientRect().bottom")
    assert bottom < 900  # every answer above the fold at 1280 x 900
    single = tmp_path / "one.html"
    assert run_cli("report", str(FIXTURES / "mlp.log"), "-o", str(single)).exit_code == 0
    page2, errors2 = open_page(browser, single)
    assert page2.locator("#divergence-banner").count() == 0 and errors == errors2 == []


def test_the_timeline_zooms_around_the_pointer_and_never_leaves_the_data(browser, tmp_path):
    html = tmp_path / "report.html"
    assert run_cli("report", str(FIXTURES / "graph_break.log"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    svg = page.locator("#timeline svg")
    view = lambda: (float(svg.get_attribute("data-v0")), float(svg.get_attribute("data-v1")))  # noqa: E731
    box = page.locator("#timeline .chart").bounding_box()
    at = 0.7  # the pointer 70% across
    v0, v1 = view()
    page.mouse.move(box["x"] + at * box["width"], box["y"] + 60)
    for _ in range(3):
        page.mouse.wheel(0, -100)  # zoom in
        page.wait_for_timeout(30)
    w0, w1 = view()
    assert w1 - w0 < (v1 - v0) / 1.5
    fixed = (w0 - v0) / ((v1 - v0) - (w1 - w0))  # where across the chart the one unmoved point is
    assert fixed == pytest.approx(at, abs=2 / box["width"])  # under the pointer (to a pixel)
    for _ in range(8):
        page.mouse.wheel(0, 100)  # zoom far out: the whole log, never past it
        page.wait_for_timeout(30)
    assert view() == pytest.approx((v0, v1))
    shown = page.locator("#range").inner_text()  # "showing 0 s to 12.3 s of 12.3 s"
    assert shown.split(" to ")[1].split(" of ")[0] == shown.split(" of ")[1]
    # ticks label the axis
    assert page.locator("#timeline line.tick").count() >= 3
    assert errors == []


def test_one_compile_s_flame_is_drawn_at_full_depth(browser, tmp_path):
    html = tmp_path / "report.html"
    assert run_cli("report", str(FIXTURES / "mlp.log"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    page.locator("#flame select").select_option(index=1)  # the first compile on its own
    assert "(rank" not in page.locator("#flame select option").nth(1).inner_text()  # no rank in a one-log page
    page.locator("#flame input[type=search]").fill("compile_file")  # 11 levels down in torch's span tree
    assert page.locator("#flame rect.hit").count() >= 1
    found = page.locator("#flame [data-role=found]").inner_text()
    hits = page.locator("#flame rect.hit").count()
    assert found == f"{hits} match{'' if hits == 1 else 'es'}"
    ys = "[...document.querySelectorAll('#flame rect.flame-rect')].map(r => +r.getAttribute('y'))"
    depth = page.evaluate(f"Math.max(...{ys})")
    height = float(page.locator("#flame svg").get_attribute("height"))
    assert depth / 18 >= 10 and height == depth + 18  # as tall as what is drawn
    legend = page.locator("#flame .legend").inner_text()
    assert "Dynamo" in legend and "native compile" in legend and "code generation" in legend
    assert errors == []


def test_export_and_run_sections_are_drawn(browser, tmp_path):
    html = tmp_path / "export.html"
    assert run_cli("report", str(FIXTURES / "export_fail.log"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    text = page.locator("#exports").inner_text()
    assert "1 failed" in text and "data-dependent guard" in text
    run = tmp_path / "run.html"
    assert run_cli("report", str(FIXTURES / "run_mlp"), "-o", str(run)).exit_code == 0
    page2, errors2 = open_page(browser, run)
    section = page2.locator("#run").inner_text()
    assert "compiled output matches eager" in section and "compile step" in section
    assert page2.locator("#run table").nth(1).locator("tbody tr").count() == 2  # cold and warm children
    assert "Cold and warm Inductor cache" in section
    assert "asserts" in page2.locator("#measurements").inner_text().lower()
    page2.locator("#run").scroll_into_view_if_needed()
    shoot(page2, tmp_path, "run.png")
    assert errors == errors2 == []


CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_on_the_pages_has_a_contrast_of_4_5_to_1(browser, tmp_path, scheme):
    pages = [("report", FIXTURES / "ranks2"), ("run", FIXTURES / "run_mlp")]
    for name, source in pages:
        html = tmp_path / f"{name}.html"
        assert run_cli("report", str(source), "-o", str(html)).exit_code == 0
        page, errors = open_page(browser, html, scheme=scheme)
        page.locator("#flame input[type=search]").fill("code")  # highlighted rectangles too
        worst = page.evaluate(CONTRAST_JS)
        assert worst[0][0] >= 4.5 and errors == [], worst
    a = repeated_run(tmp_path, "a", FIXTURES / "train_cold.log")
    b = repeated_run(tmp_path, "b", FIXTURES / "train_warm.log")
    diff = tmp_path / "diff.html"
    assert run_cli("diff", str(a), str(b), "-o", str(diff)).exit_code == 0
    page, _ = open_page(browser, diff, scheme=scheme)
    worst = page.evaluate(CONTRAST_JS)
    assert worst[0][0] >= 4.5, worst


def test_run_page_shows_pieces_measurements_and_assert_lines(browser, tmp_path):
    html = tmp_path / "run.html"
    assert run_cli("report", str(FIXTURES / "run_mlp"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    assert page.locator("#pieces tbody tr").count() == 3
    # the asserts A/B measurement: its 95% interval drawn as a bar
    assert page.locator("#measurements .ci span").count() == 1
    assert "95% CI" in page.locator("#measurements").inner_text()
    # a graph's assert lines show on expand
    page.locator("#overhead details summary").first.click()
    assert "assert_size_stride(" in page.locator("#overhead details pre").first.inner_text()
    assert errors == []


def drawn_nodes(node: dict, width: float) -> int:
    """Rectangles the icicle draws for `node` at `width` px: the page's rule (a node under half a pixel
    is not drawn; children share their parent's width, scaled down when together they exceed it)."""
    if width < 0.5:
        return 0
    base = max(node["total_s"], sum(c["total_s"] for c in node["children"])) or 1e-12
    return 1 + sum(drawn_nodes(c, width * c["total_s"] / base) for c in node["children"])


def test_flame_rectangles_are_the_phase_tree_and_dark_mode_follows_the_viewer(browser, tmp_path):
    html = tmp_path / "report.html"
    assert run_cli("report", str(FIXTURES / "graph_break.log"), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html, scheme="dark")
    text = html.read_text()
    data = json.loads(text.split('id="data">', 1)[1].split("</script>", 1)[0])
    width = float(page.locator("#flame svg").get_attribute("width"))
    assert page.locator("#flame rect.flame-rect").count() == drawn_nodes(data["flame"], width)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 29)" and errors == []  # the dark palette's --bg


def test_ranks_whose_clocks_are_days_apart_are_each_drawn_from_their_own_start(browser, tmp_path):
    # GIVEN two rank logs of one compile each (1 s long), recorded 30 days apart
    logs = tmp_path / "logs"
    logs.mkdir()
    for rank, t0 in ((0, 1.0e15), (1, 1.0e15 + 30 * 86400e6)):
        metrics = {"co_name": "f", "entire_frame_compile_time_s": 1.0}
        (logs / f"dedicated_log_torch_trace_rank_{rank}.log").write_text(
            event("dynamo", "B", t0) + event("dynamo", "E", t0 + 1e6)
            + record_line("compilation_metrics", metrics, frame_id=0, frame_compile_id=0)
        )  # fmt: skip
    html = tmp_path / "r.html"
    assert run_cli("report", str(logs), "-o", str(html)).exit_code == 0
    page, errors = open_page(browser, html)
    # THEN the page says so and both compiles are drawn wide, not as dots 30 days apart
    assert "clocks are 30 days apart" in page.locator("#timeline").inner_text()
    widths = [
        float(w)
        for w in page.locator("#timeline rect[data-name^='compile ']").evaluate_all(
            "rs => rs.map(r => r.getAttribute('width'))"
        )
    ]
    assert len(widths) == 2 and min(widths) > 500 and errors == []


def test_a_page_of_hostile_strings_draws_every_section_and_shows_them_as_text(browser, tmp_path):
    # GIVEN a log whose names, reasons, guards and file names would end the data script, open an HTML
    # comment in it, or inject an image with a script (see tests/unit/test_publish.py)
    from fuzz.hostile import NAMES, hostile_log

    log = hostile_log(tmp_path / "dedicated_log_torch_trace_x.log")
    for name, args in (("r.html", ["report", str(log)]), ("d.html", ["diff", str(log), str(log)])):
        html = tmp_path / name
        assert run_cli(*args, "-o", str(html)).exit_code == 0
        page, errors = open_page(browser, html)
        # THEN the page drew (its flame chart and tables), no script of the log's ran, no image loaded
        assert page.locator("#flame rect.flame-rect").count() > 3
        assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
        page.mouse.move(5, 5)
        page.wait_for_timeout(100)
        assert errors == []
        if name == "r.html":
            assert page.locator("#compiles tbody tr").count() == len(NAMES)
            text = page.locator("main").inner_text()
            assert "<!--<script>alert(1)</script>" in text and "<img src=x onerror=alert(3)>" in text
