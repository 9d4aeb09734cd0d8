// compileprof report page: the answers first, then a zoomable timeline, flame charts and tables. SVG, no libraries.
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
    for (const c of kids || []) if (c !== null && c !== undefined && c !== false) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    return n;
  }
  function svg(tag, attrs) {
    const n = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    return n;
  }
  function secs(s) {
    if (s === null || s === undefined) return "-";
    if (s === 0) return "0 s";
    const a = Math.abs(s);
    if (a >= 172800) return (s / 86400).toFixed(0) + " days";
    if (a >= 7200) return (s / 3600).toFixed(1) + " h";
    if (a >= 120) return (s / 60).toFixed(1) + " min";
    return a >= 1 ? s.toFixed(2) + " s" : a >= 1e-3 ? (s * 1e3).toFixed(1) + " ms" : (s * 1e6).toFixed(0) + " us";
  }
  function pct(x) { return x === null || x === undefined ? "-" : (x * 100).toFixed(1) + "%"; }
  function count(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }
  function rankOf(r) { return r === null || r === undefined ? "" : ` (rank ${r})`; }
  function showTip(ev, text) {
    tip.textContent = text; tip.style.display = "block";
    const x = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, x) + "px"; tip.style.top = (ev.clientY + 14) + "px";
    document.getElementById("status").textContent = text.split("\n")[0];
  }
  function hideTip() { tip.style.display = "none"; }
  function section(title, id) { const s = el("section", { id }); s.appendChild(el("h2", { text: title })); app.appendChild(s); return s; }

  // ---- colour: by compile stage, with text that stays readable on it ------------------------------
  // Each stage a light fill; chart text on a fill is dark, chosen per fill for a contrast of 4.5:1 or more.
  const STAGES = [
    ["cache", "caches", "#9fd8a4", /cache|Cache|TritonBundler|torch_key/],
    ["native", "native compile", "#d9bf93", /^(compile_file|async_compile|PyCodeCache|.*cpp_compile|.*triton_compile|compile_kernel)/],
    ["codegen", "code generation", "#f3a99b", /^(code_gen|GraphLowering\.(codegen|compile_to|generate)|Scheduler\.codegen|PythonWrapperCodegen|.*[Cc]odegen)/],
    ["lowering", "Inductor lowering", "#f5c97f", /^(inductor_compile|compile_fx|fx_codegen_and_compile|GraphLowering|Scheduler|pass\.|_recursive_|additional_fake_tensor_prop|post_grad|joint_graph|pre_grad|min_cut|benchmark|autotune)/],
    ["aot", "AOT autograd", "#c3b1e1", /^(create_aot_dispatcher_function|aot_|.*backward|.*partition|.*functionaliz)/],
    ["backend", "backend (pieces)", "#9fd3c7", /^(backend_compile|.*_compile_piece|.*piecewise|compile_attempt_backend)/],
    ["dynamo", "Dynamo", "#9cc3ee", /^(dynamo|entire_frame_compile|compile_attempt|_compile|bytecode_tracing|build_guards|.*guard|restart_analysis|gc$|insert_deferred_runtime_asserts|InstructionTranslator|OutputGraph)/],
    ["other", "other", "#d3d8e0", /.*/],
  ];
  const stageCache = new Map();
  function stageOf(name) {
    if (!stageCache.has(name)) stageCache.set(name, STAGES.find((s) => s[3].test(name)));
    return stageCache.get(name);
  }
  function stageColor(name) { return stageOf(name)[2]; }
  function luminance(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); }
  function textOn(fill) { return contrast(fill, "#10131a") >= contrast(fill, "#ffffff") ? "#10131a" : "#ffffff"; }
  function mix(a, b, t) { // hex colours a..b at t in [0, 1]
    const ch = (h, i) => parseInt(h.slice(i, i + 2), 16);
    return "#" + [1, 3, 5].map((i) => Math.round(ch(a, i) + (ch(b, i) - ch(a, i)) * t).toString(16).padStart(2, "0")).join("");
  }
  function legend(into, keys) {
    const shown = STAGES.filter((s) => !keys || keys.has(s[0]));
    into.appendChild(el("div", { class: "legend", "aria-label": "colours: compile stages" }, shown.map((s) =>
      el("span", { class: "key" }, [el("i", { style: `background:${s[2]}` }), s[1]]))));
  }

  // ---- tables ------------------------------------------------------------------------------------
  function table(cols, rows) {
    // cols: [label, key, kind("num"|"text"), format]; click a header to sort (empty cells stay last).
    const t = el("table"), head = el("tr"), body = el("tbody");
    let order = { key: null, dir: 1 };
    const empty = (v) => v === null || v === undefined || v === "";
    cols.forEach(([label, key, kind]) => {
      const b = el("button", { text: label, type: "button", onclick: () => {
        order = { key, dir: order.key === key ? -order.dir : (kind === "num" ? -1 : 1) };
        fill(rows.slice().sort((x, y) => cmp(x[key], y[key], order.dir)));
      } });
      head.appendChild(el("th", { class: kind === "num" ? "num" : "", scope: "col" }, [b]));
    });
    function cmp(a, b, dir) {
      if (empty(a) || empty(b)) return empty(a) === empty(b) ? 0 : empty(a) ? 1 : -1;
      return a === b ? 0 : (a < b ? -1 : 1) * dir;
    }
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
  function sentences(into, lines, cls) { for (const s of lines || []) if (s) into.appendChild(el("p", { class: cls || "", text: s })); }

  // ---- header, the answers, cards ----------------------------------------------------------------
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
  function banner(d) {
    const diverged = (d.divergence || []).filter((x) => x.diverged);
    if (!diverged.length) return;
    const first = diverged[0], groups = (first.groups || []).map((g) => `ranks ${g.ranks}: ${g.summary}`).join(" vs ");
    app.appendChild(el("div", { class: "banner", role: "alert", id: "divergence-banner" }, [
      el("strong", { text: `Ranks diverged in ${diverged.length} check${diverged.length === 1 ? "" : "s"}: ${diverged.map((x) => x.check).join(", ")}. ` }),
      `${first.check}: ${groups}. `, el("a", { href: "#divergence", text: "Every check" })]));
  }
  function answers(d) {
    const box = el("section", { id: "answers", class: "answers", "aria-label": "at a glance" });
    const item = (title, kids) => box.appendChild(el("div", { class: "answer" }, [el("h3", { text: title }), ...kids]));
    const spends = (d.top_spends || []).slice(0, 5);
    if (spends.length) {
      const max = Math.max(...spends.map((s) => s.self_s), 1e-12);
      item("Where compile time went (self time)", [el("ol", { class: "spends" }, spends.map((s) => el("li", {}, [
        el("span", { class: "swatch", style: `background:${stageColor(s.name)}` }), el("code", { text: s.name }),
        ` ${secs(s.self_s)} (${pct(s.share)})`, el("div", { class: "bar", style: `width:${Math.max(2, Math.round(120 * s.self_s / max))}px` })])))]);
    }
    const slowest = (d.compiles || []).reduce((a, c) => (c.compile_time_s !== null && (a === null || c.compile_time_s > a.compile_time_s) ? c : a), null);
    if (slowest) item("Slowest compile", [el("p", { text: `compile ${slowest.compile_id}${rankOf(slowest.rank)}${slowest.co_name ? " of " + slowest.co_name : ""}: ${secs(slowest.compile_time_s)}` + (d.compiles_total > 1 ? ` of ${count(d.compiles_total, "compile")}, ${secs(d.summary.compile_time_s)} in all` : "") })]);
    const k = d.rank_skew;
    if (k) item("Slowest rank", [el("p", { text: `rank ${k.slowest_rank}: ${secs(k.slowest_s)}, against rank ${k.fastest_rank}: ${secs(k.fastest_s)} (+${secs(k.spread_s)}, ${k.ratio ? k.ratio.toFixed(2) + "x" : "-"})` })]);
    const said = d.said || {};
    if (said.asserts) item("Runtime asserts: measured cost", said.asserts.filter((s, i) => i < 2 || s.startsWith("Noisy") || s.startsWith("WARNING")).map((s) => el("p", { class: s.startsWith("Noisy") || s.startsWith("WARNING") ? "warn" : "", text: s })));
    else if (d.asserts.total) item("Runtime asserts", [el("p", { text: `${d.asserts.total} in the generated code (not measured: compileprof run --measure asserts times them per call)` })]);
    if (said.logging) item("TORCH_TRACE logging: measured cost", said.logging.slice(0, 2).map((s) => el("p", { text: s })));
    if (d.instructions_view) item("Instructions (callgrind)", [el("p", { text: d.instructions_view.said[0] })]);
    if (said.run) item("The run", [el("p", { class: said.run.check_warn ? "warn" : "", text: said.run.check }), said.run.forward ? el("p", { text: said.run.forward }) : null]);
    const why = (d.summary.graph_breaks || 0) + (d.summary.recompiles || []).length + (d.summary.failures || []).length;
    if (why) item("Why it compiled more than once", [el("p", { text: `${count(d.summary.graph_breaks, "graph break")}, ${count((d.summary.recompiles || []).length, "recompile")}, ${count((d.summary.failures || []).length, "failure")}` }), el("a", { href: "#why", text: "the reasons" })]);
    app.appendChild(box);
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
  // Time on the page: traced stretches at their length, long untraced gaps (between compiles, when
  // nothing of any rank ran) cut down to GAP_SHOWN of the traced time, marked with their real length.
  function timeAxis(intervals, t0, t1) {
    const merged = [];
    for (const [a, b] of intervals.slice().sort((x, y) => x[0] - y[0])) {
      if (merged.length && a <= merged[merged.length - 1][1]) merged[merged.length - 1][1] = Math.max(merged[merged.length - 1][1], b);
      else merged.push([a, b]);
    }
    const busy = merged.reduce((s, [a, b]) => s + (b - a), 0) || (t1 - t0) || 1e-3;
    const longGap = Math.max(1, busy), shown = 0.04 * busy;
    const segs = []; let c = 0, prev = t0;  // {t0, t1, c0, c1, cut}
    for (const [a, b] of merged) {
      if (a > prev) { const cut = a - prev > longGap; const w = cut ? shown : a - prev; segs.push({ t0: prev, t1: a, c0: c, c1: c + w, cut }); c += w; }
      segs.push({ t0: Math.max(a, prev), t1: b, c0: c, c1: c + (b - Math.max(a, prev)), cut: false }); c = segs[segs.length - 1].c1; prev = Math.max(prev, b);
    }
    if (t1 > prev) { segs.push({ t0: prev, t1, c0: c, c1: c + (t1 - prev), cut: false }); c += t1 - prev; }
    if (!segs.length) segs.push({ t0, t1: t0 + 1e-3, c0: 0, c1: 1e-3, cut: false });
    const find = (v, lo, hi) => segs.find((s) => v <= s[hi]) || segs[segs.length - 1];
    const toC = (t) => { const s = find(t, "t0", "t1"); return s.t1 === s.t0 ? s.c0 : s.c0 + (Math.min(Math.max(t, s.t0), s.t1) - s.t0) / (s.t1 - s.t0) * (s.c1 - s.c0); };
    const toT = (v) => { const s = find(v, "c0", "c1"); return s.c1 === s.c0 ? s.t0 : s.t0 + (Math.min(Math.max(v, s.c0), s.c1) - s.c0) / (s.c1 - s.c0) * (s.t1 - s.t0); };
    return { segs, toC, toT, total: segs[segs.length - 1].c1, cuts: segs.filter((s) => s.cut) };
  }
  function niceStep(range) { const raw = range / 8, p = Math.pow(10, Math.floor(Math.log10(raw))); return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw); }
  function timeline(d, into) {
    const comps = d.compiles.map((c) => ({ c, start: compileStart(c) })).filter((x) => x.start !== null);
    if (!comps.length) { into.appendChild(el("p", { class: "note", text: "No compile in these logs has timed spans." })); return; }
    const callsOf = (p) => (p.calls && p.calls.length ? p.calls : p.start_s !== null ? [[p.start_s, p.total_s]] : []);
    const lastEnd = (list) => Math.max(-Infinity, ...list.flatMap((p) => [...callsOf(p).map(([a, w]) => a + w), lastEnd(p.children)]));
    for (const x of comps) x.end = Math.max(x.start + (x.c.compile_time_s || 0), lastEnd(x.c.phases));
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
    const axis = timeAxis([...comps.map((k) => [k.start, k.end]), ...bg.map((b) => [b.start_s, b.end])], t0, t1 > t0 ? t1 : t0 + 1e-3);
    const ROW = 16, DEPTH = 6, AXIS = 18, LANE = ROW * (DEPTH + 2) + 18;
    let v0 = 0, v1 = axis.total;
    const bar = el("div", { class: "toolbar" }, [
      el("button", { type: "button", text: "zoom in", onclick: () => zoom(0.5) }),
      el("button", { type: "button", text: "zoom out", onclick: () => zoom(2) }),
      el("button", { type: "button", text: "reset", onclick: () => { v0 = 0; v1 = axis.total; draw(); } }),
      el("span", { class: "note", id: "range" }),
    ]);
    const box = el("div", { class: "chart", tabindex: "0", "aria-label": "timeline; arrow keys pan, + and - zoom" });
    into.appendChild(bar); into.appendChild(box);
    legend(into);
    if (own) into.appendChild(el("p", { class: "note", "data-role": "own-clocks", text: `The logs' clocks are ${secs(all[1] - all[0])} apart, far more than any rank's own work: each rank is drawn from its own first event.` }));
    if (axis.cuts.length) into.appendChild(el("p", { class: "note", "data-role": "cut-gaps", text: `${count(axis.cuts.length, "long untraced stretch")} (${axis.cuts.map((s) => secs(s.t1 - s.t0)).join(", ")}) drawn short, marked with a zigzag and its length.` }));
    into.appendChild(el("p", { class: "note", text: "Each compile on the log's clock, its phases below it, each call of a phase where it was called several times; the lowest row of a rank: spans of no compile (background threads, kernel compile workers). Grey: untraced time between compiles. Wheel zooms around the pointer, drag or arrow keys pan." }));
    function clamp() {
      const w = Math.min(axis.total, Math.max(1e-9, v1 - v0));
      if (w >= axis.total) { v0 = 0; v1 = axis.total; return; }
      if (v0 < 0) { v0 = 0; v1 = w; }
      if (v1 > axis.total) { v1 = axis.total; v0 = axis.total - w; }
    }
    function zoom(f, at) {
      const p = at === undefined ? (v0 + v1) / 2 : at;  // the point that stays where it is
      v0 = p - (p - v0) * f; v1 = p + (v1 - p) * f; clamp(); draw();
    }
    function pan(dc) { v0 += dc; v1 += dc; clamp(); draw(); }
    function draw() {
      hideTip();
      const W = Math.max(320, box.clientWidth || 900), H = AXIS + lanes.length * LANE;
      const x = (t) => ((axis.toC(t) - v0) / (v1 - v0)) * W;
      const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "compile timeline", "data-v0": v0, "data-v1": v1 });
      ticks(s, W);
      lanes.forEach((rank, li) => {
        const y0 = AXIS + li * LANE;
        const label = svg("text", { x: 4, y: y0 + 12, class: "lane" }); label.textContent = rank === null ? "process" : `rank ${rank}`; s.appendChild(label);
        const mine = comps.filter((k) => k.c.rank === rank).sort((a, b) => a.start - b.start);
        let prev = null;
        for (const k of mine) {
          if (prev !== null && k.start > prev) gap(s, x(prev), x(k.start), y0 + 16, prev, k.start);
          prev = Math.max(prev ?? k.end, k.end);
          rect(s, x(k.start), x(k.end), y0 + 16, `compile ${k.c.compile_id} ${k.c.co_name || ""}`.trim(), k.start - t0, k.end - k.start, null, k.c.compile_id, "#aab4c3", 1, k.c.rank);
          if (x(k.end) - x(k.start) >= 2) phases(s, k.c.phases, 1, y0 + 16, k.c, x, k.offset);  // zoom in to see a narrow one's
        }
        const yb = y0 + 16 + (DEPTH + 1) * ROW;
        for (const b of bg.filter((b) => b.rank === rank)) {
          rect(s, x(b.start_s), x(b.end), yb, b.name, b.start_s - t0, b.duration_s, null, `none (background thread ${b.thread})`, stageColor(b.name), 1, b.rank);
        }
      });
      box.textContent = ""; box.appendChild(s);
      document.getElementById("range").textContent = `showing ${secs(axis.toT(v0) - t0)} to ${secs(axis.toT(v1) - t0)} of ${secs(t1 - t0)}`;
    }
    function ticks(s, W) {
      const step = niceStep(v1 - v0);
      for (let c = Math.ceil(v0 / step) * step; c <= v1; c += step) {
        const seg = axis.segs.find((g) => c >= g.c0 && c <= g.c1);
        if (!seg || seg.cut) continue;
        const px = (c - v0) / (v1 - v0) * W;
        s.appendChild(svg("line", { x1: px, x2: px, y1: 12, y2: s.getAttribute("height"), class: "tick" }));
        const t = svg("text", { x: px + 2, y: 10, class: "lane" }); t.textContent = secs(axis.toT(c) - t0); s.appendChild(t);
      }
      for (const g of axis.cuts) {
        const xa = (g.c0 - v0) / (v1 - v0) * W, xb = (g.c1 - v0) / (v1 - v0) * W;
        if (xb < 0 || xa > W) continue;
        const z = svg("path", { d: `M${xa} 2 l${(xb - xa) / 4} 8 l${(xb - xa) / 4} -8 l${(xb - xa) / 4} 8 l${(xb - xa) / 4} -8`, class: "zigzag" });
        s.appendChild(z);
        const t = svg("text", { x: xa + 2, y: 22, class: "lane", "data-role": "cut" }); t.textContent = `${secs(g.t1 - g.t0)} untraced`; if (xb - xa > 40) s.appendChild(t);
      }
    }
    function phases(s, list, depth, y0, c, x, offset) {
      if (depth > DEPTH) return;
      for (const p of list) {
        for (const [start0, dur] of p.calls && p.calls.length ? p.calls : [[p.start_s, p.total_s]]) {
          if (start0 === null) continue;
          const start = start0 - offset;
          if (x(start + dur) - x(start) < 0.5) continue;  // narrower than half a pixel: drawn when zoomed in
          rect(s, x(start), x(start + dur), y0 + depth * ROW, p.name, start - t0, dur, p.calls ? null : p.self_s, c.compile_id, stageColor(p.name), p.calls ? 1 : p.count, c.rank);
        }
        phases(s, p.children, depth + 1, y0, c, x, offset);
      }
    }
    function rect(s, xa, xb, y, name, start, dur, self, cid, fill, calls, rank) {
      const W = Number(s.getAttribute("width"));
      if (xb < 0 || xa > W) return;
      const a = Math.max(0, xa), w = Math.max(1, Math.min(W, xb) - a);
      const r = svg("rect", { x: a, y, width: w, height: ROW - 2, class: "span", fill, "data-name": name, "data-compile": cid || "" });
      const text = `${name}\nstart ${secs(start)}  duration ${secs(dur)}` + (self !== null ? `  self ${secs(self)}` : "") + (calls > 1 ? `  (${calls} calls)` : "") + `\ncompile ${cid}${rankOf(rank)}`;
      r.addEventListener("mousemove", (ev) => showTip(ev, text)); r.addEventListener("mouseleave", hideTip);
      s.appendChild(r);
      if (w > 40) { const t = svg("text", { x: a + 3, y: y + ROW - 5, fill: textOn(fill) }); t.textContent = name.slice(0, Math.floor(w / 6.5)); s.appendChild(t); }
    }
    function gap(s, xa, xb, y, a, b) {
      if (xb - xa < 2) return;
      const r = svg("rect", { x: Math.max(0, xa), y, width: xb - Math.max(0, xa), height: ROW - 2, class: "gap" });
      r.addEventListener("mousemove", (ev) => showTip(ev, `untraced\n${secs(b - a)} between compiles`)); r.addEventListener("mouseleave", hideTip);
      s.appendChild(r);
      if (xb - xa > 60) { const t = svg("text", { x: Math.max(0, xa) + 3, y: y + ROW - 5, class: "lane" }); t.textContent = "untraced"; s.appendChild(t); }
    }
    box.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = box.getBoundingClientRect();
      zoom(ev.deltaY > 0 ? 1.25 : 0.8, v0 + (ev.clientX - r.left) / r.width * (v1 - v0));
    }, { passive: false });
    let drag = null;
    box.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, v0, v1 }; });
    window.addEventListener("pointerup", () => { drag = null; });
    box.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dc = (ev.clientX - drag.x) / box.clientWidth * (drag.v1 - drag.v0);
      v0 = drag.v0 - dc; v1 = drag.v1 - dc; clamp(); draw();
    });
    box.addEventListener("keydown", (ev) => {
      const step = (v1 - v0) * 0.2;
      if (ev.key === "ArrowLeft") pan(-step); else if (ev.key === "ArrowRight") pan(step);
      else if (ev.key === "+" || ev.key === "=") zoom(0.5); else if (ev.key === "-") zoom(2);
    });
    window.addEventListener("resize", draw);
    draw();
  }

  // ---- flame charts (icicle) ---------------------------------------------------------------------
  function icicle(into, root, opts) {
    // root: {name,total_s,self_s,count,children}; opts.colorOf(node) -> "#rrggbb"; opts.extra(node) -> text
    const ROW = 18;
    let focus = root, query = "";
    const search = el("input", { type: "search", placeholder: "highlight a phase name", "aria-label": "highlight a phase name" });
    search.addEventListener("input", () => { query = search.value.toLowerCase(); draw(); });
    const found = el("span", { class: "note", "data-role": "found" });
    const bar = el("div", { class: "toolbar" }, [search, found, el("button", { type: "button", text: "top", onclick: () => { focus = root; draw(); } }), el("span", { class: "note", "data-role": "focus" })]);
    const box = el("div", { class: "chart flame" });
    into.appendChild(bar); into.appendChild(box);
    function layout(W) {  // the rectangles drawn (a node under half a pixel is not), with their depth
      const out = [];
      (function walk(n, x0, w, depth) {
        if (w < 0.5) return;
        out.push({ n, x0, w, depth });
        const sum = n.children.reduce((a, c) => a + c.total_s, 0), base = Math.max(n.total_s, sum) || 1e-12;
        let cx = x0;
        for (const c of n.children) { const cw = w * (c.total_s / base); walk(c, cx, cw, depth + 1); cx += cw; }
      })(focus, 0, W, 0);
      return out;
    }
    function hits(n) { return (query && n.name.toLowerCase().includes(query) ? 1 : 0) + n.children.reduce((a, c) => a + hits(c), 0); }
    function draw() {
      hideTip();
      const W = Math.max(320, box.clientWidth || 900), boxes = layout(W);
      const H = (Math.max(0, ...boxes.map((b) => b.depth)) + 1) * ROW;  // fitted to what is drawn
      const s = svg("svg", { width: W, height: H, role: "img", "aria-label": opts.label });
      for (const { n, x0, w, depth } of boxes) {
        const hit = query && n.name.toLowerCase().includes(query);
        const fill = opts.colorOf(n);
        const r = svg("rect", { x: x0, y: depth * ROW, width: Math.max(0.5, w - 0.5), height: ROW - 1, class: "span flame-rect" + (hit ? " hit" : ""), fill, tabindex: "0", "data-name": n.name });
        const text = `${n.name}\ntotal ${secs(n.total_s)}  self ${secs(n.self_s)}  ${n.count} call${n.count === 1 ? "" : "s"}  ${pct(n.total_s / (root.total_s || 1e-12))} of all` + (opts.extra ? opts.extra(n) : "");
        r.addEventListener("mousemove", (ev) => showTip(ev, text)); r.addEventListener("mouseleave", hideTip);
        r.addEventListener("focus", () => { document.getElementById("status").textContent = text.replace(/\n/g, "  "); });
        const go = () => { focus = n; draw(); };
        r.addEventListener("click", go); r.addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
        s.appendChild(r);
        if (w > 36) { const t = svg("text", { x: x0 + 3, y: depth * ROW + ROW - 5, fill: hit ? "#10131a" : textOn(fill) }); t.textContent = n.name.slice(0, Math.floor(w / 6.5)); s.appendChild(t); }
      }
      box.textContent = ""; box.appendChild(s);
      const total = query ? hits(focus) : 0;
      found.textContent = query ? `${total} match${total === 1 ? "" : "es"}${total && !s.querySelector("rect.hit") ? " (too narrow to draw here: zoom in)" : ""}` : "";
      bar.querySelector("[data-role=focus]").textContent = focus === root ? "click a phase to zoom into it" : `zoomed into ${focus.name} (${secs(focus.total_s)})`;
    }
    window.addEventListener("resize", draw);
    draw();
  }
  function treeOf(name, phases) {
    const total = phases.reduce((a, p) => a + p.total_s, 0);
    return { name, total_s: total, self_s: 0, count: 1, children: phases };
  }
  function stagesIn(node, into) { into.add(stageOf(node.name)[0]); for (const c of node.children) stagesIn(c, into); return into; }

  // ---- report sections ---------------------------------------------------------------------------
  function reportPage(d) {
    header(d, "compileprof report");
    banner(d);
    answers(d);
    cards(d);
    if (d.run) runSection(d, section("The run", "run"));
    timeline(d, section("Timeline", "timeline"));
    if (d.compiles_total > d.compiles.length) app.lastChild.appendChild(el("p", { class: "note", text: `The first ${d.compiles.length} of ${d.compiles_total} compiles are drawn; the flame chart and the totals hold them all.` }));
    flameSection(d, section("Flame chart of phase totals", "flame"));
    if ((d.jobs || []).length > 1) jobsTable(d, section("Jobs", "jobs"));
    compilesTable(d, section("Compiles", "compiles"));
    if ((d.pieces || []).length) pieces(d, section("Piecewise: pieces and sizes", "pieces"));
    if ((d.exports || []).length) exportsSection(d, section("torch.export and AOTInductor", "exports"));
    overhead(d, section("Logging overhead and runtime asserts", "overhead"));
    if (d.measurements) measurements(d, section("Measurements", "measurements"));
    if (d.instructions_view) instructions(d.instructions_view, section("Instructions of the compile step (callgrind)", "instructions"));
    why(d, section("Graph breaks, recompiles, failures, restarts", "why"));
    if ((d.divergence || []).length) divergence(d, section("Divergence between ranks", "divergence"));
  }
  function flameSection(d, fl) {
    const pick = el("select", { "aria-label": "which compiles" }, [el("option", { value: "", text: "all compiles" }),
      ...d.compiles.map((c, i) => el("option", { value: String(i), text: `compile ${c.compile_id}${rankOf(c.rank)} ${c.co_name || ""} (${secs(c.compile_time_s)})` }))]);
    const holder = el("div");
    fl.appendChild(el("div", { class: "toolbar" }, [pick])); fl.appendChild(holder);
    if (d.phases_cut) fl.appendChild(el("p", { class: "note", text: `${count(d.phases_cut, "compile")}' own trees were cut to 6 levels to keep the page small; "all compiles" holds every level.` }));
    const drawFlame = () => {
      holder.textContent = "";
      const c = pick.value === "" ? null : d.compiles[+pick.value];
      const root = c ? treeOf(`compile ${c.compile_id}${rankOf(c.rank)}`, c.phases) : d.flame;
      const extra = (n) => (n.instructions !== undefined ? `\ninstructions ${n.instructions.toLocaleString("en")} (callgrind)` : "");
      icicle(holder, root, { label: "flame chart", colorOf: (n) => stageColor(n.name), extra });
      legend(holder, stagesIn(root, new Set()));
    };
    pick.addEventListener("change", drawFlame); drawFlame();
  }
  function runSection(d, into) {
    const r = d.run, said = (d.said || {}).run || {};
    const model = r.model || {}, versions = Object.entries(r.versions || {}).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(", ");
    into.appendChild(table([["", "k", "text"], ["", "v", "text"]], [
      { k: "model", v: model.label || "?" }, { k: "backend", v: r.backend }, { k: "device", v: `${r.device_name || r.device}, ${count(r.threads || 0, "thread")}` },
      { k: "versions", v: versions }, { k: "cache", v: `${r.cache} (report from the ${r.primary} compile)` }, { k: "status", v: r.status },
    ]));
    const ORDER = ["import", "check options", "build model", "compile", "check output", "compile asserts off", "measure asserts", "measure", "measure logging"];
    const kids = Object.entries(r.children || {});
    const seen = new Set(kids.flatMap(([, c]) => Object.keys(c.steps_s || {})));
    const steps = [...ORDER.filter((s) => seen.has(s)), ...[...seen].filter((s) => !ORDER.includes(s)).sort()];
    into.appendChild(el("h3", { text: "Steps (wall time in the child process)" }));
    into.appendChild(table([["process", "label", "text"], ...steps.map((s) => [s, s, "num", secs]), ["child total", "wall_s", "num", secs], ["status", "status", "text"]],
      kids.map(([label, c]) => ({ label, ...(c.steps_s || {}), wall_s: c.wall_s, status: c.status }))));
    sentences(into, said.wall);
    if (said.check) into.appendChild(el("p", { class: said.check_warn ? "warn" : "", text: said.check }));
    if (said.forward) into.appendChild(el("p", { text: said.forward }));
    if ((r.cache_runs || []).length > 1) {
      into.appendChild(el("h3", { text: "Cold and warm Inductor cache, side by side" }));
      into.appendChild(table([["compile", "label", "text"], ["compiles", "compiles", "num"], ["compile time", "compile_time_s", "num", secs],
        ["cache", "cache", "text", (v) => Object.entries(v || {}).map(([k, n]) => `${k} ${n}`).join(", ") || "no cache events"]], r.cache_runs));
    }
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
      ["why", "why", "text"],
    ], d.compiles.map((c) => ({ ...c, backward_s: c.backward ? c.backward.compile_time_s : null,
      why: c.fail_reason ? `failed: ${c.fail_reason}` : c.recompile_reason ? `recompile: ${c.recompile_reason}` : (c.graph_break_reasons || []).length ? `graph break: ${c.graph_break_reasons[0]}` : "" }))));
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
  function exportsSection(d, into) {
    for (const x of d.exports) {
      into.appendChild(el("h3", { text: `${x.path}${rankOf(x.rank)}: ${count(x.exports, "export")}, ${x.succeeded} succeeded, ${x.failed} failed` }));
      into.appendChild(table([["attempt", "i", "num"], ["result", "ok", "text", (v) => (v ? "ok" : "failed")], ["program nodes", "program_nodes", "num"],
        ["ops", "program_ops", "num"], ["inputs", "inputs", "text", (v) => (v || []).join(", ")], ["failure", "failure", "text"]],
        (x.attempts || []).map((a, i) => ({ ...a, i: i + 1 }))));
      const facts = [`guards added: ${x.guards_added}`, `specializations: ${x.specializations}`, `symbols: ${x.symbols} (unbacked ${x.unbacked_symbols})`,
        `data-dependent errors: ${x.data_dependent_errors}`, `fake-kernel issues: ${x.fake_kernel_issues}`];
      into.appendChild(el("p", { text: facts.join("; ") }));
      const lists = [["Data-dependent errors", x.data_dependent_list], ["Specializations", x.specialization_list], ["Guards", x.guards], ["Fake-kernel issues", x.fake_kernel_list]];
      for (const [title, list] of lists) if ((list || []).length) into.appendChild(el("details", {}, [el("summary", { text: `${title} (${list.length})` }), el("pre", { text: list.join("\n") })]));
    }
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
      const det = el("details", {}, [el("summary", { text: `compile ${g.compile_id}${rankOf(g.rank)}${g.variant ? " (" + g.variant + ")" : ""}: ${total} asserts (${g.language})` })]);
      det.appendChild(el("div", { class: "note", text: `inputs checked: ${(g.guarded_inputs || []).join(", ") || "none"}; outputs checked by op: ${Object.entries(g.guarded_ops || {}).map(([k, n]) => k + " x" + n).join(", ") || "none"}` }));
      if ((g.lines || []).length) det.appendChild(el("pre", { text: g.lines.join("\n") + (total > g.lines.length ? `\n... ${total - g.lines.length} more` : "") }));
      into.appendChild(det);
    }
  }
  function measurements(d, into) {
    // each measurement's sentences (as the console says them), and its 95% interval drawn as a bar around zero
    const m = d.measurements, said = d.said || {};
    for (const [key, title] of [["asserts", "Runtime asserts"], ["logging", "TORCH_TRACE logging"]]) {
      if (!m[key]) continue;
      into.appendChild(el("h3", { text: title }));
      const lines = said[key] || [];
      for (const s of lines) into.appendChild(el("p", { class: s.startsWith("Noisy") || s.startsWith("WARNING") ? "warn" : "", text: s }));
      const rows = [];
      (function walk(obj, path) {
        if (!obj || typeof obj !== "object" || Array.isArray(obj)) return;
        if (Array.isArray(obj.ci95_s) && obj.ci95_s.length === 2) rows.push({ path, ...obj });
        for (const [k, v] of Object.entries(obj)) walk(v, path ? path + "." + k : k);
      })(m[key], key);
      for (const r of rows) {
        const [lo, hi] = r.ci95_s, mid = r.delta_s ?? (lo + hi) / 2;
        const span = Math.max(Math.abs(lo), Math.abs(hi), Math.abs(mid), 1e-12) * 1.1, pos = (v) => 50 + 50 * v / span;
        const verdict = r.significant === undefined ? "" : r.significant ? " (significant)" : " (not significant)";
        into.appendChild(el("div", { class: "measure" }, [el("div", { text: `${r.path}: difference ${secs(mid)}, 95% CI ${secs(lo)} to ${secs(hi)}${verdict}` }),
          el("div", { class: "ci", title: "95% confidence interval; the black line is zero" }, [el("span", { style: `left:${pos(lo)}%;width:${Math.max(0.5, pos(hi) - pos(lo))}%` }), el("i", { style: "left:50%" })])]));
      }
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
    for (const [kind, list] of [["recompile", s.recompiles], ["failure", s.failures], ["restart", s.restarts]]) {
      for (const n of list || []) rows.push({ kind, compile_id: n.compile_id, rank: n.rank, reason: n.reason ?? [n.fail_type, n.fail_reason].filter((x) => x).join(": ") });
    }
    into.appendChild(rows.length ? table([["what", "kind", "text"], ["compile", "compile_id", "text"], ["rank", "rank", "num"], ["reason", "reason", "text"]], rows) : el("p", { class: "note", text: "None in these logs." }));
  }
  function divergence(d, into) {
    const rows = d.divergence.map((x) => ({ check: x.check, diverged: x.diverged ? "yes" : "no", note: x.note || "", groups: (x.groups || []).map((g) => `ranks ${g.ranks}: ${g.summary}`).join("; ") }));
    into.appendChild(table([["check", "check", "text"], ["differs", "diverged", "text"], ["groups", "groups", "text"], ["compared", "note", "text"]], rows));
  }

  // ---- diff page ---------------------------------------------------------------------------------
  const REAL = new Set(["exact", "significant"]);
  function diffPage(d) {
    app.appendChild(el("h1", { text: "compileprof diff" }));
    app.appendChild(el("div", { class: "meta", text: `A: ${d.a_label}   B: ${d.b_label}` + (d.made ? ` · made by ${d.made.tool} at ${d.made.at}` : "") }));
    app.appendChild(el("div", { id: "status", class: "note", "aria-live": "polite" }));
    if ((d.differing || []).length) app.appendChild(el("p", { class: "warn", text: `The environments differ (${d.differing.join(", ")}): times and instruction counts are not comparable.` }));
    if (d.flame) diffFlame(d);
    const m = section("Metrics", "metrics");
    m.appendChild(el("p", { class: "note", text: "A change is coloured only when it is real: an exact count that changed, an instruction count past 1%, or a time significant at p < 0.01 over 5 or more samples a side (compileprof run --repeat 5). Other time changes are marked noise or untested." }));
    m.appendChild(table([["metric", "name", "text"], ["kind", "kind", "text"], ["A", "a", "num", (v, r) => r.a_text], ["B", "b", "num", (v, r) => r.b_text],
      ["change", "rel_change", "num", (v, r) => changeCell(r)], ["evidence", "evidence", "text", (v, r) => r.evidence_text]], d.rows));
    if ((d.changes || []).length) whatChanged(d, section("What changed in what was compiled (ranked by the time each compile's change cost)", "changes"));
    if ((d.cache_lines || []).length) { const c = section("Cache misses of B, explained against A", "cache"); c.appendChild(el("pre", { text: d.cache_lines.join("\n") })); }
    if (d.a) { cards(d.a, section("A", "a")); cards(d.b, section("B", "b")); }
  }
  function whatChanged(d, into) {
    const view = el("div", { class: "sbs-holder" });
    const list = el("ol", { class: "changes" }, d.changes.map((c, i) => el("li", {}, [
      el("span", { class: c.status === "changed" ? "" : "warn", text: c.summary }),
      ...c.graphs.map((g, j) => el("button", { type: "button", class: "small", "data-change": `${i}.${j}`, text: `side by side: ${g.name}${g.kind.includes("#") ? " " + g.kind.split("#")[1] : ""}`,
        onclick: () => sideBySide(view, `compile ${c.compile_id}: ${g.name}`, g.rows) })),
    ])));
    into.appendChild(list); into.appendChild(view);
  }
  function sideBySide(into, title, rows) {
    into.textContent = "";
    into.appendChild(el("h3", { text: title }));
    into.appendChild(el("p", { class: "note", text: "The normalized code of A (left) and B (right): node names without their counters, comments dropped. Yellow: changed lines; red: only in A; green: only in B." }));
    const body = el("tbody", {}, rows.map(([tag, a, b]) => el("tr", { class: { "~": "chg-line", "-": "only-a", "+": "only-b", "...": "gap-line" }[tag] || "" }, [
      el("td", { class: "code" }, [el("code", { text: a })]), el("td", { class: "code" }, [el("code", { text: b })])])));
    into.appendChild(el("table", { class: "sbs", role: "table" }, [el("thead", {}, [el("tr", {}, [el("th", { text: "A" }), el("th", { text: "B" })])]), body]));
    into.scrollIntoView({ block: "nearest" });
  }
  function changeCell(r) {
    if (r.change === null || r.change === undefined) return "-";
    const real = REAL.has(r.evidence) && r.change !== 0;
    return el("span", { class: real ? (r.change > 0 ? "chg worse" : "chg better") : "chg", "data-evidence": r.evidence, text: r.change_text });
  }
  function diffFlame(d) {
    const fl = section("Differential flame chart (B's phases, coloured by change from A)", "flame");
    const rows = new Map((d.rows || []).map((r) => [r.name, r]));
    const verdict = (n) => { const r = rows.get("phase." + n.name); return r ? r.evidence : null; };
    const all = el("input", { type: "checkbox", id: "all-changes" });
    fl.appendChild(el("div", { class: "toolbar" }, [all, el("label", { for: "all-changes", text: "colour untested changes too (not known to be real)" })]));
    fl.appendChild(el("p", { class: "note", text: "Red: slower in B, blue: faster, the stronger the larger; only where the phase's change is significant (its phase.* metric, 5 or more samples a side). Grey: unchanged, noise, or untested. Width: the larger of A's and B's time (a phase only one side has is drawn too)." }));
    const max = Math.max(1e-12, ...(function walk(n) { return [Math.abs(n.change_s || 0), ...n.children.flatMap(walk)]; })(d.flame));
    const holder = el("div");
    fl.appendChild(holder);
    const draw = () => {
      holder.textContent = "";
      icicle(holder, d.flame, {
        label: "differential flame chart",
        colorOf: (n) => {
          const c = n.change_s || 0, ev = verdict(n), shown = ev === "significant" || (all.checked && c !== 0);
          if (!shown || c === 0) return "#d3d8e0";
          return mix("#ffffff", c > 0 ? "#e0787a" : "#7ea6ef", 0.25 + 0.75 * Math.abs(c) / max);
        },
        extra: (n) => `\nA ${secs(n.a_s)}  B ${secs(n.b_s)}  change ${n.change_s > 0 ? "+" : ""}${secs(n.change_s)}` +
          `\n${verdict(n) === "significant" ? "significant (p < 0.01)" : verdict(n) ? "not shown to be real: " + verdict(n) : "not tested (no samples of this phase)"}`,
      });
    };
    all.addEventListener("change", draw); draw();
  }

  // ---- sweep page --------------------------------------------------------------------------------
  function sweepPage(d) {
    app.appendChild(el("h1", { text: "compileprof sweep" }));
    app.appendChild(el("div", { class: "meta", text: `${d.summary} · started ${d.started}` + (d.made ? ` · made by ${d.made.tool}` : "") }));
    app.appendChild(el("div", { id: "status", class: "note", "aria-live": "polite" }));
    const s = section("Cells: model x variant", "cells");
    const max = Math.max(1e-12, ...d.rows.map((r) => r.compile_time_s || 0));
    const safe = /^[A-Za-z0-9_.-]+\/report\.html$/;  // a link this sweep made to a cell's page; nothing else
    s.appendChild(table([
      ["model", "model", "text"], ["variant", "variant", "text"], ["status", "status", "text", (v) => el("span", { class: v === "ok" ? "" : "warn", text: v })],
      ["compile time", "compile_time_s", "num", secs],
      ["", "compile_time_s", "text", (v) => el("div", { class: "bar", style: `width:${Math.max(1, Math.round(160 * (v || 0) / max))}px`, title: secs(v) })],
      ["frames", "frames", "num"], ["graph breaks", "graph_breaks", "num"], ["recompiles", "recompiles", "num"], ["pieces", "pieces", "num"],
      ["asserts", "asserts", "num"], ["cache hit/miss", "cache_misses", "num", (v, r) => (r.cache_hits === null ? "-" : `${r.cache_hits}/${v}`)],
      ["wall", "wall_s", "num", secs], ["where", "where", "text"],
      ["report", "report", "text", (v) => (v && safe.test(v) ? el("a", { href: v, text: "report" }) : "-")],
      ["error", "error", "text"],
    ], d.rows));
  }

  if (D.kind === "diff") diffPage(D); else if (D.kind === "sweep") sweepPage(D); else reportPage(D);
})();
