// The lowest contrast ratios (WCAG 2) of the page's text against what is under it, worst first:
// SVG text against the rectangle it sits on, table cells, notes, banners and changes against their
// nearest background. Run by tests/e2e/test_browser.py.
() => {
  const lum = (rgb) => { const c = rgb.match(/\d+/g).slice(0, 3).map(Number).map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)); return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const worst = [];
  for (const t of document.querySelectorAll("svg text")) {
    const under = [...t.parentNode.querySelectorAll("rect")].filter(r => { const x = +r.getAttribute("x"), y = +r.getAttribute("y");
      return +t.getAttribute("x") >= x && +t.getAttribute("x") <= x + +r.getAttribute("width") && +t.getAttribute("y") >= y && +t.getAttribute("y") <= y + +r.getAttribute("height"); }).pop();
    const bg = under ? getComputedStyle(under).fill : getComputedStyle(document.body).backgroundColor;
    worst.push([ratio(getComputedStyle(t).fill, bg), t.textContent]);
  }
  for (const e of document.querySelectorAll(".chg.worse, .chg.better, .banner, .warn, td, .note")) {
    let bg = "rgba(0, 0, 0, 0)", n = e;
    while (n && (bg === "rgba(0, 0, 0, 0)" || bg === "transparent")) { bg = getComputedStyle(n).backgroundColor; n = n.parentElement; }
    if (bg === "rgba(0, 0, 0, 0)") bg = getComputedStyle(document.body).backgroundColor;
    worst.push([ratio(getComputedStyle(e).color, bg), e.className + ": " + e.textContent.slice(0, 30)]);
  }
  return worst.sort((a, b) => a[0] - b[0]).slice(0, 3);
}
