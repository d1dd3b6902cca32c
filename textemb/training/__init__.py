"""Training word vectors and document encoders on a corpus (gensim underneath).

>>> from textemb.training import train_word2vec
>>> result = train_word2vec("corpus.txt", dim=100, epochs=5, sg=True, seed=1, workers=1)
>>> result.save("model.bin")        # word2vec binary + model.vocab.txt (word counts)

Every trainer is here: :func:`train_word2vec`, :func:`train_fasttext`, :func:`train_lsa`,
:func:`train_doc2vec`; the models they return load and encode through :mod:`textemb.encoders`. The
modules inside are private; the helpers every trainer shares (the tokenised :class:`Spool`,
:func:`build_vocab`, :func:`check_positive`) are public so a new trainer reuses them.
"""

from textemb.training._common import (
    MAX_SENTENCE,
    TINY_VOCABULARY,
    Spool,
    build_vocab,
    check_positive,
    english_stopwords,
    gensim_version,
    progress_bar,
    spool_corpus,
)
from textemb.training._doc2vec import train_doc2vec
from textemb.training._fasttext import FastTextResult, train_fasttext
from textemb.training._lsa import train_lsa
from textemb.training._word2vec import (
    TrainResult,
    default_workers,
    output_format,
    output_spec,
    save_vectors_with_counts,
    train_word2vec,
)

__all__ = [
    "MAX_SENTENCE", "TINY_VOCABULARY", "FastTextResult", "Spool", "TrainResult", "build_vocab", "check_positive",
    "default_workers", "english_stopwords", "gensim_version", "output_format", "output_spec", "progress_bar",
    "save_vectors_with_counts", "spool_corpus", "train_doc2vec", "train_fasttext", "train_lsa", "train_word2vec",
]
