"""The search index: build/open/search, add/remove/sync, crash safety, locking, errors (real GloVe 50d, first 50k words)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.full_size import GLOVE_QUICK
from textemb.errors import FormatError, InputError
from textemb.search import ChunkSettings, Document, Index, IndexLockedError, load_documents

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "wikipedia-sample" / "corpus.jsonl"

DOCS = [
    Document("frog", "A small green frog sat on a wet log by the pond and caught flies with its tongue.", "Frogs"),
    Document("king", "The king and the queen ruled the kingdom from a castle; the prince would inherit the throne.", "Royalty"),
    Document("paris", "Paris is the capital of France, famous for the Eiffel tower and its museums.", "Paris"),
    Document("bank", "The bank raised interest rates, and loans and mortgages became more expensive.", "Banking"),
    Document("long", " ".join(["filler words about nothing in particular"] * 40) + " the volcano erupted and lava flowed", None),
]


@pytest.fixture
def index(glove_quick):
    return Index.build(DOCS, glove_quick, chunk=ChunkSettings(size=20, overlap=5))


def test_search_finds_the_right_documents(index):
    assert index.search("a toad near the lake", k=1)[0].id == "frog"
    assert index.search("monarch and his royal family", k=1)[0].id == "king"
    assert index.search("lending money for houses", k=2)[0].id == "bank"
    hit = index.search("volcanic eruption", k=1)[0]
    assert hit.id == "long" and "volcano" in hit.passage  # the best passage of a long document
    assert DOCS[4].text[hit.start : hit.end] == hit.passage


def test_scores_are_cosines_ranked_and_batched(index, glove_quick):
    hits = index.search("french capital city", k=5, mode="dense")
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(-1.0001 <= s <= 1.0001 for s in scores)
    q = glove_quick.encode("french capital city", normalize=True)
    p = glove_quick.encode("Paris\n" + DOCS[2].text, normalize=True)
    assert hits[0].id == "paris" and hits[0].score == pytest.approx(float(q @ p), abs=1e-5)
    batch = index.search(["french capital city", "a toad near the lake"], k=2, mode="dense")
    assert [h.id for h in batch[0]] == [h.id for h in hits[:2]] and batch[1][0].id == "frog"


def test_k_larger_than_index_returns_all_and_bad_queries_fail(index):
    assert sorted(h.id for h in index.search("anything at all", k=100)) == sorted(d.id for d in DOCS)
    for bad_k in (0, -3):
        with pytest.raises(InputError, match="k must be"):
            index.search("frog", k=bad_k)
    for empty in ("", "   \n"):
        with pytest.raises(InputError, match="empty query"):
            index.search(empty)
    with pytest.raises(InputError, match="doc_score"):
        index.search("frog", doc_score="median")


def test_plain_strings_are_documents(glove_quick):
    idx = Index.build(["the frog sat on a log", "interest rates at the bank"], glove_quick)
    assert idx.search("toad", k=1)[0].id == "0"
    idx.add(["the king and queen"])
    assert idx.search("royal monarch", k=1)[0].id == "2"
    with pytest.raises(InputError, match="expected Document"):
        idx.add([42])


def test_mean_doc_score(index):
    hits = index.search("volcanic eruption lava", k=5, doc_score="mean")
    assert len(hits) == 5
    long_hit = next(h for h in hits if h.id == "long")
    best = index.search("volcanic eruption lava", k=5)
    assert long_hit.score < next(h.score for h in best if h.id == "long")  # mean of many filler passages is lower


def test_save_open_round_trip_and_manifest(index, tmp_path):
    path = index.save(tmp_path / "idx")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format"] == "textemb-index" and manifest["dim"] == 50 and manifest["metric"] == "cosine"
    assert manifest["counts"] == {"documents": 5, "passages": len(index.passages), "sources": 1}
    assert manifest["encoder"]["spec"] == GLOVE_QUICK
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    again = Index.open(path, verify=True)
    for q in ("a toad near the lake", "lending money"):
        a, b = index.search(q, k=3), again.search(q, k=3)
        assert [(h.id, round(h.score, 6)) for h in a] == [(h.id, round(h.score, 6)) for h in b]


def test_float16_index(glove_quick, tmp_path):
    idx = Index.build(DOCS, glove_quick, dtype="float16", path=tmp_path / "f16")
    assert np.load(next((tmp_path / "f16").glob("vectors-*.npy"))).dtype == np.float16
    assert Index.open(tmp_path / "f16").search("a toad near the lake", k=1)[0].id == "frog"
    assert idx.search("a toad near the lake", k=1)[0].score == pytest.approx(
        Index.open(tmp_path / "f16").search("a toad near the lake", k=1)[0].score, abs=1e-6)


def test_corrupted_files_are_detected(index, tmp_path):
    path = index.save(tmp_path / "idx")
    vec = next(path.glob("vectors-*.npy"))
    data = bytearray(vec.read_bytes())
    data[-1] ^= 0xFF
    vec.write_bytes(bytes(data))
    Index.open(path, verify=False)  # sizes still match: the cheap check passes
    with pytest.raises(FormatError, match="sha256"):
        Index.open(path, verify=True)
    with pytest.raises(FormatError, match="sha256"):
        Index.open(path)  # a small index is verified by default
    vec.write_bytes(bytes(data[:-4]))
    with pytest.raises(FormatError, match="truncated"):
        Index.open(path)
    with pytest.raises(FormatError, match="not a textemb index"):
        Index.open(tmp_path)


def test_add_remove_and_generations(glove_quick, tmp_path):
    path = tmp_path / "idx"
    Index.build(DOCS[:3], glove_quick, path=path)
    with Index.open(path, writable=True) as idx:
        idx.add([DOCS[3]])
        idx.add([Document("frog", "Stock markets fell sharply today.", "Frogs v2")])  # same id replaces
        assert idx.remove(["king", "nope"]) == 1
        idx.save()
    files = sorted(p.name for p in path.iterdir())
    assert files == [".textemb-owner.json", "docs-000002.jsonl", "lexical-000002.json", "lexical-000002.npz", "lock",
                     "manifest.json", "passages-000002.npy", "vectors-000002.npy"]
    reopened = Index.open(path, encoder=glove_quick)
    assert sorted(d["id"] for d in reopened.docs) == ["bank", "frog", "paris"]
    assert reopened.search("shares and investors", k=1)[0].title == "Frogs v2"
    with pytest.raises(InputError, match="duplicate document id"):
        reopened.add([DOCS[0], DOCS[0]])


def test_sync_reencodes_only_changed_files(glove_quick, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The frog sat on a log.", encoding="utf-8")
    (docs / "b.txt").write_text("The king spoke to the queen.", encoding="utf-8")
    (docs / "c.txt").write_text("Paris is the capital of France.", encoding="utf-8")
    idx = Index.build(load_documents(docs), glove_quick)
    untouched = np.array(idx.vectors[[i for i, p in enumerate(idx.passages) if idx.docs[p[0]]["id"] == "b.txt"]])
    (docs / "a.txt").write_text("Interest rates at the bank went up.", encoding="utf-8")
    (docs / "c.txt").unlink()
    (docs / "d.txt").write_text("A volcano erupted.", encoding="utf-8")
    report = idx.sync(load_documents(docs))
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 1, 1)
    assert report.encoded_passages == 2  # a.txt and d.txt only
    assert sorted(d["id"] for d in idx.docs) == ["a.txt", "b.txt", "d.txt"]
    assert idx.search("loans and money", k=1)[0].id == "a.txt"
    b_rows = [i for i, p in enumerate(idx.passages) if idx.docs[p[0]]["id"] == "b.txt"]
    np.testing.assert_array_equal(idx.vectors[b_rows], untouched)


def test_query_encoder_must_match_the_index(index, tmp_path, tiny_glove):
    from textemb import load_encoder

    other = load_encoder(f"glove:{tiny_glove}")  # 8-d
    with pytest.raises(InputError, match="8-d vectors but the index holds 50-d"):
        index.use_encoder(other)
    path = index.save(tmp_path / "idx")
    with pytest.raises(InputError, match="8-d"):
        Index.open(path, encoder=other)


def test_second_writer_fails_fast(index, tmp_path):
    path = index.save(tmp_path / "idx")
    with Index.open(path, writable=True):
        t0 = time.perf_counter()
        with pytest.raises(IndexLockedError, match="index is locked"):
            index.save(path)
        with pytest.raises(IndexLockedError):
            Index.open(path, writable=True)
        assert time.perf_counter() - t0 < 2
        Index.open(path).search("frog", k=1)  # readers are never blocked
    index.save(path)  # lock released


def test_ann_hnsw_matches_exact_on_real_vectors(glove_quick, tmp_path):
    pytest.importorskip("faiss")
    docs = load_documents(CORPUS).documents[:40]
    idx = Index.build(docs, glove_quick, ann="hnsw", path=tmp_path / "ann")
    assert next((tmp_path / "ann").glob("hnsw-*.faiss")).stat().st_size > 0
    again = Index.open(tmp_path / "ann")
    queries = ["a country in southern Africa", "ancient greek philosopher", "an animal that eats termites",
               "electric current unit", "the moon landing"]
    agree = 0
    for q in queries:
        exact = [h.id for h in again.search(q, k=5, mode="exact")]
        approx = [h.id for h in again.search(q, k=5, mode="ann")]
        agree += len(set(exact) & set(approx))
    assert agree >= 0.9 * 5 * len(queries)
    assert idx.search("the moon landing", k=1, mode="ann")[0].id == again.search("the moon landing", k=1)[0].id


_KILL_CHILD = r"""
import sys
from textemb import load_encoder
from textemb.search import Document, Index
idx = Index.open(sys.argv[1], writable=True, encoder=load_encoder(sys.argv[2]))
i = 0
while True:
    idx.add([Document(f"extra-{i}", f"extra document number {i} about frogs and kings", None)])
    idx.save()
    print(i, flush=True)
    i += 1
"""


def test_killed_writer_leaves_a_readable_index(glove_quick, tmp_path):
    """SIGKILL the writer while it writes a new generation: the index opens intact (old or new)."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs SIGKILL")
    path = tmp_path / "idx"
    base = load_documents(CORPUS).documents[:30]  # a few MB per generation, so writes take a while
    Index.build(base, glove_quick, path=path)
    base_ids = {d.id for d in base}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    torn_kills = attempts = 0
    while torn_kills < 2 and attempts < 5:  # usually two attempts: every kill lands mid-write
        attempts += 1
        child = subprocess.Popen([sys.executable, "-c", _KILL_CHILD, str(path), GLOVE_QUICK], stdout=subprocess.PIPE,
                                 env=env, text=True)
        child.stdout.readline()  # at least one generation saved by this child
        gen = json.loads((path / "manifest.json").read_text())["generation"]
        deadline = time.monotonic() + 10
        torn = False
        while time.monotonic() < deadline:  # kill as soon as files of a newer generation appear
            names = os.listdir(path)
            if any(n.endswith(".tmp") or f"-{gen + 1:06d}." in n for n in names):
                torn = True
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        torn_kills += torn
        idx = Index.open(path, verify=True)  # never torn: sizes and sha256 all match
        ids = {d["id"] for d in idx.docs}
        extras = sorted(int(i.split("-")[1]) for i in ids - base_ids)
        assert base_ids <= ids and extras == list(range(len(extras)))
        assert len(idx.vectors) == len(idx.passages) == int(idx.manifest["counts"]["passages"])
        assert idx.search("frogs and kings", k=1)[0].id.startswith("extra-")
        # the next writer gets the lock (the kernel released it) and cleans the leftovers
        with Index.open(path, writable=True) as w:
            w.remove([f"extra-{i}" for i in extras])
            w.save()
        assert not [n for n in os.listdir(path) if n.endswith(".tmp")]
    print(f"{torn_kills} of {attempts} kills landed mid-write")
    assert torn_kills >= 1, "never managed to kill the writer mid-write"


@pytest.mark.gpu
def test_exact_search_on_cuda_matches_cpu(glove_quick, tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    path = Index.build(DOCS, glove_quick, path=tmp_path / "idx").path
    cpu, gpu = Index.open(path, encoder=glove_quick), Index.open(path, encoder=glove_quick, device="cuda")
    for q in ("a toad near the lake", "lending money", "volcanic eruption"):
        a, b = cpu.search(q, k=5), gpu.search(q, k=5)
        assert [h.id for h in a] == [h.id for h in b]
        np.testing.assert_allclose([h.score for h in a], [h.score for h in b], atol=1e-4)


@pytest.mark.slow
def test_default_encoder_falls_back_to_averaged_glove():
    import importlib.util

    from textemb.search import default_encoder

    if importlib.util.find_spec("textemb.encoders.sbert") is not None:
        pytest.skip("the sbert backend is installed: the default is all-MiniLM-L6-v2 (see the slow CLI test)")
    with pytest.warns(UserWarning, match="'all-MiniLM-L6-v2' is not available"):
        enc = default_encoder()
    assert enc.spec == "avg:glove-6b-50d" and enc.dim == 50
