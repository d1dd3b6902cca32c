"""Doc2Vec paragraph vectors (gensim; PV-DM or PV-DBOW), saved and loaded without pickle.

``doc2vec:FOLDER`` loads a model written by ``textemb train doc2vec CORPUS -o FOLDER``. A text is
encoded by gensim's ``infer_vector`` procedure on its tokens (the tokenizer and lower-casing the model
was trained with). Inference is deterministic: before every text the model's random generator is
restarted from ``seed`` and the start vector is seeded from a crc32 of the text (gensim's own uses
Python's per-process ``hash()``), so a text's vector depends only on the text, ``seed``, ``epochs``,
``alpha`` and ``min_alpha``: never on the batch, on earlier calls or on the process. Spec options:
``doc2vec:FOLDER?epochs=50&seed=1&alpha=0.025&min_alpha=0.0001`` (defaults: the training values).

The folder holds ``doc2vec.json`` (settings, vocabulary) and npy arrays: the word vectors, the
output layer ``syn1neg``, the negative-sampling table, per-word down-sampling thresholds and the
training documents' vectors. Loading rebuilds a gensim ``Doc2Vec`` from them (gensim is needed to
infer, its pickles never are).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder, progress
from textemb.encoders.modelfolder import check_words, read_model_folder, require_gensim, write_model_folder
from textemb.errors import FormatError, InputError
from textemb.training import train_doc2vec  # noqa: F401 - trained in textemb.training; the old import path keeps working
from textemb.vectors import WordVectors

KIND = "doc2vec"
_ARRAYS = ("word_vectors", "syn1neg", "cum_table", "sample_int", "counts", "doc_vectors")
_MODEL_KEYS = ("dm", "dbow_words", "dm_mean", "window", "negative", "sample", "alpha", "min_alpha", "epochs",
               "ns_exponent", "seed")
_FLOAT_KEYS = ("sample", "alpha", "min_alpha", "ns_exponent")


class Doc2VecEncoder(Encoder):
    """Infers a paragraph vector for each text with a gensim Doc2Vec model (see the module doc).

    Args:
        model: a trained gensim ``Doc2Vec`` (negative sampling, no ``dm_concat``).
        settings: tokenizer, lowercase and training settings. epochs / seed / alpha / min_alpha:
            inference settings (``None``: the model's training values).
    """

    def __init__(self, model, settings: dict, *, epochs: int | None = None, seed: int | None = None,
                 alpha: float | None = None, min_alpha: float | None = None, name: str = "doc2vec",
                 spec: str = "", device: str = "cpu") -> None:
        from textemb.corpus import make_tokenizer

        if model.hs or not model.negative or model.dm_concat:
            raise InputError("only negative-sampling Doc2Vec models without dm_concat are supported")
        self.model = model
        self.settings = dict(settings)
        self.epochs = int(epochs if epochs is not None else model.epochs)
        self.seed = int(seed if seed is not None else self.settings.get("seed", 1))
        self.alpha = float(alpha if alpha is not None else model.alpha)
        self.min_alpha = float(min_alpha if min_alpha is not None else model.min_alpha)
        if self.epochs < 1 or self.alpha <= 0 or self.min_alpha < 0:
            raise InputError(f"need epochs >= 1, alpha > 0, min_alpha >= 0; got {self.epochs}, {self.alpha}, {self.min_alpha}")
        self._tokenize = make_tokenizer(self.settings.get("tokenizer", "words"),
                                        lowercase=bool(self.settings.get("lowercase", True)))
        self.name, self.spec, self.device = name, spec, device
        self.last_stats: dict[str, int] = {}

    @property
    def dim(self) -> int:
        return int(self.model.vector_size)

    @property
    def words(self) -> list[str]:
        return list(self.model.wv.index_to_key)

    def start_vector(self, tokens: Sequence[str]) -> np.ndarray:
        """The vector inference starts from: gensim's formula, seeded by crc32 of the text (not ``hash()``).

        gensim seeds it with Python's ``hash()``, which changes from one process to the next
        (PYTHONHASHSEED), so its ``infer_vector`` differs between runs; crc32 does not.
        """
        size = self.dim
        key = zlib.crc32(" ".join(tokens).encode("utf-8", "surrogatepass")) ^ (self.seed & 0xFFFFFFFF)
        rng = np.random.Generator(np.random.SFC64(key))
        return ((rng.random(size).astype(np.float32) - 0.5) / size).astype(np.float32)

    def infer(self, tokens: Sequence[str]) -> np.ndarray:
        """One paragraph vector for ``tokens``: gensim's ``infer_vector`` loop from :meth:`start_vector`,
        with the model's random generator restarted from ``seed`` (negative samples, window sizes)."""
        from gensim.models.doc2vec_inner import train_document_dbow, train_document_dm

        m, tokens = self.model, list(tokens)
        m.random = np.random.RandomState(self.seed)
        doc = self.start_vector(tokens).reshape(1, self.dim)
        lockf = np.ones(1, dtype=np.float32)
        work = np.zeros(m.layer1_size, dtype=np.float32)
        neu1 = np.zeros(m.layer1_size, dtype=np.float32)
        alpha, delta = self.alpha, (self.alpha - self.min_alpha) / max(self.epochs - 1, 1)
        for _ in range(self.epochs):
            if m.sg:
                train_document_dbow(m, tokens, [0], alpha, work, learn_words=False, learn_hidden=False,
                                    doctag_vectors=doc, doctags_lockf=lockf)
            else:
                train_document_dm(m, tokens, [0], alpha, work, neu1, learn_words=False, learn_hidden=False,
                                  doctag_vectors=doc, doctags_lockf=lockf)
            alpha -= delta
        return doc[0]

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        k2i = self.model.wv.key_to_index
        stats = {"texts": len(texts), "tokens": 0, "oov_tokens": 0, "empty_texts": 0}
        for i, text in enumerate(progress(texts, total=len(texts), enabled=show_progress, desc=self.name)):
            toks = self._tokenize(text)
            known = sum(1 for t in toks if t in k2i)
            stats["tokens"] += len(toks)
            stats["oov_tokens"] += len(toks) - known
            stats["empty_texts"] += known == 0
            out[i] = self.infer(toks)
        self.last_stats = stats
        return out

    def word_vectors(self) -> WordVectors:
        """The word vectors PV-DM (or PV-DBOW with ``dbow_words``) trained; most frequent first."""
        if not self.model.dm and not self.model.dbow_words:
            raise InputError("this PV-DBOW model trained no word vectors (train with --dbow-words for them)")
        return WordVectors(self.words, np.asarray(self.model.wv.vectors), name=f"{self.name}.words", spec=self.spec,
                           device=self.device)

    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Write the model folder (JSON + npy, no pickle); returns the spec that reloads it."""
        m = self.model
        sample_int = m.wv.expandos.get("sample_int")
        arrays = {"word_vectors": np.asarray(m.wv.vectors, dtype=np.float32), "syn1neg": np.asarray(m.syn1neg, dtype=np.float32),
                  "cum_table": np.asarray(m.cum_table, dtype=np.uint32),
                  "sample_int": np.asarray(sample_int if sample_int is not None else np.zeros(len(m.wv)), dtype=np.uint32),
                  "counts": np.array([m.wv.get_vecattr(i, "count") for i in range(len(m.wv))], dtype=np.int64),
                  "doc_vectors": np.asarray(m.dv.vectors, dtype=np.float32)}
        model = {"vector_size": self.dim, "dm": int(m.dm), "dbow_words": int(m.dbow_words), "dm_mean": int(m.cbow_mean),
                 "window": int(m.window), "negative": int(m.negative), "sample": float(m.sample), "alpha": float(m.alpha),
                 "min_alpha": float(m.min_alpha), "epochs": int(m.epochs), "ns_exponent": float(m.ns_exponent),
                 "shrink_windows": bool(m.shrink_windows), "seed": int(self.settings.get("seed", 1))}
        meta = {"dim": self.dim, "model": model, "words": self.words, "settings": self.settings}
        return write_model_folder(path, KIND, meta, arrays, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "cpu", **inference) -> "Doc2VecEncoder":
        """Load a folder written by :meth:`save`; ``inference``: epochs, seed, alpha, min_alpha."""
        meta, arrays = read_model_folder(path, KIND)
        missing = set(_ARRAYS) - set(arrays)
        if missing:
            raise FormatError(f"doc2vec.json lists no {', '.join(sorted(missing))}", path=path)
        words = check_words(meta, "words", arrays["word_vectors"].shape[0], path)
        model = _rebuild(meta.get("model") or {}, words, arrays, path)
        return cls(model, meta.get("settings") or {}, name=Path(path).name, spec=f"doc2vec:{path}", device=device, **inference)


def _rebuild(cfg: dict, words: list[str], arrays: dict[str, np.ndarray], path) -> object:
    """A gensim Doc2Vec holding exactly the saved arrays (what ``infer_vector`` reads)."""
    require_gensim("Doc2Vec inference")
    from gensim.models import Doc2Vec

    try:
        dim = _number(cfg["vector_size"], int, 1)
        kwargs = {k: _number(cfg[k], float if k in _FLOAT_KEYS else int, 0) for k in _MODEL_KEYS}
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"doc2vec.json 'model' entry is missing or invalid ({exc})", path=path) from None
    n = len(words)
    shapes = {"word_vectors": (n, dim), "syn1neg": (n, dim), "sample_int": (n,), "counts": (n,)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise FormatError(f"{name}.npy is {arrays[name].shape}, expected {shape}", path=path)
    if arrays["doc_vectors"].ndim != 2 or arrays["doc_vectors"].shape[1] != dim or arrays["cum_table"].shape != (n,):
        raise FormatError("doc_vectors.npy / cum_table.npy do not match the vocabulary and dimension", path=path)
    model = Doc2Vec(vector_size=dim, hs=0, min_count=1, workers=1, shrink_windows=bool(cfg.get("shrink_windows", True)),
                    **kwargs)
    model.wv.index_to_key = list(words)
    model.wv.key_to_index = {w: i for i, w in enumerate(words)}
    model.wv.vectors = np.array(arrays["word_vectors"], dtype=np.float32)
    model.wv.expandos = {"count": np.array(arrays["counts"]), "sample_int": np.array(arrays["sample_int"], dtype=np.uint32)}
    model.syn1neg = np.array(arrays["syn1neg"], dtype=np.float32)
    model.cum_table = np.array(arrays["cum_table"], dtype=np.uint32)
    model.dv.vectors = np.array(arrays["doc_vectors"], dtype=np.float32)
    model.dv.index_to_key = list(range(len(model.dv.vectors)))
    model.dv.key_to_index = {i: i for i in model.dv.index_to_key}
    return model


def _number(value: object, kind: type, minimum: float) -> int | float:
    """``value`` as a finite ``kind`` >= ``minimum`` (manifest values are data, not trusted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
        raise ValueError(f"expected a number, got {value!r}")
    if not np.isfinite(value) or value < minimum:
        raise ValueError(f"expected a finite number >= {minimum}, got {value!r}")
    return kind(value)


def from_spec(arg: str, options: dict, device: str) -> Doc2VecEncoder:
    """Registry factory: ``doc2vec:FOLDER[?epochs=N&seed=S&alpha=A&min_alpha=M]``."""
    from textemb.encoders.options import pop_float, pop_int

    inference = {"epochs": pop_int(options, "epochs", None, minimum=1, maximum=100_000),
                 "seed": pop_int(options, "seed", None, minimum=0, maximum=2**32 - 1),
                 "alpha": pop_float(options, "alpha", None, minimum=1e-9),
                 "min_alpha": pop_float(options, "min_alpha", None, minimum=0.0)}
    enc = Doc2VecEncoder.load(arg, device=device, **inference)
    if any(v is not None for v in inference.values()):
        enc.spec = ""  # the registry records the spec as typed, options included
    return enc
