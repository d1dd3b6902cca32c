"""The document readers against hostile files: deeply nested ``.jsonl`` lines and MediaWiki dumps with one huge article.

A bad line or article is skipped with a reason and the rest is indexed; a compressed dump is inflated as a
stream, so one huge ``<text>`` costs at most the file size limit in memory, never the whole inflated dump.
"""

from __future__ import annotations

import bz2
from pathlib import Path

import pytest

from tests.bounded_run import peak_growth_mb, run_bounded
from textemb.search import Index, load_documents

PAGE = "<page><title>{title}</title><ns>0</ns><id>{id}</id><revision><id>9{id}</id><text>{text}</text></revision></page>"


def huge_article_dump(path: Path, text_bytes: int, *, pages_after: int = 1) -> Path:
    """A bz2 MediaWiki dump: one small article, one with ``text_bytes`` of text, then small ones; built a MB at a time."""
    comp = bz2.BZ2Compressor(9)
    head, tail = PAGE.split("{text}")
    parts = [b"<mediawiki>", PAGE.format(title="Frog", id=1, text="a frog sat on a log").encode(),
             head.format(title="Huge", id=2).encode()]
    out = [comp.compress(p) for p in parts]
    block, left = b"a" * (1 << 20), text_bytes  # one byte repeated: bzip2's run-length stage makes this fast and tiny
    while left > 0:
        out.append(comp.compress(block[:left]))
        left -= len(block)
    rest = tail.format(title="Huge", id=2) + "".join(PAGE.format(title=f"Toad{i}", id=10 + i, text="a toad in a pond")
                                                     for i in range(pages_after)) + "</mediawiki>"
    out += [comp.compress(rest.encode()), comp.flush()]
    path.write_bytes(b"".join(out))
    return path


DUMP_CHILD = """
import sys
from textemb.search import load_documents
limit_memory(int(sys.argv[3]))
ds = load_documents(sys.argv[1], max_bytes=int(sys.argv[2]))
print("DOCS", sorted(d.title for d in ds.documents))
print("SKIPPED", ds.skipped)
report_peak()
"""


def test_huge_article_in_a_bz2_dump_is_skipped_in_bounded_memory(tmp_path):
    dump = huge_article_dump(tmp_path / "wiki.xml.bz2", 60 * 1024**2)  # 60 MB of text in a few KB
    assert dump.stat().st_size < 200_000
    proc = run_bounded(DUMP_CHILD, str(dump), str(4 * 1024**2), "512", timeout=180)
    assert "DOCS ['Frog', 'Toad0']" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert "wiki.xml.bz2#2" in proc.stdout and "article text over 4,194,304 characters" in proc.stdout
    # before: the 60 MB were inflated whole, then parsed into one 60 MB string (peak about 3x the text)
    assert peak_growth_mb(proc) < 40


def test_dump_over_the_decompression_cap_is_skipped_with_a_reason(tmp_path):
    dump = huge_article_dump(tmp_path / "wiki.bz2", 30 * 1024**2)
    ds = load_documents(dump, max_bytes=1024**2)  # cap: 20 x 1 MB
    assert ds.documents == [] and "decompresses to more than 20,971,520 bytes" in dict(ds.skipped)["wiki.bz2"]


@pytest.mark.slow
def test_huge_article_at_the_default_limits_peaks_near_the_per_file_cap(tmp_path):
    """The reported case at the default limits (50 MB per file, 1 GB inflated): the peak stays near 50 MB of text."""
    dump = huge_article_dump(tmp_path / "wiki.bz2", 1100 * 1024**2)
    proc = run_bounded(DUMP_CHILD, str(dump), str(50 * 1024**2), "1024", timeout=600)
    assert "decompresses to more than 1,048,576,000 bytes" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert peak_growth_mb(proc) < 400  # before: 2.2 GB


def test_dump_fields_are_the_first_of_each_and_redirects_and_other_namespaces_are_left_out(tmp_path):
    xml = ("<mediawiki xmlns='http://www.mediawiki.org/xml/export-0.10/'><siteinfo><id>5</id></siteinfo>"
           + PAGE.format(title="A &amp; B", id=3, text="[[Frog|frogs]] sing")
           + PAGE.format(title="Talk:X", id=4, text="talk").replace("<ns>0</ns>", "<ns>1</ns>")
           + PAGE.format(title="R", id=5, text="#REDIRECT [[A]]")
           + "<page><title>R2</title><ns>0</ns><id>6</id><redirect title='A'/><revision><text>x</text></revision></page>"
           + "</mediawiki>")
    (tmp_path / "d.xml").write_text(xml, encoding="utf-8")
    ds = load_documents(tmp_path / "d.xml")
    assert [(d.id, d.title, d.text, d.meta) for d in ds.documents] == [("d.xml#3", "A & B", "frogs sing", {"page_id": "3"})]


@pytest.mark.parametrize("depth", [100_000, 5_000, 101])
def test_deeply_nested_jsonl_line_is_skipped_with_a_reason(tmp_path, depth, tiny_glove):
    from textemb import load_encoder

    deep = "[" * depth + "]" * depth
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.jsonl").write_text(f'{{"id": 1, "text": "a frog"}}\n{{"id": 2, "text": "x", "meta": {deep}}}\n'
                                  f'{deep}\n{{"id": 3, "text": "a toad", "meta": {{"n": {"[" * 50 + "]" * 50}}}}}\n',
                                  encoding="utf-8")
    ds = load_documents(docs)
    assert sorted(d.id for d in ds.documents) == ["a.jsonl#1", "a.jsonl#3"]
    reasons = dict(ds.skipped)
    assert "nested" in reasons["a.jsonl:2"] and "deep" in reasons["a.jsonl:2"]
    assert "a.jsonl:3" in reasons
    idx = Index.build(ds, load_encoder(f"glove:{tiny_glove}"), path=tmp_path / "idx")
    assert len(Index.open(tmp_path / "idx")) == len(idx) == 2


def test_cli_index_skips_a_deeply_nested_jsonl_line(tmp_path, tiny_glove, capsys):
    from textemb_cli.main import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.jsonl").write_text('{"id": 1, "text": "a frog on a log"}\n' + "[" * 100_000 + "]" * 100_000 + "\n",
                                  encoding="utf-8")
    assert main(["index", str(docs), "-o", str(tmp_path / "idx"), "--encoder", f"glove:{tiny_glove}"]) == 0
    out = capsys.readouterr()
    assert "nested too deeply" in out.out + out.err and "RecursionError" not in out.out + out.err
