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
    fills = {rects.nth(i).get_attribute("fill") for i in range(rects.count())}
    assert any("--slow" in f for f in fills) and any("--fast" in f for f in fills)
    rects.first.hover()
    assert "change" in page.locator("#tip").inner_text()
    assert page.locator("#metrics tbody tr").count() > 3
    shoot(page, tmp_path, "diff.png")
    assert errors == []


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
