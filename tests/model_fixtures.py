"""Real tiny models of every file-reading backend, built with the real training and save paths.

``MODEL_BUILDERS[prefix](folder) -> path`` writes one small model the ``prefix:`` backend loads (a file or a
model folder). The damaged-file tests and the static tests build from here; nothing is mocked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CORPUS = ["the king spoke to the queen", "a frog sat on a log", "paris is the capital of france",
          "the queen and the king sat in paris", "the frog spoke to the log"] * 3
WORDS = ["the", "king", "queen", "frog", "log", "paris", "france", "spoke", "sat", "capital"]


def _word_vectors():
    from textemb.vectors import WordVectors

    return WordVectors(WORDS, np.random.default_rng(0).normal(size=(len(WORDS), 6)).astype(np.float32), name="tiny")


def build_glove(folder: Path) -> Path:
    return _word_vectors().save_word2vec_format(folder / "tiny.txt", header=False)


def build_word2vec(folder: Path) -> Path:
    return _word_vectors().save_word2vec_format(folder / "tiny.bin", binary=True)


def build_vectors(folder: Path) -> Path:
    _word_vectors().save(folder / "vectors")
    return folder / "vectors"


def build_avg_saved(folder: Path) -> Path:
    from textemb.encoders.averaging import AveragingEncoder

    AveragingEncoder.sif(_word_vectors(), CORPUS, pc=1).save(folder / "sif")
    return folder / "sif"


def build_fasttext_bin(folder: Path) -> Path:
    from textemb.training import train_fasttext

    path = folder / "tiny.bin"
    train_fasttext(CORPUS, dim=8, epochs=1, min_count=1, bucket=50, seed=2).save(path)
    return path


def build_fasttext_folder(folder: Path) -> Path:
    from textemb.training import train_fasttext

    train_fasttext(CORPUS, dim=8, epochs=1, min_count=1, bucket=50, seed=2).save(folder / "ft")
    return folder / "ft"


def build_lsa(folder: Path) -> Path:
    from textemb.training import train_lsa

    train_lsa(CORPUS, dim=3, seed=3).save(folder / "lsa")
    return folder / "lsa"


def build_doc2vec(folder: Path) -> Path:
    from textemb.training import train_doc2vec

    train_doc2vec(CORPUS, dim=8, epochs=2, min_count=1, seed=4).save(folder / "d2v")
    return folder / "d2v"


def build_static(folder: Path) -> Path:
    return static_model(folder / "static")


def static_model(target: Path) -> Path:
    """A real model2vec StaticModel over a word-level tokenizer, saved through textemb at ``target``."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    from textemb.encoders.static import save_static

    words = ["[UNK]", "[PAD]", "the", "king", "spoke", "to", "queen", "a", "frog", "sat", "on", "log", "paris",
             "is", "capital", "of", "france"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.random.default_rng(0).normal(size=(len(words), 12)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return save_static(StaticModel(vectors, tok, normalize=True), target, source="tiny", source_sha256=None,
                       settings={"pca_dims": None, "sif_coefficient": None})


#: spec prefix -> builders of the models that backend reads (fastText reads a .bin and a folder)
MODEL_BUILDERS = {
    "glove": [build_glove], "word2vec": [build_word2vec], "vectors": [build_vectors], "avg-saved": [build_avg_saved],
    "fasttext": [build_fasttext_bin, build_fasttext_folder], "lsa": [build_lsa], "doc2vec": [build_doc2vec],
    "static": [build_static],
}
