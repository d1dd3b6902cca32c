"""word2vec vectors: the standard text and binary formats as :class:`~textemb.vectors.WordVectors`.

``word2vec:PATH`` loads ``PATH`` as word2vec binary when it ends in ``.bin`` and as word2vec
text (``N DIM`` header) otherwise; ``?format=`` overrides the guess.

Training lives in :mod:`textemb.training` (:func:`train`, re-exported here) and corpus streaming
in :mod:`textemb.corpus`; the CLI is ``textemb train word2vec CORPUS -o model.bin``.
"""

from __future__ import annotations

from textemb.encoders.glove import file_options, load_vector_file
from textemb.vectors import WordVectors


def from_spec(arg: str, options: dict, device: str) -> WordVectors:
    """Registry factory for ``word2vec:PATH``."""
    fmt = options.pop("format", "auto")
    return load_vector_file(arg, format=fmt, device=device, prefix="word2vec", **file_options(options, "word2vec"))


def train(corpus, **settings):
    """Train word2vec on a corpus; see :func:`textemb.training.train_word2vec`."""
    from textemb.training import train_word2vec

    return train_word2vec(corpus, **settings)
