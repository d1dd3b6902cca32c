"""Lee document similarity, WordSim-353 and Google analogies for the LSA, fastText and Doc2Vec backends.

Every model is trained here on gensim's ``lee_background.cor`` (300 news documents) with a fixed seed
and one worker (reproducible), then scored with textemb's evaluators: Lee = Pearson between cosine
and the human ratings over the 1,225 document pairs (as ``textemb eval similarity --dataset lee`` and
``bench/lee_averaging.py``). fastText additionally: the nearest words of unseen misspellings (from
n-grams alone) and Google-analogy accuracy with and without n-gram vectors for the benchmark's unseen
words, for a model trained on lee_background and one on gensim's Wikipedia sample.

Run: ``python bench/lee_backends.py`` — prints Markdown and writes ``bench/results/lee_backends.json``.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    import gensim

    from textemb.encoders.fasttext import dataset_words
    from textemb.evaluation import evaluate_analogies, evaluate_documents, evaluate_word_pairs
    from textemb.training import train_doc2vec, train_fasttext, train_lsa

    data = Path(gensim.__file__).parent / "test" / "test_data"
    bg = data / "lee_background.cor"
    rows, extra = [], {}

    def lee(label: str, spec: str, build) -> object:
        t = cpu()
        enc = build()
        trained = cpu() - t
        res = evaluate_documents(enc, "lee")
        rows.append({"encoder": label, "spec": spec, "pearson": round(res.metrics["pearson"], 4),
                     "spearman": round(res.metrics["spearman"], 4), "train_cpu_s": round(trained, 1),
                     "settings": getattr(enc, "settings", {})})
        print(f"{label}: Lee Pearson {res.metrics['pearson']:.4f} (train {trained:.1f} s CPU)", flush=True)
        return enc

    lsa = lee("LSA, 200 dims, stopwords dropped", "lsa:lee_background.cor?dim=200&stopwords=1",
              lambda: train_lsa(bg, dim=200, stopwords=True, seed=1))
    lee("LSA, 300 dims (rank-capped at 293), all words", "lsa:lee_background.cor",
        lambda: train_lsa(bg, dim=300, seed=1))
    ws = evaluate_word_pairs(lsa, "wordsim353")
    extra["lsa_wordsim353"] = {k: ws.metrics[k] for k in ("spearman", "pearson", "evaluated", "pairs")}
    d2v = {}
    for dm in (False, True):
        name = "PV-DM" if dm else "PV-DBOW"
        d2v[name] = lee(f"Doc2Vec {name}, 50 dims, 40 epochs", f"textemb train doc2vec {'--dm' if dm else '--dbow'} --dim 50",
                        lambda dm=dm: train_doc2vec(bg, dim=50, epochs=40, min_count=2, dm=dm, seed=1))
    ft = lee("fastText skip-gram, 100 dims, 20 epochs (mean of word vectors)", "textemb train fasttext --sg --epochs 20",
             lambda: train_fasttext(bg, dim=100, epochs=20, min_count=2, sg=True, lowercase=True, tokenizer="words").vectors)
    from textemb.encoders.averaging import AveragingEncoder

    lee("SIF average of those fastText vectors (p(w) + PC on lee_background)", "avg-sif:<fasttext folder>?corpus=lee_background.cor",
        lambda: AveragingEncoder.sif(ft, bg))
    extra["fasttext_misspellings"] = {w: ft.most_similar(w, topn=5) for w in ("goverment", "presidnet", "australlian",
                                                                              "negotations")}
    extra["fasttext_analogies"] = analogies(ft, "lee_background", evaluate_analogies, dataset_words)
    wiki = data / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    t = cpu()
    ft_wiki = train_fasttext(wiki, dim=100, epochs=10, min_count=3, sg=True, lowercase=True, tokenizer="words").vectors
    extra["fasttext_wiki_train_cpu_s"] = round(cpu() - t, 1)
    extra["fasttext_wiki_analogies"] = analogies(ft_wiki, "enwiki sample", evaluate_analogies, dataset_words)
    extra["fasttext_wiki_misspellings"] = {w: ft_wiki.most_similar(w, topn=5) for w in ("goverment", "philosphy",
                                                                                        "anarchizm")}
    report(rows, extra)


def analogies(ft, corpus: str, evaluate_analogies, dataset_words) -> dict:
    plain = evaluate_analogies(ft, "google")
    covered_wv = ft.with_words(dataset_words("google"))
    covered = evaluate_analogies(covered_wv, "google")
    # Adding only the benchmark's words makes them most of the candidate answers; a fairer pool also
    # adds n-gram rows for the 30,000 most frequent English words (GloVe 6B's list), as an open vocabulary would.
    from textemb import load_encoder

    common = load_encoder("glove-6b-50d", limit=30_000).words
    neutral_wv = ft.with_words([*dataset_words("google"), *common])
    neutral = evaluate_analogies(neutral_wv, "google")
    out = {"corpus": corpus, "vocab": len(ft), "ngram_words": len(covered_wv.ngram_words),
           "ngram_words_with_common": len(neutral_wv.ngram_words)}
    for key, res in (("vocabulary_only", plain), ("with_ngram_oov", covered), ("with_ngram_oov_and_30k_common", neutral)):
        out[key] = {k: res.metrics[k] for k in ("accuracy", "correct", "evaluated", "questions", "oov_questions")}
    print(f"fastText on {corpus}: analogies {out}", flush=True)
    return out


def report(rows, extra) -> None:
    print("\n| encoder (trained on lee_background.cor) | how | Lee Pearson |")
    print("|---|---|---:|")
    for r in rows:
        print(f"| {r['encoder']} | `{r['spec']}` | {r['pearson']:.4f} |")
    print(json.dumps(extra, indent=1, default=str))
    out = ROOT / "bench" / "results" / "lee_backends.json"
    meta = {"benchmark": "lee + wordsim353 + google", "python": platform.python_version(),
            "machine": platform.machine(), "note": "CPU seconds under load (2 shared cores); seeds fixed, workers=1"}
    out.write_text(json.dumps({"meta": meta, "results": rows, "extra": extra}, indent=1, default=str) + "\n",
                   encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
