"""Evaluation on the real thing: GloVe 6B 50d and gensim's benchmark files (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from textemb.evaluation import evaluate_analogies, evaluate_documents, evaluate_sentence_pairs, evaluate_word_pairs

pytestmark = pytest.mark.slow

# gensim 4.4.0 KeyedVectors.evaluate_word_analogies(questions-words.txt) on GloVe 6B 50d, obtained by
# running gensim itself (KeyedVectors(50); kv.add_vectors(glove.words, glove.vectors); defaults
# restrict_vocab=300000, case_insensitive=True, dummy4unknown=False) on 2026-11-21: 726 s on 2 busy cores.
# (section, correct, incorrect); the last row is gensim's appended 'Total accuracy' section.
GENSIM_GLOVE50_SECTIONS = [
    ("capital-common-countries", 401, 105),
    ("capital-world", 3099, 1425),
    ("currency", 73, 735),
    ("city-in-state", 378, 2089),
    ("family", 349, 157),
    ("gram1-adjective-to-adverb", 151, 841),
    ("gram2-opposite", 77, 735),
    ("gram3-comparative", 690, 642),
    ("gram4-superlative", 321, 801),
    ("gram5-present-participle", 439, 617),
    ("gram6-nationality-adjective", 1376, 223),
    ("gram7-past-tense", 585, 975),
    ("gram8-plural", 798, 534),
    ("gram9-plural-verbs", 299, 571),
    ("Total accuracy", 9036, 10450),
]


@pytest.fixture(scope="module")
def gensim_kv(glove50):
    """gensim KeyedVectors holding exactly the same words and float32 vectors."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(glove50.dim, dtype=np.float32)
    kv.add_vectors(glove50.words, np.asarray(glove50.vectors))
    return kv


def test_glove_analogies_equal_gensim_counts(glove50):
    res = evaluate_analogies(glove50, "google")
    assert [(s["section"], s["correct"], s["incorrect"]) for s in res.sections] == GENSIM_GLOVE50_SECTIONS
    assert res.metrics["correct"] == 9036 and res.metrics["evaluated"] == 19486
    assert round(res.score, 4) == 0.4637
    assert res.metrics["questions"] == 19544 and res.metrics["oov_questions"] == 58
    assert len(res.settings["dataset"]["files"][0]["sha256"]) == 64
    assert res.misses and res.misses[0]["expected"] != res.misses[0]["predicted"].upper()


GENSIM_COSMUL_EPS = 1e-6


def _subset(gensim_data, tmp_path, per_section=12):
    lines, kept = [], 0
    for line in (gensim_data / "questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            lines.append(line)
            kept = 0
        elif kept < per_section:
            lines.append(line)
            kept += 1
    path = tmp_path / "subset.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _gensim_cosmul_sections(kv, path, restrict):
    """gensim's evaluate_word_analogies answering each question with most_similar_cosmul."""
    cosmul = kv.most_similar_cosmul
    kv.most_similar = lambda positive, negative, topn, restrict_vocab: cosmul(
        positive=positive, negative=negative, topn=topn, restrict_vocab=restrict_vocab)
    try:
        return kv.evaluate_word_analogies(str(path), restrict_vocab=restrict)[1]
    finally:
        del kv.most_similar


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_glove_analogy_subset_equal_live_gensim_question_by_question(glove50, gensim_kv, gensim_data, tmp_path, method):
    """gensim run live on the first 12 questions of every section, with three vocabulary limits (0: all words)."""
    path = _subset(gensim_data, tmp_path)
    for restrict in (300_000, 20_000, 0):
        gensim_restrict = restrict or len(glove50)
        if method == "3cosadd":
            _, sections = gensim_kv.evaluate_word_analogies(str(path), restrict_vocab=gensim_restrict)
        else:
            sections = _gensim_cosmul_sections(gensim_kv, path, gensim_restrict)
        # gensim's most_similar_cosmul hard-codes epsilon=1e-6 (textemb's default is Levy & Goldberg's 1e-3)
        res = evaluate_analogies(glove50, path, method=method, restrict_vocab=restrict, epsilon=GENSIM_COSMUL_EPS)
        theirs = {q for q in sections[-1]["correct"]}
        ours = {tuple(q) for q, ok in zip(res.extra["questions"], res.extra["correct_mask"]) if ok}
        assert ours == theirs
        assert [len(s["incorrect"]) for s in sections] == [s["incorrect"] for s in res.sections]


def test_glove_3cosmul_on_google(glove50):
    res = evaluate_analogies(glove50, "google", method="3cosmul")
    assert res.metrics["evaluated"] == 19486
    assert res.metrics["correct"] == 7240 and round(res.score, 4) == 0.3715  # as gensim's most_similar_cosmul
    wrong = evaluate_analogies(glove50, "google", method="3cosmul", oov="wrong", restrict_vocab=30_000)
    assert wrong.metrics["evaluated"] == 19544


def test_glove_analogies_whole_vocabulary(glove50):
    """restrict_vocab=0: all 400k words are candidates and known (the count before this kernel: 9,033)."""
    res = evaluate_analogies(glove50, "google", restrict_vocab=0)
    assert res.metrics["evaluated"] == 19544 and res.metrics["correct"] == 9033
    assert res.settings["candidates"] == len(glove50)


@pytest.mark.parametrize("name, expected", [("wordsim353", 0.5033), ("simlex999", 0.2631)])
def test_glove_word_pairs_equal_gensim(glove50, gensim_kv, gensim_data, name, expected):
    res = evaluate_word_pairs(glove50, name)
    fname = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}[name]
    pearson, spearman, oov = gensim_kv.evaluate_word_pairs(str(gensim_data / fname))
    assert res.metrics["spearman"] == pytest.approx(spearman[0], abs=1e-12)
    assert res.metrics["pearson"] == pytest.approx(pearson[0], abs=1e-9)
    assert res.metrics["oov_ratio"] * 100 == pytest.approx(oov)
    assert round(res.score, 4) == expected


def test_glove_lee_documents(glove50):
    from scipy.stats import pearsonr

    from textemb.evaluation.datasets import read_lee, resolve_dataset

    res = evaluate_documents(glove50, "lee")
    docs, human = read_lee(*resolve_dataset("lee", "documents").paths)
    emb = glove50.encode(docs, normalize=True).astype(np.float64)
    iu = np.triu_indices(50, k=1)
    assert res.metrics["pairs"] == 1225
    assert res.score == pytest.approx(pearsonr(np.asarray(human)[iu], (emb @ emb.T)[iu])[0], abs=1e-9)
    assert 0.2 < res.score < 0.6


def test_glove_sentence_pairs_from_tsv(glove50, tmp_path):
    rows = [
        ("4.8", "A man is playing a guitar.", "A man plays the guitar."),
        ("4.5", "The cat sits on the mat.", "A cat is sitting on a mat."),
        ("0.2", "The stock market fell sharply today.", "A cat is sitting on a mat."),
        ("0.5", "Children play football in the park.", "The president signed the new law."),
        ("3.9", "The weather is cold and rainy.", "It is raining and cold outside."),
        ("0.1", "A woman slices an onion.", "Interest rates rose again this quarter."),
    ]
    path = tmp_path / "sts.csv"
    path.write_text("sentence1;sentence2;gold\n" + "\n".join(f"{a};{b};{s}" for s, a, b in rows), encoding="utf-8")
    res = evaluate_sentence_pairs(glove50, path, score_col="gold", text1_col="sentence1", text2_col="sentence2",
                                  delimiter=";")
    assert res.metrics["pairs"] == 6
    assert res.score > 0.6  # related sentences get clearly higher cosines with real GloVe


def test_cli_eval_all_two_encoders_html(tmp_path):
    from textemb_cli.main import main

    # two cut-down GloVe vocabularies: the same report paths as the full 400k model at a fraction of the time
    # (the full model's figures are checked against gensim above); the smaller covers fewer questions
    big, small = "glove-6b-50d?limit=100000", "glove:glove-6b-50d?limit=50000"
    report = tmp_path / "all.html"
    rc = main(["eval", "all", "--encoder", big, "--encoder", small, "--report", str(report), "-q"])
    assert rc == 0
    html = report.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 4
    assert "limit=100000" in html and "limit=50000" in html and "3cosmul" in html
    assert "common " in html and "How to read this report" in html  # compared on the same questions
