// textemb page: talks to the JSON API of the server that sent it. Every string from the
// server (titles, passages, words) is put in the page with textContent or as SVG text nodes,
// never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

function token() { return sessionStorage.getItem("textemb-token") || ""; }

async function api(path, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token()) headers["Authorization"] = "Bearer " + token();
  const resp = await fetch(path, { method: body === undefined ? "GET" : "POST", headers,
                                   body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (resp.status === 401) $("token-box").classList.remove("hidden");
  if (!resp.ok) {
    const msg = data && data.error ? data.error.message : ("HTTP " + resp.status);
    throw new Error(msg);
  }
  return data;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function showError(target, err) {
  target.textContent = "";
  target.className = "info error";
  target.textContent = err.message;
}

function info(target, text) {
  target.className = "info";
  target.textContent = text;
}

// ------------------------------------------------------------------ tabs
function selectTab(name) {
  for (const t of ["search", "words"]) {
    const on = t === name;
    $("tab-" + t).classList.toggle("active", on);
    $("tab-" + t).setAttribute("aria-selected", on ? "true" : "false");
    $("panel-" + t).classList.toggle("hidden", !on);
  }
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
}

// ------------------------------------------------------------------ search
function passageNode(text, spans) {
  // text with the [start, end) spans wrapped in <mark>, built from text nodes only
  const p = el("p", "passage");
  let at = 0;
  for (const [s, e] of spans) {
    if (s < at || e > text.length) continue;
    p.appendChild(document.createTextNode(text.slice(at, s)));
    p.appendChild(el("mark", null, text.slice(s, e)));
    at = e;
  }
  p.appendChild(document.createTextNode(text.slice(at)));
  return p;
}

function hitNode(hit) {
  const li = el("li", "hit");
  const head = el("div", "hit-head");
  head.appendChild(el("span", "score", hit.score === null ? "-" : hit.score.toFixed(4)));
  if (hit.title) head.appendChild(el("span", "title", hit.title));
  const where = hit.id === hit.source ? hit.source : hit.source + " [" + hit.id.split("#").pop() + "]";
  head.appendChild(el("span", "source", where));
  li.appendChild(head);
  li.appendChild(passageNode(hit.excerpt, hit.highlights || []));
  return li;
}

async function runSearch(ev) {
  if (ev) ev.preventDefault();
  const query = $("query").value;
  const out = $("results");
  if (!query.trim()) return;
  info($("search-info"), "searching…");
  try {
    const r = await api("/search", { query, k: parseInt($("k").value, 10) || 10,
                                      mode: $("mode").value, doc_score: $("doc-score").value });
    out.textContent = "";
    for (const hit of r.hits) out.appendChild(hitNode(hit));
    info($("search-info"), r.hits.length + " results in " + r.took_ms + " ms (index generation " + r.generation +
         ", " + r.documents + " documents)" + (r.hits.length ? "" : ": no query word is known to the encoder"));
    out.dataset.generation = String(r.generation);
    out.dataset.query = query;  // lets a test (or a script) see which query the list answers
  } catch (err) { out.textContent = ""; showError($("search-info"), err); }
}

// ------------------------------------------------------------------ words
function wordList(target, items) {
  target.textContent = "";
  for (const it of items) target.appendChild(el("li", null, it.word + "  " + it.score.toFixed(4)));
}

async function runNeighbors(ev) {
  ev.preventDefault();
  try {
    const r = await api("/neighbors", { word: $("nb-word").value, k: parseInt($("nb-k").value, 10) || 10 });
    wordList($("neighbors"), r.neighbors);
    info($("words-info"), "neighbours of " + r.word);
  } catch (err) { $("neighbors").textContent = ""; showError($("words-info"), err); }
}

async function runAnalogy(ev) {
  ev.preventDefault();
  try {
    const r = await api("/analogy", { a: $("an-a").value, b: $("an-b").value, c: $("an-c").value, k: 5 });
    wordList($("analogies"), r.answers);
    info($("words-info"), r.a + " : " + r.b + " :: " + r.c + " : " + (r.answers.length ? r.answers[0].word : "?"));
  } catch (err) { $("analogies").textContent = ""; showError($("words-info"), err); }
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function drawScatter(svg, words, points) {
  svg.textContent = "";
  const W = 720, H = 460, pad = 50;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + (W - 2 * pad) * (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5);
  const sy = (y) => H - pad - (H - 2 * pad) * (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5);
  svg.appendChild(svgEl("line", { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad }));
  svg.appendChild(svgEl("line", { x1: pad, y1: pad, x2: pad, y2: H - pad }));
  svg.appendChild(svgEl("text", { x: W - pad, y: H - pad + 30, "text-anchor": "end" }, "PC1"));
  svg.appendChild(svgEl("text", { x: pad - 30, y: pad - 10 }, "PC2"));
  const placed = [];  // label boxes already drawn: move a label down until it overlaps none
  const overlaps = (x, y, w) => placed.some((b) => x < b.x + b.w && b.x < x + w && Math.abs(y - b.y) < 14);
  words.forEach((w, i) => {
    const cx = sx(points[i][0]), cy = sy(points[i][1]);
    const lw = 7.5 * w.length + 4;
    let ly = cy - 6;
    while (overlaps(cx + 6, ly, lw) && ly < cy + 80) ly += 14;
    placed.push({ x: cx + 6, y: ly, w: lw });
    const g = svgEl("g", { class: "point" });
    g.appendChild(svgEl("circle", { cx, cy, r: 4 }));
    g.appendChild(svgEl("text", { x: cx + 6, y: ly }, w));
    svg.appendChild(g);
  });
}

async function runPca(ev) {
  if (ev) ev.preventDefault();
  const words = $("pca-words").value.split(/[\s,]+/).filter((w) => w);
  try {
    const r = await api("/pca", { words });
    drawScatter($("scatter"), r.words, r.points);
    const pct = r.explained.map((x) => (100 * x).toFixed(1) + "%").join(" + ");
    info($("pca-info"), r.words.length + " words; variance explained " + pct +
         (r.missing.length ? "; not in the vocabulary: " + r.missing.join(", ") : ""));
  } catch (err) { $("scatter").textContent = ""; showError($("pca-info"), err); }
}

// ------------------------------------------------------------------ start
async function loadHealth() {
  try {
    const h = await api("/health");
    $("token-box").classList.add("hidden");
    $("status").textContent = h.index.name + " · generation " + h.index.generation + " · " + h.index.documents +
      " documents · " + h.index.encoder;
    info($("words-info"), h.words.available ? "word vectors: " + h.words.spec + " (" + h.words.size + " words)"
      : "no word vectors: start the server with --words glove-6b-50d");
    return h;
  } catch (err) { $("status").textContent = err.message; return null; }
}

function start() {
  $("tab-search").addEventListener("click", () => selectTab("search"));
  $("tab-words").addEventListener("click", () => selectTab("words"));
  $("search-form").addEventListener("submit", runSearch);
  $("neighbors-form").addEventListener("submit", runNeighbors);
  $("analogy-form").addEventListener("submit", runAnalogy);
  $("pca-form").addEventListener("submit", runPca);
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("textemb-token", $("token").value);
    $("token").value = "";
    loadHealth();
  });
  selectTab(location.hash === "#words" ? "words" : "search");
  loadHealth();
}

document.addEventListener("DOMContentLoaded", start);
