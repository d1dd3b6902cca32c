"""Lee document-similarity benchmark for the averaging encoders (mean, TF-IDF, SIF) on GloVe 6B 50d.

Data (shipped with gensim, gensim/test/test_data): ``lee.cor`` holds the 50 documents, one per
line (Latin-1: one "£"); ``similarities0-1.txt`` is a 50 x 50 matrix of mean human similarity ratings (0..1), whose
upper triangle is filled (the lower one is 0, the diagonal 1). The score is Pearson's r between
the human ratings and the cosine similarities over the 1,225 pairs i < j. ``lee_background.cor``
(300 documents from the same news source) is the corpus IDF, word frequencies and the SIF
principal component are fitted on.

Run: ``python bench/lee_averaging.py`` — prints a Markdown table and writes
``bench/results/lee_averaging.json``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def gensim_data() -> Path:
    import gensim

    return Path(gensim.__file__).parent / "test" / "test_data"


def load_lee(data: Path) -> tuple[list[str], np.ndarray]:
    docs = [line.strip() for line in (data / "lee.cor").read_text(encoding="latin-1").splitlines()]
    docs = [d for d in docs if d]
    human = np.loadtxt(data / "similarities0-1.txt")
    if human.shape != (len(docs), len(docs)):
        raise SystemExit(f"expected a {len(docs)}x{len(docs)} matrix, got {human.shape}")
    return docs, human


def pearson_upper(human: np.ndarray, vectors: np.ndarray) -> float:
    from scipy.stats import pearsonr

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    iu = np.triu_indices(len(human), k=1)
    return float(pearsonr(human[iu], sims[iu])[0])


def main() -> None:
    from textemb import load_encoder
    from textemb.encoders.averaging import AveragingEncoder

    data = gensim_data()
    docs, human = load_lee(data)
    bg = data / "lee_background.cor"
    rows = []

    def run(label: str, spec: str | None, build=None) -> None:
        t = time.perf_counter()
        enc = load_encoder(spec) if spec else build()
        vecs = enc.encode(docs)
        r = pearson_upper(human, vecs)
        rows.append({"encoder": label, "spec": spec or "(python, see script)", "pearson": round(r, 4),
                     "oov_tokens": enc.last_stats.get("oov_tokens"), "seconds": round(time.perf_counter() - t, 2),
                     "settings": getattr(enc, "settings", {})})

    run("mean", "avg:glove-6b-50d")
    run("tfidf (IDF on lee_background)", f"avg-tfidf:glove-6b-50d?corpus={bg}")
    run("sif, p(w) Zipf rank, no PC", "avg-sif:glove-6b-50d")
    run("sif, p(w) Zipf rank, PC on lee_background", f"avg-sif:glove-6b-50d?corpus={bg}&freq=zipf")
    run("sif, p(w)+PC on lee_background", f"avg-sif:glove-6b-50d?corpus={bg}")
    glove = load_encoder("glove-6b-50d")
    run("sif, p(w) on lee_background, PC on the 50 docs (Arora)", None,
        lambda: AveragingEncoder.sif(glove, bg, pc=1).fit(docs))

    # reference: what a gensim user typically writes (simple_preprocess drops punctuation, numbers
    # and 1-letter tokens, which is why its plain mean scores higher than textemb's tokens here)
    from gensim.models import KeyedVectors
    from gensim.utils import simple_preprocess

    kv = KeyedVectors(glove.dim, count=len(glove))
    kv.add_vectors(glove.words, np.asarray(glove.vectors))
    ref = np.array([kv.get_mean_vector(simple_preprocess(d), pre_normalize=False) for d in docs])
    rows.append({"encoder": "reference: gensim simple_preprocess + get_mean_vector", "spec": "(gensim)",
                 "pearson": round(pearson_upper(human, ref), 4), "oov_tokens": None, "seconds": None, "settings": {}})

    print("Lee document similarity (50 docs, 1,225 pairs), GloVe 6B 50d, Pearson r\n")
    print("| encoder | spec | Pearson r |")
    print("|---|---|---:|")
    for r in rows:
        spec = r["spec"].replace(str(bg), "lee_background.cor")
        print(f"| {r['encoder']} | `{spec}` | {r['pearson']:.4f} |")
    out = ROOT / "bench" / "results" / "lee_averaging.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"benchmark": "lee", "pairs": int(len(docs) * (len(docs) - 1) / 2), "vectors": "glove-6b-50d",
            "python": platform.python_version(), "machine": platform.machine()}
    out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
