"""ContextualEncoder (bert:...): contract, layers, pooling, sliding windows, word vectors.

Fast tests use a tiny random BERT built in a fixture; ``slow`` tests use the real MiniLM.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.contextual_fixtures import TINY_MAX  # noqa: E402  (fixtures: tests/conftest.py)
from textemb import WordVectors, load_encoder  # noqa: E402
from textemb.encoders.contextual import ContextualEncoder  # noqa: E402
from textemb.encoders.windows import parse_layers, plan_windows  # noqa: E402
from textemb.errors import InputError  # noqa: E402

BANK1, BANK2 = "The bank raised interest rates.", "We sat on the river bank."
LONG = " ".join(["the king spoke to the queen of france and the frog sat on a log"] * 12)


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def reference_hidden(enc: ContextualEncoder, ids: list[int]):
    """Hidden states straight from the transformers model for one sequence (no textemb code path)."""
    import torch

    with torch.inference_mode():
        out = enc.model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states]


# ---------------------------------------------------------------- pure planning rules
@pytest.mark.parametrize("n,width,stride", [(0, 5, 2), (5, 5, 2), (6, 5, 2), (37, 10, 3), (100, 30, 30), (64, 8, 1)])
def test_windows_cover_every_token_once(n, width, stride):
    wins = plan_windows(n, width, stride)
    owned = [p for w in wins for p in range(w.own_start, w.own_end)]
    assert owned == list(range(n))
    for w in wins:
        assert 0 <= w.start <= w.own_start <= w.own_end <= w.end <= n and w.end - w.start <= width
    assert all(b.start - a.start <= stride for a, b in zip(wins, wins[1:]))
    if n > width:
        assert wins[-1].end == n and all(w.end - w.start == width for w in wins)


def test_windows_truncate_keeps_first_window():
    (w,) = plan_windows(50, 10, 5, truncate=True)
    assert (w.start, w.end, w.own_start, w.own_end) == (0, 10, 0, 10)


def test_windows_token_taken_where_it_has_most_context():
    wins = plan_windows(20, 10, 5)  # windows [0,10) [5,15) [10,20)
    assert [(w.own_start, w.own_end) for w in wins] == [(0, 8), (8, 13), (13, 20)]


def test_parse_layers():
    assert parse_layers("last", 6) == [6]
    assert parse_layers("first", 6) == [1]
    assert parse_layers("embeddings", 6) == [0]
    assert parse_layers("-4..-1", 6) == [3, 4, 5, 6]
    assert parse_layers("1,-1", 6) == [1, 6]
    assert parse_layers([0, 2], 6) == [0, 2]
    assert parse_layers("all", 3) == [1, 2, 3]
    for bad in ("7", "-8", "-1..-4", "x", "1,1", ""):
        with pytest.raises(InputError):
            parse_layers(bad, 6)


# ---------------------------------------------------------------- contract on the tiny model
@pytest.fixture(scope="module")
def tiny(tiny_bert):
    return ContextualEncoder(tiny_bert)


# ---------------------------------------------------------------- tokens
def test_same_word_two_contexts_differs_same_sentence_identical(tiny):
    w1, v1 = tiny.embed_tokens(BANK1)
    w2, v2 = tiny.embed_tokens(BANK2)
    assert w1 == ["The", "bank", "raised", "interest", "rates", "."]
    assert v1.shape == (6, tiny.dim) and v1.dtype == np.float32
    assert cos(v1[1], v2[w2.index("bank")]) < 0.999
    again = tiny.embed_tokens(BANK1)
    assert again[0] == w1 and np.array_equal(again[1], v1)


def test_tokens_match_the_model_and_pieces_pool(tiny_bert):
    text = "kings spoke"  # king ##s | spoke
    ref = None
    for subword in ("first", "mean", "last"):
        enc = ContextualEncoder(tiny_bert, subword=subword)
        ids = enc.tokenizer(text)["input_ids"]
        assert enc.tokenizer.convert_ids_to_tokens(ids) == ["[CLS]", "king", "##s", "spoke", "[SEP]"]
        ref = reference_hidden(enc, ids)[-1]
        words, vecs = enc.embed_tokens(text)
        assert words == ["kings", "spoke"]
        expected = {"first": ref[1], "mean": (ref[1] + ref[2]) / 2, "last": ref[2]}[subword]
        np.testing.assert_allclose(vecs[0], expected, atol=1e-5)
        np.testing.assert_allclose(vecs[1], ref[3], atol=1e-5)


def test_embed_tokens_empty_and_type(tiny):
    words, vecs = tiny.embed_tokens("")
    assert words == [] and vecs.shape == (0, tiny.dim)
    with pytest.raises(InputError):
        tiny.embed_tokens(["a list"])


# ---------------------------------------------------------------- layers and pooling
def test_layer_combinations(tiny_bert):
    texts = ["the king spoke", "a frog sat on a log"]
    by_layer = {j: ContextualEncoder(tiny_bert, layers=str(j)).encode(texts) for j in (2, 3)}
    mean = ContextualEncoder(tiny_bert, layers="-2..-1", combine="mean")
    np.testing.assert_allclose(mean.encode(texts), (by_layer[2] + by_layer[3]) / 2, atol=1e-5)
    summed = ContextualEncoder(tiny_bert, layers="2,3", combine="sum").encode(texts)
    np.testing.assert_allclose(summed, by_layer[2] + by_layer[3], atol=1e-5)
    concat = ContextualEncoder(tiny_bert, layers="-2,-1", combine="concat")
    assert concat.dim == 2 * mean.dim
    np.testing.assert_allclose(concat.encode(texts), np.hstack([by_layer[2], by_layer[3]]), atol=1e-5)
    first = ContextualEncoder(tiny_bert, layers="first").encode(texts)
    assert not np.allclose(first, by_layer[3])


def test_sentence_pooling_matches_the_model(tiny_bert):
    text = "the frog sat on a log"
    for pool in ("mean", "cls", "max"):
        enc = ContextualEncoder(tiny_bert, pool=pool)
        hidden = reference_hidden(enc, enc.tokenizer(text)["input_ids"])[-1]
        expected = {"mean": hidden.mean(0), "cls": hidden[0], "max": hidden.max(0)}[pool]
        # in a batch with a longer text, so padding is present and must be masked
        got = enc.encode([text, LONG[:150]])[0]
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bad_options_are_errors(tiny_bert):
    for spec in ("pool=median", "subword=middle", "combine=max", "layers=9", "stride=500", "max_length=999",
                 "truncate=maybe", "dtype=int8"):
        with pytest.raises(InputError):
            load_encoder(f"bert:{tiny_bert}?{spec}")
    with pytest.raises(InputError, match="unknown option"):
        load_encoder(f"bert:{tiny_bert}?colour=blue")
    with pytest.raises(InputError, match="no model folder"):
        load_encoder("bert:./no/such/folder")


def test_device_auto_resolves(tiny_bert):
    from textemb.kernels import resolve_device

    assert ContextualEncoder(tiny_bert, device="auto").device == resolve_device("auto")


# ---------------------------------------------------------------- long texts
def test_sliding_window_keeps_every_word(tiny_bert):
    enc = ContextualEncoder(tiny_bert)
    n_pieces = len(enc.tokenizer(LONG, add_special_tokens=False, verbose=False)["input_ids"])
    assert n_pieces > 4 * TINY_MAX
    words, vecs = enc.embed_tokens(LONG)
    assert words == LONG.split() and np.isfinite(vecs).all()
    assert enc.last_stats["long_texts"] == 1 and enc.last_stats["windows"] > 4
    assert enc.last_stats["dropped_tokens"] == 0


def test_sliding_window_tokens_come_from_their_window(tiny_bert):
    width = TINY_MAX - 2
    enc = ContextualEncoder(tiny_bert, stride=width, subword="first")  # no overlap: window k = pieces [k*w, (k+1)*w)
    ids = enc.tokenizer(LONG, add_special_tokens=False, verbose=False)["input_ids"]
    _, vecs = enc.embed_tokens(LONG)  # every word of LONG is one piece here
    assert len(vecs) == len(ids)
    for k in (0, 1, 2):
        chunk = [enc.tokenizer.cls_token_id, *ids[k * width : (k + 1) * width], enc.tokenizer.sep_token_id]
        ref = reference_hidden(enc, chunk)[-1][1:-1]
        np.testing.assert_allclose(vecs[k * width : (k + 1) * width], ref, atol=1e-5)


def test_truncation_is_explicit_and_reported(tiny_bert):
    slide = ContextualEncoder(tiny_bert)
    cut = ContextualEncoder(tiny_bert, truncate=True)
    with pytest.warns(UserWarning, match="truncate=true: 1 of 2 texts"):
        short_and_long = cut.encode(["the king", LONG])
    assert cut.last_stats["truncated_texts"] == 1 and cut.last_stats["dropped_tokens"] > 0
    full = slide.encode(["the king", LONG])
    np.testing.assert_allclose(short_and_long[0], full[0], atol=1e-5)
    assert not np.allclose(short_and_long[1], full[1], atol=1e-4)
    with pytest.warns(UserWarning):
        words, _ = cut.embed_tokens(LONG)
    assert len(words) == TINY_MAX - 2 < len(LONG.split())


def test_stride_changes_long_texts_only(tiny_bert):
    a = ContextualEncoder(tiny_bert, stride=5).encode(["the king", LONG])
    b = ContextualEncoder(tiny_bert, stride=25).encode(["the king", LONG])
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    assert not np.allclose(a[1], b[1], atol=1e-5)


# ---------------------------------------------------------------- word vectors
def test_word_vectors_isolated_usable_by_analogy(tiny):
    vocab = ["king", "queen", "man", "woman", "prince", "frog", "kings"]
    wv = tiny.word_vectors(vocab)
    assert isinstance(wv, WordVectors) and wv.words == vocab and wv.dim == tiny.dim
    _, alone = tiny.embed_tokens("queen")
    np.testing.assert_allclose(wv["queen"], alone[0], atol=1e-6)
    answer, score = wv.analogy("man", "king", "woman")[0]
    assert answer in {"queen", "prince", "frog", "kings"} and -1 <= score <= 1
    assert wv.most_similar("king", topn=3)[0][0] != "king"


def test_word_vectors_from_contexts(tiny):
    wv = tiny.word_vectors(["bank", "river", "zzz"], contexts=[BANK1, BANK2, "no match here"])
    (_, v1), (w2, v2) = tiny.embed_tokens(BANK1), tiny.embed_tokens(BANK2)
    np.testing.assert_allclose(wv["bank"], (v1[1] + v2[w2.index("bank")]) / 2, atol=1e-5)
    np.testing.assert_allclose(wv["river"], v2[w2.index("river")], atol=1e-6)
    assert "zzz" in wv  # never seen: encoded alone
    dropped = tiny.word_vectors(["bank", "zzz"], contexts=[BANK1], missing="drop")
    assert dropped.words == ["bank"]


def test_word_vectors_cache(tiny):
    vocab = ["king", "queen", "frog"]
    first = tiny.word_vectors(vocab)
    assert first.last_stats["cached"] is False
    again = tiny.word_vectors(vocab)
    assert again.last_stats["cached"] is True and again.words == vocab
    np.testing.assert_array_equal(np.asarray(again.vectors), first.vectors)
    assert tiny.word_vectors(vocab, cache=False).last_stats["cached"] is False
    other = ContextualEncoder(tiny.model_path, layers="first").word_vectors(vocab)  # options are part of the key
    assert other.last_stats["cached"] is False and not np.allclose(other.vectors, first.vectors)


def test_default_vocab_and_cli_helper(tiny_bert, tmp_path):
    import argparse

    from textemb_cli.commands.common import load_word_vectors

    enc = ContextualEncoder(tiny_bert)
    vocab = enc.default_vocab()
    assert "king" in vocab and "[CLS]" not in vocab and "##s" not in vocab and "." not in vocab
    words_file = tmp_path / "words.txt"
    words_file.write_text("king\nqueen\nman\nwoman\n", encoding="utf-8")
    args = argparse.Namespace(encoder=f"bert:{tiny_bert}?vocab={words_file}", device="cpu")
    wv = load_word_vectors(args)
    assert wv.words == ["king", "queen", "man", "woman"]
    assert len(load_word_vectors(argparse.Namespace(encoder=f"bert:{tiny_bert}", device="cpu"))) == len(vocab)


# ---------------------------------------------------------------- CLI
def test_cli_encode_tokens(tiny_bert, capsys):
    from textemb_cli.main import main

    assert main(["encode", BANK1, BANK2, "--encoder", f"bert:{tiny_bert}", "--tokens"]) == 0
    out = capsys.readouterr().out
    assert "'bank': cosine" in out and "raised" in out


@pytest.mark.gpu
def test_gpu_matches_cpu(tiny_bert):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    cpu = ContextualEncoder(tiny_bert).encode([BANK1, LONG])
    gpu = ContextualEncoder(tiny_bert, device="cuda").encode([BANK1, LONG])
    np.testing.assert_allclose(cpu, gpu, atol=1e-3)


# ---------------------------------------------------------------- the real MiniLM
@pytest.mark.slow
def test_minilm_bert_mean_equals_sentence_transformers(minilm_bert, minilm_sbert):
    texts = [BANK1, BANK2, "A frog sat on a log.", "Paris is the capital of France."]
    np.testing.assert_allclose(minilm_bert.encode(texts, normalize=True), minilm_sbert.encode(texts), atol=1e-5)


@pytest.mark.slow
def test_minilm_two_banks_differ(minilm_bert):
    w1, v1 = minilm_bert.embed_tokens(BANK1)
    w2, v2 = minilm_bert.embed_tokens(BANK2)
    same_sentence = minilm_bert.embed_tokens(BANK1)[1]
    assert np.array_equal(v1, same_sentence)
    sim_banks = cos(v1[w1.index("bank")], v2[w2.index("bank")])
    assert sim_banks < 0.9
    # the word 'bank' is still closer to itself across contexts than to an unrelated word
    assert sim_banks > cos(v1[w1.index("bank")], v2[w2.index("sat")])


@pytest.mark.slow
def test_minilm_long_document_sliding_window(minilm_bert, gensim_data):
    doc = max((gensim_data / "lee_background.cor").read_text(encoding="utf-8").splitlines(), key=len)
    words, vecs = minilm_bert.embed_tokens(doc)
    assert minilm_bert.last_stats["windows"] >= 2 and minilm_bert.last_stats["dropped_tokens"] == 0
    word_ids = minilm_bert.tokenizer(doc, add_special_tokens=False, verbose=False).word_ids()
    assert len(word_ids) > minilm_bert.max_length
    assert len(words) == len(vecs) == len(set(word_ids)) and np.isfinite(vecs).all()
    cut = ContextualEncoder("all-MiniLM-L6-v2", truncate=True)
    with pytest.warns(UserWarning, match="truncate=true"):
        short = cut.embed_tokens(doc)[0]
    assert len(short) < len(words)


@pytest.mark.slow
def test_minilm_word_vectors_wordsim(minilm_bert, gensim_data):
    from scipy.stats import spearmanr

    pairs = []
    for line in (gensim_data / "wordsim353.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            try:
                pairs.append((parts[0].lower(), parts[1].lower(), float(parts[2])))
            except ValueError:
                continue
    vocab = sorted({w for a, b, _ in pairs for w in (a, b)})
    wv = minilm_bert.word_vectors(vocab)
    model = [wv.similarity(a, b) for a, b, _ in pairs]
    rho = spearmanr(model, [s for *_, s in pairs]).statistic
    assert len(pairs) > 300 and rho > 0.3  # a real signal from encoding each word alone
    assert wv.analogy("man", "king", "woman")[0][0] not in {"man", "king", "woman"}


@pytest.mark.parametrize("damage", ["deep-config", "cut-weights"])
def test_a_damaged_model_folder_is_one_format_error_naming_it(tiny_bert, tmp_path, damage):
    """transformers and safetensors raise RecursionError / SafetensorError; the user sees one FormatError."""
    import shutil

    from textemb.errors import FormatError

    copy = tmp_path / damage
    shutil.copytree(tiny_bert, copy)
    if damage == "deep-config":
        (copy / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    else:
        weights = copy / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:-100])
    for prefix in ("bert", "sbert"):
        with pytest.raises(FormatError, match=f"{damage}: cannot read the {prefix}: model: (RecursionError|Safetensor"
                                              "Error) .*replace it with an intact copy"):
            load_encoder(f"{prefix}:{copy}")
