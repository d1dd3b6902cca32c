"""textemb serve: the JSON API through FastAPI's TestClient, on a tiny index of real GloVe vectors.

The index is built once per session from a few short documents with the mean of the first
20,000 real GloVe 6B 50d words (the full 400k table is left to the slow tests).
"""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from textemb.errors import InputError
from textemb.serve import Limits, ServeConfig, create_app
from textemb.serve.state import IndexHolder, LockedEncoder, WordsHolder, shareable

DOCS = {
    "animals/frog.txt": "Frogs are amphibians. A frog lives near ponds and rivers and eats insects and worms. "
                        "Tadpoles hatch from eggs laid in the water and grow legs as they become adult frogs. "
                        "Many frogs sing at night to attract a mate.",
    "places/paris.txt": "Paris is the capital of France. The city lies on the river Seine and is known for its "
                        "museums, its cathedral and the tower built for the world fair.",
    "music/piano.txt": "The piano is a keyboard instrument. Hammers strike strings when the keys are pressed; "
                       "pianists play concertos with an orchestra and sonatas alone.",
    "sport/football.txt": "Football is a team sport played with a ball between two teams of eleven players who "
                          "try to score goals. The world cup is held every four years.",
}
TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture(scope="session")
def glove20k():
    from textemb import load_encoder

    return load_encoder("glove:glove-6b-50d?limit=20000")


@pytest.fixture(scope="session")
def avg_encoder(glove20k):
    from textemb.encoders.averaging import AveragingEncoder

    return AveragingEncoder.mean(glove20k)


def write_docs(folder, docs=DOCS):
    for rel, text in docs.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory, avg_encoder):
    from textemb.search import ChunkSettings, Index, load_documents

    docs = write_docs(tmp_path_factory.mktemp("docs"))
    path = tmp_path_factory.mktemp("idx") / "tiny.idx"
    Index.build(load_documents(docs), avg_encoder, path=path, chunk=ChunkSettings(size=12, overlap=3))
    return path


def make_client(path, encoder, wv, *, interval=0.0, **config) -> TestClient:
    holder = IndexHolder(path, encoder=encoder, interval=interval)
    app = create_app(holder, WordsHolder(wv, None if wv is None else wv.spec), ServeConfig(**config))
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def client(tiny_index, avg_encoder, glove20k):
    return make_client(tiny_index, avg_encoder, glove20k, limits=Limits(max_k=20, max_batch=4, max_body_bytes=4096))


def err(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"]["code"] == code, body
    return body["error"]["message"]


# ---------------------------------------------------------------------------- search
def test_search_ranks_documents_with_highlighted_excerpt(client):
    r = client.post("/search", json={"query": "frogs in ponds", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    hits = body["hits"]
    assert hits[0]["source"] == "animals/frog.txt"
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert all(a["score"] >= b["score"] for a, b in itertools.pairwise(hits))
    assert body["generation"] >= 1 and body["documents"] == len(DOCS)
    top = hits[0]
    marked = [top["excerpt"][s:e].lower() for s, e in top["highlights"]]
    assert marked and set(marked) <= {"frogs", "ponds"}, (top["excerpt"], marked)


def test_search_get_form_matches_post(client):
    got = client.get("/search", params={"q": "piano concertos", "k": 2}).json()["hits"]
    posted = client.post("/search", json={"query": "piano concertos", "k": 2}).json()["hits"]
    assert [h["id"] for h in got] == [h["id"] for h in posted]
    assert got[0]["source"] == "music/piano.txt"


def test_search_passes_doc_score_and_mode_to_the_index(client, tiny_index, avg_encoder):
    from textemb.search import Index

    idx = Index.open(tiny_index, encoder=avg_encoder)
    for doc_score in ("max", "mean"):
        want = idx.search("frogs eat insects", k=4, doc_score=doc_score, mode="dense", ann="exact")
        got = client.post("/search", json={"query": "frogs eat insects", "k": 4, "doc_score": doc_score,
                                           "mode": "dense", "vector_search": "exact"}).json()
        assert got["doc_score"] == doc_score and got["mode"] == "dense" and got["vector_search"] == "exact"
        assert [h["id"] for h in got["hits"]] == [h.id for h in want]
        assert [h["score"] for h in got["hits"]] == pytest.approx([h.score for h in want], abs=1e-5)
    for mode in ("hybrid", "bm25"):  # every mode of the index is reachable and agrees with the library
        got = client.post("/search", json={"query": "frogs eat insects", "k": 4, "mode": mode}).json()
        assert [h["id"] for h in got["hits"]] == [h.id for h in idx.search("frogs eat insects", k=4, mode=mode)]
    body = {"query": "frogs eat insects", "k": 1, "mode": "dense"}
    mx = client.post("/search", json={**body, "doc_score": "max"}).json()["hits"][0]
    mean = client.post("/search", json={**body, "doc_score": "mean"}).json()["hits"][0]
    assert mx["score"] > mean["score"]  # the frog document has several passages; the mean is lower than the best


@pytest.mark.parametrize("body, status, code", [
    ({"query": "x" * 1001}, 422, "too_large"),
    ({"query": "frog", "k": 21}, 422, "too_large"),
    ({"query": "frog", "k": 0}, 422, "invalid"),
    ({"query": "   "}, 422, "invalid"),
    ({"query": "frog", "mode": "sparse"}, 422, "invalid"),
    ({"query": "frog", "vector_search": "ivf"}, 422, "invalid"),
    ({"query": "frog", "doc_score": "sum"}, 422, "invalid"),
    ({"query": "frog", "path": "/etc/passwd"}, 422, "invalid"),
    ({"query": 12}, 422, "invalid"),
])
def test_search_refuses_bad_requests_with_json_4xx(client, body, status, code):
    msg = err(client.post("/search", json=body), status, code)
    assert msg


def test_get_search_errors_are_json_too(client):
    assert "mode" in err(client.get("/search", params={"q": "frog", "mode": "nope"}), 422, "invalid")
    err(client.get("/search", params={"q": "frog", "k": "many"}), 422, "invalid")
    err(client.get("/search"), 422, "invalid")


def test_ann_mode_without_a_graph_is_refused_not_built(client):
    assert "HNSW" in err(client.post("/search", json={"query": "frog", "vector_search": "ann"}), 422, "invalid")


def test_ann_mode_uses_the_saved_graph(tmp_path, avg_encoder, glove20k):
    pytest.importorskip("faiss")
    from textemb.search import Index, load_documents

    path = tmp_path / "ann.idx"
    Index.build(load_documents(write_docs(tmp_path / "docs")), avg_encoder, path=path, ann="hnsw")
    c = make_client(path, avg_encoder, glove20k)
    assert c.get("/health").status_code == 200
    got = [c.post("/search", json={"query": "capital of france", "k": 2, "mode": "dense", "vector_search": m}).json()
           for m in ("ann", "exact")]
    assert got[0]["vector_search"] == "ann" and got[0]["hits"][0]["source"] == "places/paris.txt"
    assert [h["id"] for h in got[0]["hits"]] == [h["id"] for h in got[1]["hits"]]


def test_body_size_is_capped_with_and_without_content_length(client):
    big = b'{"query": "' + b"a " * 4000 + b'"}'
    assert "4,096 bytes" in err(client.post("/search", content=big, headers={"content-type": "application/json"}),
                                413, "body_too_large")

    def chunks():
        for _ in range(10):
            yield b"a" * 1000

    err(client.post("/encode", content=chunks(), headers={"content-type": "application/json"}), 413, "body_too_large")


def test_unknown_paths_are_json_404_and_no_file_is_served(client):
    err(client.get("/static/../pyproject.toml"), 404, "not_found")
    err(client.get("/static/state.py"), 404, "not_found")
    err(client.get("/nope"), 404, "not_found")


# ---------------------------------------------------------------------------- encode / similarity
def test_encode_returns_the_encoders_vectors(client, avg_encoder):
    r = client.post("/encode", json={"texts": ["a frog on a log", "paris"], "normalize": True})
    assert r.status_code == 200, r.text
    got = np.array(r.json()["vectors"], dtype=np.float32)
    np.testing.assert_allclose(got, avg_encoder.encode(["a frog on a log", "paris"], normalize=True), atol=1e-6)
    assert r.json()["dim"] == 50
    assert "number of texts is 5" in err(client.post("/encode", json={"texts": ["a"] * 5}), 422, "too_large")


def test_similarity_of_texts_and_words(client, avg_encoder, glove20k):
    r = client.post("/similarity", json={"pairs": [["a frog", "a toad"], ["a frog", "the stock market"]]}).json()
    v = avg_encoder.encode(["a frog", "a toad", "the stock market"], normalize=True)
    assert r["scores"] == pytest.approx([float(v[0] @ v[1]), float(v[0] @ v[2])], abs=1e-5)
    assert r["scores"][0] > r["scores"][1]
    w = client.post("/similarity", json={"pairs": [["king", "queen"]], "level": "word"}).json()
    assert w["scores"][0] == pytest.approx(glove20k.similarity("king", "queen"), abs=1e-5)


# ---------------------------------------------------------------------------- words
def test_neighbors_and_analogy_match_word_vectors(client, glove20k):
    r = client.post("/neighbors", json={"word": "Frog", "k": 5}).json()  # capitalised: found lower-cased
    assert r["word"] == "frog"
    assert [n["word"] for n in r["neighbors"]] == [w for w, _ in glove20k.most_similar("frog", topn=5)]
    a = client.post("/analogy", json={"a": "man", "b": "king", "c": "woman", "k": 3}).json()
    assert a["answers"][0]["word"] == "queen"
    assert "not in the vocabulary" in err(client.post("/neighbors", json={"word": "qqxqzz"}), 400, "unknown_word")
    err(client.post("/neighbors", json={"word": "frog", "k": 500}), 422, "too_large")


def test_pca_scatter_coordinates(client, glove20k):
    words = ["king", "queen", "man", "woman", "paris", "france", "zzqxv"]
    r = client.post("/pca", json={"words": words}).json()
    assert r["words"] == words[:-1] and r["missing"] == ["zzqxv"]
    pts = np.array(r["points"])
    x = glove20k[words[:-1]].astype(np.float64)
    x -= x.mean(axis=0)
    # the same plane as numpy's PCA: distances between points are preserved up to the dropped components
    assert pts.shape == (6, 2) and abs(np.abs(pts[:, 0]).sum() - np.abs(x @ np.linalg.svd(x)[2][0]).sum()) < 1e-3
    assert 0 < r["explained"][1] <= r["explained"][0] < 1
    err(client.post("/pca", json={"words": ["king"]}), 400, "invalid")


def test_words_endpoints_say_when_there_are_no_word_vectors(tiny_index, avg_encoder):
    c = make_client(tiny_index, avg_encoder, None)
    assert "--words" in err(c.post("/neighbors", json={"word": "frog"}), 400, "no_word_vectors")
    assert c.get("/health").json()["words"]["available"] is False
    assert c.post("/search", json={"query": "frog"}).status_code == 200


# ---------------------------------------------------------------------------- safety
def test_token_is_required_when_set_and_the_page_is_not(tiny_index, avg_encoder, glove20k):
    c = make_client(tiny_index, avg_encoder, glove20k, token=TOKEN)
    r = c.post("/search", json={"query": "frog"})
    err(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    err(c.get("/health", headers={"Authorization": "Bearer wrong-token-0123456789"}), 401, "unauthorized")
    assert c.get("/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert c.post("/search", json={"query": "frog"}, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert c.get("/").status_code == 200 and c.get("/static/app.js").status_code == 200


def test_non_loopback_bind_needs_a_long_token():
    with pytest.raises(InputError, match="without a bearer token"):
        ServeConfig(host="0.0.0.0")
    with pytest.raises(InputError, match="without a bearer token"):
        ServeConfig(host="192.168.1.20")
    with pytest.raises(InputError, match="at least 16"):
        ServeConfig(host="0.0.0.0", token="short")
    assert ServeConfig(host="0.0.0.0", token=TOKEN).trusted_hosts() == ["*"]
    assert "127.0.0.1" in ServeConfig(host="::1").trusted_hosts()


def test_cli_refuses_a_public_bind_without_token_before_loading(tmp_path, capsys, monkeypatch):
    from textemb_cli.main import main

    monkeypatch.delenv("TEXTEMB_SERVE_TOKEN", raising=False)
    assert main(["serve", "--index", str(tmp_path / "missing.idx"), "--host", "0.0.0.0"]) == 1
    assert "without a bearer token" in capsys.readouterr().err


def test_foreign_host_header_is_refused_on_loopback(tiny_index, avg_encoder, glove20k):
    c = make_client(tiny_index, avg_encoder, glove20k)
    evil = TestClient(c.app, base_url="http://attacker.example")  # a DNS-rebinding page would send this Host
    assert evil.get("/health").status_code == 400
    assert c.get("/health").status_code == 200


def test_page_assets_are_local_and_data_is_never_parsed_as_html(client):
    import re

    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    for url in ("/", "/docs"):
        html = client.get(url).text
        refs = [r for r in re.findall(r'(?:src|href)="([^"]+)"', html) if r != "data:,"]  # data:, is the empty icon
        assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
        for ref in refs:
            assert client.get(ref).status_code == 200, ref
    for js in ("/static/app.js", "/static/docs.js"):
        code = client.get(js).text
        assert "textContent" in code
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, (js, sink)


def test_openapi_describes_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    assert {"/search", "/encode", "/neighbors", "/analogy", "/similarity", "/pca", "/health"} <= set(spec["paths"])
    mode = spec["components"]["schemas"]["SearchRequest"]["properties"]["mode"]
    assert mode["enum"] == ["hybrid", "dense", "bm25"]
    vector = spec["components"]["schemas"]["SearchRequest"]["properties"]["vector_search"]
    assert vector["enum"] == ["auto", "exact", "ann"]
    assert client.get("/docs").status_code == 200


# ---------------------------------------------------------------------------- shared state
def test_new_generation_is_served_without_restart(tmp_path, tiny_index, avg_encoder, glove20k):
    import shutil

    from textemb.search import Document, Index

    path = tmp_path / "copy.idx"
    shutil.copytree(tiny_index, path)
    c = make_client(path, avg_encoder, glove20k, interval=0.0)
    before = c.get("/health").json()["index"]
    hits = c.post("/search", json={"query": "violin cello orchestra strings", "k": 1}).json()["hits"]
    assert hits[0]["id"] != "cello"
    with Index.open(path, encoder=avg_encoder, writable=True) as idx:
        idx.add([Document("cello", "The cello is a bowed string instrument of the violin family.", title="Cello",
                          source="music/cello.txt")])
        idx.save()
    r = c.post("/search", json={"query": "violin cello orchestra strings", "k": 1}).json()
    assert r["generation"] == before["generation"] + 1 and r["hits"][0]["id"] == "cello"
    after = c.get("/health").json()["index"]
    assert after["documents"] == before["documents"] + 1 and after["reloads"] == 1


def test_incompatible_rebuild_keeps_serving_the_old_generation(tmp_path, tiny_index, avg_encoder, glove20k):
    import shutil

    from textemb.encoders.averaging import AveragingEncoder
    from textemb.search import Index, load_documents

    path = tmp_path / "copy.idx"
    shutil.copytree(tiny_index, path)
    c = make_client(path, avg_encoder, glove20k, interval=0.0)
    other = AveragingEncoder.mean(glove20k)
    other.spec = "avg:some-other-vectors"
    Index.build(load_documents(write_docs(tmp_path / "docs")), other, path=path)
    r = c.post("/search", json={"query": "frogs", "k": 1})
    assert r.status_code == 200 and r.json()["generation"] == 1
    assert "not comparable" in c.get("/health").json()["index"]["reload_error"]


def test_manifest_is_looked_at_once_per_interval(tmp_path, tiny_index, avg_encoder):
    import shutil

    from textemb.search import Document, Index

    path = tmp_path / "copy.idx"
    shutil.copytree(tiny_index, path)
    holder = IndexHolder(path, encoder=avg_encoder, interval=3600)
    with Index.open(path, encoder=avg_encoder, writable=True) as idx:
        idx.add([Document("x", "a new document")])
        idx.save()
    assert holder.current().generation == 1  # not looked yet: the interval has not passed
    holder.interval = 0
    assert holder.current().generation == 2


def test_locked_encoder_runs_one_encode_at_a_time(avg_encoder):
    from textemb.encoders.base import Encoder

    class Probe(Encoder):
        """A real (if trivial) encoder that records how many calls overlap."""

        name = spec = "probe"

        def __init__(self):
            self.active = self.peak = 0
            self.guard = threading.Lock()

        @property
        def dim(self):
            return 2

        def _encode(self, texts, *, batch_size, show_progress):
            with self.guard:
                self.active += 1
                self.peak = max(self.peak, self.active)
            time.sleep(0.01)
            with self.guard:
                self.active -= 1
            return np.ones((len(texts), 2), dtype=np.float32)

    raw, locked = Probe(), LockedEncoder(Probe())
    for enc in (raw, locked):
        threads = [threading.Thread(target=enc.encode, args=(["x"],)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert raw.peak > 1 and locked.inner.peak == 1
    assert shareable(avg_encoder) is avg_encoder and isinstance(shareable(Probe()), LockedEncoder)


def test_concurrent_requests_all_succeed(client):
    codes, results = [], []

    def worker(q):
        for _ in range(5):
            r = client.post("/search", json={"query": q, "k": 2})
            codes.append(r.status_code)
            results.append((q, r.json()["hits"][0]["source"]))

    qs = ["frogs in ponds", "piano keys", "capital of france", "football goals"] * 2
    threads = [threading.Thread(target=worker, args=(q,)) for q in qs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 40
    want = {"frogs in ponds": "animals/frog.txt", "piano keys": "music/piano.txt",
            "capital of france": "places/paris.txt", "football goals": "sport/football.txt"}
    assert all(src == want[q] for q, src in results)


# ---------------------------------------------------------------------------- errors are JSON, whatever fails
def test_a_manifest_that_cannot_be_read_keeps_the_old_generation_served(tmp_path, tiny_index, avg_encoder, glove20k):
    import shutil

    path = tmp_path / "copy.idx"
    shutil.copytree(tiny_index, path)
    holder = IndexHolder(path, encoder=avg_encoder, interval=0.0)
    c = TestClient(create_app(holder, WordsHolder(glove20k, glove20k.spec)), base_url="http://127.0.0.1",
                   raise_server_exceptions=False)
    (path / "manifest.json").write_text("[" * 100_000, encoding="utf-8")  # nested past any parser's depth
    for _ in range(2):  # the failed reload is not retried until the manifest changes again
        r = c.post("/search", json={"query": "frogs in ponds", "k": 1})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
        assert r.json()["generation"] == 1 and r.json()["hits"][0]["source"] == "animals/frog.txt"
    health = c.get("/health")
    assert health.status_code == 200 and health.json()["index"]["generation"] == 1
    assert health.json()["index"]["reload_error"]  # says why (a FormatError's message, or the unexpected error's)


def test_a_damaged_index_file_is_a_json_500(tmp_path, avg_encoder, glove20k):
    pytest.importorskip("faiss")
    from textemb.search import Index, load_documents

    path = tmp_path / "ann.idx"
    Index.build(load_documents(write_docs(tmp_path / "docs")), avg_encoder, path=path, ann="hnsw")
    c = make_client(path, avg_encoder, glove20k)
    graph = next(p for p in path.iterdir() if "hnsw" in p.name)
    graph.write_bytes(b"\0" * graph.stat().st_size)  # read on the first ANN search, after the index opened
    r = c.post("/search", json={"query": "frog", "vector_search": "ann"})
    assert "sha256" in err(r, 500, "server_error")  # the server's file is at fault, not the request
    assert r.headers["x-content-type-options"] == "nosniff"


def test_an_unexpected_exception_is_a_json_500_with_the_safety_headers(tiny_index, avg_encoder, glove20k):
    c = make_client(tiny_index, avg_encoder, glove20k)

    def broken() -> dict:
        return {"depth": json_depth("[" * 100_000)}

    c.app.add_api_route("/broken", broken, methods=["GET"])  # a route that fails as a reader bug would
    c = TestClient(c.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    r = c.get("/broken")
    assert "RecursionError" in err(r, 500, "internal") and r.headers["content-type"] == "application/json"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def json_depth(text: str) -> int:
    import json

    json.loads(text)
    return 0


# ---------------------------------------------------------------------------- redirects and ports
def test_trailing_slash_redirect_never_echoes_the_host_header(tiny_index, avg_encoder, glove20k):
    c = make_client(tiny_index, avg_encoder, glove20k, host="0.0.0.0", token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}", "Host": "attacker.example"}
    r = c.get("/health/?x=1", headers=auth, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/health?x=1"
    assert not any("attacker" in v for v in r.headers.values())
    assert c.get("/health/", headers=auth).json()["status"] == "ok"  # the relative redirect is followed
    for path in ("//attacker.example/health/", "/nope/", "/static/"):  # never a redirect to another host
        r = c.get("http://127.0.0.1" + path, headers=auth, follow_redirects=False)
        assert r.status_code == 404 and "location" not in r.headers, path


def test_cli_refuses_a_port_out_of_range_as_a_usage_error(tmp_path, capsys):
    from textemb_cli.main import main

    for port in ("99999", "0", "-1", "eighty"):
        assert main(["serve", "--index", str(tmp_path / "missing.idx"), "--port", port]) == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.startswith("textemb serve: error: argument --port") and "1 to 65535" in last, last
        assert "Overflow" not in last and "unexpected" not in last
