"""Sentence averaging speed: textemb's vectorised pooling vs gensim's per-sentence mean, one run.

Sentences: real text — the paragraphs of gensim's shipped Wikipedia sample, split into sentences.
Vectors: GloVe 6B 50d (400k words). Both sides produce the plain mean of the raw vectors of the
known tokens, with the same tokeniser (:func:`textemb.text.tokenize`); the script checks that the
two results agree (except for texts that are themselves a vocabulary key, like ``18,750``, which
textemb maps to that key). The gensim side is what a user writes::

    kv.get_mean_vector(tokenize(s), pre_normalize=False)   # per sentence; zeros if none known

Timed: textemb ``avg:glove-6b-50d`` ``encode`` (tokenising included) vs gensim (tokenising
included), and gensim on pre-tokenised sentences (pooling only). Each is the best of
``--repeat`` runs. Prints a Markdown table and writes ``bench/results/averaging.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def real_sentences(limit: int) -> list[str]:
    import gensim

    from textemb.corpus import Corpus

    data = Path(gensim.__file__).parent / "test" / "test_data"
    dump = data / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    out: list[str] = []
    for para in Corpus(dump):
        out.extend(s for s in _SENT.split(para) if s.strip())
        if len(out) >= limit:
            break
    return out[:limit]


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sentences", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from gensim.models import KeyedVectors

    from textemb import load_encoder
    from textemb.text import normalize_text, tokenize

    sentences = real_sentences(args.sentences)
    n = len(sentences)
    enc = load_encoder("avg:glove-6b-50d")
    wv = enc.wv
    kv = KeyedVectors(wv.dim, count=len(wv))
    kv.add_vectors(wv.words, np.asarray(wv.vectors))
    zero = np.zeros(wv.dim, dtype=np.float32)

    def gensim_mean(tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in kv.key_to_index]  # get_mean_vector raises on an empty list
        return kv.get_mean_vector(known, pre_normalize=False) if known else zero

    def gensim_full():
        return np.array([gensim_mean(tokenize(s)) for s in sentences], dtype=np.float32)

    pre = [tokenize(s) for s in sentences]

    def gensim_pooling():
        return np.array([gensim_mean(toks) for toks in pre], dtype=np.float32)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ours, ours = best(lambda: enc.encode(sentences, show_progress=False), args.repeat)
    t_gensim, theirs = best(gensim_full, args.repeat)
    t_pool, _ = best(gensim_pooling, args.repeat)
    t_tok, _ = best(lambda: [tokenize(s) for s in sentences], args.repeat)
    # textemb maps a text that is itself a vocabulary key ("18,750") to that key; compare the rest
    same = np.array([normalize_text(s).strip() not in wv.key_to_index for s in sentences])
    # (and lower-cases after tokenising, so "İstanbul" is one unknown token, not "i" + "̇" + "stanbul")
    close = np.abs(ours - theirs).max(axis=1) <= 1e-5
    agree = int((close | ~same).sum())
    tokens = sum(map(len, pre))
    rows = [
        ("textemb `avg:glove-6b-50d` encode (tokenise + pool)", t_ours),
        ("gensim tokenise + `get_mean_vector` per sentence", t_gensim),
        ("gensim `get_mean_vector` per sentence, pre-tokenised", t_pool),
        ("(tokenising alone, shared by both)", t_tok),
    ]
    print(f"{n:,} real Wikipedia sentences ({tokens:,} tokens), GloVe 6B 50d, best of {args.repeat}; "
          f"results equal (1e-5) on {agree:,} of {n:,} sentences\n")
    print("| method | seconds | sentences/s | textemb speed-up |")
    print("|---|---:|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t:.3f} | {n / t:,.0f} | {t / t_ours:.1f}x |")
    result = {
        "sentences": n, "tokens": tokens, "repeat": args.repeat, "sentences_equal": agree,
        "seconds": {name: t for name, t in rows},
        "sentences_per_second": {name: n / t for name, t in rows},
        "ratio_vs_gensim": t_gensim / t_ours,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    out = ROOT / "bench" / "results" / "averaging.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nspeed-up vs gensim (same tokeniser): {t_gensim / t_ours:.1f}x; wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
