"""LSA backend: fold-in equals gensim's lsi[tfidf[bow]], word vectors, pickle-free save/load, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.encoder_contract import EncoderContract
from textemb import load_encoder
from textemb.encoders.lsa import LsaEncoder, train_lsa
from textemb.errors import FormatError, InputError

pytest.importorskip("gensim")

TINY_CORPUS = [
    "the king spoke to the queen about the kingdom",
    "the queen and the king ruled the land of france",
    "a frog sat on a log by the pond",
    "the frog jumped from the log into the water",
    "paris is the capital of france",
    "the capital city paris has a king's palace",
    "a man and a woman walked to the palace",
    "the woman spoke to the man about the frog",
    "water in the pond was cold and the log was wet",
    "the prince of france visited paris",
]


@pytest.fixture(scope="module")
def tiny_lsa() -> LsaEncoder:
    return train_lsa(TINY_CORPUS, dim=5, seed=3)


class TestLsaContract(EncoderContract):
    @pytest.fixture
    def encoder(self, tiny_lsa):
        return tiny_lsa

    def reload(self, encoder, tmp_path):
        encoder.save(tmp_path / "lsa")
        return load_encoder(f"lsa:{tmp_path / 'lsa'}")


def test_fold_in_matches_gensim(tiny_lsa):
    from gensim.corpora import Dictionary
    from gensim.matutils import sparse2full
    from gensim.models import LsiModel, TfidfModel

    from textemb.corpus import make_tokenizer

    tok = make_tokenizer("words", lowercase=True)
    docs = [tok(t) for t in TINY_CORPUS]
    dictionary = Dictionary(docs)
    tfidf = TfidfModel(dictionary=dictionary)
    lsi = LsiModel([tfidf[dictionary.doc2bow(d)] for d in docs], id2word=dictionary, num_topics=5, random_seed=3)
    texts = TINY_CORPUS + ["an unseen text about the king and a frog"]
    ref = np.array([sparse2full(lsi[tfidf[dictionary.doc2bow(tok(t))]], 5) for t in texts])
    ours = tiny_lsa.encode(texts)
    np.testing.assert_allclose(np.abs(ours), np.abs(ref), atol=1e-5)  # same subspace, same coordinates
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_word_vectors_are_u_times_s(tiny_lsa):
    wv = tiny_lsa.word_vectors()
    assert wv.dim == 5 and len(wv) == len(tiny_lsa.words)
    assert wv.words[0] == "the"  # most frequent first, so restrict_vocab means what it says
    i = tiny_lsa.key_to_index["king"]
    np.testing.assert_allclose(wv["king"], tiny_lsa.term_vectors[i] * tiny_lsa.singular_values, rtol=1e-6)
    assert wv.most_similar("king", topn=3)


def test_save_load_bit_exact_and_pickle_free(tiny_lsa, tmp_path):
    tiny_lsa.save(tmp_path / "m")
    path = tmp_path / "m"
    names = sorted(p.name for p in path.iterdir())
    assert names == [".textemb-owner.json", "counts.npy", "idf.npy", "lsa.json", "singular_values.npy", "term_vectors.npy"]
    for p in path.glob("*.npy"):
        np.load(p, allow_pickle=False)  # would raise on an object array
    again = LsaEncoder.load(path)
    assert again.words == tiny_lsa.words
    np.testing.assert_array_equal(again.encode(TINY_CORPUS), tiny_lsa.encode(TINY_CORPUS))
    np.testing.assert_array_equal(again.word_vectors().vectors, tiny_lsa.word_vectors().vectors)


def test_load_rejects_tampered_folder(tiny_lsa, tmp_path):
    tiny_lsa.save(tmp_path / "m")
    path = tmp_path / "m"
    meta = json.loads((path / "lsa.json").read_text())
    meta["words"] = meta["words"][:-1]
    (path / "lsa.json").write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="words"):
        LsaEncoder.load(path)
    np.save(path / "idf.npy", np.zeros(3))
    with pytest.raises(FormatError, match="idf.npy"):
        LsaEncoder.load(path)


def test_spec_trains_on_a_corpus_file(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(TINY_CORPUS), encoding="utf-8")
    enc = load_encoder(f"lsa:{corpus}?dim=4&seed=3&stopwords=1")
    assert enc.dim == 4 and "the" not in enc.key_to_index
    assert enc.spec == f"lsa:{corpus}?dim=4&seed=3&stopwords=1"
    with pytest.raises(InputError, match="unknown option"):
        load_encoder(f"lsa:{corpus}?dims=4")
    with pytest.raises(InputError, match="dim"):
        load_encoder(f"lsa:{corpus}?dim=0")


def test_unknown_words_counted(tiny_lsa):
    out = tiny_lsa.encode(["zzz qqq", "king"])
    assert not out[0].any() and out[1].any()
    assert tiny_lsa.last_stats == {"texts": 2, "tokens": 3, "oov_tokens": 2, "empty_texts": 1}


def test_cli_train_lsa(tmp_path):
    from textemb_cli.main import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(TINY_CORPUS), encoding="utf-8")
    assert main(["train", "lsa", str(corpus), "-o", str(tmp_path / "out"), "--dim", "4", "--json"]) == 0
    enc = load_encoder(f"lsa:{tmp_path / 'out'}")
    assert enc.dim == 4


@pytest.mark.slow
def test_lee_pearson_real(gensim_data):
    from textemb.evaluation import evaluate_documents, evaluate_word_pairs

    enc = train_lsa(gensim_data / "lee_background.cor", dim=200, stopwords=True, seed=1)
    res = evaluate_documents(enc, "lee")
    assert res.metrics["pearson"] > 0.55  # measured 0.586 (published LSA on Lee: ~0.60)
    ws = evaluate_word_pairs(enc, "wordsim353")
    assert ws.metrics["evaluated"] > 100 and ws.metrics["spearman"] > 0.0


def test_models_lists_the_new_backends(capsys):
    from textemb_cli.main import main

    assert main(["models", "--json"]) == 0
    prefixes = {b["prefix"] for b in json.loads(capsys.readouterr().out)["backends"]}
    assert {"lsa", "fasttext", "doc2vec"} <= prefixes
