"""The :class:`VectorStore` protocol is the contract: every store (memory, folder, milvus-lite) implements what the
:class:`Index` façade and serve call, and the library never reaches past it (no ``getattr`` probing of stores, no
writes to another object's private attributes) — checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from textemb.errors import InputError
from textemb.search import ChunkSettings, Document, Index
from textemb.search.stores import create_store, open_store
from textemb.search.stores.base import HoldsArrays, VectorStore
from textemb.search.stores.folder import FolderStore
from textemb.search.stores.memory import MemoryStore
from textemb.vectors import WordVectors

ROOT = Path(__file__).resolve().parents[1]
CHUNK = ChunkSettings(size=6, overlap=2)
WORDS = "frog pond green log fly king queen castle throne paris france tower museum bank loan rate".split()
DOCS = [
    Document("frog", "a green frog on a log by the pond caught a fly", "Frogs", source="a.txt", source_hash="h1"),
    Document("king", "the king and the queen in the castle by the throne", "Royalty", source="b.txt", source_hash="h2"),
    Document("paris", "paris in france has a tower and a museum", "Paris", source="c.txt", source_hash="h3"),
    Document("bank", "the bank rate on a loan went up", None, source="c.txt", source_hash="h3"),
]
KINDS = ["memory", "folder", "milvus-lite"]


@pytest.fixture(scope="module")
def encoder() -> WordVectors:
    rng = np.random.default_rng(0)
    return WordVectors(WORDS, rng.standard_normal((len(WORDS), 8)).astype(np.float32), name="tiny",
                       spec="glove:tiny-protocol.txt")


def _url(kind: str, tmp_path: Path) -> str | None:
    if kind == "memory":
        return None
    if kind == "folder":
        return str(tmp_path / "idx")
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    return f"milvus-lite:{tmp_path / 'p.db'}/protocol"


def _create(kind: str, tmp_path: Path, encoder) -> VectorStore:
    url = _url(kind, tmp_path)
    if url is None:
        return MemoryStore(encoder_spec=encoder.spec, dim=encoder.dim, chunk=CHUNK)
    return create_store(url, encoder_spec=encoder.spec, dim=encoder.dim, chunk=CHUNK, fresh=True)


# ----------------------------------------------------------------------------- every store implements the protocol
@pytest.mark.parametrize("kind", KINDS)
def test_every_store_is_a_vector_store_and_answers_what_the_facade_asks(kind, tmp_path, encoder):
    store = _create(kind, tmp_path, encoder)
    try:
        assert isinstance(store, VectorStore)
        assert isinstance(store, HoldsArrays) == (kind != "milvus-lite")
        assert (store.encoder_spec, store.dim, store.chunk, store.dtype) == (encoder.spec, encoder.dim, CHUNK, "float32")
        assert store.ann in ("auto", "hnsw", "none") and (store.max_top is None or store.max_top > 0)
        where = {"memory": None, "folder": tmp_path / "idx", "milvus-lite": store.url}[kind]
        assert store.location == where
        assert store.folder == (tmp_path / "idx" if kind == "folder" else None)
        assert isinstance(store.generation, int) and not store.has_ann()
        assert store.change_settings() is False  # nothing asked: nothing changes

        idx = Index(store, encoder=encoder)
        idx.add(DOCS)
        idx.root = "docs/"
        assert idx.root == (None if kind == "milvus-lite" else "docs/")  # a collection does not record it
        assert store.passage_count() == len(idx.lexical()) > 0
        assert sorted(store.document_ids()) == sorted(d.id for d in DOCS)
        assert store.indexed_sources() == {"a.txt": "h1", "b.txt": "h2", "c.txt": "h3"}
        assert sorted(store.document_ids_for_sources({"c.txt"})) == ["bank", "paris"]
        assert sorted(doc for doc, _ in store.iter_passages()) == sorted(d.id for d in DOCS)
        [matches] = store.top_passages(encoder.encode(["frog pond"], normalize=True), 3)
        assert len(matches.scores) == 3
        assert store.fetch([("frog", 0), ("gone", 0)])[0]["id"] == "frog"
        assert store.fetch([("gone", 0)]) == [None]
        store.write_sidecar("probe", {"json": b"{}"})
        assert store.read_sidecar("probe") == {"json": b"{}"}
        hits = idx.search("frog pond", k=2, mode="hybrid")
        assert hits and hits[0].id == "frog"
        if kind == "memory":
            with pytest.raises(InputError, match="no folder yet"):
                idx.save()
            store.save()  # nothing to make durable: no error
        else:
            assert idx.save() == where
            assert store.read_sidecar("lexical") is not None
        assert store.remove(["bank", "unknown"]) == 1
        store.flush()
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["folder", "milvus-lite"])
def test_a_saved_store_reopens_through_the_protocol_alone(kind, tmp_path, encoder):
    url = _url(kind, tmp_path)
    with Index(_create(kind, tmp_path, encoder), encoder=encoder) as built:
        built.add(DOCS)
        where = built.save()
        before = [h.id for h in built.search("king castle", k=4, mode="dense")]
        generation = built.store.generation
    with Index(open_store(url), encoder=encoder) as again:
        assert isinstance(again.store, VectorStore)
        assert [h.id for h in again.search("king castle", k=4, mode="dense")] == before
        assert again.path == where and len(again) == len(DOCS)
        assert again.store.generation == generation
        assert again.store.read_sidecar("lexical") is not None


def test_an_explicit_folder_save_always_writes_a_new_generation(tmp_path, encoder):
    idx = Index.build(DOCS, encoder, path=tmp_path / "idx", chunk=CHUNK)
    first = idx.store.generation
    idx.store.flush()  # nothing changed: no new generation
    assert idx.store.generation == first
    idx.save()
    assert idx.store.generation == first + 1
    assert Index.open(tmp_path / "idx").store.generation == first + 1


def test_change_settings_reaches_the_next_folder_generation_and_milvus_refuses(tmp_path, encoder):
    idx = Index.build(DOCS, encoder, path=tmp_path / "idx", chunk=CHUNK)
    with Index.open(tmp_path / "idx", writable=True) as w:
        assert w.store.change_settings(dtype="float32", ann="auto") is False
        assert w.store.change_settings(dtype="float16", ann="none") is True
        w.save()
    again = Index.open(tmp_path / "idx")
    assert (again.store.dtype, again.store.ann, again.manifest["dtype"]) == ("float16", "none", "float16")
    assert again.store.generation == idx.store.generation + 1
    with pytest.raises(InputError, match="dtype must be"):
        again.store.change_settings(dtype="int8")

    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    with create_store(f"milvus-lite:{tmp_path / 'm.db'}/c", encoder_spec=encoder.spec, dim=encoder.dim) as milvus:
        assert milvus.change_settings(dtype="float32", ann="auto") is False
        with pytest.raises(InputError, match="FLAT"):
            milvus.change_settings(ann="hnsw")


def test_the_folder_store_holds_a_memory_store_instead_of_being_one(tmp_path, encoder):
    assert not issubclass(FolderStore, MemoryStore)
    idx = Index.build(DOCS, encoder, chunk=CHUNK)  # in memory
    idx.root = "notes/"
    idx.store.build_ann()
    saved = idx.save(tmp_path / "idx")  # copied into a new folder store
    assert saved == tmp_path / "idx" and isinstance(idx.store, FolderStore)
    assert isinstance(idx.store.memory, MemoryStore) and idx.store.has_ann()
    again = Index.open(tmp_path / "idx", encoder=encoder)
    assert again.root == "notes/" and len(again.docs) == len(DOCS) and len(again.vectors) == len(again.passages)


def test_arrays_of_a_store_without_them_are_an_attribute_error(tmp_path, encoder):
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    with Index(_create("milvus-lite", tmp_path, encoder), encoder=encoder) as idx:
        with pytest.raises(AttributeError, match="arrays"):
            idx.docs  # noqa: B018
        with pytest.raises(InputError, match="is saved by save"):
            idx.save(tmp_path / "elsewhere")


# ----------------------------------------------------------------------------- the library never reaches past it
CHECKED = ("textemb/search", "textemb/serve")
CHECKED_MODULES = ("textemb.search", "textemb.serve")
#: getattr/hasattr on modules (optional attributes of a dependency), not on stores or encoders
MODULES = {"os", "bm25s"}
#: ``(file, first argument)``: a faiss object just read from disk, checked for the type it must have
ALLOWED_PROBES = {("textemb/search/stores/memory.py", "graph")}


def reaches_past_protocols(sources: dict[str, str]) -> list[str]:
    """Every ``getattr``/``hasattr`` probe of an object, write to another object's ``_private`` attribute and
    import of another module's ``_private`` name in ``sources`` (``{relative path: text}``)."""
    found = []
    for rel, text in sorted(sources.items()):
        for node in ast.walk(ast.parse(text, rel)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and node.args):
                first = ast.unparse(node.args[0])
                if first not in MODULES | {"self", "cls"} and (rel, first) not in ALLOWED_PROBES:
                    found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                for t in ast.walk(target):
                    if (isinstance(t, ast.Attribute) and t.attr.startswith("_") and not t.attr.startswith("__")
                            and not (isinstance(t.value, ast.Name) and t.value.id in ("self", "cls"))):
                        found.append(f"{rel}:{node.lineno}: writes {ast.unparse(t)}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(CHECKED_MODULES):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{rel}:{node.lineno}: imports {node.module}.{alias.name}")
    return found


def _library_sources() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
            for top in CHECKED for p in sorted((ROOT / top).rglob("*.py"))}


def test_search_and_serve_use_only_declared_protocols():
    found = reaches_past_protocols(_library_sources())
    assert not found, "reaches past a protocol (declare the member on VectorStore or a capability):\n" + "\n".join(found)


def test_the_source_check_is_not_vacuous():
    planted = {
        "textemb/search/x.py": "def f(store, new, old):\n"
                               "    p = getattr(store, 'path', None)\n"
                               "    new.root, new._hnsw = old.root, old._hnsw\n"
                               "    store._dirty = True\n"
                               "    self._ok = hasattr(os, 'O_BINARY')\n",
        "textemb/serve/y.py": "from textemb.search.stores.memory import _read_hnsw\nfrom textemb import __version__\n",
    }
    assert sorted(f.split(": ", 1)[1] for f in reaches_past_protocols(planted)) == [
        "getattr(store, 'path', None)", "imports textemb.search.stores.memory._read_hnsw", "writes new._hnsw",
        "writes store._dirty"]
