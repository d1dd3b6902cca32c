"""Fuzz over real index folders and document files: damage makes the readers raise only TextembError.

An index folder is built by the real indexer (tiny GloVe vectors, an HNSW graph and the BM25 sidecar), then one
of its files is truncated, overwritten in places, given a lying header, deep JSON or a zip bomb. Where the
manifest's size and sha256 would catch the damage at once they are updated to match, so each file's own reader
must notice (except the faiss graph: faiss trusts its file, so it is only ever read when the checksum matches).
Hostile variants also run in a child process under an address-space limit and a timeout: bounded memory, no hang.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bounded_run import npz_with_bomb, peak_growth_mb, run_bounded
from textemb.errors import TextembError
from textemb.search import ChunkSettings, Document, Index, load_documents

DOCS = [Document(f"d{i}", f"the {w} sat on the log by the pond near the king and queen", w.title())
        for i, w in enumerate(["frog", "king", "queen", "paris", "toad", "prince"])]
ROLES = ["manifest", "vectors", "passages", "docs", "hnsw", "lexical.npz", "lexical.json"]
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def built(tiny_glove, tmp_path) -> tuple[Path, object]:
    from textemb import load_encoder

    enc = load_encoder(f"glove:{tiny_glove}")
    Index.build(DOCS, enc, path=tmp_path / "built", chunk=ChunkSettings(size=4, overlap=1), ann="hnsw")
    return tmp_path / "built", enc


def _manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_bytes())


def damage(index: Path, role: str, data: bytes, *, fix_manifest: bool = True) -> None:
    """Write ``data`` as ``role``'s file; the manifest's size and sha256 are made to agree unless told not to."""
    if role == "manifest":
        (index / "manifest.json").write_bytes(data)
        return
    m = _manifest(index)
    entry = m["files"][role]
    (index / entry["name"]).write_bytes(data)
    if fix_manifest:
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
        (index / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def original(index: Path, role: str) -> bytes:
    return (index / ("manifest.json" if role == "manifest" else _manifest(index)["files"][role]["name"])).read_bytes()


def exercise(index: Path, enc) -> None:
    """Open the folder and search it every way; only TextembError may come out."""
    try:
        idx = Index.open(index, encoder=enc)
        for mode in ("dense", "bm25", "hybrid"):
            idx.search("frog king", k=3, mode=mode)
        idx.search("queen", k=2, ann="ann")
        idx.close()
    except TextembError:
        pass


_fuzz = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_fuzz
@given(role=st.sampled_from(ROLES), cut=st.one_of(st.none(), st.integers(0, 1 << 16)),
       edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.binary(min_size=1, max_size=4)), max_size=5))
def test_damaged_index_files_raise_only_textemb_errors(built, tmp_path_factory, role, cut, edits):
    src, enc = built
    index = tmp_path_factory.mktemp("fuzz") / "idx"
    shutil.copytree(src, index)
    data = bytearray(original(index, role))
    for pos, blob in edits:
        pos %= max(len(data), 1)
        data[pos:pos + len(blob)] = blob
    if cut is not None:
        data = data[:cut % (len(data) + 1)]
    damage(index, role, bytes(data), fix_manifest=role != "hnsw")
    exercise(index, enc)


# --------------------------------------------------------------------------- hostile variants, bounded
def _npy_header(shape: str, descr: str = "<f4") -> bytes:
    head = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)).encode("latin1")
    head += b" " * (63 - (len(head) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head


def _zip_bomb(npz: bytes, member: str, values: int) -> bytes:
    return npz_with_bomb(npz, member, values)


def _manifest_with(index: Path, **changes) -> bytes:
    m = _manifest(index)
    for path, value in changes.items():
        node = m
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return json.dumps(m).encode()


def hostile_variants(src: Path) -> dict[str, tuple[str, bytes, bool]]:
    """name -> (role, bytes, fix the manifest)"""
    npz = original(src, "lexical.npz")
    docs = original(src, "docs").splitlines(keepends=True)
    variants = {
        "manifest-deep": ("manifest", DEEP, False),
        "manifest-long-int": ("manifest", b'{"format": "textemb-index", "generation": 1' + b"1" * 5000 + b"}", False),
        "manifest-huge-counts": ("manifest", _manifest_with(src, counts__passages=10**15, counts__documents=10**12), False),
        "manifest-dim-huge": ("manifest", _manifest_with(src, dim=2**62), False),
        "manifest-files-list": ("manifest", _manifest_with(src, files=[1, 2]), False),
        "manifest-spec-deep": ("manifest", _manifest_with(src, encoder__spec="avg-sif:" * 5000 + "x"), False),
        "docs-deep": ("docs", docs[0] + DEEP + b"\n" + b"".join(docs[2:]), True),
        "docs-long-int": ("docs", docs[0] + b'{"id": "x", "text": "y", "n": ' + b"9" * 5000 + b"}\n", True),
        "docs-title-list": ("docs", b"".join(docs).replace(b'"title": "Frog"', b'"title": [1, 2]'), True),
        "vectors-lying-rows": ("vectors", _npy_header("(10000000000000, 8)") + b"\0" * 64, True),
        "vectors-deep-header": ("vectors", _npy_header("(" * 3000 + ")" * 3000), True),
        "passages-lying": ("passages", _npy_header("(1000000000, 3)", "<i8") + b"\0" * 64, True),
        "lexical-bomb-tokens": ("lexical.npz", _zip_bomb(npz, "tokens.npy", 64 * 1024**2), True),
        "lexical-bomb-offsets": ("lexical.npz", _zip_bomb(npz, "offsets.npy", 8 * 1024**2), True),
        "lexical-json-deep": ("lexical.json", DEEP, True),
        "lexical-not-zip": ("lexical.npz", b"PK\x03\x04" + b"\xff" * 200, True),
    }
    for role in ROLES:
        data = original(src, role)
        for frac in (0, 2, 3):
            variants[f"{role}-cut-{frac}"] = (role, data[:len(data) // 3 * frac] if frac else b"", role != "hnsw")
    return variants


HOSTILE_CHILD = """
import sys
from textemb import load_encoder
from textemb.errors import TextembError
from textemb.search import Index
import bm25s, faiss
enc = load_encoder(sys.argv[1])
limit_memory(int(sys.argv[2]))
for folder in sys.argv[3:]:
    try:
        idx = Index.open(folder, encoder=enc)
        for mode in ("dense", "bm25", "hybrid"):
            idx.search("frog king", k=3, mode=mode)
        idx.search("queen", k=2, ann="ann")
        print(folder, "OK")
    except TextembError as exc:
        named = any(s in str(exc) for s in (folder, "manifest.json", "lexical", ".npy", ".jsonl", ".faiss",
                                             "the index was built with"))
        print(folder, "TextembError", "named" if named else "UNNAMED:" + str(exc)[:200])
    except BaseException as exc:
        print(folder, "OTHER", type(exc).__name__, str(exc)[:200])
report_peak()
"""


def test_hostile_index_folders_fail_cleanly_in_bounded_memory_and_time(built, tiny_glove, tmp_path):
    src, _ = built
    folders = []
    for name, (role, data, fix) in hostile_variants(src).items():
        index = tmp_path / "hostile" / name
        shutil.copytree(src, index)
        damage(index, role, data, fix_manifest=fix)
        folders.append(str(index))
    proc = run_bounded(HOSTILE_CHILD, f"glove:{tiny_glove}", "384", *folders, timeout=240)
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("PEAK")]
    assert len(lines) == len(folders), proc.stdout + proc.stderr[-3000:]
    bad = [line for line in lines if " OTHER " in line or "UNNAMED" in line]
    assert not bad, "\n".join(bad)
    assert peak_growth_mb(proc) < 128


# --------------------------------------------------------------------------- document readers
def _jsonl_variants() -> dict[str, bytes]:
    good = b'{"id": 1, "text": "a frog on a log"}\n'
    return {"a.jsonl": good + DEEP + b"\n" + good.replace(b"1", b"2"),
            "b.jsonl": good + b'{"id": 3, "text": "x", "n": ' + b"9" * 5000 + b"}\n",
            "c.jsonl": good + b'{"id": 4, "text": "x", "m": ' + b"{\"a\": " * 3000 + b"1" + b"}" * 3000 + b"}\n",
            "d.jsonl": (good * 50)[:-7],
            "e.csv": b"id,text\n1,a frog\n2," + b'"' + b"x" * 300_000 + b'"\n',
            "f.html": b"<html>" + b"<div>" * 100_000 + b"frog" + b"</div>" * 100_000,
            "g.md": b"# " * 200_000 + b"frog",
            "h.xml": b"<mediawiki>" + b"<page>" * 100_000,
            "i.xml": b"<mediawiki><page><title>T</title><ns>0</ns><id>1</id><revision><text>" + b"[[" * 100_000,
            "j.xml": b'<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                     b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>'
                     b"<m><page><ns>0</ns><id>1</id><revision><text>&f;&f;&f;&f;&f;&f;&f;&f;</text></revision></page></m>"}


DOCS_CHILD = """
import sys
from textemb.search import load_documents
limit_memory(int(sys.argv[2]))
ds = load_documents(sys.argv[1], max_bytes=int(sys.argv[3]))
print("DOCS", len(ds.documents))
for rel, why in ds.skipped:
    print("SKIP", rel, "|", why)
report_peak()
"""


def test_hostile_document_files_are_skipped_with_reasons_in_bounded_memory_and_time(tmp_path):
    import bz2

    folder = tmp_path / "docs"
    folder.mkdir()
    for name, data in _jsonl_variants().items():
        (folder / name).write_bytes(data)
    (folder / "k.bz2").write_bytes(bz2.compress(_jsonl_variants()["i.xml"]))
    (folder / "l.bz2").write_bytes(bz2.compress(b"<mediawiki><page><revision><text>" + b"w " * (8 * 1024**2)))
    (folder / "m.bz2").write_bytes(bz2.compress(b"<mediawiki>" + b"x" * 1024)[:-20])
    proc = run_bounded(DOCS_CHILD, str(folder), "384", str(2 * 1024**2), timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    skipped = [line for line in proc.stdout.splitlines() if line.startswith("SKIP")]
    for name in ("a.jsonl:2", "b.jsonl:2", "c.jsonl:2", "e.csv", "h.xml", "i.xml", "k.bz2", "l.bz2", "m.bz2"):
        assert any(line.startswith(f"SKIP {name} ") for line in skipped), (name, proc.stdout)
    assert peak_growth_mb(proc) < 160


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["a.jsonl", "c.jsonl", "h.xml", "i.xml", "j.xml", "f.html"]),
       cut=st.integers(0, 1 << 20), edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.binary(max_size=3)), max_size=4),
       compress=st.booleans())
def test_truncated_and_edited_document_files_only_skip(tmp_path_factory, name, cut, edits, compress):
    import bz2

    data = bytearray(_jsonl_variants()[name][:20_000])
    for pos, blob in edits:
        pos %= max(len(data), 1)
        data[pos:pos + len(blob)] = blob
    data = data[:cut % (len(data) + 1)] or bytearray(b"x")
    folder = tmp_path_factory.mktemp("docs")
    if compress and name.endswith(".xml"):
        blob = bz2.compress(bytes(data))
        (folder / "w.bz2").write_bytes(blob[:cut % (len(blob) + 1)] or b"x")
    else:
        (folder / name).write_bytes(bytes(data))
    ds = load_documents(folder)  # never raises: every problem is a skip with a reason
    assert all(isinstance(why, str) and why for _, why in ds.skipped)
