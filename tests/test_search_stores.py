"""Vector stores: the folder store and Milvus (a real milvus-lite database) behave and rank alike (real GloVe 50d)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK
from textemb.errors import FormatError, InputError, TextembError
from textemb.search import ChunkSettings, Document, Index
from textemb.search.stores import create_store, open_store, parse_store_url
from textemb.vectors import WordVectors

ROOT = Path(__file__).resolve().parents[1]
WIKI = ROOT / "corpora" / "wikipedia-sample"
EVAL = ROOT / "corpora" / "wikipedia-sample-eval" / "queries.jsonl"
CHUNK = ChunkSettings(size=20, overlap=5)

DOCS = [
    Document("frog", "A small green frog sat on a wet log by the pond and caught flies with its tongue.", "Frogs",
             source="frog.txt", source_hash="h1", meta={"lang": "en"}),
    Document("king", "The king and the queen ruled the kingdom from a castle; the prince would inherit the throne.",
             "Royalty", source="king.txt", source_hash="h2"),
    Document("paris", "Paris is the capital of France, famous for the Eiffel tower and its museums.", "Paris",
             source="paris.txt", source_hash="h3"),
    Document("bank", "The bank raised interest rates, and loans and mortgages became more expensive.", "Banking",
             source="bank.txt", source_hash="h4"),
    Document("long", " ".join(["filler words about nothing in particular"] * 40) + " the volcano erupted and lava flowed",
             None, source="long.txt", source_hash="h5"),
]
QUERIES = ["a toad near the lake", "monarch and his royal family", "lending money for houses", "french museums",
           "eruption of a mountain", "animals eating insects"]


# ----------------------------------------------------------------------------- the store grammar (no server)
@pytest.mark.parametrize("text, kind, target, coll, db", [
    ("wiki.idx", "folder", "wiki.idx", "", ""),
    ("folder:milvus.idx", "folder", "milvus.idx", "", ""),
    ("milvus://localhost:19530/wiki", "milvus", "http://localhost:19530", "wiki", ""),
    ("milvus://10.0.0.5/docs_v2?db=prod", "milvus", "http://10.0.0.5:19530", "docs_v2", "prod"),
    ("milvus+https://vec.example.org:443/wiki", "milvus", "https://vec.example.org:443", "wiki", ""),
    ("milvus-lite:data/wiki.db/wiki", "milvus-lite", "data/wiki.db", "wiki", ""),
    ("milvus-lite:/abs/dir/x.db/c1", "milvus-lite", "/abs/dir/x.db", "c1", ""),
])
def test_store_urls_parse(text, kind, target, coll, db):
    url = parse_store_url(text)
    assert (url.kind, url.target, url.collection, url.db_name) == (kind, target, coll, db)
    assert str(url) == text


@pytest.mark.parametrize("text, message", [
    ("milvus-lite:wiki/wiki", "must end in .db"),
    ("milvus-lite:wiki.db", "milvus-lite:FILE.db/COLLECTION"),
    ("milvus://localhost:19530", "milvus://HOST:PORT/COLLECTION"),
    ("milvus://host:1/c?token=secret", "MILVUS_TOKEN"),
])
def test_bad_store_urls_say_the_right_form(text, message):
    with pytest.raises(InputError, match=message):
        parse_store_url(text)


def test_folder_manifest_records_encoder_dim_metric_and_normalisation(glove_quick, tmp_path):
    Index.build(DOCS, glove_quick, path=tmp_path / "idx", chunk=CHUNK)
    m = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert (m["encoder"]["spec"], m["dim"], m["metric"], m["normalize"]) == (GLOVE_QUICK, 50, "cosine", "l2")
    m["normalize"] = "none"  # an index whose vectors are not unit length must not be searched as cosine
    (tmp_path / "idx" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(FormatError, match="normalization"):
        Index.open(tmp_path / "idx")


def test_folder_store_refuses_a_query_encoder_with_another_dim_or_spec(glove_quick, tmp_path):
    Index.build(DOCS, glove_quick, path=tmp_path / "idx", chunk=CHUNK)
    small = WordVectors(["frog", "pond"], np.eye(2, 3, dtype=np.float32), name="tiny", spec="glove:tiny.txt")
    with pytest.raises(TextembError, match="3-d vectors but .* holds 50-d"):
        Index.open(tmp_path / "idx", encoder=small)
    other = WordVectors(glove_quick.words[:1000], np.asarray(glove_quick.vectors[:1000]), name="g", spec="glove:other.txt")
    message = f"built with encoder '{GLOVE_QUICK}' but the query encoder is 'glove:other.txt'"
    with pytest.raises(TextembError, match=re.escape(message)):
        Index.open(tmp_path / "idx", encoder=other)


def test_folder_store_add_remove_sync_match_the_index(glove_quick, tmp_path):
    with Index(create_store(tmp_path / "idx", encoder_spec=GLOVE_QUICK, dim=50, chunk=CHUNK), encoder=glove_quick) as store:
        assert store.add(DOCS) > 0
        store.save()
    ref = Index.build(DOCS, glove_quick, chunk=CHUNK)
    with Index.open(tmp_path / "idx", encoder=glove_quick) as store:
        assert sorted(store.store.document_ids()) == sorted(d.id for d in DOCS)
        for q in QUERIES:
            assert [h.id for h in store.search(q, k=3, mode="dense")] == [h.id for h in ref.search(q, k=3, mode="exact")]
            assert [h.id for h in store.search(q, k=3)] == [h.id for h in ref.search(q, k=3)]  # hybrid


# ----------------------------------------------------------------------------- Milvus (real milvus-lite)
@pytest.fixture(scope="module")
def lite_db(tmp_path_factory):
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    return tmp_path_factory.mktemp("milvus") / "t.db"


def _both(tmp_path, lite_db, encoder, coll):
    folder = Index(create_store(tmp_path / "idx", encoder_spec=encoder.spec, dim=50, chunk=CHUNK), encoder=encoder)
    milvus = Index(create_store(f"milvus-lite:{lite_db}/{coll}", encoder_spec=encoder.spec, dim=50, chunk=CHUNK),
                   encoder=encoder)
    return folder, milvus


def _ranked(index, queries, k, mode="dense", doc_score="max"):
    return [[(h.id, h.start, h.end, h.passage, h.title, h.meta) for h in hits]
            for hits in index.search(queries, k=k, mode=mode, doc_score=doc_score)]


def test_milvus_lite_and_folder_store_add_search_remove_alike(tmp_path, lite_db, glove_quick):
    folder, milvus = _both(tmp_path, lite_db, glove_quick, "alike")
    try:
        for s in (folder, milvus):
            s.add(DOCS)
            s.save()
        assert sorted(milvus.store.document_ids()) == sorted(folder.store.document_ids())
        assert milvus.store.passage_count() == folder.store.passage_count() > len(DOCS)
        assert _ranked(milvus, QUERIES, 5) == _ranked(folder, QUERIES, 5)
        for mode, doc_score in (("bm25", "max"), ("hybrid", "max"), ("dense", "mean"), ("hybrid", "mean")):
            assert _ranked(milvus, QUERIES, 5, mode, doc_score) == _ranked(folder, QUERIES, 5, mode, doc_score)
        scores_f = [[h.score for h in hits] for hits in folder.search(QUERIES, k=5, mode="dense")]
        scores_m = [[h.score for h in hits] for hits in milvus.search(QUERIES, k=5, mode="dense")]
        np.testing.assert_allclose(scores_m, scores_f, atol=1e-5)
        # remove one document, replace another with new text (same id): both stores agree again
        new_frog = Document("frog", "The toad croaked all night in the marsh.", "Toads", source="frog.txt", source_hash="h9")
        for s in (folder, milvus):
            assert s.remove(["bank", "no-such-id"]) == 1
            s.add([new_frog])
            s.save()
        assert sorted(milvus.store.document_ids()) == sorted(folder.store.document_ids()) == ["frog", "king", "long", "paris"]
        assert _ranked(milvus, QUERIES, 10) == _ranked(folder, QUERIES, 10)
        assert _ranked(milvus, QUERIES, 10, "hybrid") == _ranked(folder, QUERIES, 10, "hybrid")
        assert milvus.search("lending money for houses", k=4)[0].id != "bank"
        assert milvus.search("a toad in the marsh", k=1)[0].title == "Toads"
        assert milvus.store.indexed_sources()["frog.txt"] == "h9"
        # the lexical index was saved beside the collection and reads back without a rebuild
        url = milvus.store.url
        with Index.open(url, encoder=glove_quick) as again:
            assert again.store.read_sidecar("lexical") is not None
            assert _ranked(again, QUERIES, 10, "bm25") == _ranked(folder, QUERIES, 10, "bm25")
    finally:
        folder.close()
        milvus.close()


def test_milvus_lite_collection_keeps_the_manifest_and_checks_the_query_encoder(tmp_path, lite_db, glove_quick):
    url = f"milvus-lite:{lite_db}/manifest_check"
    Index.build(DOCS[:2], glove_quick, path=url, chunk=CHUNK)
    with open_store(url) as s:  # reopened from the collection alone
        assert (s.encoder_spec, s.dim, s.chunk, s.manifest["metric"], s.manifest["normalize"]) == \
            (GLOVE_QUICK, 50, CHUNK, "cosine", "l2")
    with Index.open(url) as s:
        assert s.search("royal family", k=1)[0].id == "king"  # the query encoder is loaded from the manifest
    small = WordVectors(["frog"], np.ones((1, 3), dtype=np.float32), name="tiny", spec="glove:tiny.txt")
    with pytest.raises(TextembError, match="3-d vectors"):
        Index.open(url, encoder=small)
    with pytest.raises(InputError, match=re.escape(f"was built with encoder '{GLOVE_QUICK}'")):
        Index.build(DOCS[:1], small, path=url, chunk=CHUNK)
    with pytest.raises(InputError, match="no collection 'missing'"):
        open_store(f"milvus-lite:{lite_db}/missing")


def test_a_foreign_milvus_collection_is_refused(lite_db):
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(str(lite_db))
    schema = MilvusClient.create_schema(auto_id=True)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=4)
    client.create_collection("foreign", schema=schema)
    with pytest.raises(FormatError, match="not created by textemb"):
        open_store(f"milvus-lite:{lite_db}/foreign")


def test_cli_index_into_milvus_lite_is_incremental_and_searchable(tmp_path, lite_db, capsys):
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "frog.md").write_text("# Frogs\n\nA green frog sat on a wet log by the pond.", encoding="utf-8")
    (docs / "royal.txt").write_text("The king spoke to the queen about the prince.", encoding="utf-8")
    (docs / "money.html").write_text("<title>Banks</title><p>The bank raised interest rates on loans.</p>", encoding="utf-8")
    url = f"milvus-lite:{lite_db}/cli_notes"
    args = ["index", str(docs), "--store", url, "--encoder", GLOVE_QUICK, "-q", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["documents"], first["files"]["added"]) == (3, 3)
    (docs / "royal.txt").write_text("The queen abdicated.", encoding="utf-8")
    (docs / "money.html").unlink()
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files"] == {"added": 0, "updated": 1, "unchanged": 1, "removed": 1}
    assert data["encoded_passages"] == 1 and data["documents"] == 2
    assert main(["search", "a frog near the pond", "--index", url, "-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "frog.md" in out[0] and "Frogs" in out[0] and "**frog**" in out[1]
    assert main(["search", "frog", "--store", url, "--doc-score", "mean"]) == 0  # every store: max and mean
    assert "frog.md" in capsys.readouterr().out.splitlines()[0]
    assert main(["search", "frog", "--store", url, "--vector-search", "ann"]) == 1
    assert "FLAT" in capsys.readouterr().err


@pytest.mark.slow
def test_wikipedia_corpus_same_rankings_on_milvus_lite_and_folder(tmp_path, lite_db, glove50, capsys):
    """The must-show: index the shipped Wikipedia sample into both stores; 20 queries rank identically."""
    url = f"milvus-lite:{lite_db}/wiki"
    for target in (str(tmp_path / "wiki.idx"), url):
        assert main(["index", str(WIKI), "-o", target, "--encoder", "glove-6b-50d", "-q"]) == 0
    capsys.readouterr()
    queries = [json.loads(line)["text"] for line in EVAL.read_text(encoding="utf-8").splitlines()[:20]]
    with Index.open(tmp_path / "wiki.idx", encoder=glove50) as folder, Index.open(url, encoder=glove50) as milvus:
        assert len(milvus) == len(folder) == 106 and milvus.store.passage_count() == folder.store.passage_count()
        f_hits, m_hits = folder.search(queries, k=10, mode="dense"), milvus.search(queries, k=10, mode="dense")
    assert [[h.id for h in hs] for hs in m_hits] == [[h.id for h in hs] for hs in f_hits]
    np.testing.assert_allclose([[h.score for h in hs] for hs in m_hits], [[h.score for h in hs] for hs in f_hits],
                               atol=1e-5)
    assert [[(h.start, h.end) for h in hs] for hs in m_hits] == [[(h.start, h.end) for h in hs] for hs in f_hits]


def test_an_unreachable_milvus_server_is_a_clear_error(capsys):
    pytest.importorskip("pymilvus")
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["search", "frog", "--store", f"milvus://127.0.0.1:{port}/wiki"]) == 1
    err = capsys.readouterr().err
    assert f"cannot connect to Milvus at http://127.0.0.1:{port}" in err and "server running" in err
