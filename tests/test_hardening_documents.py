"""Hardening of the document walk and parser (issue 7, classes 6 and 10, plus the parser fuzz test).

Every bad file is skipped with a reason in the summary, indexing completes, nothing outside the root
is read, and nothing hangs. Random bytes and mutated valid files raise only TextembError subclasses.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.full_size import GLOVE_QUICK
from textemb.errors import TextembError
from textemb.search import Index, load_documents
from textemb.search import documents as documents_mod
from textemb.search.documents import TEXT_SUFFIXES

POSIX = pytest.mark.skipif(os.name == "nt" or not hasattr(os, "mkfifo"), reason="needs POSIX symlinks and FIFOs")


@pytest.fixture
def alarm():
    """Fail (instead of hanging forever) if the block takes more than 20 s."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _hang(*_):
        raise AssertionError("hang: the walk did not finish in 20 s")

    old = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# --------------------------------------------------------------------------- class 6 (document parser)
def test_class6_documents_bom_crlf_nul_and_invalid_utf8(tmp_path):
    """Class 6: BOM and CRLF just work; invalid UTF-8 and NUL bytes are skipped with a clear reason."""
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfthe frog sat on a log")
    (tmp_path / "crlf.md").write_bytes(b"# Frog title\r\n\r\nline one\r\nline two\r\n")
    (tmp_path / "crlf.csv").write_bytes(b"id,text\r\n1,a frog\r\n2,a toad\r\n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "nul.txt").write_bytes(b"text\x00with a nul")
    (tmp_path / "bad.jsonl").write_bytes(b'{"id": 1, "text": "ok"}\n\xff\xfe garbage\n')
    ds = load_documents(tmp_path)
    by_id = {d.id: d for d in ds.documents}
    assert by_id["bom.txt"].text == "the frog sat on a log"  # BOM dropped, not part of the first word
    assert by_id["crlf.md"].title == "Frog title"  # no stray \r in the title
    assert [by_id["crlf.csv#1"].text, by_id["crlf.csv#2"].text] == ["a frog", "a toad"]
    reasons = dict(ds.skipped)
    assert "not UTF-8" in reasons["latin1.txt"] and "byte 3" in reasons["latin1.txt"]
    assert "NUL" in reasons["nul.txt"]
    assert "not UTF-8" in reasons["bad.jsonl"]
    assert "latin1.txt" in ds.summary()
    lenient = {d.id: d.text for d in load_documents(tmp_path, errors="replace").documents}
    assert lenient["latin1.txt"] == "caf\ufffd au lait" and "nul.txt" not in lenient
    with pytest.raises(TextembError, match="errors must be"):
        load_documents(tmp_path, errors="ignore")


# --------------------------------------------------------------------------- class 10 (document trees)
@POSIX
def test_class10_hostile_tree_is_walked_skipped_with_reasons_and_indexed(tmp_path, glove_quick, alarm, monkeypatch):
    """Class 10: every hostile entry is skipped with a reason; indexing completes; nothing outside is read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET outside the root", encoding="utf-8")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text("a small green frog sat on a log", encoding="utf-8")
    (root / "sub" / "king.md").write_text("# Kings\nthe king and the queen", encoding="utf-8")
    (root / "escape.txt").symlink_to(outside / "secret.txt")  # symlink outside the root (file)
    (root / "escape_dir").symlink_to(outside)  # symlink outside the root (folder)
    (root / "sub" / "loop").symlink_to(root / "sub")  # symlink loop
    (root / "self.txt").symlink_to(root / "self.txt")  # a link to itself
    (root / "dangling.txt").symlink_to(tmp_path / "nope.txt")  # dangling link
    os.mkfifo(root / "pipe.txt")  # a FIFO: reading it would block forever
    (root / "empty.txt").write_bytes(b"")  # empty file
    (root / "binary.txt").write_bytes(bytes(range(256)) * 4)  # binary data named .txt
    (root / "binary2.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(128, 256)) * 8)  # binary, no NUL up front
    bad_name = os.fsencode(str(root)) + b"/caf\xe9-latin1.txt"  # a file name that is not UTF-8
    fd = os.open(bad_name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"readable text in a badly named file")
    os.close(fd)
    (root / "unreadable.txt").write_text("you cannot read me", encoding="utf-8")
    (root / "vanishing.txt").write_text("deleted during the walk", encoding="utf-8")

    real_open, real_scandir = os.open, os.scandir
    opened: list[str] = []

    def scandir(path):  # delete vanishing.txt after the folder was listed, before it is read
        entries = list(real_scandir(path))
        if Path(path) == root:
            (root / "vanishing.txt").unlink()
        return iter(entries)

    def guarded_open(path, flags, *a, **kw):  # root reads anything; simulate a permission-denied file
        p = os.fsdecode(path) if isinstance(path, bytes) else str(path)
        opened.append(os.path.realpath(p))
        if p.endswith("unreadable.txt"):
            raise PermissionError(13, "Permission denied", p)
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(documents_mod.os, "scandir", scandir)
    monkeypatch.setattr(documents_mod.os, "open", guarded_open)
    ds = load_documents(root)
    monkeypatch.undo()

    reasons = dict(ds.skipped)
    assert sorted(d.id for d in ds.documents) == ["good.txt", "sub/king.md"]
    assert "outside" in reasons["escape.txt"] and "outside" in reasons["escape_dir"]
    assert "loop" in reasons["sub/loop"]
    assert "loop" in reasons["self.txt"] or "broken" in reasons["self.txt"]
    assert "broken" in reasons["dangling.txt"]
    assert "regular file" in reasons["pipe.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert "NUL" in reasons["binary.txt"] and "not UTF-8" in reasons["binary2.txt"]
    assert "Permission denied" in reasons["unreadable.txt"]
    assert "No such file" in reasons["vanishing.txt"]
    bad = [p for p in reasons if "latin1" in p]
    assert bad and "not valid UTF-8" in reasons[bad[0]] and bad[0].encode("utf-8")  # printable, storable
    assert not any(str(outside) in p for p in opened), "read a file outside the root"
    assert all("SECRET" not in d.text for d in ds.documents)
    summary = ds.summary()
    summary.encode("utf-8")  # printable on a UTF-8 terminal
    assert f"skipped {len(ds.skipped)}" in summary

    idx = Index.build(ds, glove_quick, path=tmp_path / "idx")  # indexing completes and saves
    assert Index.open(tmp_path / "idx").search("frog", k=1)[0].id == "good.txt"
    assert idx.root == str(root.resolve())


@POSIX
def test_class10_cli_index_of_a_hostile_tree(tmp_path, alarm, capsys):
    """Class 10 through the CLI: 'textemb index' completes, lists skipped files, exit code 0."""
    from textemb_cli.main import main

    root = tmp_path / "root"
    root.mkdir()
    (root / "good.txt").write_text("a small green frog sat on a log", encoding="utf-8")
    os.mkfifo(root / "pipe.txt")
    (root / "loop").symlink_to(root)
    (root / "empty.txt").write_bytes(b"")
    fd = os.open(os.fsencode(str(root)) + b"/\xff.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"text")
    os.close(fd)
    assert main(["index", str(root), "-o", str(tmp_path / "idx"), "--encoder", GLOVE_QUICK, "--quiet"]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "pipe.txt" in text and "empty.txt" in text and "not valid UTF-8" in text


# --------------------------------------------------------------------------- fuzz: the document parser
_VALID = {
    ".txt": b"A frog sat on a log.\nIt was green.\n",
    ".md": b"# Title\n\nSome *markdown* text with a [link](http://x).\n",
    ".html": b"<html><head><title>T</title><script>x()</script></head><body><p>Hello &amp; bye</p></body></html>",
    ".jsonl": b'{"id": "a", "title": "A", "text": "first"}\n{"id": "b", "text": "second", "tag": 3}\n',
    ".csv": b'id,title,text\n1,One,"a, quoted ""text"""\n2,Two,plain\n',
    ".xml": (b"<mediawiki><page><title>Frog</title><ns>0</ns><id>7</id><revision><text>"
             b"A '''frog''' is an [[amphibian|animal]]. {{cite|x}}</text></revision></page></mediawiki>"),
}
_fuzz = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _parse(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        ds = load_documents(path, max_bytes=1 << 16)
    except TextembError:
        return
    for d in ds.documents:  # what comes back is usable: non-empty text, storable as UTF-8 JSON
        assert isinstance(d.text, str) and d.text.strip()
        d.text.encode("utf-8")
    ids = [d.id for d in ds.documents]
    assert len(set(ids)) == len(ids)  # Index.add would refuse duplicate ids
    for d in ds.documents:
        json.dumps(d.__dict__, ensure_ascii=False).encode("utf-8")  # storable in the index's docs file
    for _rel, why in ds.skipped:
        assert why and isinstance(why, str)
    assert ds.documents or ds.skipped  # a file is either parsed or skipped with a reason


@_fuzz
@given(suffix=st.sampled_from(TEXT_SUFFIXES), data=st.binary(max_size=600))
def test_fuzz_document_parser_random_bytes(tmp_path, suffix, data):
    """Fuzz (classes 6/10): random bytes under every supported suffix never raise anything but TextembError."""
    _parse(tmp_path, suffix, data)


@_fuzz
@given(suffix=st.sampled_from(sorted(_VALID)), edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
       cut=st.integers(0, 10_000))
def test_fuzz_document_parser_mutated_valid_files(tmp_path, suffix, edits, cut):
    """Fuzz: valid files with flipped bytes and truncations never raise anything but TextembError."""
    data = bytearray(_VALID[suffix])
    for pos, byte in edits:
        data[pos % len(data)] = byte
    _parse(tmp_path, suffix, bytes(data[: max(1, cut % (len(data) + 1))]))


def test_class10_jsonl_and_csv_duplicate_ids_and_surrogates_do_not_stop_indexing(tmp_path, glove_quick):
    """Bad records inside a file are skipped with a reason; the rest is indexed (Index.add refuses duplicate ids)."""
    (tmp_path / "a.jsonl").write_text(
        '{"id": 1, "text": "a frog"}\n{"id": 1, "text": "a duplicate"}\n{"id": 2, "text": "bad \\ud800 half"}\n'
        '{"id": 3, "text": "a toad"}\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text("id,text\n1,one\n1,again\n", encoding="utf-8")
    ds = load_documents(tmp_path)
    assert sorted(d.id for d in ds.documents) == ["a.jsonl#1", "a.jsonl#3"]
    reasons = dict(ds.skipped)
    assert "duplicate id 1" in reasons["a.jsonl:2"] and "surrogate" in reasons["a.jsonl:3"]
    assert "duplicate id '1'" in reasons["b.csv"]
    assert len(Index.build(ds, glove_quick, path=tmp_path / "idx")) == 2
    page = "<page><title>T{0}</title><ns>0</ns><id>7</id><revision><text>text {0}</text></revision></page>"
    (tmp_path / "dump.xml").write_text(f"<mediawiki>{page.format(1)}{page.format(2)}</mediawiki>", encoding="utf-8")
    ds = load_documents(tmp_path / "dump.xml")
    assert [d.title for d in ds.documents] == ["T1"] and "duplicate id" in dict(ds.skipped)["dump.xml"]


@pytest.mark.filterwarnings("ignore:.*no in-vocabulary token")
@_fuzz
@given(lines=st.lists(st.fixed_dictionaries({"id": st.one_of(st.integers(0, 3), st.text(max_size=3)),
                                               "text": st.text(max_size=20)}), max_size=6))
def test_fuzz_jsonl_records_always_index(tmp_path, glove_quick, lines):
    """Any JSONL of (possibly duplicate, odd-Unicode) records loads and indexes without a traceback."""
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    try:
        ds = load_documents(path)
    except TextembError:
        return
    Index.build(ds, glove_quick)


def test_fuzz_bz2_bomb_is_bounded(tmp_path):
    """A .bz2 that expands far beyond the cap is skipped, not decompressed into memory."""
    import bz2

    # well-formed so far: the streaming parser reads on until the cap (NUL bytes would be refused as XML at once)
    (tmp_path / "bomb.bz2").write_bytes(bz2.compress(b"<mediawiki>" + b" " * (64 * 1024 * 1024)))
    ds = load_documents(tmp_path, max_bytes=1 << 16)
    assert "decompresses to more than" in dict(ds.skipped)["bomb.bz2"]
