"""Evaluation on small data built here: analogies (vs gensim and brute force), similarity, reports, plots, CLI."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from textemb.errors import FormatError, InputError, MissingDependencyError
from textemb.evaluation import evaluate_analogies, evaluate_sentence_pairs, evaluate_word_pairs, render, write_report
from textemb.evaluation.analogy import _kernel as kernel
from textemb.evaluation.datasets import read_analogies, read_sentence_pairs, read_word_pairs
from textemb.evaluation.similarity import pearson, rankdata, spearman
from textemb.vectors import WordVectors


def _vocab(rng, n_base=40, dim=8):
    """Lower-case words plus case variants: 'W3' after 'w3' (rarer), 'W5' before 'w5' (more frequent),
    and 'W7' with exactly w7's vector, so upper-casing collisions and the ignore set matter."""
    words = ["W5"] + [f"w{i}" for i in range(n_base)] + ["W3", "W7", "extra", "Extra"]
    vecs = rng.standard_normal((len(words), dim)).astype(np.float32)
    vecs[words.index("W7")] = vecs[words.index("w7")]
    return words, vecs


def _questions(tmp_path, rng, words, n=120):
    lines = [": first-section"]
    base = [w for w in words if w.startswith("w")]
    for i in range(n):
        if i == n // 2:
            lines.append(": gram-second")
        a, b, c, d = rng.choice(base, 4, replace=False)
        lines.append(" ".join([a.upper() if i % 7 == 0 else a, b, c, d]))
    lines += ["w1 w2 nosuchword w3", "only three words", "w7 w1 w7 w2", "w3 W3 w5 w4"]
    path = tmp_path / "q.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _gensim_counts(words, vecs, path, **kw):
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    kv = gensim_kv.KeyedVectors(vecs.shape[1], dtype=np.float32)
    kv.add_vectors(words, vecs)
    _, sections = kv.evaluate_word_analogies(str(path), **kw)
    return [(s["section"], sorted(s["correct"]), len(s["incorrect"])) for s in sections]


def _gensim_cosmul_counts(words, vecs, path, restrict_vocab, case_insensitive):
    """gensim's evaluate_word_analogies with most_similar_cosmul in place of most_similar (its own loop)."""
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    kv = gensim_kv.KeyedVectors(vecs.shape[1], dtype=np.float32)
    kv.add_vectors(words, vecs)
    cosmul = kv.most_similar_cosmul
    kv.most_similar = lambda positive, negative, topn, restrict_vocab: cosmul(
        positive=positive, negative=negative, topn=topn, restrict_vocab=restrict_vocab)
    _, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab,
                                             case_insensitive=case_insensitive)
    return [(s["section"], sorted(s["correct"]), len(s["incorrect"])) for s in sections]


def _our_counts(res):
    correct = res.extra["correct_mask"]
    qs = res.extra["questions"]
    out = []
    names = [s["section"] for s in res.sections[:-1]]
    sec_of = []
    for s_i, s in enumerate(res.sections[:-1]):
        sec_of += [s_i] * s["questions"]
    for s_i, name in enumerate(names):
        out.append((name, sorted(tuple(q) for q, ok, si in zip(qs, correct, sec_of) if ok and si == s_i),
                    res.sections[s_i]["incorrect"]))
    total = res.sections[-1]
    out.append(("Total accuracy", sorted(tuple(q) for q, ok in zip(qs, correct) if ok), total["incorrect"]))
    return out


@pytest.mark.parametrize("restrict", [None, 0, 30])
@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogies_equal_gensim_question_by_question(tmp_path, restrict, case_insensitive, method, monkeypatch):
    rng = np.random.default_rng(1)
    words, vecs = _vocab(rng)
    path = _questions(tmp_path, rng, words)
    monkeypatch.setattr(kernel, "BLOCK", 4)  # many blocks and chunks: exercises pruning, padding, threads
    monkeypatch.setattr(kernel, "CHUNK", 8)
    monkeypatch.setattr(kernel, "FIRST_CHUNK", 8)
    monkeypatch.setattr(kernel, "QUESTION_BATCH", 9)
    wv = WordVectors(words, vecs, name="tiny")
    res = evaluate_analogies(wv, path, method=method, restrict_vocab=restrict, case_insensitive=case_insensitive,
                             threads=2, epsilon=1e-6)  # gensim's most_similar_cosmul hard-codes 1e-6
    kw = {"restrict_vocab": restrict if restrict else len(words), "case_insensitive": case_insensitive}
    if method == "3cosadd":
        assert _our_counts(res) == _gensim_counts(words, vecs, path, **kw)
    else:
        assert _our_counts(res) == _gensim_cosmul_counts(words, vecs, path, **kw)
    assert res.sections[-1]["section"] == "Total accuracy"
    assert res.metrics["skipped_lines"] == 1


def test_oov_policy_wrong_counts_like_dummy4unknown(tmp_path):
    rng = np.random.default_rng(2)
    words, vecs = _vocab(rng)
    path = _questions(tmp_path, rng, words, n=40)
    wv = WordVectors(words, vecs)
    res = evaluate_analogies(wv, path, oov="wrong")
    g = _gensim_counts(words, vecs, path, dummy4unknown=True)
    assert [(s["section"], s["incorrect"]) for s in res.sections] == [(n, i) for n, _, i in g]
    assert res.metrics["oov_questions"] == 1


def test_3cosmul_matches_brute_force(tmp_path):
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(50)]
    vecs = rng.standard_normal((50, 6)).astype(np.float32)
    lines = [": s"] + [" ".join(rng.choice(words, 4, replace=False)) for _ in range(60)]
    path = tmp_path / "q.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    wv = WordVectors(words, vecs)
    res = evaluate_analogies(wv, path, method="3cosmul", case_insensitive=False)
    u = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    expected = 0
    for line in lines[1:]:
        a, b, c, d = (words.index(w) for w in line.split())
        cos = (u @ u[[a, b, c]].T + 1) / 2
        score = cos[:, 1] * cos[:, 2] / (cos[:, 0] + 1e-3)
        score[[a, b, c]] = -np.inf
        expected += int(np.argmax(score) == d)
    assert res.metrics["correct"] == expected


def test_analogy_input_errors(tmp_path):
    wv = WordVectors(["a", "b"], np.eye(2, dtype=np.float32))
    bad = tmp_path / "bad.txt"
    bad.write_text("a b c d\n", encoding="utf-8")
    with pytest.raises(FormatError, match="before the first"):
        read_analogies(bad)
    with pytest.raises(InputError, match="method"):
        evaluate_analogies(wv, bad, method="3coswhat")
    with pytest.raises(InputError, match="neither a named"):
        evaluate_analogies(wv, tmp_path / "missing.txt")
    with pytest.raises(InputError, match="not analogy"):
        evaluate_analogies(wv, "wordsim353")


def test_read_word_pairs_and_correlations(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("# comment\nw1\tw2\t1.5\nw1\tw3\t3.0\nbad line\nw2\tw3\t2\nw1\tzzz\t4\n", encoding="utf-8")
    pairs, skipped = read_word_pairs(path)
    assert pairs == [("w1", "w2", 1.5), ("w1", "w3", 3.0), ("w2", "w3", 2.0), ("w1", "zzz", 4.0)]
    assert skipped == [3]
    scipy_stats = pytest.importorskip("scipy.stats")
    x = np.array([1, 2, 2, 5, 3.0])
    y = np.array([2, 1, 4, 4, 0.5])
    assert spearman(x, y) == pytest.approx(scipy_stats.spearmanr(x, y)[0])
    assert pearson(x, y) == pytest.approx(scipy_stats.pearsonr(x, y)[0])
    np.testing.assert_allclose(rankdata(x), scipy_stats.rankdata(x))


def test_word_pairs_equal_gensim(tmp_path):
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    rng = np.random.default_rng(6)
    words = [f"w{i}" for i in range(30)] + ["W2"]
    vecs = rng.standard_normal((31, 5)).astype(np.float32)
    lines = ["# header"] + [f"{rng.choice(words[:30])}\t{rng.choice(words[:30])}\t{rng.uniform(0, 10):.2f}"
                            for _ in range(40)] + ["w1\tunknown\t3.0"]
    path = tmp_path / "p.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kv = gensim_kv.KeyedVectors(5, dtype=np.float32)
    kv.add_vectors(words, vecs)
    p, s, oov = kv.evaluate_word_pairs(str(path))
    res = evaluate_word_pairs(WordVectors(words, vecs), path)
    assert res.metrics["spearman"] == pytest.approx(s[0], abs=1e-12)
    assert res.metrics["pearson"] == pytest.approx(p[0], abs=1e-9)
    assert res.metrics["oov_ratio"] * 100 == pytest.approx(oov)


def test_sentence_pairs_reader_and_eval(tmp_path, tiny_glove):
    from textemb import load_encoder

    path = tmp_path / "sts.tsv"
    path.write_text("id\tscore\ts1\ts2\n1\t5.0\tthe king spoke\tthe queen spoke\n2\t0.5\ta frog sat\tparis is\n"
                    "3\tnot-a-number\tx\ty\n4\t3\tthe man\tthe woman\n", encoding="utf-8")
    pairs, skipped = read_sentence_pairs(path, score_col="score", text1_col="s1", text2_col="s2")
    assert [p[2] for p in pairs] == [5.0, 0.5, 3.0] and skipped == [4]
    enc = load_encoder(f"glove:{tiny_glove}")
    res = evaluate_sentence_pairs(enc, path, score_col=1, text1_col=2, text2_col=3, header=True)
    assert res.metrics["pairs"] == 3 and res.primary == "spearman" and -1 <= res.score <= 1


def _tiny_result(tmp_path):
    rng = np.random.default_rng(7)
    words = ["man", "woman", "king", "queen", "france", "paris", "italy", "rome"] + [f"w{i}" for i in range(40)]
    vecs = rng.standard_normal((len(words), 8)).astype(np.float32)
    path = tmp_path / "q.txt"
    path.write_text(": family\nman woman king queen\nking queen man woman\n: capital\nfrance paris italy rome\n",
                    encoding="utf-8")
    return evaluate_analogies(WordVectors(words, vecs, name="tiny"), path)


def test_reports_markdown_json_html(tmp_path):
    pytest.importorskip("matplotlib")
    res = _tiny_result(tmp_path)
    assert res.metrics["evaluated"] == 3 and len(res.sections) == 3
    md = render(res, "markdown")
    assert "| family |" in md and "sha256" in md
    data = json.loads(render([res, res], "json"))
    assert data["results"][0]["metrics"]["evaluated"] == 3 and data["comparison"]["rows"][0]["metric"] == "accuracy"
    out = write_report(res, tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 2  # section bars + PCA of analogy pairs
    assert "Total accuracy" in text
    with pytest.raises(InputError, match=".html, .md or .json"):
        write_report(res, tmp_path / "r.txt")


def test_projections(tmp_path):
    from textemb.evaluation import plots

    x = np.random.default_rng(8).standard_normal((10, 5))
    coords = plots.pca_2d(x)
    assert coords.shape == (10, 2)
    np.testing.assert_allclose(np.var(coords[:, 0]) >= np.var(coords[:, 1]), True)
    if importlib.util.find_spec("umap") is None:
        with pytest.raises(MissingDependencyError, match="umap-learn"):
            plots.project(x, "umap")
    with pytest.raises(InputError):
        plots.project(x, "mds")


def test_cli_eval_analogy_and_plot(tmp_path, tiny_glove, capsys):
    pytest.importorskip("matplotlib")
    from textemb_cli.main import main

    q = tmp_path / "q.txt"
    q.write_text(": s\nman woman king queen\nfrance paris italy rome\n", encoding="utf-8")
    report = tmp_path / "r.html"
    rc = main(["eval", "analogy", "--encoder", f"glove:{tiny_glove}", "--dataset", str(q), "--method", "3cosmul",
               "--report", str(report)])
    assert rc == 0 and report.is_file()
    out = capsys.readouterr().out
    assert "Total accuracy" in out and "report written" in out
    png = tmp_path / "p.png"
    assert main(["plot", "king", "queen", "man", "woman", "--encoder", f"glove:{tiny_glove}", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["plot", "king", "nosuchword", "--encoder", f"glove:{tiny_glove}", "-o", str(png)]) == 1


def test_encoders_with_a_word_vectors_view_are_accepted(tmp_path):
    """Contextual encoders expose word_vectors(); word-level benchmarks use that view."""
    from textemb.encoders.base import Encoder

    rng = np.random.default_rng(9)
    inner = WordVectors([f"w{i}" for i in range(20)], rng.standard_normal((20, 4)).astype(np.float32))

    class WithView(Encoder):
        dim = 4

        def _encode(self, texts, *, batch_size, show_progress):
            return inner.encode(texts)

        def word_vectors(self):
            return inner

    path = tmp_path / "p.tsv"
    path.write_text("w1\tw2\t1\nw3\tw4\t2\nw5\tw6\t3\n", encoding="utf-8")
    assert evaluate_word_pairs(WithView(), path).metrics["evaluated"] == 3
    q = tmp_path / "q.txt"
    q.write_text(": s\nw1 w2 w3 w4\n", encoding="utf-8")
    assert evaluate_analogies(WithView(), q).metrics["evaluated"] == 1
    with pytest.raises(InputError, match="no word vectors"):
        evaluate_analogies(object(), q)


def test_named_datasets_resolve_to_gensim_test_data():
    pytest.importorskip("gensim")
    from textemb.evaluation.datasets import resolve_dataset

    google = resolve_dataset("google", "analogy")
    assert google.path.name == "questions-words.txt" and google.path.is_file()
    lee = resolve_dataset("lee", "documents")
    assert [p.name for p in lee.paths] == ["lee.cor", "similarities0-1.txt"]
    sections, skipped = read_analogies(google.path)
    assert len(sections) == 14 and sum(len(s.questions) for s in sections) == 19544 and not skipped
    pairs, _ = read_word_pairs(resolve_dataset("simlex999", "word-pairs").path)
    assert len(pairs) == 999
    assert len(google.describe()["files"][0]["sha256"]) == 64
