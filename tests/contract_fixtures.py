"""The table the generated contract (tests/test_contract.py) runs over: one tiny fixture per backend and store.

Every backend prefix in :func:`textemb.encoders.registry.backends`, every named model in
:data:`textemb.models.NAMED` and every vector-store class under :mod:`textemb.search.stores` must
appear here, or ``test_every_registered_backend_has_a_fixture`` fails. Adding a backend is one entry::

    "lsa": Fx(lambda w: load_encoder(f"lsa:{w.lsa_model()}"),
              needs=("gensim",), caps={"words"}),

The key is the backend prefix (or named model); ``prefix[variant]`` adds more cases for the same one.
``build`` gets a :class:`Workshop` that builds tiny shared artefacts once per session. ``caps`` lists
the capabilities the encoder must declare (``words`` = HasWordVectors, ``tokens`` = EmbedsTokens,
``tokenizer`` = HasTokenizer); the contract checks the declaration matches and runs their checks.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.conftest import TINY_WORDS
from textemb import load_encoder

CORPUS = ["the king spoke to the queen", "the frog sat on the log", "paris is the capital of france",
          "the prince spoke to the man", "a woman sat on a log", "the queen of france"]


class Workshop:
    """Tiny artefacts built once per test session in one temp folder (each by name, on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[str, Path] = {}

    def _once(self, name: str, build: Callable[[Path], Path]) -> Path:
        if name not in self._built:
            self._built[name] = build(self.root / name)
        return self._built[name]

    def matrix(self) -> np.ndarray:
        return np.random.default_rng(0).standard_normal((len(TINY_WORDS), 8)).astype(np.float32)

    def glove(self) -> Path:
        def build(path: Path) -> Path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.writelines(w + " " + " ".join(map(str, row)) + "\n" for w, row in zip(TINY_WORDS, self.matrix()))
            return path
        return self._once("tiny.glove.txt", build)

    def w2v_bin(self) -> Path:
        def build(path: Path) -> Path:
            with open(path, "wb") as fh:
                fh.write(f"{len(TINY_WORDS)} 8\n".encode())
                fh.writelines(w.encode() + b" " + row.astype("<f4").tobytes() + b"\n" for w, row in zip(TINY_WORDS, self.matrix()))
            return path
        return self._once("tiny.bin", build)

    def vectors_folder(self) -> Path:
        return self._once("tiny.vectors", lambda p: (load_encoder(f"glove:{self.glove()}").save(p), p)[1])

    def corpus(self) -> Path:
        return self._once("corpus.txt", lambda p: (p.write_text("\n".join(CORPUS) + "\n", encoding="utf-8"), p)[1])

    def words_file(self) -> Path:
        """A short word list (``vocab=`` of a real contextual model, so word_vectors() stays quick)."""
        return self._once("words.txt", lambda p: (p.write_text("\n".join(TINY_WORDS) + "\n", encoding="utf-8"), p)[1])

    def trained(self, kind: str):
        """A tiny model trained in-process on :data:`CORPUS` (lsa, doc2vec-dm, doc2vec-dbow)."""
        if kind == "lsa":
            from textemb.training import train_lsa

            return train_lsa(CORPUS * 2, dim=5, seed=3)
        from textemb.training import train_doc2vec

        # PV-DBOW declares word_vectors() but has them only when trained with dbow_words
        return train_doc2vec(CORPUS * 2, dim=8, epochs=5, min_count=1, dm=kind == "doc2vec-dm", dbow_words=True, seed=4)

    def fasttext_bin(self) -> Path:
        """A tiny fastText model in Facebook's binary format (gensim's writer)."""
        from textemb.training import train_fasttext

        def build(path: Path) -> Path:
            model = train_fasttext(CORPUS * 3, dim=8, epochs=2, min_count=1, bucket=1000, seed=2, lowercase=True)
            model.save(path)
            return path
        return self._once("tiny.ft.bin", build)

    def static_folder(self) -> Path:
        """A tiny real model2vec StaticModel over a word-level tokenizer, saved through textemb."""
        from tests.test_static import _tiny_static

        return self._once("tiny.static", _tiny_static)

    def bert(self) -> Path:
        from tests.contextual_fixtures import build_tiny_bert

        return self._once("tiny_bert", build_tiny_bert)

    def sbert(self) -> Path:
        from tests.contextual_fixtures import build_tiny_sbert

        return self._once("tiny_sbert", lambda p: build_tiny_sbert(self.bert(), p))


@dataclass(frozen=True)
class Fx:
    """One contract case: how to build the encoder, what it needs, what it declares."""

    build: Callable[[Workshop], object]
    needs: tuple[str, ...] = ()  # importable modules (skip when missing)
    caps: frozenset[str] | set[str] = field(default_factory=frozenset)
    slow: bool = False  # a real, full-size model
    encodes_words: bool = False  # encode("word") lies along that word's vector (word vectors, plain averages)


ENCODERS: dict[str, Fx] = {
    "glove": Fx(lambda w: load_encoder(f"glove:{w.glove()}"), caps={"words"}, encodes_words=True),
    "word2vec": Fx(lambda w: load_encoder(f"word2vec:{w.w2v_bin()}"), caps={"words"}, encodes_words=True),
    "vectors": Fx(lambda w: load_encoder(f"vectors:{w.vectors_folder()}"), caps={"words"}, encodes_words=True),
    "avg": Fx(lambda w: load_encoder(f"avg:glove:{w.glove()}"), caps={"words"}, encodes_words=True),
    "avg-tfidf": Fx(lambda w: load_encoder(f"avg-tfidf:glove:{w.glove()}?corpus={w.corpus()}"), caps={"words"}, encodes_words=True),
    "avg-sif": Fx(lambda w: load_encoder(f"avg-sif:glove:{w.glove()}?corpus={w.corpus()}&a=0.01"), caps={"words"}),
    "avg-sif[zipf,no-pc]": Fx(lambda w: load_encoder(f"avg-sif:vectors:{w.vectors_folder()}"), caps={"words"}, encodes_words=True),
    "avg-saved": Fx(lambda w: _saved_sif(w), caps={"words"}),
    "bert": Fx(lambda w: load_encoder(f"bert:{w.bert()}"), needs=("transformers",),
               caps={"words", "tokens", "tokenizer"}),
    "bert[concat,max,first]": Fx(
        lambda w: load_encoder(f"bert:{w.bert()}?layers=-2..-1&combine=concat&pool=max&subword=first"),
        needs=("transformers",), caps={"words", "tokens", "tokenizer"}),
    "sbert": Fx(lambda w: load_encoder(f"sbert:{w.sbert()}"), needs=("sentence_transformers",), caps={"tokenizer"}),
    # trained-model backends (merged on main beside this branch; skipped where their module is absent)
    "lsa": Fx(lambda w: w.trained("lsa"), needs=("gensim", "textemb.encoders.lsa"), caps={"words"}),
    "fasttext": Fx(lambda w: load_encoder(f"fasttext:{w.fasttext_bin()}"), needs=("gensim", "textemb.encoders.fasttext"),
                   caps={"words"}, encodes_words=True),
    "doc2vec[dm]": Fx(lambda w: w.trained("doc2vec-dm"), needs=("gensim", "textemb.encoders.doc2vec"), caps={"words"}),
    "doc2vec[dbow]": Fx(lambda w: w.trained("doc2vec-dbow"), needs=("gensim", "textemb.encoders.doc2vec"),
                        caps={"words"}),
    "static": Fx(lambda w: load_encoder(f"static:{w.static_folder()}"), needs=("model2vec", "textemb.encoders.static")),
    # named models and real full-size backends (slow)
    "glove-6b-50d": Fx(lambda w: load_encoder("glove-6b-50d"), caps={"words"}, encodes_words=True, slow=True),
    "all-MiniLM-L6-v2": Fx(lambda w: load_encoder("all-MiniLM-L6-v2"), needs=("sentence_transformers",),
                           caps={"tokenizer"}, slow=True),
    "bert[real-minilm]": Fx(lambda w: load_encoder(f"bert:all-MiniLM-L6-v2?vocab={w.words_file()}"), needs=("transformers",),
                            caps={"words", "tokens", "tokenizer"}, slow=True),
    "avg-sif[real-glove,lee]": Fx(lambda w: _real_sif(), needs=("gensim",), caps={"words"}, slow=True),
}


def _saved_sif(w: Workshop):
    """``avg-saved:`` needs a saved folder: a fitted SIF encoder saved once, loaded by spec."""
    folder = w.root / "saved.sif"
    if not folder.exists():
        load_encoder(f"avg-sif:glove:{w.glove()}?corpus={w.corpus()}").save(folder)
    return load_encoder(f"avg-saved:{folder}")


def _real_sif():
    import gensim

    lee = Path(gensim.__file__).parent / "test" / "test_data" / "lee_background.cor"
    return load_encoder(f"avg-sif:glove-6b-50d?corpus={lee}")


# --------------------------------------------------------------------------- vector stores
@dataclass(frozen=True)
class StoreFx:
    """A store case: ``url(tmp)`` names a fresh store of that kind in a temp folder (None: an in-memory
    store, built by :func:`store_create` and not reopened).

    Every store is driven through the :class:`~textemb.search.Index` façade (which chunks, encodes and
    searches), through the helpers below, so a change of the interface is adapted here once.
    """

    url: Callable[[Path], str] | None
    needs: tuple[str, ...] = ()


def _chunk():
    from textemb.search.chunking import ChunkSettings

    return ChunkSettings(size=20, overlap=5)


def store_create(fx: StoreFx, tmp: Path, encoder):
    """An empty writable store of ``fx``'s kind for ``encoder``'s vectors, behind an Index."""
    from textemb.search import Index
    from textemb.search.stores import create_store
    from textemb.search.stores.memory import MemoryStore

    if fx.url is None:
        store = MemoryStore(encoder_spec=encoder.spec, dim=encoder.dim, chunk=_chunk())
    else:
        store = create_store(fx.url(tmp), encoder_spec=encoder.spec, dim=encoder.dim, chunk=_chunk())
    return Index(store, encoder=encoder)


def store_reopen(fx: StoreFx, tmp: Path, encoder, previous):
    """The same store opened again from where it lives (an in-memory store is its own reopening)."""
    from textemb.search import Index
    from textemb.search.stores import open_store

    if fx.url is None:
        return previous
    return Index(open_store(fx.url(tmp)), encoder=encoder)


def store_persist(fx: StoreFx, index) -> None:
    """Make the writes durable: a new generation / a flushed collection (an in-memory store just flushes)."""
    if fx.url is None:
        index.store.flush()
    else:
        index.save()


def store_top(index, query: str, k: int) -> list[str]:
    """Dense top-k document ids (the store answers the top-k; BM25 is the façade's)."""
    return [h.id for h in index.search(query, k=k, mode="dense")]


STORES: dict[str, StoreFx] = {
    "FolderStore": StoreFx(lambda tmp: str(tmp / "idx")),
    "MilvusStore": StoreFx(lambda tmp: f"milvus-lite:{tmp / 'm.db'}/contract", needs=("pymilvus", "milvus_lite")),
    "MemoryStore": StoreFx(None),
}


def store_classes() -> list[str]:
    """Names of every concrete vector-store class defined under :mod:`textemb.search.stores`."""
    import textemb.search.stores as package

    found = set()
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional store's client library is missing: still listed by file below
            found.add(_class_name_guess(info.name))
            continue
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and name.endswith("Store") and not inspect.isabstract(obj) \
                    and name != "VectorStore":
                found.add(name)
    return sorted(found)


def _class_name_guess(module: str) -> str:
    return module.rsplit(".", 1)[-1].title().replace("_", "") + "Store"


# --------------------------------------------------------------------------- completeness
def covered(table: dict) -> set[str]:
    """The backends / models / stores a table covers (``prefix[variant]`` covers ``prefix``)."""
    return {key.split("[", 1)[0] for key in table}


def missing_fixtures(encoders: dict | None = None, stores: dict | None = None) -> list[str]:
    """One message per registered backend, named model or store class without a fixture."""
    from textemb import models
    from textemb.encoders.registry import backends

    have = covered(ENCODERS if encoders is None else encoders)
    have_stores = covered(STORES if stores is None else stores)
    out = [f"backend {b.prefix!r} is registered but has no contract fixture: add one to tests/contract_fixtures.py"
           for b in backends() if b.prefix not in have]
    out += [f"named model {name!r} has no contract fixture: add one to tests/contract_fixtures.py"
            for name in models.NAMED if name not in have]
    out += [f"vector store {name!r} has no contract fixture: add one to STORES in tests/contract_fixtures.py"
            for name in store_classes() if name not in have_stores]
    return out


def stale_fixtures() -> list[str]:
    """Fixtures naming a backend / model / store that does not exist (a renamed or removed one)."""
    from textemb import models
    from textemb.encoders.registry import backends

    known = {b.prefix for b in backends()} | set(models.NAMED)
    out = [f"fixture {key!r} names no registered backend or named model" for key, fx in ENCODERS.items()
           if key.split("[", 1)[0] not in known and available(fx.needs)]
    out += [f"store fixture {key!r} names no store class" for key in STORES if key not in store_classes()]
    return out


def available(needs: tuple[str, ...]) -> bool:
    """Whether every module a fixture needs can be imported here (else its cases are skipped)."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(name) is not None for name in needs)
    except ModuleNotFoundError:  # a parent package of a dotted name is missing
        return False
