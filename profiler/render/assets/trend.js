// compileprof trend page: a chart per metric of each series over its commits. SVG, no libraries.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("data").textContent);
  const app = document.getElementById("app");
  const SVGNS = "http://www.w3.org/2000/svg";
  const tip = el("div", { id: "tip", role: "tooltip" });
  document.body.appendChild(tip);

  function el(tag, attrs, kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (k === "text") n.textContent = v; else n.setAttribute(k, v);
    for (const c of kids || []) if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    return n;
  }
  function svg(tag, attrs, text) {
    const n = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function secs(s) {
    const a = Math.abs(s);
    return a >= 1 ? s.toFixed(2) + " s" : a >= 1e-3 ? (s * 1e3).toFixed(1) + " ms" : (s * 1e6).toFixed(0) + " us";
  }
  function fmt(kind, v) { return kind === "count" ? String(v) : secs(v); }
  function showTip(ev, text) {
    tip.textContent = text; tip.style.display = "block";
    const x = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, x) + "px"; tip.style.top = (ev.clientY + 14) + "px";
  }
  function hideTip() { tip.style.display = "none"; }

  function chart(series, m, into) {
    const W = Math.max(320, Math.min(into.clientWidth || 900, 1100)), H = 190, L = 64, R = 12, T = 14, B = 34;
    const n = m.values.length;
    const lows = m.spread.map((s) => s[0]), highs = m.spread.map((s) => s[1]);
    let lo = Math.min(...lows, ...m.values), hi = Math.max(...highs, ...m.values);
    if (hi === lo) { hi += Math.abs(hi) * 0.05 || 1; lo -= Math.abs(lo) * 0.05 || 1; }
    const x = (i) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    const s = svg("svg", { width: W, height: H, role: "img", "aria-label": `${m.name} over ${n} commits`, class: "chart", "data-metric": m.name });
    for (const v of [lo, (lo + hi) / 2, hi]) {
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "var(--line)" }));
      s.appendChild(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(m.kind, m.kind === "count" ? Math.round(v) : v)));
    }
    for (const ch of series.environment_changes) {
      const i = series.commits.indexOf(m.commits[Math.min(ch.index, n - 1)]);
      if (i < 0) continue;
      const env = svg("line", { x1: x(i) - 3, x2: x(i) - 3, y1: T, y2: H - B, stroke: "var(--muted)", "stroke-dasharray": "2 3", class: "env-change" });
      env.addEventListener("mousemove", (ev) => showTip(ev, ch.what)); env.addEventListener("mouseleave", hideTip);
      s.appendChild(env);
    }
    for (const c of m.changes) {
      const cx = (x(c.index - 1) + x(c.index)) / 2;
      s.appendChild(svg("line", { x1: cx, x2: cx, y1: T, y2: H - B, stroke: "rgb(var(--slow))", "stroke-width": 2, class: "change-point", "data-commit": c.commit }));
      const rel = c.relative === null ? "" : ` ${(c.relative * 100).toFixed(1)}%`;
      s.appendChild(svg("text", { x: cx + 4, y: T + 10 }, `${c.commit.slice(0, 8)}${rel}`));
    }
    const path = m.values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    s.appendChild(svg("path", { d: path, fill: "none", stroke: "var(--accent)", "stroke-width": 1.5 }));
    m.values.forEach((v, i) => {
      if (m.spread[i][1] > m.spread[i][0]) s.appendChild(svg("line", { x1: x(i), x2: x(i), y1: y(m.spread[i][0]), y2: y(m.spread[i][1]), stroke: "var(--accent)", opacity: 0.5, class: "spread" }));
      const dot = svg("circle", { cx: x(i), cy: y(v), r: 3.5, fill: "var(--accent)", class: "point", "data-commit": m.commits[i], tabindex: 0 });
      const text = `commit ${m.commits[i]}\n${m.name}: ${fmt(m.kind, v)}` + (m.spread[i][1] > m.spread[i][0] ? `\nsamples ${fmt(m.kind, m.spread[i][0])} to ${fmt(m.kind, m.spread[i][1])}` : "");
      dot.addEventListener("mousemove", (ev) => showTip(ev, text)); dot.addEventListener("mouseleave", hideTip);
      dot.addEventListener("focus", () => { document.getElementById("status").textContent = text.replace(/\n/g, "  "); });
      s.appendChild(dot);
    });
    const step = Math.max(1, Math.ceil(n / Math.floor((W - L - R) / 70)));
    for (let i = 0; i < n; i += step) s.appendChild(svg("text", { x: x(i), y: H - B + 16, "text-anchor": "middle" }, m.commits[i].slice(0, 7)));
    into.appendChild(s);
  }

  app.appendChild(el("h1", { text: "compileprof history" }));
  app.appendChild(el("p", { class: "note", text: "Each chart: a metric of one series (one machine, model and options) over the commits recorded, oldest on the left. Red lines: change points (every change of a count; E-Divisive means for times), with the first commit after them. Dashed grey: a torch, python or compileprof version changed. A vertical stroke at a point: the spread of its samples." }));
  app.appendChild(el("div", { id: "status", class: "note", "aria-live": "polite" }));
  if (!D.series.length) app.appendChild(el("p", { text: "The history holds no point that matches." }));
  for (const series of D.series) {
    const sec = el("section", { class: "series" });
    sec.appendChild(el("h2", { text: `${series.model} on ${series.machine_text}` + (series.branch ? `, branch ${series.branch}` : "") }));
    sec.appendChild(el("p", { class: "note", text: `${series.commits.length} points, commits ${series.commits[0].slice(0, 10)} to ${series.commits[series.commits.length - 1].slice(0, 10)}` }));
    app.appendChild(sec);
    // metrics that changed first (the largest step first), then the rest in name order
    const step = (m) => Math.max(0, ...m.changes.map((c) => Math.abs(c.relative === null ? 1e9 : c.relative)));
    const ordered = series.metrics.slice().sort((a, b) => (b.changes.length > 0) - (a.changes.length > 0) || step(b) - step(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const m of ordered) {
      const box = el("div", { class: "metric" });
      const last = m.changes.length ? m.changes[m.changes.length - 1] : null;
      const said = last ? `; changed at ${last.commit.slice(0, 10)}` + (last.relative === null ? "" : ` (${(last.relative * 100).toFixed(1)}%)`) : "";
      box.appendChild(el("h3", { text: `${m.name}: ${fmt(m.kind, m.latest)}${said}` }));
      sec.appendChild(box);
      chart(series, m, box);
    }
  }
})();
