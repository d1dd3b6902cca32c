"""Strict, bounded vector-file readers: equality with gensim and an error test for every path."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest

from tests.conftest import TINY_WORDS
from textemb import load_encoder
from textemb.errors import FormatError, InputError
from textemb.io.formats import read_vectors, write_vectors


def _write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# ----------------------------------------------------------------------------- happy paths
def test_glove_text_round_trip(tiny_glove, tiny_matrix):
    p = read_vectors(tiny_glove)
    assert p.format == "glove" and p.words == TINY_WORDS
    np.testing.assert_array_equal(p.vectors, tiny_matrix)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_write_read_bit_exact(tmp_path, tiny_matrix, binary):
    path = write_vectors(tmp_path / ("v.bin" if binary else "v.txt"), TINY_WORDS, tiny_matrix, binary=binary)
    p = read_vectors(path)
    assert p.format == ("word2vec-bin" if binary else "word2vec")
    assert p.words == TINY_WORDS and p.header == (20, 8)
    np.testing.assert_array_equal(p.vectors, tiny_matrix)


def test_gzip_and_crlf_and_trailing_space(tmp_path, tiny_matrix):
    lines = [w + " " + " ".join(map(str, r)) + " \r\n" for w, r in zip(TINY_WORDS, tiny_matrix)]
    raw = (f"{len(lines)} 8\r\n" + "".join(lines)).encode()
    gz = tmp_path / "v.txt.gz"
    with gzip.open(gz, "wb") as fh:
        fh.write(raw)
    p = read_vectors(gz)
    assert p.words == TINY_WORDS
    np.testing.assert_array_equal(p.vectors, tiny_matrix)


def test_limit_and_vocab(tiny_glove):
    assert read_vectors(tiny_glove, limit=3).words == TINY_WORDS[:3]
    assert read_vectors(tiny_glove, vocab={"frog", "king"}).words == ["king", "frog"]  # file order


def test_bom_is_skipped_with_note(tmp_path):
    p = read_vectors(_write(tmp_path / "b.txt", b"\xef\xbb\xbfa 1 2\nb 3 4\n"))
    assert p.words == ["a", "b"] and p.notes


@pytest.mark.parametrize("binary", [False, True])
def test_equal_to_gensim(tmp_path, tiny_matrix, binary):
    KeyedVectors = pytest.importorskip("gensim.models").KeyedVectors
    path = write_vectors(tmp_path / ("g.bin" if binary else "g.txt"), TINY_WORDS, tiny_matrix, binary=binary)
    ours = read_vectors(path)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert ours.words == list(kv.index_to_key)
    np.testing.assert_array_equal(ours.vectors, kv.vectors)


def test_duplicates_first_wins_with_warning(tmp_path):
    path = _write(tmp_path / "d.txt", "a 1 2\nb 3 4\na 5 6\nb 7 8\n")
    with pytest.warns(UserWarning, match="2 duplicate words; kept the first"):
        p = read_vectors(path)
    assert p.words == ["a", "b"] and p.duplicates == 2
    np.testing.assert_array_equal(p.vectors, [[1, 2], [3, 4]])


# ----------------------------------------------------------------------------- error paths
@pytest.mark.parametrize(
    "content, fmt, message",
    [
        ("", "auto", "file is empty"),
        ("\n\n  \n", "auto", "file is empty"),
        ("3 2\n", "word2vec", "header claims 3 vectors x 2 dims, which needs at least"),
        ("2 0\na\nb\n", "word2vec", "dimension 0"),
        ("0 5\n", "word2vec", "holds 0 vectors"),
        ("1000000 300\na 1 2\n", "word2vec", "header claims 1,000,000 vectors x 300 dims"),
        ("hello world\n", "word2vec", "expected a word2vec header"),
        ("3 2\naaaa 1.5 2.5\nbbbb 3.5 4.5\n", "word2vec", "line 4: header says 3 vectors but the file ends after 2"),
        ("1 2\na 1 2\nb 3 4\n", "word2vec", "header says 1 vectors but the file has 2"),
        ("a 1 2 3\nb 1 2\n", "glove", "line 2: expected 3 values after word 'b', got 2"),
        ("a 1 2\nb 1 x\n", "glove", "line 2: value 2 of 2 is 'x', expected a number"),
        ("a 1 2\nnew york 1 2\n", "glove", "line 2: expected 2 values after the word, got 3: the key looks like several words"),
        ("a 1 2\nb nan 2\n", "glove", "line 2: vector 2 ('b') contains NaN or Inf"),
        ("a inf 2\n", "glove", "contains NaN or Inf"),
        ("a\n", "glove", "has no values"),
        (" 1 2\n", "glove", "line starting with a space"),
        ("a 1 2\n\nb 3 4\n", "glove", "line 2: empty line"),
    ],
)
def test_text_errors(tmp_path, content, fmt, message):
    path = _write(tmp_path / "bad.txt", content)
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_vectors(path, format=fmt)
    assert str(path) in str(info.value)


def test_header_checked_before_allocating(tmp_path):
    path = _write(tmp_path / "huge.bin", b"99999999999 100000\nab")
    with pytest.raises(FormatError, match=r"header claims 99,999,999,999 vectors x 100,000 dims.*only 2 bytes follow"):
        read_vectors(path)


def test_binary_truncated(tmp_path, tiny_matrix):
    full = write_vectors(tmp_path / "t.bin", TINY_WORDS, tiny_matrix, binary=True).read_bytes()
    cut = _write(tmp_path / "cut.bin", full[: len(full) - 40])
    with pytest.raises(FormatError, match=r"file truncated \(header says 20 vectors\)|file ends after 19"):
        read_vectors(cut)


def test_binary_token_without_space(tmp_path):
    path = _write(tmp_path / "nospace.bin", b"1 2\n" + b"x" * 5000)
    with pytest.raises(FormatError, match="no space after the word within"):
        read_vectors(path, max_line_bytes=1000)


def test_invalid_utf8_strict_and_replace(tmp_path):
    path = _write(tmp_path / "u.txt", b"ok 1 2\nbad\xff 3 4\n")
    with pytest.raises(FormatError, match=r"u.txt line 2: vector 2: word 'bad.' is not valid UTF-8.*errors='replace'"):
        read_vectors(path)
    assert read_vectors(path, errors="replace").words == ["ok", "bad\ufffd"]


def test_nul_byte_in_word(tmp_path):
    path = _write(tmp_path / "n.txt", b"ok 1 2\nb\x00d 3 4\n")
    with pytest.raises(FormatError, match="NUL byte"):
        read_vectors(path)


def test_nonfinite_drop_counts(tmp_path):
    p = read_vectors(_write(tmp_path / "n.txt", "a 1 2\nb nan 2\nc 3 4\n"), nonfinite="drop")
    assert p.words == ["a", "c"] and p.dropped_nonfinite == 1


def test_giant_line_is_capped(tmp_path):
    path = _write(tmp_path / "g.txt", "a " + " ".join(["1"] * 5000) + "\n")
    with pytest.raises(FormatError, match="line 1: line is 10,001 bytes, over the 1,000-byte cap"):
        read_vectors(path, max_line_bytes=1000, format="glove")


def test_gzip_bomb_is_capped(tmp_path):
    bomb = tmp_path / "bomb.txt.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write(b"0" * 5_000_000)
    with pytest.raises(FormatError, match="decompresses to more than the 1,000,000-byte cap"):
        read_vectors(bomb, max_bytes=1_000_000)


def test_not_gzip(tmp_path):
    with pytest.raises(FormatError, match="not a valid gzip file"):
        read_vectors(_write(tmp_path / "x.txt.gz", b"plain text"))


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_vectors(tmp_path / "absent.txt")
    with pytest.raises(InputError, match="unknown vector format"):
        read_vectors(tmp_path / "absent.txt", format="fasttext")
    with pytest.raises(InputError, match="limit must be a positive integer"):
        read_vectors(tmp_path / "absent.txt", limit=0)


def test_failed_parse_writes_no_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("TEXTEMB_CACHE", str(cache))
    path = _write(tmp_path / "bad.txt", "3 2\na 1 2\n")
    with pytest.raises(FormatError):
        load_encoder(f"word2vec:{path}")
    assert not (cache / "vectors").exists() or not any((cache / "vectors").iterdir())


def test_writer_refuses_unwritable_keys(tmp_path):
    with pytest.raises(InputError, match="cannot be empty or contain whitespace"):
        write_vectors(tmp_path / "w.txt", ["new york"], np.zeros((1, 2), np.float32))
    assert not (tmp_path / "w.txt").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not list(tmp_path.glob(".w.txt*"))
