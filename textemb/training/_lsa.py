"""LSA training: TF-IDF + truncated SVD fitted with gensim, returning an :class:`~textemb.encoders.lsa.LsaEncoder`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from textemb.corpus import as_corpus
from textemb.errors import InputError
from textemb.training._common import english_stopwords, gensim_version

if TYPE_CHECKING:
    from textemb.encoders.lsa import LsaEncoder


class _Bows:
    """Restartable stream of gensim bag-of-words over a corpus."""

    def __init__(self, tokens, dictionary) -> None:
        self.tokens, self.dictionary = tokens, dictionary

    def __iter__(self):
        for toks in self.tokens:
            yield self.dictionary.doc2bow(toks)


class _Filtered:
    def __init__(self, stream, stop: frozenset) -> None:
        self.stream, self.stop = stream, stop

    def __iter__(self):
        for toks in self.stream:
            yield [t for t in toks if t not in self.stop]


def train_lsa(corpus, *, dim: int = 300, min_count: int = 1, no_above: float = 1.0, tokenizer: str = "words",
              lowercase: bool = True, stopwords: bool = False, seed: int = 1, power_iters: int = 2,
              name: str = "lsa") -> LsaEncoder:
    """Fit TF-IDF + truncated SVD on ``corpus`` (one document per line / text) with gensim.

    Args:
        dim: SVD rank (capped by gensim at the corpus rank). min_count: drop words in fewer documents.
        no_above: drop words in more than this fraction of documents. tokenizer / lowercase: see
            :func:`textemb.corpus.make_tokenizer`. stopwords: drop gensim's English stopword list.
        seed: the random seed of the stochastic SVD (same seed, same model). power_iters: its power iterations.
    """
    from textemb.encoders.lsa import LsaEncoder
    from textemb.encoders.modelfolder import require_gensim

    require_gensim("LSA training")
    from gensim.corpora import Dictionary
    from gensim.models import LsiModel, TfidfModel

    if not isinstance(dim, int) or dim < 1:
        raise InputError(f"dim must be a positive integer, got {dim!r}")
    if not 0 < no_above <= 1:
        raise InputError(f"no_above must be in (0, 1], got {no_above!r}")
    corpus = as_corpus(corpus)
    stop = english_stopwords() if stopwords else frozenset()
    tokens = _Filtered(corpus.tokens(tokenizer, lowercase=lowercase), stop)
    dictionary = Dictionary(tokens)
    dictionary.filter_extremes(no_below=max(1, min_count), no_above=no_above, keep_n=None)
    if len(dictionary) == 0 or dictionary.num_docs == 0:
        raise InputError(f"corpus {corpus!r} leaves no words after min_count={min_count}, no_above={no_above}")
    dictionary.compactify()
    order = sorted(dictionary.keys(), key=lambda i: (-dictionary.cfs.get(i, 0), dictionary[i]))
    tfidf = TfidfModel(dictionary=dictionary)
    lsi = LsiModel(tfidf[_Bows(tokens, dictionary)], id2word=dictionary, num_topics=dim,
                   power_iters=power_iters, random_seed=seed)
    u, s = lsi.projection.u, lsi.projection.s
    k = min(dim, len(s))
    words = [dictionary[i] for i in order]
    idf = np.array([tfidf.idfs.get(i, 0.0) for i in order], dtype=np.float64)
    counts = np.array([dictionary.cfs.get(i, 0) for i in order], dtype=np.int64)
    settings = {"tokenizer": tokenizer, "lowercase": lowercase, "stopwords": sorted(stop), "dim_requested": dim,
                "min_count": min_count, "no_above": no_above, "seed": seed, "power_iters": power_iters,
                "documents": dictionary.num_docs,
                "corpus": str(corpus.path) if corpus.path else f"{len(corpus.texts or [])} texts",
                "idf": "log2(N/df)", "weighting": "tf*idf, L2-normalized (gensim TfidfModel)", "gensim": gensim_version()}
    return LsaEncoder(words, idf, np.asarray(u[order, :k]), np.asarray(s[:k]), counts, settings, name=name, spec=name)
