"""--engine ray: shard planning and checksums (no Ray), and real local-Ray builds of the Wikipedia sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK
from textemb.errors import FormatError
from textemb.search import ChunkSettings, Index, load_documents
from textemb.search.chunking import chunk_documents
from textemb.search.ray_engine import plan_shards, read_shard, shard_done, shard_key, write_shard

ROOT = Path(__file__).resolve().parents[1]
WIKI = ROOT / "corpora" / "wikipedia-sample"
EVAL = ROOT / "corpora" / "wikipedia-sample-eval" / "queries.jsonl"


# ----------------------------------------------------------------------------- planning and shard files (no Ray)
def test_chunking_matches_the_single_process_index(glove_quick):
    docs = load_documents(WIKI).documents[:5]
    chunk = ChunkSettings(size=50, overlap=10)
    texts, rows = chunk_documents(docs, chunk)
    ref = Index.build(docs, glove_quick, chunk=chunk)
    np.testing.assert_array_equal(rows, ref.passages)
    assert texts[0].startswith(docs[0].title + "\n")
    vecs = glove_quick.encode(texts, normalize=True)
    np.testing.assert_allclose(vecs, ref.vectors, atol=1e-6)


def test_shard_ids_are_deterministic_and_follow_content_and_encoder():
    texts = [f"passage {i}" for i in range(10)]
    key = shard_key("glove-6b-50d", "float32")
    a = plan_shards(texts, key=key, shard_size=4)
    assert [(s.start, s.end) for s in a] == [(0, 4), (4, 8), (8, 10)]
    assert a == plan_shards(list(texts), key=key, shard_size=4)
    assert [s.id[:5] for s in a] == ["00000", "00001", "00002"]
    changed = plan_shards(texts[:5] + ["edited"] + texts[6:], key=key, shard_size=4)
    assert [x.id == y.id for x, y in zip(a, changed)] == [True, False, True]
    other = plan_shards(texts, key=shard_key("sbert:all-MiniLM-L6-v2", "float32"), shard_size=4)
    assert not {s.id for s in a} & {s.id for s in other}
    assert plan_shards(texts, key=shard_key("all-MiniLM-L6-v2", "float32"), shard_size=4) == other  # same model


def test_shard_files_are_checksummed_and_a_damaged_one_is_redone(tmp_path):
    shard = plan_shards(["a", "b", "c"], key="k", shard_size=3)[0]
    vecs = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert not shard_done(tmp_path, shard)
    info = write_shard(tmp_path, shard, vecs, "glove-6b-50d")
    assert shard_done(tmp_path, shard, dim=2) and not shard_done(tmp_path, shard, dim=3)
    np.testing.assert_array_equal(read_shard(tmp_path, shard), vecs)
    assert json.loads((tmp_path / f"shard-{shard.id}.json").read_text())["sha256"] == info["sha256"]
    npy = tmp_path / f"shard-{shard.id}.npy"
    raw = bytearray(npy.read_bytes())
    raw[-1] ^= 0xFF  # same size, one flipped bit in the last float
    npy.write_bytes(bytes(raw))
    assert not shard_done(tmp_path, shard)
    with pytest.raises(FormatError, match="sha256"):
        read_shard(tmp_path, shard)


# ----------------------------------------------------------------------------- real local Ray (slow: ~30 s a run)
@pytest.fixture(scope="module")
def wiki_pair(tmp_path_factory):
    """The Wikipedia sample indexed by one process and by --engine ray (2 CPUs, 5 shards, shards kept)."""
    pytest.importorskip("ray")
    base = tmp_path_factory.mktemp("ray")
    single, ray_idx = base / "single.idx", base / "ray.idx"
    assert main(["index", str(WIKI), "-o", str(single), "--encoder", "glove-6b-50d", "-q"]) == 0
    assert main(["index", str(WIKI), "-o", str(ray_idx), "--encoder", "glove-6b-50d", "-q", "--engine", "ray",
                 "--num-cpus", "2", "--keep-shards", "--json"]) == 0
    return single, ray_idx


@pytest.mark.slow
def test_ray_index_of_the_wikipedia_sample_equals_the_single_process_one(wiki_pair, glove50, capsys):
    single, ray_idx = wiki_pair
    a, b = Index.open(single, encoder=glove50), Index.open(ray_idx, encoder=glove50)
    assert len(b) == 106 and [d["id"] for d in a.docs] == [d["id"] for d in b.docs]
    assert [d["text"] for d in a.docs] == [d["text"] for d in b.docs]
    np.testing.assert_array_equal(a.passages, b.passages)
    np.testing.assert_allclose(np.asarray(b.vectors), np.asarray(a.vectors), atol=1e-6)
    assert b.manifest["encoder"]["spec"] == "glove-6b-50d" and b.manifest["normalize"] == "l2"
    queries = [json.loads(line)["text"] for line in EVAL.read_text(encoding="utf-8").splitlines()[:20]]
    top_a, top_b = a.search(queries, k=5, mode="exact"), b.search(queries, k=5, mode="exact")
    assert [[h.id for h in hs] for hs in top_b] == [[h.id for h in hs] for hs in top_a]
    assert all(len(hs) == 5 for hs in top_b)
    # shards: deterministic ids with sha256 records, kept on request
    shards = sorted((ray_idx / ".shards").glob("shard-*.json"))
    assert len(shards) == 5 and all(len(json.loads(p.read_text())["sha256"]) == 64 for p in shards)


@pytest.mark.slow
def test_ray_build_resumes_after_a_crash_reencoding_only_missing_shards(wiki_pair, glove50, capsys):
    """State after a crash: one shard never written (a .tmp left behind), one damaged; the rest are reused."""
    single, ray_idx = wiki_pair
    shard_dir = ray_idx / ".shards"
    npys = sorted(shard_dir.glob("shard-*.npy"))
    npys[1].unlink()
    (shard_dir / f".{npys[1].name}.abc123.tmp").write_bytes(b"partial")
    raw = bytearray(npys[3].read_bytes())
    raw[-3] ^= 0x10
    npys[3].write_bytes(bytes(raw))
    capsys.readouterr()
    assert main(["index", str(WIKI), "-o", str(ray_idx), "--encoder", "glove-6b-50d", "-q", "--engine", "ray",
                 "--rebuild", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ray"]["shards"] == 5 and data["ray"]["reused"] == 3 and data["ray"]["encoded"] == 2
    assert data["documents"] == 106
    assert not shard_dir.exists()  # removed once the index was written (no --keep-shards)
    a, b = Index.open(single), Index.open(ray_idx)
    np.testing.assert_allclose(np.asarray(b.vectors), np.asarray(a.vectors), atol=1e-6)
    # re-running on an up-to-date index encodes nothing and never starts Ray
    assert main(["index", str(WIKI), "-o", str(ray_idx), "--engine", "ray", "-q", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["files"]["unchanged"] == 1 and again["encoded_passages"] == 0 and again["ray"]["shards"] == 0


@pytest.mark.slow
def test_ray_engine_into_milvus_lite_matches_the_folder_index(wiki_pair, tmp_path, glove50, capsys):
    pytest.importorskip("milvus_lite")

    single, _ = wiki_pair
    url = f"milvus-lite:{tmp_path / 'w.db'}/wiki"
    small = tmp_path / "small"
    small.mkdir()
    lines = (WIKI / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    (small / "corpus.jsonl").write_text("\n".join(lines[:12]) + "\n", encoding="utf-8")
    assert main(["index", str(small), "-o", url, "--encoder", "glove-6b-50d", "-q", "--engine", "ray",
                 "--shard-size", "256", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == 12 and data["ray"]["encoded"] == data["ray"]["shards"] > 1
    ref = Index.build(load_documents(small), glove50)
    with Index.open(url, encoder=glove50) as store:
        q = ["a nocturnal animal that eats termites", "the theory of political rule without a state"]
        assert [[h.id for h in hs] for hs in store.search(q, k=5, mode="dense")] == \
            [[h.id for h in hs] for hs in ref.search(q, k=5, mode="exact")]


def test_documents_must_have_a_rebuildable_encoder_for_ray(glove_quick, tmp_path):
    from textemb.errors import InputError
    from textemb.search.indexing import index_documents
    from textemb.vectors import WordVectors

    anon = WordVectors(glove_quick.words[:100], np.asarray(glove_quick.vectors[:100]), name="anon")  # no spec
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("the king", encoding="utf-8")
    with pytest.raises(InputError, match="has no spec textemb can load"):
        index_documents(tmp_path / "d", tmp_path / "idx", encoder=anon, engine="ray")


def test_ray_client_addresses_are_refused_with_the_way_that_works(tmp_path, capsys):
    pytest.importorskip("ray")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("the king and the queen", encoding="utf-8")
    assert main(["index", str(tmp_path / "d"), "-o", str(tmp_path / "idx"), "--encoder", GLOVE_QUICK, "-q",
                 "--engine", "ray", "--address", "ray://head:10001"]) == 1
    err = capsys.readouterr().err
    assert "Ray Client" in err and "ray job submit" in err
    assert not (tmp_path / "idx" / "manifest.json").exists()  # a failed first build writes no index


@pytest.mark.slow
def test_ray_build_killed_midway_resumes_from_its_shards(wiki_pair, tmp_path, capsys):
    """SIGKILL a real 'textemb index --engine ray' (driver and the Ray it started) once some shards are written."""
    import os
    import signal
    import subprocess
    import sys
    import time

    single, _ = wiki_pair
    out = tmp_path / "killed.idx"
    shard_dir = out / ".shards"
    cmd = [sys.executable, "-m", "textemb_cli", "index", str(WIKI), "-o", str(out), "--encoder", "glove-6b-50d",
           "-q", "--engine", "ray", "--shard-size", "64"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 180
    try:
        while time.time() < deadline and proc.poll() is None:
            if len(list(shard_dir.glob("shard-*.json"))) >= 3:
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = len(list(shard_dir.glob("shard-*.json")))
    assert proc.returncode == -signal.SIGKILL and not (out / "manifest.json").exists(), "the run finished before the kill"
    assert main(cmd[3:] + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ray"]["reused"] >= min(done, 3) and data["ray"]["encoded"] == data["ray"]["shards"] - data["ray"]["reused"]
    a, b = Index.open(single), Index.open(out)
    assert [d["id"] for d in a.docs] == [d["id"] for d in b.docs]
    np.testing.assert_allclose(np.asarray(b.vectors), np.asarray(a.vectors), atol=1e-6)


def test_ray_client_address_is_refused_before_ray_is_looked_at():
    """Refused before Ray is imported, so also inside a process where Ray is already running (a notebook)."""
    import subprocess
    import sys

    code = ("import sys\nfrom textemb.errors import InputError\nfrom textemb.search.ray_engine import ray_runtime\n"
            "try:\n    with ray_runtime('ray://head:10001'):\n        pass\nexcept InputError as exc:\n"
            "    assert 'Ray Client' in str(exc)\n    assert 'ray' not in sys.modules, 'ray imported'\n    print('refused')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "refused", proc.stderr
