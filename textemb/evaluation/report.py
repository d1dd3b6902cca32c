"""Render evaluation results as Markdown, JSON or one self-contained HTML page.

One or many :class:`EvalResult` objects (several encoders, several tasks) go in; a comparison
table (encoders side by side), per-result details, the worst misses and the exact settings come
out. HTML embeds its plots as base64 PNG (matplotlib, imported lazily), so the page is one file.

Names and words in results come from data (dataset files, encoder specs), so every renderer escapes
them: HTML with ``html.escape``, Markdown with :func:`md_escape` (no raw HTML, no links, no table
breaks), plots as plain text. A plot that fails is replaced by a note; the report is still written.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from textemb.errors import InputError
from textemb.evaluation.common_items import items_label, items_of
from textemb.evaluation.conventions import conventions
from textemb.evaluation.result import EvalResult

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".json": "json"}


def _as_list(results: EvalResult | Iterable[EvalResult]) -> list[EvalResult]:
    out = [results] if isinstance(results, EvalResult) else list(results)
    if not out:
        raise InputError("no results to report")
    return out


def format_for(path: str | Path) -> str:
    """``html``, ``markdown`` or ``json`` from a file name's extension."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"report {str(path)!r}: use a .html, .md or .json file name")
    return fmt


def write_report(results: EvalResult | Iterable[EvalResult], path: str | Path) -> Path:
    """Write a report whose format follows the extension (.html, .md, .json)."""
    from textemb.io.atomic import atomic_write_bytes

    path = Path(path)
    text = render(results, format_for(path))
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def render(results: EvalResult | Iterable[EvalResult], fmt: str = "markdown") -> str:
    results = _as_list(results)
    if fmt == "json":
        return to_json(results)
    if fmt == "markdown":
        return to_markdown(results)
    if fmt == "html":
        return to_html(results)
    raise InputError(f"unknown report format {fmt!r}: use html, markdown or json")


# ------------------------------------------------------------------------------ JSON
def to_json(results: EvalResult | Iterable[EvalResult]) -> str:
    results = _as_list(results)
    payload = {"generator": _generator(), "comparison": comparison(results), "results": [r.to_dict() for r in results]}
    return json.dumps(payload, indent=2, ensure_ascii=False, default=_default)


def load_results(path: str | Path, *, max_bytes: int = 256 * 1024**2) -> list[EvalResult]:
    """The results in a saved ``.json`` report (or one :meth:`EvalResult.to_json`, or a list of them).

    ``write_report(load_results("run.json"), "run.html")`` gives the report the live results gave,
    plots included (they are drawn from each result's serialised ``figures``).
    """
    from textemb.io.bounded import open_regular, read_capped

    with open_regular(path, what="results file") as fh:
        raw = read_capped(fh, max_bytes, path)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{str(path)!r} is not a JSON results file ({exc}); write one with a .json --report") from None
    items = payload.get("results", [payload]) if isinstance(payload, dict) else payload
    if not isinstance(items, list) or not all(isinstance(d, dict) for d in items):
        raise InputError(f"{str(path)!r}: expected a .json report (with 'results'), one result or a list of them")
    return _as_list(EvalResult.from_dict(d) for d in items)


def _generator() -> str:
    """The signature textemb writes into each report (so it can later replace its own report without --force)."""
    from textemb import __version__

    return f"textemb {__version__}"


def _default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


# ------------------------------------------------------------------------------ shared tables
def benchmark_name(r: EvalResult) -> str:
    """``google (analogy, 3cosadd)``: the dataset, task and method of a result."""
    return _benchmark(r)


def _benchmark(r: EvalResult) -> str:
    method = r.settings.get("method")
    return f"{r.dataset} ({r.task}{', ' + method if method else ''})"


def comparison(results: Sequence[EvalResult]) -> dict:
    """Encoders side by side: ``{"encoders": [...], "rows": [...]}``.

    One row per benchmark and item set: ``items`` is ``common`` (every model scored on the items all of
    them cover: the comparable figures), ``own`` (each model on what it covers; see ``coverage``) or
    ``all`` (every item, e.g. documents). Each row has ``values`` {encoder: primary metric} and
    ``coverage`` {encoder: [items covered, items in the dataset]}.
    """
    from textemb.evaluation.common_items import coverage

    encoders = list(dict.fromkeys(r.encoder for r in results))
    rows: dict[tuple[str, str], dict] = {}
    for r in results:
        row = rows.setdefault((_benchmark(r), items_of(r)), {
            "benchmark": _benchmark(r), "metric": r.primary, "items": items_of(r), "items_label": items_label(r),
            "values": {}, "coverage": {}})
        row["values"][r.encoder] = r.score
        row["coverage"][r.encoder] = list(coverage(r))
    return {"encoders": encoders, "rows": list(rows.values())}


def _summary(comp: dict) -> tuple[list[str], list[list[object]], dict[int, set[int]]]:
    """Head, rows and best cells of the summary table; own-items figures carry their coverage."""
    encoders = comp["encoders"]
    rows, best = [], {}
    for r_i, row in enumerate(comp["rows"]):
        vals = [row["values"].get(e) for e in encoders]
        finite = [v for v in vals if v is not None]
        if row["items"] != "own" and len(finite) > 1:  # only figures on the same items are ranked
            best[r_i] = {3 + i for i, v in enumerate(vals) if v == max(finite)}
        if row["items"] == "own":
            vals = [None if v is None else _with_coverage(v, row["coverage"][e]) for e, v in zip(encoders, vals)]
        rows.append([row["benchmark"], row["metric"], row["items_label"], *vals])
    return ["benchmark", "metric", "items", *encoders], rows, best


def _with_coverage(value: float, cov: list[int]) -> str:
    return f"{value:.4f} ({cov[0]:,} of {cov[1]:,})" if cov[0] != cov[1] else f"{value:.4f}"


def _fmt(v) -> str:
    """A cell: yes/no for booleans, small numbers such as 3e-05 in exponent form, others to 4 decimals."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}" if v and abs(v) < 1e-3 else f"{v:.4f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "–" if v is None else str(v)


def _section_columns(r: EvalResult) -> list[str]:
    if r.task == "analogy":
        return ["section", "correct", "total", "accuracy", "oov"]
    return [k for k in ("section", "spearman", "pearson", "pairs") if any(k in s for s in r.sections)]


def _miss_rows(r: EvalResult) -> tuple[list[str], list[list[str]]]:
    if r.task == "analogy":
        head = ["section", "a : b :: c : ?", "expected", "predicted", "score (pred / exp)"]
        rows = [[m["section"], " : ".join(m["question"][:2]) + " :: " + m["question"][2] + " : ?", m["expected"],
                 m["predicted"], f"{m['predicted_score']:.3f} / {m['expected_score']:.3f}"] for m in r.misses]
        return head, rows
    head = ["pair", "human", "model", "rank (human / model)"]
    rows = [[" ↔ ".join(_clip(x) for x in m["pair"]), f"{m['gold']:.2f}", f"{m['model']:.3f}",
             f"{m['gold_rank']:.0f} / {m['model_rank']:.0f}"] for m in r.misses]
    return head, rows


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _settings_rows(r: EvalResult) -> list[tuple[str, str]]:
    out = []
    for k, v in r.settings.items():
        if k == "dataset":
            for f in v.get("files", []):
                out.append(("dataset file", f"{f['path']} (sha256 {f['sha256'][:16]}…)"))
        elif k == "versions":
            out.append(("versions", ", ".join(f"{a} {b}" for a, b in v.items())))
        else:
            out.append((k, _fmt(v) if not isinstance(v, (dict, list)) else json.dumps(v)))
    return out


# ------------------------------------------------------------------------------ Markdown
#: backslash-escaped: escapes themselves, link/image brackets, table pipes, code spans, emphasis
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\[]|`*"})


def md_escape(text: object) -> str:
    """``text`` as literal Markdown: HTML escaped (no raw tags), link/emphasis/table syntax escaped.

    ``<script>`` shows as text, ``[x](javascript:...)`` is not a link, ``|`` does not break a table;
    control characters and newlines become visible escapes.
    """
    from textemb.text import printable

    escaped = html.escape(printable(text), quote=False)  # & < > first: the entities read as literal text
    return escaped.translate(_MD_SPECIAL)


def _md_table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(x) -> str:
        return md_escape(_fmt(x))

    lines = ["| " + " | ".join(md_escape(h) for h in head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(results: EvalResult | Iterable[EvalResult]) -> str:
    results = _as_list(results)
    comp = comparison(results)
    out = ["# textemb evaluation report", ""]
    head, rows, _ = _summary(comp)
    out += ["## How to read this report", "", *(f"- {md_escape(line)}" for line in conventions(results)), ""]
    out += ["## Summary", "", _md_table(head, rows), ""]
    for r in results:
        out += [f"## {md_escape(r.encoder)} — {md_escape(_benchmark(r))} · items: {md_escape(items_label(r))}", "",
                f"**{md_escape(r.primary)} = {r.score:.4f}**", ""]
        out += [_md_table(["metric", "value"], [[k, v] for k, v in r.metrics.items()]), ""]
        if r.task == "analogy":
            cols = _section_columns(r)
            out += ["### Sections", "", _md_table(cols, [[s.get(c) for c in cols] for s in r.sections]), ""]
        if r.misses:
            head, rows = _miss_rows(r)
            out += ["### Worst misses", "", _md_table(head, rows[:10]), ""]
        out += ["### Settings", "", _md_table(["setting", "value"], _settings_rows(r)), ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------ HTML
_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;
background:#f6f7f9;color:#1d2430}
header{background:#1d2430;color:#fff;padding:22px 36px}header h1{margin:0;font-size:24px}
header p{margin:6px 0 0;color:#b8c0cc;font-size:14px}
main{padding:20px 36px;max-width:1150px}
section.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;margin:18px 0}
h2{font-size:19px;margin:0 0 10px}h3{font-size:15px;margin:18px 0 8px;color:#39424e}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{padding:5px 10px;border-bottom:1px solid #e6e8eb;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.best{font-weight:700;color:#0b6b2f}
.kpis{display:flex;gap:14px;flex-wrap:wrap;margin:4px 0 8px}
.kpi{background:#f0f4ff;border-radius:6px;padding:8px 14px;min-width:120px}
.kpi b{display:block;font-size:20px}.kpi span{font-size:12px;color:#566}
img{max-width:100%;height:auto;border:1px solid #eee;border-radius:4px;background:#fff}
details{margin-top:10px}summary{cursor:pointer;color:#39424e;font-weight:600;font-size:14px}
.muted{color:#6b7480;font-size:12px}
"""


def _h(x) -> str:
    return html.escape(_fmt(x))


def _html_table(head: Sequence[str], rows: Sequence[Sequence[object]], best: dict[int, set[int]] | None = None) -> str:
    parts = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r_i, row in enumerate(rows):
        cells = []
        for c_i, c in enumerate(row):
            cls = "num" if isinstance(c, (int, float)) and not isinstance(c, bool) else ""
            if best and c_i in best.get(r_i, set()):
                cls += " best"
            cells.append(f'<td class="{cls.strip()}">{_h(c)}</td>')
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _img(png: bytes | None | _PlotFailed, alt: str) -> str:
    if isinstance(png, _PlotFailed):
        return f'<p class="muted">{html.escape(alt)}: plot skipped ({html.escape(png.reason)}); the numbers are complete.</p>'
    if not png:
        return ""
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


@dataclass
class _PlotFailed:
    """Stands in for PNG bytes when a plot fails: the page shows a note, the report is still written."""

    reason: str


def _plot(make, *args, **kwargs) -> bytes | None | _PlotFailed:
    """PNG bytes from ``make``, or a :class:`_PlotFailed` note: a failing plot never loses the evaluation."""
    from textemb.text import excerpt

    try:
        return make(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - matplotlib (or a missing extra) must not cost the report
        return _PlotFailed(f"{type(exc).__name__}: {excerpt(exc, 160)}")


def to_html(results: EvalResult | Iterable[EvalResult], *, title: str = "textemb evaluation report") -> str:
    """One self-contained page: how to read it, the summary, the analogy pictures, one card per result."""
    from textemb.evaluation import plots

    results = _as_list(results)
    comp = comparison(results)
    head, rows, best = _summary(comp)
    body = ['<section class="card"><h2>How to read this report</h2><ul>'
            + "".join(f"<li>{html.escape(line)}</li>" for line in conventions(results)) + "</ul></section>",
            '<section class="card"><h2>Summary</h2>' + _html_table(head, rows, best) + "</section>"]
    body += _analogy_cards([r for r in results if r.task == "analogy"], plots)
    body += [_result_card(r, plots) for r in results]
    subtitle = f"{len(results)} result(s) · encoders: {', '.join(comp['encoders'])}"
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f'<meta name="generator" content="{_generator()}">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
            f"<main>{''.join(body)}</main></body></html>")


def _analogy_cards(analogy: list[EvalResult], plots) -> list[str]:
    """Per-section accuracy bars (encoders side by side per benchmark), then each encoder's pairs picture."""
    cards = []
    by_bench: dict[str, dict[str, list[dict]]] = {}
    for r in analogy:
        if items_of(r) == "own" and r.encoder in by_bench.get(_benchmark(r), {}):
            continue  # the same-items (common) sections are the ones to put side by side
        by_bench.setdefault(_benchmark(r), {})[r.encoder] = [s for s in r.sections if s["section"] != "Total accuracy"]
    for bench, sections in by_bench.items():
        png = _plot(plots.section_bars_png, sections, title=f"Per-section accuracy — {bench}")
        cards.append(f'<section class="card"><h2>Per-section accuracy: {html.escape(bench)}</h2>'
                     + _img(png, "per-section accuracy") + "</section>")
    pictured = set()
    for r in analogy:
        groups = r.figures.get("analogy_pairs")
        if groups and r.encoder not in pictured:
            pictured.add(r.encoder)
            png = _plot(plots.analogy_pairs_png, groups, title=f"{r.encoder}: PCA of analogy pairs")
            cards.append(f'<section class="card"><h2>Analogy pairs in 2-D (PCA): {html.escape(r.encoder)}</h2>'
                         '<p class="muted">Each arrow joins a word to its partner; parallel arrows of similar '
                         "length are what makes vector-offset analogies work.</p>"
                         + _img(png, "PCA of analogy pairs") + "</section>")
    return cards


def _result_card(r: EvalResult, plots) -> str:
    """One result: key metrics, its sections or correlation scatter, the worst misses, all settings."""
    kpis = "".join(f'<div class="kpi"><b>{_h(v)}</b><span>{html.escape(k)}</span></div>'
                   for k, v in list(r.metrics.items())[:6])
    heading = f"{r.encoder} — {_benchmark(r)} · items: {items_label(r)}"
    parts = [f'<section class="card"><h2>{html.escape(heading)}</h2>', f'<div class="kpis">{kpis}</div>']
    if r.task == "analogy":
        cols = _section_columns(r)
        parts.append("<h3>Sections</h3>" + _html_table(cols, [[s.get(c) for c in cols] for s in r.sections]))
    elif r.figures.get("correlation"):
        points = r.figures["correlation"]
        parts.append(_img(_plot(plots.correlation_png, points["gold"], points["model"],
                                title=f"{r.dataset}: human vs. model"), "correlation"))
    if r.misses:
        head, mrows = _miss_rows(r)
        parts.append("<h3>Worst misses</h3>" + _html_table(head, mrows[:12]))
    parts.append("<details><summary>All metrics and settings</summary>"
                 + _html_table(["metric", "value"], [[k, v] for k, v in r.metrics.items()])
                 + _html_table(["setting", "value"], _settings_rows(r)) + "</details>")
    parts.append("</section>")
    return "".join(parts)
