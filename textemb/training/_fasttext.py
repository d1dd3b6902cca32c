"""fastText training (gensim ``FastText``) on a streamed corpus; the vectors are
:class:`~textemb.encoders.fasttext_vectors.FastTextVectors`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from textemb.corpus import as_corpus
from textemb.encoders.fasttext_vectors import KIND, FastTextVectors
from textemb.encoders.modelfolder import require_gensim
from textemb.errors import InputError
from textemb.training._common import Spool, build_vocab, check_positive, spool_corpus


def train_fasttext(corpus, *, dim: int = 100, epochs: int = 5, sg: bool = False, window: int = 5, min_count: int = 5,
                   negative: int = 5, sample: float = 1e-3, alpha: float = 0.025, workers: int = 1, seed: int = 1,
                   min_n: int = 3, max_n: int = 6, bucket: int = 200_000, tokenizer: str = "regexp",
                   lowercase: bool = False, name: str = "fasttext"):
    """Train fastText (gensim ``FastText``) on ``corpus``; returns a :class:`FastTextResult`.

    ``bucket`` defaults to 200,000 n-gram rows (fastText's 2,000,000 costs ``2e6 x dim`` floats);
    ``workers=1`` with a fixed ``seed`` is reproducible. Other arguments as :func:`textemb.training.train_word2vec`.
    """
    check_positive(dim=dim, epochs=epochs, window=window, min_count=min_count, workers=workers, min_n=min_n, bucket=bucket)
    if max_n and max_n < min_n:
        raise InputError(f"max_n must be 0 (no n-grams) or at least min_n={min_n}, got {max_n}")
    require_gensim("fastText training")
    from gensim.models import FastText

    corpus = as_corpus(corpus)
    model = FastText(vector_size=dim, window=window, min_count=min_count, sg=int(sg), negative=negative, sample=sample,
                     alpha=alpha, workers=workers, seed=seed, epochs=epochs, min_n=min_n, max_n=max_n, bucket=bucket)
    with tempfile.TemporaryDirectory(prefix="textemb-fasttext-") as tmp:
        spool = Path(tmp) / "tokens.txt"  # tokenised once, streamed by every pass
        n_sent, n_words = spool_corpus(corpus, tokenizer, lowercase, spool, False)
        if n_words == 0:
            raise InputError(f"corpus {corpus!r} has no tokens")
        build_vocab(model, spool, n_words)
        model.train(Spool(spool), total_examples=n_sent, total_words=n_words, epochs=epochs)
    settings = {"corpus": str(corpus.path) if corpus.path else f"{n_sent} texts", "model": "skip-gram" if sg else "cbow",
                "dim": dim, "epochs": epochs, "window": window, "min_count": min_count, "negative": negative,
                "sample": sample, "alpha": alpha, "workers": workers, "seed": seed, "min_n": min_n, "max_n": max_n,
                "bucket": bucket, "tokenizer": tokenizer, "lowercase": lowercase}
    counts = np.array([model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key], dtype=np.int64)
    vectors = FastTextVectors.from_gensim(model.wv, counts=counts, settings=settings, name=name, spec=name)
    return FastTextResult(vectors, model, settings)


class FastTextResult:
    """A trained model: ``vectors`` (FastTextVectors) and the gensim model (for the Facebook writer)."""

    def __init__(self, vectors: FastTextVectors, model, settings: dict) -> None:
        self.vectors, self.model, self.settings = vectors, model, settings

    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """``*.bin``: Facebook's binary format (gensim's writer); anything else: a textemb model folder.

        Returns the spec that loads the output back (``fasttext:/absolute/path``).
        """
        path = Path(path)
        if path.suffix.lower() != ".bin":
            return self.vectors.save(path, overwrite=overwrite)
        import os

        from gensim.models.fasttext import save_facebook_model

        from textemb.io.atomic import fsync_dir

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:  # gensim writes by name: write beside the target, then rename (all or nothing)
            save_facebook_model(self.model, str(tmp))
            os.replace(tmp, path)
            fsync_dir(path.parent)
        finally:
            if tmp.exists():
                tmp.unlink()
        return f"{KIND}:{path.resolve()}"
