"""Hardening of the search index (issue 7, classes 12-15): corrupt files, failed writes, locking, queries.

The SIGKILL crash test (class 11) is in ``test_hardening_crash.py``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from tests.full_size import GLOVE_QUICK
from textemb.errors import FormatError, InputError, TextembError
from textemb.search import ChunkSettings, Document, Index, IndexLockedError
from textemb.search.stores import folder_files as store

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    Document("frog", "A small green frog sat on a wet log by the café pond and caught flies.", "Frogs"),
    Document("king", "The king and the queen ruled the kingdom from a castle.", "Royalty"),
    Document("paris", "Paris is the capital of France, famous for the Eiffel tower.", "Paris"),
]


@pytest.fixture
def saved(glove_quick, tmp_path) -> Path:
    Index.build(DOCS, glove_quick, path=tmp_path / "idx", chunk=ChunkSettings(size=20, overlap=5))
    return tmp_path / "idx"


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _file(path: Path, role: str) -> Path:
    return path / _manifest(path)["files"][role]["name"]


# --------------------------------------------------------------------------- class 12: corrupt index
def test_class12_truncated_vectors(saved):
    f = _file(saved, "vectors")
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(FormatError, match="truncated"):
        Index.open(saved)


@pytest.mark.parametrize("role", ["vectors", "passages", "docs"])
def test_class12_one_flipped_byte_is_caught_by_the_checksum(saved, role):
    f = _file(saved, role)
    data = bytearray(f.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01  # one bit of one byte, size unchanged
    f.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="sha256"):
        Index.open(saved)  # small index: verified by default


def test_class12_flipped_byte_without_verify_is_still_no_traceback(saved):
    """verify=False (the big-index path) may miss a flipped byte but must never crash with a traceback."""
    f = _file(saved, "docs")
    data = bytearray(f.read_bytes())
    data[0] = 0xFF  # invalid UTF-8 at the start of the first record
    f.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="bad JSON"):
        Index.open(saved, verify=False)


@pytest.mark.parametrize("role", ["vectors", "passages", "docs"])
def test_class12_missing_file(saved, role):
    _file(saved, role).unlink()
    with pytest.raises(FormatError, match="is missing"):
        Index.open(saved)


def test_class12_missing_manifest(saved):
    (saved / "manifest.json").unlink()
    with pytest.raises(FormatError, match="not a textemb index"):
        Index.open(saved)


def test_class12_future_format_version(saved):
    m = _manifest(saved)
    m["format_version"] = store.FORMAT_VERSION + 1
    (saved / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(FormatError, match="newer than this textemb reads.*upgrade"):
        Index.open(saved)


@pytest.mark.parametrize("garbage", [
    b"", b"\x00\xff\xfe garbage", b"{not json", b"[1, 2, 3]", b'{"format": "something-else"}',
    b'{"format": "textemb-index", "format_version": 1}',
    b'{"format": "textemb-index", "format_version": 1, "files": "vectors.npy"}',
    b'{"format": "textemb-index", "format_version": 1, "files": {"vectors": 1, "passages": 2, "docs": 3}}',
    b'{"format": "textemb-index", "format_version": "1"}',
])
def test_class12_garbage_manifest(saved, garbage):
    (saved / "manifest.json").write_bytes(garbage)
    with pytest.raises(FormatError):
        Index.open(saved)


def test_class12_manifest_with_missing_or_mistyped_keys(saved):
    m = _manifest(saved)
    for broken in ({k: v for k, v in m.items() if k != "encoder"}, {**m, "encoder": "glove"},
                   {**m, "dim": "fifty"}, {**m, "settings": {"chunk": {"nope": 1}}},
                   {**m, "files": {**m["files"], "vectors": {**m["files"]["vectors"], "name": "../../etc/passwd"}}}):
        (saved / "manifest.json").write_text(json.dumps(broken), encoding="utf-8")
        with pytest.raises(FormatError):
            Index.open(saved)


def test_class12_wrong_dim(saved):
    m = _manifest(saved)
    m["dim"] = 300
    (saved / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(FormatError, match=r"vectors are \(\d+, 50\), the manifest says \(\d+, 300\)"):
        Index.open(saved)


def test_class12_passage_table_pointing_outside_the_documents(saved):
    """A consistent-looking index whose passage rows name documents that do not exist (checksums updated)."""
    from textemb.io.cache import sha256_file

    f = _file(saved, "passages")
    p = np.load(f)
    p[0, 0] = 99
    with open(f, "wb") as fh:
        np.save(fh, p)
    m = _manifest(saved)
    m["files"]["passages"].update(size=f.stat().st_size, sha256=sha256_file(f))
    (saved / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(FormatError, match="outside the document list"):
        Index.open(saved)


def test_class12_corrupt_index_through_the_cli(saved, capsys):
    from textemb_cli.main import main

    f = _file(saved, "vectors")
    f.write_bytes(f.read_bytes()[:-8])
    assert main(["search", "frog", "--index", str(saved)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("textemb: error:") and "truncated" in err and "\n" not in err


# --------------------------------------------------------------------------- class 13: disk full / read-only
class _FullFile:
    """A file object whose writes fail like a full disk."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _fail_nth_file(monkeypatch, n: int) -> list:
    real = store.atomic_open
    calls: list = []

    @contextlib.contextmanager
    def failing(path):
        with real(path) as fh:
            calls.append(Path(path).name)
            yield _FullFile(fh) if len(calls) == n else fh

    monkeypatch.setattr(store, "atomic_open", failing)
    return calls


def _assert_old_index_intact(path: Path, before: dict) -> None:
    names = sorted(os.listdir(path))
    assert not [n for n in names if n.endswith(".tmp")], names  # temp files removed
    assert not [n for n in names if f"-{before['generation'] + 1:06d}." in n], names  # no half generation
    assert _manifest(path)["generation"] == before["generation"]
    idx = Index.open(path, verify=True)
    assert sorted(d["id"] for d in idx.docs) == sorted(d.id for d in DOCS)


@pytest.mark.parametrize("nth", [1, 2, 3, 4], ids=["vectors", "passages", "docs", "manifest"])
def test_class13_disk_full_during_save(saved, glove_quick, monkeypatch, nth):
    before = _manifest(saved)
    idx = Index.open(saved, encoder=glove_quick)
    idx.add([Document("new", "a brand new document about volcanoes", None)])
    calls = _fail_nth_file(monkeypatch, nth)
    with pytest.raises(store.IndexWriteError, match="No space left on device.*previous generation .* intact"):
        idx.save()
    assert len(calls) == nth
    monkeypatch.undo()
    _assert_old_index_intact(saved, before)
    idx.save()  # the lock was released and the next save works
    assert "new" in {d["id"] for d in Index.open(saved).docs}


def test_class13_read_only_folder_simulated(saved, glove_quick, monkeypatch):
    """Root ignores chmod, so the read-only folder is simulated where the temp file is created (EROFS)."""
    import tempfile

    before = _manifest(saved)
    idx = Index.open(saved, encoder=glove_quick)
    idx.add([Document("new", "another document", None)])

    def readonly(*a, **kw):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", readonly)
    with pytest.raises(store.IndexWriteError, match="Read-only file system"):
        idx.save()
    monkeypatch.undo()
    _assert_old_index_intact(saved, before)


def test_class13_read_only_folder_real_chmod(saved, glove_quick):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 555 does not stop root writing (the simulated EROFS test covers it)")
    before = _manifest(saved)
    idx = Index.open(saved, encoder=glove_quick)
    idx.add([Document("new", "another document", None)])
    saved.chmod(0o555)
    try:
        with pytest.raises(TextembError):
            idx.save()
    finally:
        saved.chmod(0o755)
    _assert_old_index_intact(saved, before)


def test_class13_disk_full_through_the_cli(saved, tmp_path, monkeypatch, capsys):
    from textemb_cli.main import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "volcano.txt").write_text("the volcano erupted and lava flowed", encoding="utf-8")
    before = _manifest(saved)
    _fail_nth_file(monkeypatch, 1)
    assert main(["index", str(docs), "-o", str(saved), "--rebuild", "--quiet", "--encoder", GLOVE_QUICK]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("textemb: error: could not write index") and "No space left" in err and "\n" not in err
    monkeypatch.undo()
    _assert_old_index_intact(saved, before)


# --------------------------------------------------------------------------- class 14: two writers
_HOLDER = r"""
import sys, time
from textemb.search import Index
idx = Index.open(sys.argv[1], writable=True)
print("locked", flush=True)
time.sleep(30)
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_class14_second_writer_in_another_process_fails_fast(saved, glove_quick, capsys):
    from textemb_cli.main import main

    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(saved)], stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.perf_counter()
        with pytest.raises(IndexLockedError, match=f"index is locked: .* pid {holder.pid}"):
            Index.build(DOCS[:1], glove_quick, path=saved)
        with pytest.raises(IndexLockedError, match="index is locked"):
            Index.open(saved, writable=True)
        assert main(["index", str(saved.parent), "-o", str(saved), "--quiet"]) == 1
        assert time.perf_counter() - t0 < 5  # fails fast, never waits for the holder
        err = capsys.readouterr().err.strip()
        assert err.startswith("textemb: error: index is locked") and "\n" not in err
        idx = Index.open(saved)  # readers are not blocked and see the old index
        assert sorted(d["id"] for d in idx.docs) == sorted(d.id for d in DOCS)
    finally:
        holder.kill()
        holder.wait()
    Index.open(saved, writable=True).close()  # the kernel released the dead holder's lock


_WRITER = r"""
import sys
from textemb import load_encoder
from textemb.search import Document, Index
idx = Index.open(sys.argv[1], writable=True, encoder=load_encoder(sys.argv[3]))
print("ready", flush=True)
for i in range(int(sys.argv[2])):
    idx.add([Document(f"extra-{i}", f"extra document number {i} about frogs", None)])
    idx.save()
print("done", flush=True)
"""


def test_class14_readers_see_old_or_new_while_a_writer_writes(saved):
    base = {d.id for d in DOCS}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(saved), "40", GLOVE_QUICK], stdout=subprocess.PIPE,
                              text=True, env=_env())
    seen_gens: set[int] = set()
    try:
        assert writer.stdout.readline().strip() == "ready"
        while writer.poll() is None:
            idx = Index.open(saved, verify=True)  # every open is a complete, checksummed generation
            ids = {d["id"] for d in idx.docs}
            extras = sorted(int(i.split("-")[1]) for i in ids - base)
            assert base <= ids and extras == list(range(len(extras)))
            assert len(idx.vectors) == len(idx.passages)
            seen_gens.add(idx.manifest["generation"])
    finally:
        writer.kill()
        writer.wait()
    assert len({d["id"] for d in Index.open(saved).docs}) == len(DOCS) + 40
    assert len(seen_gens) >= 2  # the reader really ran while generations changed


# --------------------------------------------------------------------------- class 15: queries
@pytest.fixture
def idx(glove_quick):
    return Index.build(DOCS, glove_quick)


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "\u200b"])
def test_class15_empty_and_whitespace_queries(idx, query):
    if query == "\u200b":  # zero-width only: no words, encodes to nothing known
        with pytest.warns(UserWarning):
            assert idx.search(query, k=3) == []
        return
    with pytest.raises(InputError, match="empty query"):
        idx.search(query, k=3)


@pytest.mark.parametrize("query", ["zzqxv qqqzzk", "🐸🐸", "\u202e\u202d"])
def test_class15_all_words_oov_give_an_empty_result(idx, query):
    with pytest.warns(UserWarning, match="no in-vocabulary token"):
        assert idx.search(query, k=3) == []
    with pytest.warns(UserWarning):
        hits = idx.search([query, "frog pond"], k=3)  # a batch keeps its order
    assert hits[0] == [] and hits[1][0].id == "frog"


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3", None])
def test_class15_bad_k(idx, k):
    with pytest.raises(InputError, match="k must be a positive integer"):
        idx.search("frog", k=k)


def test_class15_k_larger_than_the_index_and_empty_index(idx, glove_quick, tmp_path):
    assert len(idx.search("frog", k=10_000)) == len(DOCS)
    empty = Index.build([], glove_quick, path=tmp_path / "empty")
    assert empty.search("frog", k=5) == []
    assert Index.open(tmp_path / "empty").search("frog", k=5) == []


def test_class15_query_encoder_with_a_different_dim(idx, tiny_glove):
    from textemb import load_encoder

    other = load_encoder(f"glove:{tiny_glove}")
    with pytest.raises(InputError, match=r"gives \d+-d vectors but the index holds 50-d"):
        idx.use_encoder(other)
    with pytest.raises(InputError, match="query vectors are 4-d, the index holds 50-d"):
        idx.search_vectors(np.ones((1, 4), dtype=np.float32), 3)


def test_class15_unicode_queries(idx):
    nfc = unicodedata.normalize("NFC", "café pond")
    nfd = unicodedata.normalize("NFD", "café pond")
    assert nfc != nfd
    a, b = idx.search(nfc, k=3), idx.search(nfd, k=3)
    assert [(h.id, round(h.score, 5)) for h in a] == [(h.id, round(h.score, 5)) for h in b]
    plain = idx.search("frog pond", k=3)
    for odd in ("fr\u200bog pond", "\u200fפרוג frog pond\u200e", "frog 🐸 pond", "\ufefffrog pond"):
        hits = idx.search(odd, k=3)
        assert hits and hits[0].id == "frog"
    assert plain[0].id == "frog"


def test_class15_text_longer_than_any_limit(idx):
    hits = idx.search("frog pond " * 50_000, k=2)  # 100k words: averaged, no limit to overflow
    assert hits[0].id == "frog"


@pytest.mark.slow
def test_class15_minilm_query_longer_than_the_model_limit(tmp_path):
    """A real transformer (MiniLM, 256-token limit): a 20k-token query is truncated, not a traceback."""
    from textemb import load_encoder

    enc = load_encoder("all-MiniLM-L6-v2")
    idx = Index.build(DOCS, enc)
    hits = idx.search("frog pond " * 10_000, k=2)
    assert hits[0].id == "frog"
    for odd in ("🐸", "\u200b\u200b", unicodedata.normalize("NFD", "café"), "\u202eפרוג"):
        assert len(idx.search(odd, k=2)) == 2  # subword models know every character: always some hits


@pytest.mark.parametrize("argv, message", [
    (["", "-k", "3"], "empty query"),
    (["   ", "-k", "3"], "empty query"),
    (["frog", "-k", "0"], "-k/--top-k: must be at least 1"),
    (["frog", "-k", "-5"], "-k/--top-k: must be at least 1"),
])
def test_class15_cli_bad_queries_are_one_line_errors(saved, capsys, argv, message):
    from textemb_cli.main import main

    usage = argv[1:] != ["-k", "3"]  # an out-of-range -k is a usage error: exit 2, the usage, then one line
    assert main(["search", argv[0], "--index", str(saved), *argv[1:]]) == (2 if usage else 1)
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]
    assert last.startswith("textemb search: error:" if usage else "textemb: error:") and message in last
    assert usage or "\n" not in err


def test_class15_cli_odd_queries_never_traceback(saved, tmp_path, glove_quick, capsys, tiny_glove):
    from textemb_cli.main import main

    assert main(["search", "zzqxv qqqzzk", "--index", str(saved)]) == 0
    assert "no results" in capsys.readouterr().out
    assert main(["search", "frog", "--index", str(saved), "-k", "1000", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["hits"]) == len(DOCS)
    for q in (unicodedata.normalize("NFD", "café"), "fr\u200bog", "\u202eפרוג frog", "🐸 frog", "frog " * 20_000):
        assert main(["search", q, "--index", str(saved), "-k", "2"]) == 0
        assert "frog" in capsys.readouterr().out.lower()
    Index.build([], glove_quick, path=tmp_path / "empty")
    assert main(["search", "frog", "--index", str(tmp_path / "empty")]) == 0
    assert "no documents in the index" in capsys.readouterr().out
    assert main(["search", "frog", "--index", str(saved), "--encoder", f"glove:{tiny_glove}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("textemb: error:") and "not comparable" in err and "\n" not in err


def test_class12_any_flipped_manifest_byte_is_an_error_or_harmless(saved, glove_quick):
    """Flip one bit at 150 random manifest positions: a clear TextembError, or an index that still works."""
    import random

    good = (saved / "manifest.json").read_bytes()
    rng = random.Random(12)
    errors = 0
    for pos in rng.sample(range(len(good)), min(150, len(good))):
        data = bytearray(good)
        data[pos] ^= 1 << rng.randrange(8)
        (saved / "manifest.json").write_bytes(bytes(data))
        try:
            idx = Index.open(saved)
            idx.use_encoder(glove_quick)
            hits = idx.search("frog pond", k=2)
        except TextembError:
            errors += 1
            continue
        assert hits[0].id == "frog"  # what opened is the real index
    assert errors > 50


def test_class13_unwritable_index_folder_through_the_cli(tmp_path, monkeypatch, capsys):
    """An OSError outside the index writer (here: the lock file cannot be created) is one line, exit 1."""
    from textemb_cli.main import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "frog.txt").write_text("a frog", encoding="utf-8")
    out = tmp_path / "ro" / "idx"

    def denied(self):
        raise PermissionError(errno.EACCES, "Permission denied", str(out / "lock"))

    monkeypatch.setattr(store.IndexLock, "acquire", denied)
    assert main(["index", str(docs), "-o", str(out), "--quiet", "--encoder", GLOVE_QUICK]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"textemb: error: {out / 'lock'}: Permission denied"
