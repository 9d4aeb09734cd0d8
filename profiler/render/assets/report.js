// compileprof report page: cards, a zoomable timeline, flame charts, tables. SVG, no libraries.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("data").textContent);
  const app = document.getElementById("app");
  const SVGNS = "http://www.w3.org/2000/svg";
  const tip = el("div", { id: "tip", role: "tooltip" });
  document.body.appendChild(tip);

  function el(tag, attrs, kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") n.textContent = v; else if (k.startsWith("on")) n.addEventListener(k.slice(2), v); else n.setAttribute(k, v);
    }
    for (const c of kids || []) if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    return n;
  }
  function svg(tag, attrs) {
    const n = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    return n;
  }
  function secs(s) {
    if (s === null || s === undefined) return "-";
    const a = Math.abs(s);
    if (a >= 172800) return (s / 86400).toFixed(0) + " days";
    if (a >= 7200) return (s / 3600).toFixed(1) + " h";
    return a >= 1 ? s.toFixed(2) + " s" : a >= 1e-3 ? (s * 1e3).toFixed(1) + " ms" : (s * 1e6).toFixed(0) + " us";
  }
  function pct(x) { return x === null || x === undefined ? "-" : (x * 100).toFixed(1) + "%"; }
  function showTip(ev, text) {
    tip.textContent = text; tip.style.display = "block";
    const x = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, x) + "px"; tip.style.top = (ev.clientY + 14) + "px";
    document.getElementById("status").textContent = text.split("\n")[0];
  }
  function hideTip() { tip.style.display = "none"; }
  function hue(name) { let h = 0; for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360; return h; }
  function color(name) { return `hsl(${hue(name)}, 55%, 62%)`; }
  function section(title, id) { const s = el("section", { id }); s.appendChild(el("h2", { text: title })); app.appendChild(s); return s; }

  // ---- tables ------------------------------------------------------------------------------------
  function table(cols, rows) {
    // cols: [label, key, kind("num"|"text"), format]; click a header to sort.
    const t = el("table"), head = el("tr"), body = el("tbody");
    let order = { key: null, dir: 1 };
    cols.forEach(([label, key, kind]) => {
      const b = el("button", { text: label, type: "button", onclick: () => {
        order = { key, dir: order.key === key ? -order.dir : (kind === "num" ? -1 : 1) };
        fill(rows.slice().sort((x, y) => cmp(x[key], y[key]) * order.dir));
      } });
      head.appendChild(el("th", { class: kind === "num" ? "num" : "", scope: "col" }, [b]));
    });
    function cmp(a, b) { if (a === b) return 0; if (a === null || a === undefined) return 1; if (b === null || b === undefined) return -1; return a < b ? -1 : 1; }
    function fill(list) {
      body.textContent = "";
      for (const r of list) body.appendChild(el("tr", {}, cols.map(([, key, kind, f]) => {
        const v = f ? f(r[key], r) : r[key];
        return el("td", { class: kind === "num" ? "num" : "" }, [v instanceof Node ? v : String(v === null || v === undefined ? "-" : v)]);
      })));
    }
    fill(rows);
    t.appendChild(el("thead", {}, [head])); t.appendChild(body);
    return t;
  }

  // ---- header and cards --------------------------------------------------------------------------
  function header(d, title) {
    app.appendChild(el("h1", { text: title }));
    const made = d.made || {};
    const ranks = (d.ranks || []).length;
    app.appendChild(el("div", { class: "meta", text:
      `${d.source} · torch ${(d.torch_versions || []).join(", ") || "?"} · device ${d.device || "?"} · ` +
      `${ranks} rank${ranks === 1 ? "" : "s"} · made by ${made.tool || "compileprof"}` +
      (made.command ? ` (${made.command})` : "") + (made.at ? ` at ${made.at}` : "") }));
    app.appendChild(el("div", { id: "status", class: "note", "aria-live": "polite" }));
  }
  function cards(d, into) {
    const s = d.summary, t = d.totals, skew = d.rank_skew;
    const cache = s.cache || {};
    const sum = (p) => Object.entries(cache).filter(([k]) => k.endsWith(p)).reduce((a, [, v]) => a + v, 0);
    const list = [
      ["compile time" + (skew ? " (slowest rank)" : ""), secs(skew ? skew.slowest_s : s.compile_time_s)],
      ["frames", s.frames], ["compiles", s.compiles], ["graph breaks", s.graph_breaks],
      ["recompiles", (s.recompiles || []).length], ["failures", (s.failures || []).length],
      ["cache hits / misses", `${sum("_hit")} / ${sum("_miss")}`], ["runtime asserts", d.asserts.total],
      ["logging overhead (torch)", t.structured_logging_overhead_s === null ? "not logged" : `${secs(t.structured_logging_overhead_s)} (${pct(t.structured_logging_share)})`],
      ["parse health", damage(d.parse) ? `${damage(d.parse)} damaged` : `clean (${d.parse.records} records)`],
    ];
    const box = el("div", { class: "cards" }, list.map(([k, v]) => el("div", { class: "card" }, [el("div", { class: "v", text: String(v) }), el("div", { class: "k", text: k })])));
    (into || app).appendChild(box);
  }
  function damage(p) {
    return ["fail_glog", "fail_json", "fail_payload_md5", "unknown", "other_rank", "invalid_utf8", "truncated", "bad_value", "too_deep", "oversized"]
      .reduce((a, k) => a + (p[k] || 0), 0);
  }

  // ---- timeline ----------------------------------------------------------------------------------
  function compileStart(c) {
    // its first span's start; a log without spans (older torch): the start its metrics state
    let s = null;
    for (const p of c.phases) if (p.start_s !== null && (s === null || p.start_s < s)) s = p.start_s;
    return s !== null ? s : (c.start_s ?? null);
  }
  function timeline(d, into) {
    const comps = d.compiles.map((c) => ({ c, start: compileStart(c) })).filter((x) => x.start !== null);
    if (!comps.length) { into.appendChild(el("p", { class: "note", text: "No compile in these logs has timed spans." })); return; }
    for (const x of comps) x.end = x.start + Math.max(x.c.compile_time_s || 0, ...x.c.phases.map((p) => (p.start_s - x.start) + p.total_s));
    const bg = (d.background_spans || []).map((b) => ({ ...b, end: b.start_s + b.duration_s }));
    const lanes = [...new Set([...comps.map((x) => x.c.rank), ...bg.map((b) => b.rank)])].sort((a, b) => (a ?? -1) - (b ?? -1));
    // Logs whose clocks are far apart (ranks of different jobs, days apart) would be dots on one axis:
    // then each rank is drawn from its own first event, and the page says so.
    const span = (r) => { const xs = [...comps.filter((k) => k.c.rank === r).flatMap((k) => [k.start, k.end]), ...bg.filter((b) => b.rank === r).flatMap((b) => [b.start_s, b.end])]; return [Math.min(...xs), Math.max(...xs)]; };
    const spans = new Map(lanes.map((r) => [r, span(r)]));
    const all = [Math.min(...[...spans.values()].map((v) => v[0])), Math.max(...[...spans.values()].map((v) => v[1]))];
    const own = lanes.length > 1 && all[1] - all[0] > 10 * Math.max(...[...spans.values()].map((v) => v[1] - v[0]), 1e-6);
    const shift = (r) => (own ? spans.get(r)[0] - all[0] : 0);
    for (const k of comps) { k.offset = shift(k.c.rank); k.start -= k.offset; k.end -= k.offset; }
    for (const b of bg) { const o = shift(b.rank); b.start_s -= o; b.end -= o; }
    const t0 = Math.min(...comps.map((x) => x.start), ...bg.map((b) => b.start_s));
    const t1 = Math.max(...comps.map((x) => x.end), ...bg.map((b) => b.end));
    const ROW = 16, DEPTH = 6, LANE = ROW * (DEPTH + 2) + 18;
    let v0 = t0, v1 = t1 > t0 ? t1 : t0 + 1e-3;
    const bar = el("div", { class: "toolbar" }, [
      el("button", { type: "button", text: "zoom in", onclick: () => zoom(0.5) }),
      el("button", { type: "button", text: "zoom out", onclick: () => zoom(2) }),
      el("button", { type: "button", text: "reset", onclick: () => { v0 = t0; v1 = t1 > t0 ? t1 : t0 + 1e-3; draw(); } }),
      el("span", { class: "note", id: "range" }),
    ]);
    const box = el("div", { class: "chart", tabindex: "0", "aria-label": "timeline; arrow keys pan, + and - zoom" });
    into.appendChild(bar); into.appendChild(box);
    if (own) into.appendChild(el("p", { class: "note", "data-role": "own-clocks", text: `The logs' clocks are ${secs(all[1] - all[0])} apart, far more than any rank's own work: each rank is drawn from its own first event.` }));
    into.appendChild(el("p", { class: "note", text: "Each compile on the log's clock, its phases below it (a phase called several times is drawn from its first call, its total as width); the lowest row of a rank: spans of no compile (background threads, kernel compile workers). Grey: untraced time between compiles. Wheel or buttons zoom, drag pans." }));
    function zoom(f, at) {
      const mid = at === undefined ? (v0 + v1) / 2 : at, half = (v1 - v0) * f / 2;
      v0 = Math.max(t0 - (t1 - t0), mid - half); v1 = Math.max(v0 + 1e-6, mid + half); draw();
    }
    function draw() {
      const W = Math.max(320, box.clientWidth || 900), H = lanes.length * LANE;
      const x = (t) => ((t - v0) / (v1 - v0)) * W;
      const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "compile timeline", "data-v0": v0, "data-v1": v1 });
      lanes.forEach((rank, li) => {
        const y0 = li * LANE;
        const label = svg("text", { x: 4, y: y0 + 12 }); label.textContent = rank === null ? "process" : `rank ${rank}`; s.appendChild(label);
        const mine = comps.filter((k) => k.c.rank === rank).sort((a, b) => a.start - b.start);
        let prev = null;
        for (const k of mine) {
          if (prev !== null && k.start > prev) gap(s, x(prev), x(k.start), y0 + 16, prev, k.start);
          prev = Math.max(prev ?? k.end, k.end);
          rect(s, x(k.start), x(k.end), y0 + 16, `compile ${k.c.compile_id} ${k.c.co_name || ""}`, k.start - t0, k.end - k.start, null, k.c.compile_id, "compile");
          if (x(k.end) - x(k.start) >= 2) phases(s, k.c.phases, k.start, 1, y0 + 16, k.c.compile_id, x, k.offset);  // zoom in to see a narrow one's
        }
        const yb = y0 + 16 + (DEPTH + 1) * ROW;
        for (const b of bg.filter((b) => b.rank === rank)) {
          rect(s, x(b.start_s), x(b.end), yb, b.name, b.start_s - t0, b.duration_s, null, `none (background thread ${b.thread})`, "background " + b.name);
        }
      });
      box.textContent = ""; box.appendChild(s);
      document.getElementById("range").textContent = `showing ${secs(v0 - t0)} to ${secs(v1 - t0)} of ${secs(t1 - t0)}`;
    }
    function phases(s, list, parentStart, depth, y0, cid, x, offset) {
      if (depth > DEPTH) return;
      let cursor = parentStart;
      for (const p of list) {
        const start = p.start_s !== null ? p.start_s - offset : cursor;
        if (x(start + p.total_s) - x(start) >= 0.5) {  // narrower than half a pixel: drawn when zoomed in
          rect(s, x(start), x(start + p.total_s), y0 + depth * ROW, p.name, start - t0, p.total_s, p.self_s, cid, p.name, p.count);
          phases(s, p.children, start, depth + 1, y0, cid, x, offset);
        }
        cursor = start + p.total_s;
      }
    }
    function rect(s, xa, xb, y, name, start, dur, self, cid, colorKey, count) {
      const W = Number(s.getAttribute("width"));
      if (xb < 0 || xa > W) return;
      const a = Math.max(0, xa), w = Math.max(1, Math.min(W, xb) - a);
      const r = svg("rect", { x: a, y, width: w, height: ROW - 2, class: "span", fill: color(colorKey), "data-name": name, "data-compile": cid || "" });
      const text = `${name}\nstart ${secs(start)}  duration ${secs(dur)}` + (self !== null ? `  self ${secs(self)}` : "") + (count > 1 ? `  (${count} calls)` : "") + `\ncompile ${cid}`;
      r.addEventListener("mousemove", (ev) => showTip(ev, text)); r.addEventListener("mouseleave", hideTip);
      s.appendChild(r);
      if (w > 40) { const t = svg("text", { x: a + 3, y: y + ROW - 5 }); t.textContent = name.slice(0, Math.floor(w / 6.5)); s.appendChild(t); }
    }
    function gap(s, xa, xb, y, a, b) {
      if (xb - xa < 2) return;
      const r = svg("rect", { x: Math.max(0, xa), y, width: xb - Math.max(0, xa), height: ROW - 2, class: "gap" });
      r.addEventListener("mousemove", (ev) => showTip(ev, `untraced\n${secs(b - a)} between compiles`)); r.addEventListener("mouseleave", hideTip);
      s.appendChild(r);
      if (xb - xa > 60) { const t = svg("text", { x: xa + 3, y: y + ROW - 5 }); t.textContent = "untraced"; s.appendChild(t); }
    }
    box.addEventListener("wheel", (ev) => { ev.preventDefault(); const r = box.getBoundingClientRect(); zoom(ev.deltaY > 0 ? 1.25 : 0.8, v0 + (ev.clientX - r.left) / r.width * (v1 - v0)); }, { passive: false });
    let drag = null;
    box.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, v0, v1 }; });
    window.addEventListener("pointerup", () => { drag = null; });
    box.addEventListener("pointermove", (ev) => {
      if (!drag) return; const dt = (ev.clientX - drag.x) / box.clientWidth * (drag.v1 - drag.v0);
      v0 = drag.v0 - dt; v1 = drag.v1 - dt; draw();
    });
    box.addEventListener("keydown", (ev) => {
      const step = (v1 - v0) * 0.2;
      if (ev.key === "ArrowLeft") { v0 -= step; v1 -= step; draw(); } else if (ev.key === "ArrowRight") { v0 += step; v1 += step; draw(); }
      else if (ev.key === "+" || ev.key === "=") zoom(0.5); else if (ev.key === "-") zoom(2);
    });
    window.addEventListener("resize", draw);
    draw();
  }

  // ---- flame charts (icicle) ---------------------------------------------------------------------
  function icicle(into, root, opts) {
    // root: {name,total_s,self_s,count,children, change?}; opts.colorOf(node) -> css colour
    const ROW = 18;
    let focus = root, query = "";
    const search = el("input", { type: "search", placeholder: "highlight a phase name", "aria-label": "highlight a phase name" });
    search.addEventListener("input", () => { query = search.value.toLowerCase(); draw(); });
    const bar = el("div", { class: "toolbar" }, [search, el("button", { type: "button", text: "top", onclick: () => { focus = root; draw(); } }), el("span", { class: "note", "data-role": "focus" })]);
    const box = el("div", { class: "chart flame" });
    into.appendChild(bar); into.appendChild(box);
    function depthOf(n) { let d = 0; for (const c of n.children) d = Math.max(d, depthOf(c)); return d + 1; }
    function draw() {
      const W = Math.max(320, box.clientWidth || 900), H = depthOf(focus) * ROW;
      const s = svg("svg", { width: W, height: H, role: "img", "aria-label": opts.label });
      const total = focus.total_s || 1e-12;
      (function walk(n, x0, w, depth) {
        if (w < 0.5) return;
        const hit = query && n.name.toLowerCase().includes(query);
        const r = svg("rect", { x: x0, y: depth * ROW, width: Math.max(0.5, w - 0.5), height: ROW - 1, class: "span flame-rect" + (hit ? " hit" : ""), fill: opts.colorOf(n), tabindex: "0", "data-name": n.name });
        const text = `${n.name}\ntotal ${secs(n.total_s)}  self ${secs(n.self_s)}  ${n.count} call${n.count === 1 ? "" : "s"}  ${pct(n.total_s / (root.total_s || 1e-12))} of all` + (opts.extra ? opts.extra(n) : "");
        r.addEventListener("mousemove", (ev) => showTip(ev, text)); r.addEventListener("mouseleave", hideTip);
        r.addEventListener("focus", () => { document.getElementById("status").textContent = text.replace(/\n/g, "  "); });
        const go = () => { focus = n; draw(); };
        r.addEventListener("click", go); r.addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
        s.appendChild(r);
        if (w > 36) { const t = svg("text", { x: x0 + 3, y: depth * ROW + ROW - 5 }); t.textContent = n.name.slice(0, Math.floor(w / 6.5)); s.appendChild(t); }
        // children side by side, scaled down when together they exceed their parent (a diff's widths)
        const sum = n.children.reduce((a, c) => a + c.total_s, 0), base = Math.max(n.total_s, sum) || 1e-12;
        let cx = x0;
        for (const c of n.children) { const cw = w * (c.total_s / base); walk(c, cx, cw, depth + 1); cx += cw; }
      })(focus, 0, W, 0);
      box.textContent = ""; box.appendChild(s);
      bar.querySelector("[data-role=focus]").textContent = focus === root ? "click a phase to zoom into it" : `zoomed into ${focus.name} (${secs(focus.total_s)})`;
    }
    window.addEventListener("resize", draw);
    draw();
  }
  function treeOf(name, phases) {
    const total = phases.reduce((a, p) => a + p.total_s, 0);
    return { name, total_s: total, self_s: 0, count: 1, children: phases };
  }

  // ---- report sections ---------------------------------------------------------------------------
  function reportPage(d) {
    header(d, "compileprof report");
    cards(d);
    timeline(d, section("Timeline", "timeline"));
    if (d.compiles_total > d.compiles.length) app.lastChild.appendChild(el("p", { class: "note", text: `The first ${d.compiles.length} of ${d.compiles_total} compiles are drawn; the flame chart and the totals hold them all.` }));
    const fl = section("Flame chart of phase totals", "flame");
    const pick = el("select", { "aria-label": "which compiles" }, [el("option", { value: "", text: "all compiles" }), ...d.compiles.map((c, i) => el("option", { value: String(i), text: `compile ${c.compile_id} ${c.co_name || ""} (${secs(c.compile_time_s)})` }))]);
    const holder = el("div");
    fl.appendChild(el("div", { class: "toolbar" }, [pick])); fl.appendChild(holder);
    const drawFlame = () => {
      holder.textContent = "";
      const root = pick.value === "" ? d.flame : treeOf(`compile ${d.compiles[+pick.value].compile_id}`, d.compiles[+pick.value].phases);
      const extra = (n) => (n.instructions !== undefined ? `\ninstructions ${n.instructions.toLocaleString("en")} (callgrind)` : "");
      icicle(holder, root, { label: "flame chart", colorOf: (n) => color(n.name), extra });
    };
    pick.addEventListener("change", drawFlame); drawFlame();
    if ((d.jobs || []).length > 1) jobsTable(d, section("Jobs", "jobs"));
    compilesTable(d, section("Compiles", "compiles"));
    if ((d.pieces || []).length) pieces(d, section("Piecewise: pieces and sizes", "pieces"));
    overhead(d, section("Logging overhead and runtime asserts", "overhead"));
    if (d.measurements) measurements(d.measurements, section("Measurements", "measurements"));
    if (d.instructions_view) instructions(d.instructions_view, section("Instructions of the compile step (callgrind)", "instructions"));
    why(d, section("Graph breaks, recompiles, failures, restarts", "why"));
    if ((d.divergence || []).length) divergence(d, section("Divergence between ranks", "divergence"));
  }
  function compilesTable(d, into) {
    const backward = d.compiles.some((c) => c.backward);
    if (backward) into.appendChild(el("p", { class: "note", text: "Training: a compile's time is its forward's and the backward AOT autograd compiled lazily, on the first .backward(), side by side." }));
    into.appendChild(table([
      ["compile", "compile_id", "text"], ["rank", "rank", "num"], ["frame", "co_name", "text"],
      ["time", "compile_time_s", "num", secs],
      ...(backward ? [["forward", "forward_compile_time_s", "num", secs], ["backward", "backward_s", "num", secs]] : []),
      ["backend", "backend_compile_time_s", "num", secs],
      ["logging", "structured_logging_overhead_s", "num", secs], ["breaks", "graph_breaks", "num"],
      ["cache", "cache", "text", (v) => Object.entries(v || {}).map(([k, n]) => `${k} ${n}`).join(", ")],
      ["why", "recompile_reason", "text", (v, r) => r.fail_reason || v || ""],
    ], d.compiles.map((c) => ({ ...c, backward_s: c.backward ? c.backward.compile_time_s : null }))));
  }
  function jobsTable(d, into) {
    into.appendChild(el("p", { class: "note", text: "The logs belong to several jobs (the logs of one folder that ran together); ranks are compared within a job only." }));
    const rows = d.jobs.map((j) => ({ ...j, logs: j.files.length, rank_list: j.ranks.join(", ") || "-", compiles: j.totals.compiles,
      time: j.totals.compile_time_s, slowest: j.rank_skew ? j.rank_skew.slowest_s : null,
      diverged: j.divergence.filter((x) => x.groups.length > 1).map((x) => x.check).join(", ") || "-" }));
    into.appendChild(table([["job", "name", "text"], ["logs", "logs", "num"], ["ranks", "rank_list", "text"], ["compiles", "compiles", "num"],
      ["compile time", "time", "num", secs], ["slowest rank", "slowest", "num", (v) => v === null ? "-" : secs(v)], ["diverged", "diverged", "text"]], rows));
  }
  function pieces(d, into) {
    const max = Math.max(...d.pieces.map((p) => p.compile_time_s || 0), 1e-12);
    const size = (p) => p.is_single_size ? `size ${p.compile_range_start}` : `sizes ${p.compile_range_start ?? "?"} to ${p.compile_range_end ?? "any"}`;
    const rows = d.pieces.map((p) => ({ ...p, size: size(p), assert_total: Object.values(p.asserts || {}).reduce((a, v) => a + v, 0),
      cache_state: Object.entries(p.cache || {}).map(([k, n]) => `${k} ${n}`).join(", ") }));
    into.appendChild(table([
      ["piece", "piecewise_index", "num"], ["submodule", "submod_name", "text"], ["compile size", "size", "text"], ["rank", "rank", "num"],
      ["compile time", "compile_time_s", "num", secs],
      ["", "compile_time_s", "text", (v) => el("div", { class: "bar", style: `width:${Math.max(1, Math.round(100 * (v || 0) / max))}px`, title: secs(v) })],
      ["ops", "ops", "num"], ["asserts", "assert_total", "num"], ["cache", "cache_state", "text"], ["variant", "variant", "text"],
    ], rows));
  }
  function overhead(d, into) {
    const t = d.totals;
    into.appendChild(el("p", { text: `torch's structured_logging_overhead counter: ${t.structured_logging_overhead_s === null ? "not in these logs" : secs(t.structured_logging_overhead_s) + " (" + pct(t.structured_logging_share) + " of compile time)"}; spans torch runs only to write the trace (*_torch_trace_only): ${secs(t.torch_trace_only_s)} (${pct(t.torch_trace_only_share)}).` }));
    if ((t.torch_trace_only_spans || []).length) into.appendChild(table([["span", "name", "text"], ["total", "total_s", "num", secs], ["calls", "count", "num"]], t.torch_trace_only_spans));
    const graphs = d.asserts.graphs || [];
    const aoti = d.asserts.aoti_checks ? `, AOTInductor input checks ${d.asserts.aoti_checks}` : "";
    into.appendChild(el("p", { text: `Runtime asserts in generated code: ${d.asserts.total} (size/stride ${d.asserts.size_stride}, alignment ${d.asserts.alignment}, scalar ${d.asserts.scalar}, nan ${d.asserts.nan}${aoti}) in ${d.graphs_total} graph${d.graphs_total === 1 ? "" : "s"}.` }));
    if (d.graphs_total > graphs.length) into.appendChild(el("p", { class: "note", text: `The first ${graphs.length} of ${d.graphs_total} graphs are listed.` }));
    for (const g of graphs) {
      const total = g.size_stride + g.alignment + g.scalar + g.nan + g.aoti_checks;
      const det = el("details", {}, [el("summary", { text: `compile ${g.compile_id}${g.rank !== null && g.rank !== undefined ? " rank " + g.rank : ""}${g.variant ? " (" + g.variant + ")" : ""}: ${total} asserts (${g.language})` })]);
      det.appendChild(el("div", { class: "note", text: `inputs checked: ${(g.guarded_inputs || []).join(", ") || "none"}; outputs checked by op: ${Object.entries(g.guarded_ops || {}).map(([k, n]) => k + " x" + n).join(", ") || "none"}` }));
      if ((g.lines || []).length) det.appendChild(el("pre", { text: g.lines.join("\n") + (total > g.lines.length ? `\n... ${total - g.lines.length} more` : "") }));
      into.appendChild(det);
    }
  }
  function measurements(m, into) {
    // every measurement with a 95% interval (`ci95_s`: [low, high]) is drawn as an interval bar around zero
    const rows = [];
    (function walk(obj, path) {
      if (!obj || typeof obj !== "object" || Array.isArray(obj)) return;
      if (Array.isArray(obj.ci95_s) && obj.ci95_s.length === 2) rows.push({ path, ...obj });
      for (const [k, v] of Object.entries(obj)) walk(v, path ? path + "." + k : k);
    })(m, "");
    if (!rows.length) { into.appendChild(el("p", { class: "note", text: "No measurement with an interval in this run." })); return; }
    for (const r of rows) {
      const [lo, hi] = r.ci95_s, mid = r.delta_s ?? (lo + hi) / 2;
      const span = Math.max(Math.abs(lo), Math.abs(hi), Math.abs(mid), 1e-12) * 1.1, pos = (v) => 50 + 50 * v / span;
      const verdict = r.significant === undefined ? "" : r.significant ? " (significant)" : " (not significant)";
      into.appendChild(el("div", { class: "measure" }, [el("div", { text: `${r.path}: difference ${secs(mid)}, 95% CI ${secs(lo)} to ${secs(hi)}${verdict}` }),
        el("div", { class: "ci", title: "95% confidence interval; the black line is zero" }, [el("span", { style: `left:${pos(lo)}%;width:${Math.max(0.5, pos(hi) - pos(lo))}%` }), el("i", { style: "left:50%" })])]));
    }
  }
  function instructions(v, into) {
    for (const said of v.said) into.appendChild(el("p", { text: said }));
    if (!v.rows.length) return;
    const rows = v.rows.map(([phase, n, share, s]) => ({ phase, n, share, s }));
    const max = Math.max(1, ...rows.map((r) => r.n));
    into.appendChild(table([
      ["phase", "phase", "text", (p) => el("span", { style: `padding-left:${(p.length - p.trimStart().length) / 2}em`, text: p.trim() })],
      ["instructions", "n", "num", (n) => n.toLocaleString("en")], ["share", "share", "num", pct],
      ["", "n", "text", (n) => el("div", { class: "bar", style: `width:${Math.max(1, Math.round(100 * n / max))}px`, title: n.toLocaleString("en") })],
      ["traced time", "s", "num", secs],
    ], rows));
  }
  function why(d, into) {
    const s = d.summary;
    const rows = [];
    for (const c of d.compiles) for (const r of c.graph_break_reasons || []) rows.push({ kind: "graph break", compile_id: c.compile_id, rank: c.rank, reason: r });
    for (const [kind, list] of [["recompile", s.recompiles], ["failure", s.failures], ["restart", s.restarts]]) for (const n of list || []) rows.push({ kind, compile_id: n.compile_id, rank: n.rank, reason: n.reason });
    into.appendChild(rows.length ? table([["what", "kind", "text"], ["compile", "compile_id", "text"], ["rank", "rank", "num"], ["reason", "reason", "text"]], rows) : el("p", { class: "note", text: "None in these logs." }));
  }
  function divergence(d, into) {
    const rows = d.divergence.map((x) => ({ check: x.check, diverged: x.diverged ? "yes" : "no", note: x.note || "", groups: (x.groups || []).map((g) => `ranks ${g.ranks}: ${g.summary}`).join("; ") }));
    into.appendChild(table([["check", "check", "text"], ["differs", "diverged", "text"], ["groups", "groups", "text"], ["compared", "note", "text"]], rows));
  }

  // ---- diff page ---------------------------------------------------------------------------------
  function diffPage(d) {
    app.appendChild(el("h1", { text: "compileprof diff" }));
    app.appendChild(el("div", { class: "meta", text: `A: ${d.a_label}   B: ${d.b_label}` + (d.made ? ` · made by ${d.made.tool} at ${d.made.at}` : "") }));
    app.appendChild(el("div", { id: "status", class: "note", "aria-live": "polite" }));
    if (d.flame) diffFlame(d);
    const m = section("Metrics", "metrics");
    m.appendChild(table([["metric", "name", "text"], ["A", "a", "num", num], ["B", "b", "num", num], ["change", "change", "num", num], ["relative", "rel_change", "num", pct]], d.rows));
    if (d.a) { cards(d.a, section("A", "a")); cards(d.b, section("B", "b")); }
  }
  function diffFlame(d) {
    const fl = section("Differential flame chart (B's phases, coloured by change from A)", "flame");
    fl.appendChild(el("p", { class: "note", text: "Red: slower in B, blue: faster, grey: unchanged; the stronger the colour, the larger the change. Width: the larger of A's and B's time (a phase only one side has is drawn too)." }));
    const max = Math.max(1e-12, ...(function all(n) { return [Math.abs(n.change_s || 0), ...n.children.flatMap(all)]; })(d.flame));
    icicle(fl, d.flame, {
      label: "differential flame chart",
      colorOf: (n) => { const c = n.change_s || 0, a = Math.min(1, 0.15 + 0.85 * Math.abs(c) / max); return c === 0 ? "rgba(128,128,128,.35)" : `rgba(var(${c > 0 ? "--slow" : "--fast"}), ${a.toFixed(2)})`; },
      extra: (n) => `\nA ${secs(n.a_s)}  B ${secs(n.b_s)}  change ${n.change_s > 0 ? "+" : ""}${secs(n.change_s)}`,
    });
  }
  function num(v) { return v === null || v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(4); }

  if (D.kind === "diff") diffPage(D); else reportPage(D);
})();
