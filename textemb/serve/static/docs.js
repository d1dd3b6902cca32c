// Renders /openapi.json as a list of endpoints with their request schemas (no CDN, no HTML parsing).
"use strict";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function schemaOf(spec, ref) {
  const name = ref.split("/").pop();
  return (spec.components && spec.components.schemas && spec.components.schemas[name]) || {};
}

async function render() {
  const out = document.getElementById("endpoints");
  const spec = await (await fetch("/openapi.json")).json();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const box = el("div", "endpoint");
      const head = el("div");
      head.appendChild(el("span", "method", method.toUpperCase()));
      head.appendChild(el("code", null, path));
      head.appendChild(el("span", "info", "  " + (op.summary || "")));
      box.appendChild(head);
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body && body.schema && body.schema.$ref) {
        const s = schemaOf(spec, body.schema.$ref);
        const lines = [];
        for (const [k, v] of Object.entries(s.properties || {})) {
          const type = v.enum ? v.enum.join(" | ") : (v.type || "");
          const dflt = v.default !== undefined ? " = " + JSON.stringify(v.default) : "";
          lines.push(k + ": " + type + dflt + (v.description ? "   — " + v.description : ""));
        }
        box.appendChild(el("pre", null, lines.join("\n")));
      }
      for (const p of op.parameters || []) box.appendChild(el("div", "info", "query parameter " + p.name));
      out.appendChild(box);
    }
  }
}

document.addEventListener("DOMContentLoaded", render);
