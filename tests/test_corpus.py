"""Streamed corpora (text file, folder, compressed, Wikipedia dump), tokenisers, word-count files."""

from __future__ import annotations

import bz2
import gzip

import pytest

from textemb.corpus import Corpus, counts_path, make_tokenizer, read_counts, write_counts
from textemb.errors import FormatError, InputError

WIKI_XML = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">
  <siteinfo><sitename>Wikipedia</sitename></siteinfo>
  <page><title>Frog</title><ns>0</ns><id>1</id><revision><id>11</id>
    <text>'''Frogs''' are [[amphibian|amphibians]] that {{cite|x}} jump.

== Habitat ==
Frogs live near [[water]].</text></revision></page>
  <page><title>Toad</title><ns>0</ns><id>2</id><revision><id>12</id><text>#REDIRECT [[Frog]]</text></revision></page>
  <page><title>Talk:Frog</title><ns>1</ns><id>3</id><revision><id>13</id><text>A talk page.</text></revision></page>
</mediawiki>
"""


def test_text_file_is_restartable_and_skips_blank_lines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("one line\n\n  \nsecond line\r\nthird", encoding="utf-8")
    corpus = Corpus(path)
    assert corpus.kind == "text"
    first = list(corpus)
    assert first == ["one line", "second line", "third"]
    assert list(corpus) == first  # a second pass re-reads the file


def test_compressed_files_and_folder(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.txt").write_text("b1\nb2\n", encoding="utf-8")
    (tmp_path / "d" / "sub" / "a.txt").write_text("a1\n", encoding="utf-8")
    (tmp_path / "d" / "ignored.md").write_text("no\n", encoding="utf-8")
    assert list(Corpus(tmp_path / "d")) == ["b1", "b2", "a1"]  # sorted paths: b.txt < sub/a.txt
    with gzip.open(tmp_path / "c.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("gz line\n")
    with bz2.open(tmp_path / "c.txt.bz2", "wt", encoding="utf-8") as fh:
        fh.write("bz line\n")
    assert list(Corpus(tmp_path / "c.txt.gz")) == ["gz line"]
    assert list(Corpus(tmp_path / "c.txt.bz2")) == ["bz line"]


def test_bad_inputs_say_what_to_do(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        Corpus(tmp_path / "missing.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .txt files"):
        list(Corpus(tmp_path / "empty"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe broken\n")
    with pytest.raises(FormatError, match="errors='replace'"):
        list(Corpus(bad))
    assert list(Corpus(bad, errors="replace"))[1].endswith("broken")
    with pytest.raises(InputError, match="item 1"):
        Corpus(["fine", 3])


def test_wiki_dump_articles_only_markup_stripped(tmp_path):
    path = tmp_path / "mini-pages-articles.xml.bz2"
    path.write_bytes(bz2.compress(WIKI_XML.encode()))
    corpus = Corpus(path)
    assert corpus.kind == "wiki"
    texts = list(corpus)
    assert texts == ["Frogs are amphibians that jump.", "Habitat", "Frogs live near water."]
    assert list(corpus) == texts


def test_wiki_corpus_reads_as_the_search_index_does(tmp_path):
    """One MediaWiki reader: training paragraphs are the lines of the text ``textemb index`` stores."""
    from textemb.search import load_documents

    path = tmp_path / "mini-pages-articles.xml.bz2"
    path.write_bytes(bz2.compress(WIKI_XML.encode()))
    (doc,) = load_documents(path).documents
    assert list(Corpus(path)) == [line for line in doc.text.split("\n") if line.strip()]


def test_wiki_dump_that_is_not_xml(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text("not xml at all <", encoding="utf-8")
    with pytest.raises(FormatError, match="MediaWiki"):
        list(Corpus(path))


def test_tokenizers_need_no_nltk_data():
    text = "Don't stop, e-mail me!"
    assert make_tokenizer("regexp")(text) == ["Don't", "stop", ",", "e-mail", "me", "!"]
    assert make_tokenizer("words", lowercase=True)(text) == ["don't", "stop", "e-mail", "me"]
    assert make_tokenizer("treebank")(text)[:2] == ["Do", "n't"]
    assert make_tokenizer("nltk")(text)[:2] == ["Do", "n't"]
    assert make_tokenizer("whitespace")("a  b\tc") == ["a", "b", "c"]
    assert make_tokenizer("regexp")("cafe\u0301") == ["café"]  # NFC
    with pytest.raises(InputError, match="unknown tokenizer"):
        make_tokenizer("spacy")


def test_one_tokenizer_for_encoders_and_training():
    """The encoders' ``tokenize`` is the corpus ``regexp`` tokenizer (what training and lookup share), and the
    corpus module's names are the ones of :mod:`textemb.text`."""
    from textemb import corpus, text

    messy = "The U.S. e-mail\u200b (café) — don't, 3.14!"
    assert text.tokenize(messy) == make_tokenizer("regexp", lowercase=True)(messy)
    assert text.tokenize(messy, lowercase=False) == make_tokenizer("regexp")(messy)
    assert corpus.make_tokenizer is text.make_tokenizer and corpus.TOKENIZERS is text.TOKENIZERS


def test_utf8_safe_scrubs_lone_surrogates_once():
    from textemb.serve.results import clean
    from textemb.text import printable, utf8_safe

    assert utf8_safe("café") == "café"
    assert utf8_safe("a\udce9b") == "a\ufffdb"  # one undecodable file-name byte: one replacement character
    assert utf8_safe("a\ud800b").encode("utf-8") == "a\ufffd\ufffd\ufffdb".encode("utf-8")  # a JSON escape
    assert printable("x\udce9") == clean("x\udce9") == "x\ufffd"


def test_tokens_stream_is_restartable():
    stream = Corpus(["A b", "", "c D"]).tokens(lowercase=True)
    assert list(stream) == [["a", "b"], ["c", "d"]]
    assert list(stream) == [["a", "b"], ["c", "d"]]


def test_counts_round_trip_and_sidecar_names(tmp_path):
    path = write_counts(tmp_path / "v.txt", ["the", "café", ","], [10, 3, 7])
    assert path.read_text(encoding="utf-8") == "the 10\ncafé 3\n, 7\n"
    assert read_counts(path) == {"the": 10, "café": 3, ",": 7}
    assert counts_path(tmp_path / "m.bin") == tmp_path / "m.vocab.txt"
    assert counts_path(tmp_path / "m.txt") == tmp_path / "m.vocab.txt"
    assert counts_path(tmp_path / "folder") == tmp_path / "folder" / "vocab.txt"
    (tmp_path / "bad.txt").write_text("word notanumber\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 1"):
        read_counts(tmp_path / "bad.txt")


@pytest.mark.slow
def test_real_wikipedia_sample(gensim_data):
    corpus = Corpus(gensim_data / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    texts = list(corpus)
    assert len(texts) > 10_000
    joined = " ".join(texts[:200])
    assert "anarchism" in joined.lower()
    assert "[[" not in joined and "{{" not in joined and "'''" not in joined
