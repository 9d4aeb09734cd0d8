"""Size and time of the HTML report of a large log, beside the JSON report of the same log, and how
long the page takes to open in headless Chromium (when Playwright and Chromium are installed).

    python benchmarks/pictures.py [--mb 1000] [--repeat 2]

The log is ../shared/traces' logs repeated to --mb MB (as in report_speed.py). Not part of the tests.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_speed import OURS, SOURCES, best_of, build_log


def open_seconds(page_path: Path) -> float | None:
    """Seconds from navigation to the flame chart drawn, in headless Chromium (None without it)."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        start = time.perf_counter()
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("rect.flame-rect")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "shared.log"
        build_log(log, SOURCES["shared.log"], args.mb)
        mb = log.stat().st_size / 1e6
        rows = []
        for fmt in ("json", "html"):
            out = Path(tmp) / f"report.{fmt}"
            wall, rss = best_of([*OURS, str(log), "-f", fmt, "-o", str(out), "--force"], args.repeat)
            rows.append((fmt, wall, rss, out.stat().st_size / 1e6))
        print(f"\n{mb:.0f} MB log (../shared/traces repeated)\n")
        print("| format | wall | peak RSS | output |")
        print("|---|---|---|---|")
        for fmt, wall, rss, size in rows:
            print(f"| {fmt} | {wall:.2f} s | {rss:.0f} MB | {size:.1f} MB |")
        print(f"\nhtml / json time: {rows[1][1] / rows[0][1]:.2f}x")
        opened = open_seconds(Path(tmp) / "report.html")
        print("page opened and drawn in Chromium: " + (f"{opened:.2f} s" if opened is not None else "(no Chromium)"))


if __name__ == "__main__":
    main()
