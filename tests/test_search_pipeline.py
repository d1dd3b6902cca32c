"""The one search pipeline: one chunker, lexical index (BM25) kept in sync and saved without pickle, hybrid
fusion, and identity of the stores built by the local and the Ray engine, on folders and milvus-lite."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK
from textemb.errors import FormatError
from textemb.search import ChunkSettings, Document, Index, load_documents
from textemb.search import lexical as lexical_mod
from textemb.search.chunking import chunk_documents, chunk_tokenizer
from textemb.search.lexical import LexicalIndex
from textemb.search.ranking import fuse

ROOT = Path(__file__).resolve().parents[1]
WIKI = ROOT / "corpora" / "wikipedia-sample"
CHUNK = ChunkSettings(size=20, overlap=5)
DOCS = [
    Document("frog", "A small green frog sat on a wet log by the pond and caught flies with its tongue.", "Frogs",
             source="frog.txt", source_hash="h1"),
    Document("king", "The king and the queen ruled the kingdom from a castle; the prince would inherit the throne.",
             "Royalty", source="king.txt", source_hash="h2"),
    Document("paris", "Paris is the capital of France, famous for the Eiffel tower and its museums.", "Paris",
             source="paris.txt", source_hash="h3"),
    Document("bank", "The bank raised interest rates, and loans and mortgages became more expensive.", "Banking",
             source="bank.txt", source_hash="h4"),
]


# ----------------------------------------------------------------------------- fusion and BM25 (no encoder)
def test_rrf_and_weighted_fusion_by_hand():
    fused = fuse([["a", "b", "c"], ["c", "a"]], k=3)
    assert [d for d, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62) and fused[1][1] == pytest.approx(1 / 63 + 1 / 61)
    w = fuse([["a", "b"], ["b", "c"]], method="weighted", scores=[[0.9, 0.5], [10.0, 2.0]], k=3)
    assert w == [("a", pytest.approx(0.5)), ("b", pytest.approx(0.5)), ("c", pytest.approx(0.0))]  # tie: best rank first


def test_bm25_scores_equal_bm25s_on_the_same_passages():
    """The lexical index is bm25s: same tokenizer, same BM25 (lucene) scores as bm25s used directly."""
    bm25s = pytest.importorskip("bm25s")
    docs = load_documents(WIKI / "corpus.jsonl").documents[:15]
    texts, rows = chunk_documents(docs, ChunkSettings())
    lex = LexicalIndex()
    lex.add((d.id, [t for t, r in zip(texts, rows) if r[0] == i]) for i, d in enumerate(docs))
    ref = bm25s.BM25()
    ref.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    for q in ("anarchism and the state", "autism in children", "light reflected by snow"):
        tokens = bm25s.tokenize([q], stopwords="en", show_progress=False, return_ids=False)[0]
        np.testing.assert_allclose(lex.scores(q), ref.get_scores(tokens), rtol=1e-5, atol=1e-6)


def test_lexical_index_round_trips_without_pickle_and_refuses_damage(monkeypatch):
    lex = LexicalIndex()
    lex.add([("a", ["the frog sat on a log", "frogs and toads"]), ("b", ["kings and queens"])])
    lex.add([("a", ["money in the bank"])])  # replaces document a
    npz, meta = lex.to_bytes()
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    again = LexicalIndex.from_bytes(npz, meta)
    assert again.doc_ids == ["b", "a"] and again.counts == [1, 1]
    np.testing.assert_array_equal(again.scores("bank money"), lex.scores("bank money"))
    bad = json.loads(meta)
    bad["vocab"] = bad["vocab"][:1]
    with pytest.raises(FormatError, match="do not fit together"):
        LexicalIndex.from_bytes(npz, json.dumps(bad).encode())
    with pytest.raises(FormatError, match="damaged"):
        LexicalIndex.from_bytes(npz[:-20], meta)
    import io

    obj = io.BytesIO()
    np.savez(obj, tokens=np.array([object()], dtype=object))  # an object array needs pickle to load
    with pytest.raises(FormatError):
        LexicalIndex.from_bytes(obj.getvalue(), meta)


# ----------------------------------------------------------------------------- the façade (real GloVe 50d)
def test_modes_and_hit_scores(glove_quick):
    idx = Index.build(DOCS, glove_quick, chunk=CHUNK)
    dense = idx.search("lending money for houses", k=2, mode="dense")
    bm25 = idx.search("interest rates", k=2, mode="bm25")
    hybrid = idx.search("interest rates and loans", k=4, fusion="rrf")
    assert idx.search("interest rates and loans", k=4)[0].id == "bank"  # the default: hybrid, weighted
    assert dense[0].id == "bank" and set(dense[0].scores) == {"dense"}
    assert [h.id for h in bm25] == ["bank"] and set(bm25[0].scores) == {"bm25"} and bm25[0].passage
    assert hybrid[0].id == "bank" and set(hybrid[0].scores) == {"dense", "bm25"}
    assert hybrid[0].score == pytest.approx(2 / 61)
    assert idx.search("zzzz qqqq", k=3, mode="bm25") == []  # no indexed word: no lexical hit
    with pytest.raises(Exception, match="mode must be"):
        idx.search("frog", mode="sparse")


def test_lexical_index_is_saved_with_the_index_and_synced_incrementally(glove_quick, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The frog sat on a log.", encoding="utf-8")
    (docs / "b.txt").write_text("The king spoke to the queen.", encoding="utf-8")
    Index.build(load_documents(docs), glove_quick, path=tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert {"lexical.npz", "lexical.json"} <= set(manifest["files"])
    tokenized: list[str] = []
    real = lexical_mod.tokenize
    monkeypatch.setattr(lexical_mod, "tokenize", lambda texts: tokenized.extend(texts) or real(texts))
    (docs / "a.txt").write_text("Interest rates at the bank went up.", encoding="utf-8")
    (docs / "c.txt").write_text("A volcano erupted.", encoding="utf-8")
    with Index.open(tmp_path / "idx", writable=True, encoder=glove_quick) as idx:
        report = idx.sync(load_documents(docs))
        idx.save()
    assert (report.added, report.updated, report.unchanged) == (1, 1, 1)
    assert sorted(tokenized) == ["A volcano erupted.", "Interest rates at the bank went up."]  # b.txt not redone
    again = Index.open(tmp_path / "idx", encoder=glove_quick)
    assert [h.id for h in again.search("bank interest", k=3, mode="bm25")] == ["a.txt"]
    assert again.search("volcano", k=1, mode="bm25")[0].id == "c.txt"
    assert not again.search("frog log", k=3, mode="bm25")  # the old a.txt is gone from the lexical index too


def test_an_index_without_a_lexical_index_gets_one_rebuilt(glove_quick, tmp_path):
    """Indexes written before hybrid search have no lexical files: BM25 is rebuilt from the stored passages."""
    idx = Index.build(DOCS, glove_quick, path=tmp_path / "idx", chunk=CHUNK)
    mpath = tmp_path / "idx" / "manifest.json"
    m = json.loads(mpath.read_text())
    for role in ("lexical.npz", "lexical.json"):
        (tmp_path / "idx" / m["files"].pop(role)["name"]).unlink()
    mpath.write_text(json.dumps(m))
    old = Index.open(tmp_path / "idx", encoder=glove_quick)
    assert [h.id for h in old.search("interest rates", k=1, mode="bm25")] == ["bank"]
    assert [h.id for h in old.search(["toad", "castle"], k=2)[1]] == [h.id for h in idx.search(["toad", "castle"], k=2)[1]]


def test_a_damaged_lexical_file_is_a_format_error(glove_quick, tmp_path):
    Index.build(DOCS, glove_quick, path=tmp_path / "idx", chunk=CHUNK)
    npz = next((tmp_path / "idx").glob("lexical-*.npz"))
    raw = bytearray(npz.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    npz.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="sha256"):
        Index.open(tmp_path / "idx")


def test_cli_search_modes(glove_quick, tmp_path, capsys):
    (tmp_path / "d").mkdir()
    for d in DOCS:
        (tmp_path / "d" / d.source).write_text(d.text, encoding="utf-8")
    assert main(["index", str(tmp_path / "d"), "-o", str(tmp_path / "idx"), "-e", GLOVE_QUICK, "-q"]) == 0
    capsys.readouterr()
    for mode in ("dense", "bm25", "hybrid"):
        assert main(["search", "interest rates and loans", "--index", str(tmp_path / "idx"), "--mode", mode,
                     "-k", "2", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["mode"] == mode and data["hits"][0]["source"] == "bank.txt"
    assert main(["search", "interest rates", "--index", str(tmp_path / "idx"), "--mode", "hybrid", "--fusion",
                 "weighted", "-k", "1"]) == 0
    assert "bank.txt" in capsys.readouterr().out


def test_cli_eval_retrieval_side_by_side(capsys, tmp_path):
    out = tmp_path / "report.md"
    assert main(["eval", "retrieval", "--dataset", str(ROOT / "corpora" / "wikipedia-sample-hard"), "--corpus",
                 str(WIKI / "corpus.jsonl"), "-e", GLOVE_QUICK, "--report", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    modes = [r["settings"]["mode"] for r in data["results"]]
    assert modes == ["dense", "bm25", "hybrid"] and all(r["task"] == "retrieval" for r in data["results"])
    assert all(0 < r["metrics"]["nDCG@10"] <= 1 for r in data["results"])
    text = out.read_text()
    assert "wikipedia-sample-hard (retrieval, hybrid, weighted)" in text and "nDCG@10" in text


# ----------------------------------------------------------------------------- the one chunker
def test_tokens_unit_chunks_with_the_encoders_hf_tokenizer(tiny_sbert):
    from textemb import load_encoder

    enc = load_encoder(f"sbert:{tiny_sbert}")
    tok = chunk_tokenizer(enc, "tokens")
    assert tok is not None and tok.is_fast and chunk_tokenizer(enc, "words") is None
    docs = load_documents(WIKI / "corpus.jsonl").documents[:2]
    chunk = ChunkSettings(size=24, overlap=4, unit="tokens")
    texts, rows = chunk_documents(docs, chunk, tok)
    regex_texts, regex_rows = chunk_documents(docs, chunk, None)
    assert not np.array_equal(rows, regex_rows)  # subword tokens, not textemb's regex tokens
    idx = Index.build(docs, enc, chunk=chunk)
    np.testing.assert_array_equal(idx.passages, rows)


# ----------------------------------------------------------------------------- identity: local vs Ray, folder vs milvus
@pytest.fixture(scope="module")
def ray_runtime():
    pytest.importorskip("ray")
    from textemb.search.ray_engine import ray_runtime as runtime

    with runtime(None, 2) as ray:  # one Ray for the module: RayEngine reuses a running runtime
        yield ray


@pytest.fixture(scope="module")
def lite_db(tmp_path_factory):
    """One milvus-lite file for the module (milvus-lite serves one database file per process)."""
    pytest.importorskip("milvus_lite")
    return tmp_path_factory.mktemp("milvus") / "p.db"


def _milvus_vectors(url: str) -> dict[tuple[str, int], np.ndarray]:
    with Index.open(url) as idx:
        rows = idx.store._scan(["doc_id", "seq", "vec"])
        return {(r["doc_id"], int(r["seq"])): np.asarray(r["vec"], dtype=np.float32) for r in rows}


def _build(docs, enc, target, chunk, engine):
    idx = Index.build(docs, enc, path=target, chunk=chunk, engine=engine)
    idx.close()


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["words", "tokens"])
def test_local_and_ray_builds_are_bit_identical_on_folder_and_milvus_lite(unit, ray_runtime, lite_db, tmp_path,
                                                                          glove50, tiny_sbert):
    from textemb import load_encoder
    from textemb.search.engines import LocalEngine
    from textemb.search.ray_engine import RayEngine

    pytest.importorskip("milvus_lite")
    enc = glove50 if unit == "words" else load_encoder(f"sbert:{tiny_sbert}")
    chunk = ChunkSettings(size=24, overlap=4, unit=unit)
    docs = sorted(load_documents(WIKI / "corpus.jsonl").documents, key=lambda d: len(d.text))[:12]
    targets = {}
    for engine_name in ("local", "ray"):
        for store in ("folder", "milvus-lite"):
            target = str(tmp_path / f"{engine_name}.idx") if store == "folder" else \
                f"milvus-lite:{lite_db}/{engine_name}_{unit}"
            # the same groups of 64 passages per encode call on both engines (the defaults are both 1024)
            engine = LocalEngine(enc, group_size=64) if engine_name == "local" else \
                RayEngine(enc.spec, enc.dim, tmp_path / f"shards-{store}", shard_size=64)
            _build(docs, enc, target, chunk, engine)
            if engine_name == "ray":
                assert engine.report.shards > 1 and engine.report.encoded == engine.report.shards
            targets[(engine_name, store)] = target
    a, b = Index.open(targets[("local", "folder")]), Index.open(targets[("ray", "folder")])
    assert a.docs == b.docs
    np.testing.assert_array_equal(a.passages, b.passages)
    assert np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))  # bit-identical
    ref = {}
    for row, (drow, _, _) in enumerate(a.passages):
        ref[(a.docs[drow]["id"], row - int(np.flatnonzero(a.passages[:, 0] == drow)[0]))] = np.asarray(a.vectors[row])
    for engine_name in ("local", "ray"):
        got = _milvus_vectors(targets[(engine_name, "milvus-lite")])
        assert got.keys() == ref.keys()
        assert all(np.array_equal(got[key], ref[key]) for key in ref)  # bit-identical in Milvus too
    q = ["a nocturnal animal that eats termites", "the theory of political rule without a state"]
    ranked = {key: [[h.id for h in hs] for hs in Index.open(t, encoder=enc).search(q, k=5)] for key, t in targets.items()}
    assert len({json.dumps(v) for v in ranked.values()}) == 1
