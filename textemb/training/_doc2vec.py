"""Doc2Vec training (gensim ``Doc2Vec``, PV-DM or PV-DBOW); the encoder it returns is
:class:`~textemb.encoders.doc2vec.Doc2VecEncoder`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textemb.corpus import as_corpus, make_tokenizer
from textemb.errors import InputError
from textemb.training._common import check_positive

if TYPE_CHECKING:
    from textemb.encoders.doc2vec import Doc2VecEncoder


def train_doc2vec(corpus, *, dim: int = 100, epochs: int = 40, dm: bool = True, dbow_words: bool = False,
                  window: int = 5, min_count: int = 2, negative: int = 5, sample: float = 1e-3, alpha: float = 0.025,
                  min_alpha: float = 1e-4, workers: int = 1, seed: int = 1, tokenizer: str = "words",
                  lowercase: bool = True, name: str = "doc2vec") -> Doc2VecEncoder:
    """Train Doc2Vec on ``corpus``, one document per line/text (gensim's Lee tutorial: dim 50, min_count 2, 40 epochs).

    Args:
        dm: PV-DM (True) or PV-DBOW (False). dbow_words: PV-DBOW also trains skip-gram word vectors.
        workers: threads; ``1`` with a fixed ``seed`` gives the same model on every run.
    """
    check_positive(dim=dim, epochs=epochs, window=window, min_count=min_count, workers=workers, negative=negative)
    from textemb.encoders.doc2vec import Doc2VecEncoder
    from textemb.encoders.modelfolder import require_gensim

    require_gensim("Doc2Vec training")
    from gensim.models.doc2vec import Doc2Vec, TaggedDocument

    corpus = as_corpus(corpus)
    tokenize = make_tokenizer(tokenizer, lowercase=lowercase)
    docs = [TaggedDocument(tokenize(text), [i]) for i, text in enumerate(corpus)]
    if not any(d.words for d in docs):
        raise InputError(f"corpus {corpus!r} has no tokens")
    model = Doc2Vec(vector_size=dim, dm=int(dm), dbow_words=int(dbow_words), window=window, min_count=min_count,
                    negative=negative, hs=0, sample=sample, alpha=alpha, min_alpha=min_alpha, workers=workers,
                    seed=seed, epochs=epochs)
    model.build_vocab(docs)
    if len(model.wv) == 0:
        raise InputError(f"no word occurs at least min_count={min_count} times; lower min_count")
    model.train(docs, total_examples=len(docs), epochs=epochs)
    settings = {"corpus": str(corpus.path) if corpus.path else f"{len(docs)} texts", "model": "PV-DM" if dm else "PV-DBOW",
                "documents": len(docs), "dim": dim, "epochs": epochs, "window": window, "min_count": min_count,
                "negative": negative, "sample": sample, "alpha": alpha, "min_alpha": min_alpha, "workers": workers,
                "seed": seed, "dbow_words": dbow_words, "tokenizer": tokenizer, "lowercase": lowercase}
    return Doc2VecEncoder(model, settings, name=name, spec=name)
