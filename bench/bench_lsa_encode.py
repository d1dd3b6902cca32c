"""LSA fold-in speed: textemb's ``lsa`` encoder vs gensim's ``lsi[tfidf[bow]]`` on the same model.

Both sides get the same tokens (textemb's ``words`` tokenizer, lower-cased, gensim's stopwords dropped),
the same TF-IDF weights and the same SVD (seeded), so they return the same vectors (checked); the
timing covers tokenising + weighting + projecting the 300 ``lee_background.cor`` documents x 10.
CPU time (``time.process_time``), 3 repeats, min and median. Run: ``python bench/bench_lsa_encode.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import gensim
    from gensim.corpora import Dictionary
    from gensim.matutils import corpus2dense
    from gensim.models import LsiModel, TfidfModel

    from textemb.corpus import make_tokenizer
    from textemb.training import english_stopwords, train_lsa

    bg = Path(gensim.__file__).parent / "test" / "test_data" / "lee_background.cor"
    texts = [t for t in bg.read_text(encoding="latin-1").splitlines() if t.strip()] * 10
    ours = train_lsa(bg, dim=200, stopwords=True, seed=1)
    tok, stop = make_tokenizer("words", lowercase=True), english_stopwords()
    docs = [[t for t in tok(x) if t not in stop] for x in texts[:300]]
    dictionary = Dictionary(docs)
    tfidf = TfidfModel(dictionary=dictionary)
    lsi = LsiModel([tfidf[dictionary.doc2bow(d)] for d in docs], id2word=dictionary, num_topics=200, random_seed=1)

    def gensim_encode(batch):
        bows = [tfidf[dictionary.doc2bow([t for t in tok(x) if t not in stop])] for x in batch]
        return corpus2dense(lsi[bows], 200).T

    a, b = ours.encode(texts[:300]), gensim_encode(texts[:300])
    print(f"max |textemb - gensim| = {np.abs(a - b).max():.2e}")
    rows = {}
    for label, fn in (("textemb lsa", lambda: ours.encode(texts)), ("gensim lsi[tfidf[bow]]", lambda: gensim_encode(texts))):
        runs = []
        for _ in range(3):
            t = time.process_time()
            fn()
            runs.append(time.process_time() - t)
        rows[label] = (min(runs), statistics.median(runs))
        print(f"{label}: {len(texts)} texts, CPU min {runs and min(runs):.3f}s median {statistics.median(runs):.3f}s")
    ratio = rows["textemb lsa"][0] / rows["gensim lsi[tfidf[bow]]"][0]
    print(f"CPU-time ratio textemb/gensim (min): {ratio:.2f}x (taken under load on 2 shared cores)")


if __name__ == "__main__":
    main()
