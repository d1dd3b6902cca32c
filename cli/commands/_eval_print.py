"""How ``textemb eval`` prints results: one analogy run in detail; several side by side, on common items.

Side by side, each benchmark row shows every model's figure on the items *all* of them cover (the
``items`` column says how many), then each model's figure on everything it covers alone, with that
coverage beside it. Accuracies over different question sets are never put next to each other unlabelled.
"""

from __future__ import annotations

from textemb.evaluation.common_items import coverage, items_of
from textemb.text import printable
from textemb_cli.output import table


def print_results(results: list) -> None:
    """One analogy result in detail, or a table of every benchmark and model; then the conventions."""
    if len(results) == 1 and results[0].task == "analogy":
        _print_one_analogy(results[0])
        return
    _print_side_by_side(results)
    if len(results) == 1:
        r = results[0]
        extra = {k: v for k, v in r.metrics.items() if k not in ("spearman", "pearson")}
        print(printable("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items())))
    for line in dict.fromkeys(conventions(r) for r in results if r.task != "analogy"):
        print(line)


def answered_line(r) -> str:
    """``9,036 correct of 19,486 questions answered (of 19,544; 58 skipped: ...)`` for an analogy result."""
    m, st = r.metrics, r.settings
    skipped = int(m["oov_questions"])
    where = (f"among the first {st['restrict_vocab']:,} words" if st.get("restrict_vocab")
             else "in the vocabulary")
    if st.get("oov") == "wrong":
        return (f"{m['correct']:,} correct of {m['questions']:,} questions ({skipped:,} with a word not {where} "
                "counted wrong)")
    why = f"; {skipped:,} skipped: a word is not {where}" if skipped else ""
    return f"{m['correct']:,} correct of {m['evaluated']:,} questions answered (of {m['questions']:,}{why})"


def _print_one_analogy(r) -> None:
    print(table(["section", "correct", "answered", "accuracy"],
                [[s["section"], s["correct"], s["total"], s["accuracy"]] for s in r.sections]))
    print()
    print(f"{printable(r.summary())}: {answered_line(r)}, {r.settings['elapsed_s']:.2f} s")


def _print_side_by_side(results: list) -> None:
    from textemb.evaluation.report import benchmark_name

    encoders = list(dict.fromkeys(r.encoder for r in results))
    benches: dict[str, dict[str, dict[str, object]]] = {}
    for r in results:
        benches.setdefault(benchmark_name(r), {}).setdefault(items_of(r), {})[r.encoder] = r
    with_common = any("common" in kinds for kinds in benches.values())
    head = ["benchmark", "metric", "items", *encoders]
    if with_common:
        head += [f"{e}: own items" for e in encoders]
    rows = []
    for bench, kinds in benches.items():
        first = next(iter(next(iter(kinds.values())).values()))
        for metric in (first.primary,) if first.task == "analogy" else ("spearman", "pearson"):
            rows.append([bench, metric, *_cells(kinds, metric, encoders, with_common)])
    print(table(head, rows))
    if with_common:
        print("items: common = scored on the items every model covers (the fair comparison); "
              "own items = each model on all it covers (how many beside each figure)")


def _cells(kinds: dict, metric: str, encoders: list[str], with_common: bool) -> list:
    """The items cell, one figure per encoder, and (when comparing on common items) the own-items figures."""
    own = kinds.get("own") or kinds.get("all") or {}
    common = kinds.get("common")
    if common:
        any_r = next(iter(common.values()))
        n, total = any_r.settings["items"]["common"], any_r.settings["items"]["total"]
        main = [_value(common.get(e), metric) for e in encoders]
        return [f"common {n:,} of {total:,}", *main, *(_with_coverage(own.get(e), metric) for e in encoders)]
    if "all" in kinds:
        total = coverage(next(iter(own.values())))[1]
        extra = ["same" if e in own else None for e in encoders] if with_common else []
        return [f"all {total:,}", *(_value(own.get(e), metric) for e in encoders), *extra]
    total = coverage(next(iter(own.values())))[1]
    extra = [None] * len(encoders) if with_common else []
    return [f"own, of {total:,}", *(_with_coverage(own.get(e), metric) for e in encoders), *extra]


def _value(r, metric: str):
    return None if r is None else r.metrics.get(metric)


def _with_coverage(r, metric: str) -> str | None:
    if r is None:
        return None
    v = r.metrics.get(metric)
    figure = "-" if v is None else f"{v:.4f}"
    return f"{figure} on {coverage(r)[0]:,}"


def conventions(r) -> str:
    """One line: similarity function, dataset sha256, model hash/revision, weighting settings."""
    st = r.settings
    files = ", ".join(f"{f['path'].rsplit('/', 1)[-1]} sha256 {f['sha256'][:12]}" for f in st.get("dataset", {}).get("files", []))
    model = st.get("model", {})
    parts = [f"{r.encoder}: similarity={st.get('similarity', 'cosine')}", f"dataset {files}"]
    if model.get("revision"):
        parts.append(f"revision {model['revision'][:12]}")
    if model.get("weights_sha256"):
        parts.append(f"weights sha256 {model['weights_sha256'][:12]}")
    weighting = model.get("weighting")
    if weighting:
        keys = ("method", "freq", "a", "pc", "corpus")
        parts.append("weighting " + " ".join(f"{k}={weighting[k]}" for k in keys if k in weighting))
    return printable("  ·  ".join(parts))
