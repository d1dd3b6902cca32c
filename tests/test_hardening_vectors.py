"""Hardening of the vector-file readers (issue 7, classes 1-9): the gaps left by test_formats.py.

Binary-format variants (NaN, invalid UTF-8, duplicates, truncation without cache), memory bounds on
hostile input, and every reader error reaching the CLI as a one-line ``textemb: error:`` message.
"""

from __future__ import annotations

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from textemb import load_encoder
from textemb.errors import FormatError
from textemb.io.formats import read_vectors


def _bin(rows: list[tuple[bytes, list[float]]], dim: int, n: int | None = None) -> bytes:
    out = f"{len(rows) if n is None else n} {dim}\n".encode()
    for word, vec in rows:
        out += word + b" " + struct.pack(f"<{dim}f", *vec)
    return out


def test_class1_binary_header_larger_than_the_file(tmp_path):
    """Class 1: the message gives the claimed and the actual sizes, before any allocation."""
    p = tmp_path / "big.bin"
    p.write_bytes(_bin([(b"a", [1.0, 2.0])], 2, n=50_000_000))
    tracemalloc.start()
    with pytest.raises(FormatError, match=r"50,000,000 vectors x 2 dims.*needs at least"):
        read_vectors(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 1024**2  # 50M x 2 float32 would be 400 MB


def test_class3_binary_short_file_writes_no_cache(tmp_path, monkeypatch):
    """Class 3: a truncated binary file fails and leaves no cache entry."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TEXTEMB_CACHE", str(cache))
    p = tmp_path / "short.bin"
    p.write_bytes(_bin([(b"a", [1.0, 2.0]), (b"b", [3.0, 4.0])], 2, n=3))
    with pytest.raises(FormatError, match="header claims 3 vectors x 2 dims, which needs at least 30 bytes, but only 20"):
        load_encoder(f"word2vec:{p}")
    assert not (cache / "vectors").exists() or not any((cache / "vectors").iterdir())


def test_class5_binary_nan_rejected_or_dropped(tmp_path):
    p = tmp_path / "nan.bin"
    p.write_bytes(_bin([(b"a", [1.0, 2.0]), (b"b", [float("nan"), 2.0]), (b"c", [float("inf"), 1.0])], 2))
    with pytest.raises(FormatError, match="NaN or Inf"):
        read_vectors(p)
    out = read_vectors(p, nonfinite="drop")
    assert out.words == ["a"] and out.dropped_nonfinite == 2


def test_class6_binary_invalid_utf8_word_strict_and_replace(tmp_path):
    p = tmp_path / "u.bin"
    p.write_bytes(_bin([(b"ok", [1.0, 2.0]), (b"bad\xff", [3.0, 4.0])], 2))
    with pytest.raises(FormatError, match="not valid UTF-8.*errors='replace'"):
        read_vectors(p)
    assert read_vectors(p, errors="replace").words == ["ok", "bad\ufffd"]


def test_class6_text_crlf_bom_together_just_work(tmp_path):
    p = tmp_path / "crlf.txt"
    p.write_bytes(b"\xef\xbb\xbf2 2\r\nfrog 1 2\r\ntoad 3 4\r\n")
    out = read_vectors(p)
    assert out.words == ["frog", "toad"]
    np.testing.assert_array_equal(out.vectors, [[1, 2], [3, 4]])


def test_class7_binary_duplicates_first_wins(tmp_path):
    p = tmp_path / "d.bin"
    p.write_bytes(_bin([(b"a", [1.0, 2.0]), (b"a", [5.0, 6.0]), (b"b", [3.0, 4.0])], 2))
    with pytest.warns(UserWarning, match="1 duplicate word"):
        out = read_vectors(p)
    assert out.words == ["a", "b"]
    np.testing.assert_array_equal(out.vectors, [[1, 2], [3, 4]])


def test_class8_gzip_bomb_memory_stays_bounded(tmp_path):
    """Class 8: a gzip that expands to 200 MB is stopped at the cap; memory stays near the cap."""
    bomb = tmp_path / "bomb.txt.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        chunk = b"0" * (1 << 20)
        for _ in range(200):
            fh.write(chunk)
    tracemalloc.start()
    with pytest.raises(FormatError, match="decompresses to more than"):
        read_vectors(bomb, max_bytes=4 * 1024**2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 * 1024**2


@pytest.mark.parametrize("prefix, content, message", [
    ("glove", b"", "file is empty"),
    ("word2vec", b"3 2\n", "header claims 3 vectors"),
    ("word2vec", b"99999999 300\na 1 2\n", "header claims 99,999,999 vectors x 300 dims"),
    ("glove", b"a 1 2\nb 1 x\n", "line 2"),
    ("glove", b"a 1 2\nnew york 1 2\n", "several words"),
    ("glove", b"a 1 2\nb nan 2\n", "NaN or Inf"),
    ("glove", b"ok 1 2\nbad\xff 3 4\n", "not valid UTF-8"),
    ("glove", b"ok 1 2\nb\x00d 3 4\n", "NUL byte"),
])
def test_classes1_to_6_reach_the_cli_as_one_line(tmp_path, capsys, prefix, content, message):
    from textemb_cli.main import main

    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    assert main(["neighbors", "a", "--encoder", f"{prefix}:{p}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("textemb: error:") and message in err and "\n" not in err


def test_class9_pickle_refused_through_the_cli(tmp_path, capsys):
    import pickle

    marker = tmp_path / "PWNED"
    p = tmp_path / "evil.model"
    p.write_bytes(pickle.dumps(_Payload(marker), protocol=4))
    assert main_cli(["neighbors", "a", "--encoder", f"word2vec:{p}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("textemb: error:") and "\n" not in err and "pickle" in err.lower()
    assert not marker.exists()


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling would create the marker file
        return (open, (str(self.marker), "w"))


def main_cli(argv):
    from textemb_cli.main import main

    return main(argv)


def test_class13_full_disk_while_caching_vectors_only_warns(tmp_path, monkeypatch, tiny_glove):
    """Class 13 for the vector cache: a full disk costs a warning, the load works, no temp folder is left."""
    import errno

    from textemb.io import cache

    root = tmp_path / "cache"
    monkeypatch.setenv("TEXTEMB_CACHE", str(root))

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache._HashingFile, "write", full)
    with pytest.warns(UserWarning, match="could not write the vector cache.*No space left"):
        enc = load_encoder(f"glove:{tiny_glove}")
    assert enc.encode("frog").shape == (enc.dim,)
    leftovers = [p for p in root.rglob("*") if p.name.endswith(".tmp")] if root.exists() else []
    assert not leftovers
