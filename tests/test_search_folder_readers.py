"""The index folder's readers against hostile files: zip bombs, deep JSON, specs that name outside paths, odd records.

Every index here is built by the real indexer (tiny GloVe vectors); the damage is then written into its files,
and the manifest's sizes and checksums are updated to match, so only the reader under test can notice.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.bounded_run import npz_with_bomb, peak_growth_mb, run_bounded
from textemb.errors import FormatError
from textemb.search import ChunkSettings, Document, Index

DOCS = [
    Document("frog", "a frog sat on the log by the pond", "Frogs"),
    Document("king", "the king spoke to the queen and the prince", "Royalty"),
    Document("paris", "paris is the capital of france", "Paris"),
]
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def tiny_index(tiny_glove, tmp_path) -> Path:
    from textemb import load_encoder

    Index.build(DOCS, load_encoder(f"glove:{tiny_glove}"), path=tmp_path / "idx", chunk=ChunkSettings(size=4, overlap=1))
    return tmp_path / "idx"


def manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text(encoding="utf-8"))


def replace_file(index: Path, role: str, data: bytes) -> Path:
    """Write ``data`` as the file the manifest names for ``role``, and make the manifest's size and sha256 agree."""
    m = manifest(index)
    entry = m["files"][role]
    path = index / entry["name"]
    path.write_bytes(data)
    entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    (index / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    return path


def zip_bomb(valid_npz: bytes, values: int) -> bytes:
    """The lexical ``.npz`` with its ``tokens`` entry replaced by ``values`` int32 zeros, deflated (about 1000:1)."""
    return npz_with_bomb(valid_npz, "tokens.npy", values, "<i4")


BOMB_CHILD = """
import sys
from textemb.search import Index
import bm25s, textemb.search.lexical
limit_memory(int(sys.argv[2]))
try:
    Index.open(sys.argv[1]).search("frog", mode="bm25")
    print("NO ERROR")
except MemoryError:
    print("RAW MemoryError")
except Exception as exc:
    print("ERROR", type(exc).__name__, str(exc).replace(chr(10), " "))
report_peak()
"""


def test_lexical_zip_bomb_is_refused_before_inflating(tiny_index):
    npz = (tiny_index / manifest(tiny_index)["files"]["lexical.npz"]["name"]).read_bytes()
    bomb = zip_bomb(npz, 64 * 1024**2)  # 256 MB of tokens in about 250 KB
    assert len(bomb) < 1024**2
    replace_file(tiny_index, "lexical.npz", bomb)
    proc = run_bounded(BOMB_CHILD, str(tiny_index), "1024", timeout=120)
    assert proc.stdout.startswith("ERROR FormatError"), proc.stdout + proc.stderr[-2000:]
    assert "declares" in proc.stdout and "tokens.npy" in proc.stdout and "re-index" in proc.stdout
    assert peak_growth_mb(proc) < 64  # before: the 256 MB array was inflated (2.5 GB for a 2.3 MB file)


@pytest.mark.parametrize("header_values", [10**12, 3, 0])
def test_lexical_npy_header_lying_about_its_size_is_refused(tiny_index, header_values):
    npz = (tiny_index / manifest(tiny_index)["files"]["lexical.npz"]["name"]).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "tokens.npy":
                head = io.BytesIO()
                np.lib.format.write_array_header_1_0(head, {"descr": "<i4", "fortran_order": False,
                                                            "shape": (header_values,)})
                data = head.getvalue() + data[len(head.getvalue()):]
            dst.writestr(info.filename, data)
    replace_file(tiny_index, "lexical.npz", out.getvalue())
    with pytest.raises(FormatError, match=r"tokens\.npy.*re-index"):
        Index.open(tiny_index).search("frog", mode="bm25")


# --------------------------------------------------------------------------- deep JSON
def test_deep_json_manifest_is_a_format_error_naming_it(tiny_index):
    (tiny_index / "manifest.json").write_bytes(DEEP)
    with pytest.raises(FormatError, match=r"idx: manifest\.json is damaged \(JSON nested too deeply"):
        Index.open(tiny_index)


def test_deep_json_document_record_is_a_format_error_naming_the_file(tiny_index):
    docs = tiny_index / manifest(tiny_index)["files"]["docs"]["name"]
    lines = docs.read_bytes().splitlines(keepends=True)
    replace_file(tiny_index, "docs", lines[0] + DEEP + b"\n" + b"".join(lines[2:]))
    with pytest.raises(FormatError, match=rf"{docs.name} line 2: JSON nested too deeply.*re-index"):
        Index.open(tiny_index)


def test_oversized_manifest_is_refused_unread(tiny_index):
    (tiny_index / "manifest.json").write_bytes(b" " * (17 * 1024**2) + b"{}")
    with pytest.raises(FormatError, match=r"manifest\.json is over"):
        Index.open(tiny_index)


@pytest.mark.parametrize("field, value", [("title", ["a", "list"]), ("source", {"a": 1}), ("source_hash", 7),
                                          ("meta", "text")])
def test_document_record_fields_of_the_wrong_type_are_a_format_error(tiny_index, tmp_path, field, value):
    from textemb.search.indexing import index_documents

    docs = tiny_index / manifest(tiny_index)["files"]["docs"]["name"]
    records = [json.loads(line) for line in docs.read_bytes().splitlines()]
    records[1][field] = value
    replace_file(tiny_index, "docs", b"".join(json.dumps(r).encode() + b"\n" for r in records))
    with pytest.raises(FormatError, match=rf"{docs.name} line 2: not a document record \('{field}' is a"):
        Index.open(tiny_index)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("a frog on a log", encoding="utf-8")
    with pytest.raises(FormatError, match=docs.name):  # re-indexing into it: no TypeError from deep inside
        index_documents(folder, tiny_index)


# --------------------------------------------------------------------------- specs read from the manifest
def _set_spec(index: Path, spec: str) -> None:
    m = manifest(index)
    m["encoder"]["spec"] = spec
    (index / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


@pytest.mark.parametrize("spec", ["glove:{secret}", "avg-tfidf:glove-6b-50d?corpus={secret}",
                                  "avg-sif:glove:{secret}", "glove:~/../../{secret}", "glove:/etc/passwd"])
def test_manifest_spec_naming_a_path_outside_the_index_is_refused(tiny_index, tmp_path, spec):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FIRST-LINE 0.1 0.2\n", encoding="utf-8")
    _set_spec(tiny_index, spec.format(secret=secret))
    idx = Index.open(tiny_index)
    with pytest.raises(FormatError) as err:
        idx.search("frog")
    msg = str(err.value)
    assert "outside the index folder" in msg and "--encoder SPEC" in msg and str(tiny_index) in msg
    assert "SECRET" not in msg


def test_cli_search_with_a_manifest_spec_outside_the_index_says_pass_encoder(tiny_index, tiny_glove, capsys):
    from textemb_cli.main import main

    secret = tiny_index.parent / "secret.txt"
    secret.write_text("SECRET-FIRST-LINE 0.1 0.2\n", encoding="utf-8")
    _set_spec(tiny_index, f"glove:{secret}")
    assert main(["search", "frog", "--index", str(tiny_index)]) == 1
    err = capsys.readouterr().err
    assert "--encoder" in err and "SECRET" not in err
    _set_spec(tiny_index, f"glove:{tiny_glove}")  # the user's own argument may name any path
    assert main(["search", "frog", "--index", str(tiny_index), "--encoder", f"glove:{tiny_glove}"]) == 0


def test_manifest_spec_inside_the_index_folder_or_a_named_model_loads(tiny_index, tiny_glove):
    import shutil

    shutil.copy(tiny_glove, tiny_index / "vectors.txt")
    _set_spec(tiny_index, f"glove:{tiny_index / 'vectors.txt'}")
    assert Index.open(tiny_index).search("frog", k=1)[0].id == "frog"
    from textemb.search.compat import check_stored_spec

    check_stored_spec("glove:glove-6b-50d?limit=1000", tiny_index, "x")
    check_stored_spec("sbert:sentence-transformers/all-MiniLM-L6-v2", tiny_index, "x")
    check_stored_spec("all-MiniLM-L6-v2", None, "x")


@pytest.mark.parametrize("role", ["passages", "vectors"])
@pytest.mark.parametrize("edit", [b"'shape{", b"'shape': (((((((((("])
def test_npy_header_that_numpy_cannot_tokenize_is_a_format_error(tiny_index, role, edit):
    data = (tiny_index / manifest(tiny_index)["files"][role]["name"]).read_bytes()
    replace_file(tiny_index, role, data.replace(b"'shape'", edit[:len(b"'shape'")] if len(edit) < 8 else edit, 1)
                 [:len(data)])
    with pytest.raises(FormatError, match=r"unreadable array header|the manifest says"):
        Index.open(tiny_index)


def test_lexical_npy_header_that_numpy_cannot_tokenize_is_a_format_error(tiny_index):
    npz = (tiny_index / manifest(tiny_index)["files"]["lexical.npz"]["name"]).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data.replace(b"'shape'", b"'shape{", 1) if info.filename == "counts.npy" else data)
    replace_file(tiny_index, "lexical.npz", out.getvalue())
    with pytest.raises(FormatError, match="lexical index is damaged"):
        Index.open(tiny_index).search("frog", mode="bm25")


# --------------------------------------------------------------------------- the other search readers
@pytest.mark.parametrize("record", [DEEP, b'{"_id": 1, "text": "x", "n": ' + b"9" * 5000 + b"}", b"[]"])
def test_ray_shard_record_that_cannot_be_read_means_re_encode(tmp_path, record):
    from textemb.search.ray_engine import plan_shards, shard_done, write_shard

    shard = plan_shards(["a", "b"], key="k", shard_size=2)[0]
    write_shard(tmp_path, shard, np.ones((2, 2), np.float32), "glove-6b-50d")
    (tmp_path / f"shard-{shard.id}.json").write_bytes(record)
    assert not shard_done(tmp_path, shard)


@pytest.mark.parametrize("line, why", [(DEEP, "nested too deeply"), (b'{"_id": 1, "n": ' + b"9" * 5000 + b"}", "too large")])
def test_beir_jsonl_that_json_cannot_read_is_a_format_error_naming_the_line(tmp_path, line, why):
    from textemb.search.retrieval import load_beir

    (tmp_path / "corpus.jsonl").write_bytes(b'{"_id": "d1", "text": "a frog"}\n' + line + b"\n")
    (tmp_path / "queries.jsonl").write_bytes(b'{"_id": "q1", "text": "frog"}\n')
    (tmp_path / "qrels.tsv").write_bytes(b"query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    with pytest.raises(FormatError, match=rf"corpus\.jsonl line 2: JSON .*{why}"):
        load_beir(tmp_path)
