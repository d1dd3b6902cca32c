"""Lee document similarity (Lee, Pincombe & Welsh 2005) for the contextual backends.

gensim ships the data: ``lee.cor`` holds the 50 documents (one per line) and
``similarities0-1.txt`` a 50x50 matrix of mean human similarity ratings scaled to 0..1, filled
in the upper triangle (the lower triangle is zeros, the diagonal ones). The score is the Pearson
correlation between the 1,225 upper-triangle ratings (diagonal excluded) and the cosine
similarities of the encoded documents.

    HF_HUB_OFFLINE=1 python bench/lee_contextual.py      # writes bench/results/lee_contextual.json
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import pearsonr, spearmanr

ENCODERS = [
    ("sbert:all-MiniLM-L6-v2", "sentence-transformers model as shipped (mean pooling, 256-token truncation)"),
    ("bert:all-MiniLM-L6-v2", "its BERT, mean pooling of the last layer, sliding windows (512)"),
    ("bert:all-MiniLM-L6-v2?layers=-4..-1", "mean pooling of the mean of the last four layers"),
    ("bert:all-MiniLM-L6-v2?max_length=256&truncate=true", "last layer, truncated at 256 tokens like sbert"),
    ("bert:all-MiniLM-L6-v2?pool=cls", "[CLS] vector of the last layer"),
    ("bert:all-MiniLM-L6-v2?layers=first", "mean pooling of the first transformer layer"),
    ("glove-6b-50d", "baseline: mean of GloVe 6B 50d word vectors"),
]


def lee_data() -> tuple[list[str], np.ndarray]:
    import gensim

    folder = Path(gensim.__file__).parent / "test" / "test_data"
    docs = [line.strip() for line in (folder / "lee.cor").read_text(encoding="latin-1").splitlines() if line.strip()]
    matrix = np.loadtxt(folder / "similarities0-1.txt")
    if len(docs) != 50 or matrix.shape != (50, 50):
        raise SystemExit(f"unexpected Lee data: {len(docs)} docs, matrix {matrix.shape}")
    if not (np.allclose(np.diag(matrix), 1) and np.allclose(np.tril(matrix, -1), 0)):
        raise SystemExit("similarities0-1.txt is not an upper-triangular matrix with a unit diagonal")
    return docs, matrix


def score(vectors: np.ndarray, human: np.ndarray) -> tuple[float, float]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = unit @ unit.T
    iu = np.triu_indices(len(human), k=1)
    return float(pearsonr(cos[iu], human[iu]).statistic), float(spearmanr(cos[iu], human[iu]).statistic)


def main() -> None:
    import warnings

    from textemb import load_encoder
    from textemb.models import model_path

    docs, human = lee_data()
    rows = []
    from sentence_transformers import SentenceTransformer

    direct = SentenceTransformer(str(model_path("all-MiniLM-L6-v2")), device="cpu")
    t0 = time.perf_counter()
    r, rho = score(direct.encode(docs, batch_size=16), human)
    rows.append({"encoder": "sentence-transformers directly (all-MiniLM-L6-v2)", "note": "reference, no textemb",
                 "pearson": r, "spearman": rho, "seconds": time.perf_counter() - t0})
    for spec, note in ENCODERS:
        enc = load_encoder(spec)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vecs = enc.encode(docs, batch_size=16)
        r, rho = score(vecs, human)
        stats = getattr(enc, "last_stats", {})
        rows.append({"encoder": spec, "note": note, "pearson": r, "spearman": rho,
                     "seconds": time.perf_counter() - t0, "stats": stats})
    print("| encoder | Pearson | Spearman | what | seconds |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| `{row['encoder']}` | {row['pearson']:.3f} | {row['spearman']:.3f} | {row['note']} | {row['seconds']:.1f} |")
    lens = [len(direct.tokenizer(d)["input_ids"]) for d in docs]
    print(f"\n50 documents, 1,225 pairs; document length {min(lens)}-{max(lens)} tokens (median {int(np.median(lens))}); "
          f"{sum(n > 256 for n in lens)} docs exceed 256 tokens, {sum(n > 512 for n in lens)} exceed 512")
    out = Path(__file__).parent / "results" / "lee_contextual.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"dataset": "Lee 50 documents (gensim test_data), upper triangle, 1225 pairs",
                               "python": sys.version.split()[0], "machine": platform.machine(),
                               "rows": rows}, indent=1), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
