"""fastText: word vectors plus character n-gram vectors, so every word, even an unseen one, has a vector.

``fasttext:PATH`` loads

* a Facebook ``.bin`` model through gensim's ``load_facebook_vectors`` (a parser of the binary
  format; no pickle is involved); gensim ``.model`` files are pickles and are refused;
* a ``.vec`` / ``.txt`` text file (word2vec text format): plain word vectors, no n-grams;
* a textemb model folder (``fasttext.json`` + npy, written by ``textemb train fasttext -o FOLDER``
  or :meth:`FastTextVectors.save`), which loads with numpy alone.

An out-of-vocabulary word gets the mean of its character n-gram vectors, exactly as fastText and
gensim compute it (``<word>`` split into UTF-8 n-grams of ``min_n..max_n`` characters, FNV-1a hash
modulo ``bucket``; see :func:`ngram_hashes`). Encoding a text uses them for unknown tokens and
counts them in ``last_stats["ngram_tokens"]``. The word-level evaluators look words up in the
vocabulary list, so to let n-grams cover a benchmark's unseen words, add them as extra rows:
``fasttext:model.bin?add_words=google`` (or :meth:`FastTextVectors.with_words`); the words covered
that way are listed in ``ngram_words`` and counted in the encoder's name and a log line.

The vectors themselves (:class:`FastTextVectors`, :func:`ngram_hashes`) live in
:mod:`textemb.encoders.fasttext_vectors`; this module loads, builds from a spec and trains them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textemb.encoders.fasttext_vectors import KIND, FastTextVectors, log, ngram_hashes
from textemb.encoders.modelfolder import is_model_folder, require_gensim
from textemb.errors import InputError
from textemb.text import excerpt, printable
from textemb.vectors import WordVectors

__all__ = ["KIND", "FastTextResult", "FastTextVectors", "dataset_words", "from_spec", "load_facebook", "ngram_hashes",
           "train_fasttext"]


def load_facebook(path: str | Path, *, device: str = "cpu", use_ngrams: bool = True) -> FastTextVectors:
    """A Facebook fastText ``.bin`` model through gensim's binary parser (no pickle)."""
    from textemb.errors import FormatError
    from textemb.io.safety import refuse_pickle

    path = Path(path)
    refuse_pickle(path)
    if not path.is_file():
        raise InputError(f"{printable(path)} is not a file; give a fastText .bin or .vec file or a textemb fasttext folder")
    require_gensim("loading fastText .bin models")
    from gensim.models.fasttext import load_facebook_vectors

    from textemb.io.fasttext_bin import check_facebook_bin
    from textemb.io.guard import damaged_file

    check_facebook_bin(path)  # gensim's reader would spin forever on a cut vocabulary
    try:
        with damaged_file(path, what="the fastText .bin model", hint="download or save it again"):
            kv = load_facebook_vectors(str(path))
    except (OSError, ValueError, NotImplementedError, AssertionError) as exc:
        raise FormatError(f"not a readable Facebook fastText .bin model ({type(exc).__name__}); download or save it "
                          "again", path=path) from None
    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key], dtype=np.int64)
    enc = FastTextVectors.from_gensim(kv, counts=counts, name=path.name, spec=f"fasttext:{path}", device=device)
    enc.use_ngrams = use_ngrams
    return enc


def dataset_words(source: str) -> list[str]:
    """Every word of a named benchmark (``google``, ``wordsim353``, ``simlex999``) or of a text file.

    A file is read as whitespace-separated words; ``: section`` lines and numbers are skipped, so
    analogy files, word-pair files and word lists all work.
    """
    from textemb.evaluation.datasets import NAMED_DATASETS, read_analogies, read_word_pairs, resolve_dataset

    if source in NAMED_DATASETS:
        kind = NAMED_DATASETS[source][0]
        if kind == "analogy":
            sections, _ = read_analogies(resolve_dataset(source, kind).path)
            return [w for s in sections for q in s.questions for w in q]
        if kind == "word-pairs":
            pairs, _ = read_word_pairs(resolve_dataset(source, kind).path)
            return [w for a, b, _s in pairs for w in (a, b)]
        raise InputError(f"add_words={source}: a document dataset has no word list; use google, wordsim353 or simlex999")
    path = Path(source)
    if not path.is_file():
        raise InputError(f"add_words={excerpt(source)!r}: not a named word benchmark (google, wordsim353, simlex999) nor a file")
    words = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith(":"):
                continue
            words.extend(t for t in line.split() if not _is_number(t))
    return words


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def from_spec(arg: str, options: dict, device: str) -> WordVectors:
    """Registry factory: ``fasttext:PATH[?ngrams=1&add_words=google,wordsim353]``."""
    from textemb.encoders.options import pop_bool, pop_str, reject_unknown

    use_ngrams = pop_bool(options, "ngrams", True)
    add = pop_str(options, "add_words", None)
    path = Path(arg)
    if is_model_folder(path, KIND):
        reject_unknown(options, "fasttext")
        wv = FastTextVectors.load(path, device=device, use_ngrams=use_ngrams)
    elif path.is_dir():
        raise InputError(f"{printable(path)} is a folder without fasttext.json; give a model folder written by "
                         "'textemb train fasttext -o FOLDER', a .bin or a .vec file")
    elif path.suffix.lower() == ".bin":
        reject_unknown(options, "fasttext")  # before a file of gigabytes is read
        wv = load_facebook(path, device=device, use_ngrams=use_ngrams)
    else:
        from textemb.encoders.glove import _file_options, load_vector_file

        if add:
            raise InputError(f"add_words needs n-grams; {printable(path.name)} is a text vector file without them (use the .bin)")
        return load_vector_file(path, format="word2vec", device=device, prefix="fasttext", **_file_options(options, "fasttext"))
    if add:
        words = [w for source in add.split(",") if source.strip() for w in dataset_words(source.strip())]
        base = wv.spec
        wv = wv.with_words(words)
        wv.spec = ""  # the registry records the spec as typed (it rebuilds these rows)
        log.info("fasttext: %d words of %s are unseen and use n-gram vectors (%s)", len(wv.ngram_words), add, base)
    return wv


# ---------------------------------------------------------------------------- training
def train_fasttext(corpus, *, dim: int = 100, epochs: int = 5, sg: bool = False, window: int = 5, min_count: int = 5,
                   negative: int = 5, sample: float = 1e-3, alpha: float = 0.025, workers: int = 1, seed: int = 1,
                   min_n: int = 3, max_n: int = 6, bucket: int = 200_000, tokenizer: str = "regexp",
                   lowercase: bool = False, name: str = "fasttext"):
    """Train fastText (gensim ``FastText``) on ``corpus``; returns a :class:`FastTextResult`.

    ``bucket`` defaults to 200,000 n-gram rows (fastText's 2,000,000 costs ``2e6 x dim`` floats);
    ``workers=1`` with a fixed ``seed`` is reproducible. Other arguments as :func:`textemb.training.train_word2vec`.
    """
    from textemb.training import _check

    _check(dim=dim, epochs=epochs, window=window, min_count=min_count, workers=workers, min_n=min_n, bucket=bucket)
    if max_n and max_n < min_n:
        raise InputError(f"max_n must be 0 (no n-grams) or at least min_n={min_n}, got {max_n}")
    require_gensim("fastText training")
    import tempfile

    from gensim.models import FastText

    from textemb.corpus import as_corpus
    from textemb.training import _Spool, _spool, build_vocab

    corpus = as_corpus(corpus)
    model = FastText(vector_size=dim, window=window, min_count=min_count, sg=int(sg), negative=negative, sample=sample,
                     alpha=alpha, workers=workers, seed=seed, epochs=epochs, min_n=min_n, max_n=max_n, bucket=bucket)
    with tempfile.TemporaryDirectory(prefix="textemb-fasttext-") as tmp:
        spool = Path(tmp) / "tokens.txt"  # tokenised once, streamed by every pass
        n_sent, n_words = _spool(corpus, tokenizer, lowercase, spool, False)
        if n_words == 0:
            raise InputError(f"corpus {corpus!r} has no tokens")
        build_vocab(model, spool, n_words)
        model.train(_Spool(spool), total_examples=n_sent, total_words=n_words, epochs=epochs)
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

