"""Document loading (walk, parse, skip with reasons) and chunking."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from textemb.errors import InputError
from textemb.search.chunking import chunk_spans
from textemb.search.documents import html_to_text, load_documents, strip_wiki_markup

WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


@pytest.fixture
def docs_folder(tmp_path) -> Path:
    root = tmp_path / "docs"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "frog.txt").write_text("A frog sat on a log by the pond.", encoding="utf-8")
    (root / "sub" / "notes.md").write_text("# Kings and queens\n\nThe king spoke to the queen.", encoding="utf-8")
    (root / "sub" / "deeper" / "page.html").write_text(
        "<html><head><title>Paris</title><style>p{color:red}</style><script>var x=1;</script></head>"
        "<body><p>Paris is the capital&nbsp;of France.</p><p>It has a tower.</p></body></html>", encoding="utf-8")
    (root / "rows.jsonl").write_text(
        json.dumps({"id": "a1", "title": "Moon", "text": "The moon orbits the earth."}) + "\n"
        + json.dumps({"_id": "a2", "text": "Mars is red."}) + "\n" + "not json\n", encoding="utf-8")
    (root / "table.csv").write_text("id,title,body\n7,Tea,Tea is a drink.\n8,,Coffee too.\n", encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (root / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (root / "image.png").write_bytes(b"\x89PNG")
    (root / ".hidden.txt").write_text("secret", encoding="utf-8")
    return root


def test_walk_parses_every_format_and_skips_with_reasons(docs_folder):
    ds = load_documents(docs_folder, text_column="body")
    by_id = {d.id: d for d in ds.documents}
    assert set(by_id) == {"frog.txt", "sub/notes.md", "sub/deeper/page.html", "rows.jsonl#a1", "rows.jsonl#a2",
                          "table.csv#7", "table.csv#8"}
    assert by_id["sub/notes.md"].title == "Kings and queens"
    html = by_id["sub/deeper/page.html"]
    assert html.title == "Paris" and "capital\xa0of France" in html.text and "var x" not in html.text and "color" not in html.text
    assert by_id["rows.jsonl#a1"].title == "Moon" and by_id["table.csv#7"].title == "Tea"
    assert by_id["table.csv#8"].text == "Coffee too."
    assert all(len(d.source_hash) == 64 for d in ds.documents)
    reasons = dict(ds.skipped)
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "unsupported" in reasons["image.png"]
    assert "rows.jsonl:3" in reasons
    assert ".hidden.txt" not in reasons and all(".hidden" not in d.id for d in ds.documents)
    assert "skipped" in ds.summary()


def test_csv_without_the_text_column_is_skipped(docs_folder):
    ds = load_documents(docs_folder)  # default column "text" is not in table.csv
    assert "no column 'text'" in dict(ds.skipped)["table.csv"]


def test_oversized_files_are_skipped(docs_folder):
    ds = load_documents(docs_folder, max_bytes=20)
    assert "oversized" in dict(ds.skipped)["sub/notes.md"]


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs POSIX symlinks")
def test_symlinks_outside_root_loops_and_fifos_are_skipped(tmp_path, docs_folder):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the root", encoding="utf-8")
    (docs_folder / "escape.txt").symlink_to(secret)
    (docs_folder / "escape_dir").symlink_to(tmp_path)
    (docs_folder / "sub" / "loop").symlink_to(docs_folder / "sub")
    (docs_folder / "inside.txt").symlink_to(docs_folder / "frog.txt")
    (docs_folder / "dangling.txt").symlink_to(tmp_path / "nope.txt")
    os.mkfifo(docs_folder / "pipe.txt")
    ds = load_documents(docs_folder, text_column="body")
    reasons = dict(ds.skipped)
    assert "outside" in reasons["escape.txt"] and "outside" in reasons["escape_dir"]
    assert "loop" in reasons["sub/loop"]
    assert "broken" in reasons["dangling.txt"]
    assert "regular file" in reasons["pipe.txt"]
    assert "inside.txt" in {d.id for d in ds.documents}  # a link that stays inside is fine
    assert not any("outside the root" in d.text for d in ds.documents)


def test_unreadable_file_is_skipped(docs_folder):
    if os.geteuid() == 0:
        pytest.skip("root can read a chmod 000 file")
    p = docs_folder / "locked.txt"
    p.write_text("x", encoding="utf-8")
    p.chmod(0)
    assert "unreadable" in dict(load_documents(docs_folder).skipped)["locked.txt"]


def test_single_file_and_missing_path(docs_folder):
    ds = load_documents(docs_folder / "frog.txt")
    assert [d.id for d in ds.documents] == ["frog.txt"]
    with pytest.raises(InputError, match="no such file"):
        load_documents(docs_folder / "missing")


def test_wikipedia_dump_real_sample(gensim_data):
    ds = load_documents(gensim_data / WIKI_DUMP)
    assert not ds.skipped
    titles = {d.title: d for d in ds.documents}
    assert len(ds.documents) == 106  # articles; redirects and other namespaces dropped
    assert "AccessibleComputing" not in titles  # a redirect
    aardvark = titles["Aardvark"].text
    assert aardvark.startswith("The aardvark") and "termites" in aardvark
    for marker in ("{{", "}}", "[[", "]]", "<ref", "'''"):
        assert marker not in aardvark


def test_strip_wiki_markup():
    raw = ("{{Infobox|name={{nested|x}}}}'''Frog''' is an [[amphibian]] of [[Anura|order Anura]].<ref>cite</ref>\n"
           "== Habitat ==\n[[File:Frog.jpg|thumb|a [[frog]]]]\n* ponds [http://x.org wet places]\n[[Category:Frogs]]")
    text = strip_wiki_markup(raw)
    assert text.startswith("Frog is an amphibian of order Anura.")
    assert "Habitat" in text and "ponds wet places" in text
    for gone in ("Infobox", "cite", "File", "Category", "http", "=="):
        assert gone not in text


def test_html_to_text_entities_and_blocks():
    title, text = html_to_text("<title> T </title><div>a &amp; b</div><div>c</div>")
    assert title == "T" and text == "a & b\nc"


def test_chunks_overlap_and_keep_offsets():
    text = " ".join(f"w{i}" for i in range(25))
    spans = chunk_spans(text, size=10, overlap=3)
    pieces = [text[s:e].split() for s, e in spans]
    assert pieces[0] == [f"w{i}" for i in range(10)]
    assert pieces[1][0] == "w7"  # 3 words shared
    assert pieces[-1][-1] == "w24"
    assert all(len(p) <= 10 for p in pieces)
    assert chunk_spans("short text", size=10, overlap=2) == [(0, 10)]
    assert chunk_spans("   ", size=10, overlap=2) == []


def test_chunk_by_tokens_and_bad_settings():
    spans = chunk_spans("Hello, world! How are you?", size=3, overlap=1, unit="tokens")
    assert spans[0] == (0, 12)  # Hello , world
    with pytest.raises(InputError):
        chunk_spans("x", size=4, overlap=4)
    with pytest.raises(InputError):
        chunk_spans("x", size=0, overlap=0)
    with pytest.raises(InputError):
        chunk_spans("x", unit="sentences")
