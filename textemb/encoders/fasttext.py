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
:mod:`textemb.encoders.fasttext_vectors`; this module loads them and builds them from a spec; training
is :func:`textemb.training.train_fasttext`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textemb.encoders.fasttext_vectors import KIND, FastTextVectors, log, ngram_hashes
from textemb.encoders.modelfolder import is_model_folder, require_gensim
from textemb.errors import InputError
from textemb.text import excerpt, printable
from textemb.training import FastTextResult, train_fasttext  # trained in textemb.training; old import path kept
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
        from textemb.encoders.glove import file_options, load_vector_file

        if add:
            raise InputError(f"add_words needs n-grams; {printable(path.name)} is a text vector file without them (use the .bin)")
        return load_vector_file(path, format="word2vec", device=device, prefix="fasttext", **file_options(options, "fasttext"))
    if add:
        words = [w for source in add.split(",") if source.strip() for w in dataset_words(source.strip())]
        base = wv.spec
        wv = wv.with_words(words)
        wv.spec = ""  # the registry records the spec as typed (it rebuilds these rows)
        log.info("fasttext: %d words of %s are unseen and use n-gram vectors (%s)", len(wv.ngram_words), add, base)
    return wv
