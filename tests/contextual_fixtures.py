"""Tiny randomly initialised BERT models built into a temporary folder (fast), and the real MiniLM.

Import the fixtures into a test module (``from tests.contextual_fixtures import *``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

WORDS = ["the", "king", "queen", "man", "woman", "a", "frog", "sat", "on", "log", "paris", "is", "capital",
         "of", "france", "spoke", "to", "bank", "river", "we", "raised", "interest", "rates", "money",
         "prince", "cafe", "word", "long", "text", "here", "and", "emoji", "zero", "width", "nul", "tabs",
         "newlines", "text", "text"]
PIECES = ["##s", "##ing", "##ed", "##ly", "##er", "##e", "##a", "##o", "##i", "##n", "##t", "##x", "##y"]
LETTERS = list("abcdefghijklmnopqrstuvwxyz0123456789")
PUNCT = list(".,!?'-;:")
#: the tiny model's position limit; windows are this long, so long-text tests stay fast
TINY_MAX = 32


def build_tiny_bert(folder: Path, *, layers: int = 3, hidden: int = 16, seed: int = 0) -> Path:
    """A BertModel with random weights plus a WordPiece tokenizer, saved as safetensors."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    for token in WORDS + PIECES + LETTERS + ["##" + c for c in LETTERS] + PUNCT:
        if token not in vocab:
            vocab.append(token)
    tokenizer = transformers.BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True,
                                               model_max_length=TINY_MAX)
    assert tokenizer.tokenize("kings") == ["king", "##s"]
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                                     num_attention_heads=2, intermediate_size=2 * hidden,
                                     max_position_embeddings=TINY_MAX)
    torch.manual_seed(seed)
    model = transformers.BertModel(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_sbert(bert_folder: Path, folder: Path) -> Path:
    """A sentence-transformers folder (Transformer + mean Pooling) around the tiny BERT."""
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    word = Transformer(str(bert_folder), max_seq_length=TINY_MAX)
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    st.SentenceTransformer(modules=[word, pooling], device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert") / "model")


@pytest.fixture(scope="session")
def tiny_sbert(tmp_path_factory, tiny_bert) -> Path:
    return build_tiny_sbert(tiny_bert, tmp_path_factory.mktemp("tiny_sbert") / "model")


@pytest.fixture(scope="session")
def minilm_bert():
    """The real 6-layer BERT inside all-MiniLM-L6-v2 (last layer, mean pooling)."""
    from textemb import load_encoder

    return load_encoder("bert:all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def minilm_sbert():
    from textemb import load_encoder

    return load_encoder("sbert:all-MiniLM-L6-v2")
