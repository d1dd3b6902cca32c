"""Read and write the GloVe text, word2vec text and word2vec binary vector formats.

Readers are strict and bounded (parse, then build): they return plain data
(:class:`ParsedVectors`), report the line and the expected/actual value in every error, check
a header against the file size before allocating anything, reject NaN/Inf, and keep the first
of duplicate words with a warning. The result equals gensim's ``load_word2vec_format`` on the
same file: same words, same order, same float32 values.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.io.bounded import DEFAULT_MAX_BYTES, open_regular, read_bounded

FORMATS = ("auto", "glove", "word2vec", "word2vec-bin")
ERRORS = ("strict", "replace")
NONFINITE = ("error", "drop")
#: longest line (or binary word) accepted; real files stay far below (300 dims ≈ 3 KB).
DEFAULT_MAX_LINE_BYTES = 1 << 20
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")
_BOM = b"\xef\xbb\xbf"
_BOM_NOTE = "skipped a UTF-8 byte-order mark at the start of the file"


@dataclass
class ParsedVectors:
    """What a reader found: words in file order and their float32 rows."""

    words: list[str]
    vectors: np.ndarray
    format: str
    path: str
    duplicates: int = 0
    dropped_nonfinite: int = 0
    header: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)
    #: sha256 of the file's bytes and its identity (:func:`~textemb.io.bounded.file_identity`) when it was
    #: opened, for a file the fast path read whole and in order (None otherwise): the cache need not read it again
    source_sha256: str | None = None
    source_identity: dict | None = None


def detect_format(path: str | Path, head: bytes) -> str:
    """``word2vec-bin`` for ``.bin`` files, ``word2vec`` when line 1 is ``N DIM``, else ``glove``."""
    name = Path(path).name.lower().removesuffix(".gz")
    if name.endswith(".bin"):
        return "word2vec-bin"
    first = head.split(b"\n", 1)[0].removeprefix(_BOM)
    return "word2vec" if _HEADER.match(first) else "glove"


def read_vectors(
    path: str | Path,
    *,
    format: str = "auto",
    errors: str = "strict",
    limit: int | None = None,
    vocab: Collection[str] | None = None,
    nonfinite: str = "error",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> ParsedVectors:
    """Parse a vector file.

    Args:
        format: ``glove`` (text, no header), ``word2vec`` (text with ``N DIM`` header),
            ``word2vec-bin``, or ``auto`` (by extension and first line). ``.gz`` is gunzipped.
        errors: ``strict`` rejects invalid UTF-8 in words; ``replace`` substitutes U+FFFD.
        limit: keep only the first ``limit`` vectors (like gensim's ``limit``).
        vocab: keep only these words (file order is kept).
        nonfinite: ``error`` rejects NaN/Inf values; ``drop`` skips those rows and counts them.
        max_bytes / max_line_bytes: caps that keep memory bounded on hostile input.
    """
    if format not in FORMATS:
        raise InputError(f"unknown vector format {format!r}: use one of {', '.join(FORMATS)}")
    if errors not in ERRORS:
        raise InputError(f"errors must be one of {ERRORS}, got {errors!r}")
    if nonfinite not in NONFINITE:
        raise InputError(f"nonfinite must be one of {NONFINITE}, got {nonfinite!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit must be a positive integer, got {limit!r}")
    if Path(path).suffix != ".gz":
        fast = _stream(path, format, limit, max_bytes, max_line_bytes)
        if fast is not None:
            words, matrix, header, format, notes, digest = fast
            built = _build(words, matrix, header, path, format, vocab, nonfinite, notes, 2 if header else 1)
            built.source_sha256, built.source_identity = digest or (None, None)
            return built
    data = read_bounded(path, max_bytes)
    if not data or data.isspace():
        raise FormatError("file is empty: expected word vectors, one word per line", path=path)
    if format == "auto":
        format = detect_format(path, data[:4096])
    notes = []
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
        notes.append(_BOM_NOTE)
    if format == "word2vec-bin":
        raw_words, matrix, header = _parse_binary(data, path, limit, max_line_bytes)
    else:
        from textemb.io.text_lines import parse_text

        raw_words, matrix, header = parse_text(data, path, format == "word2vec", limit, max_line_bytes)
    del data
    first_line = None if format == "word2vec-bin" else (2 if format == "word2vec" else 1)
    words = _decode(raw_words, errors, path, first_line)
    return _build(words, matrix, header, path, format, vocab, nonfinite, notes, first_line)


def _stream(path, format: str, limit: int | None, max_bytes: int, max_line_bytes: int):
    """The streaming fast path for GloVe / word2vec text (:mod:`textemb.io.text_stream`); ``None``: careful path.

    Header errors are raised here exactly as the careful path raises them.
    """
    from textemb.io.bounded import file_identity
    from textemb.io.text_stream import HashingReader, stream_text

    try:
        with open_regular(path, what="vector file") as raw:
            identity = file_identity(raw.fileno())
            size = identity["size"]
            fh = HashingReader(raw)
            first = fh.readline(max_line_bytes + 1)
            skip = len(_BOM) if first.startswith(_BOM) else 0
            format = detect_format(path, first) if format == "auto" else format
            if size > max_bytes or format == "word2vec-bin" or not first.endswith(b"\n") or not first.strip():
                return None
            header, max_rows = None, limit
            if format == "word2vec":
                n, dim, _ = _parse_header(first[skip:], path, binary=False, max_line_bytes=max_line_bytes,
                                          total=size - skip)
                header, max_rows = (n, dim), (None if limit is None else min(n, limit))
            else:
                line = first[skip:].rstrip(b"\n").rstrip(b"\r")
                dim = line.count(b" ")
                if not line or line.endswith(b" ") or line.startswith(b" ") or dim < 1:
                    return None
                fh.seek(skip)
            parsed = stream_text(fh, size - fh.tell(), dim, max_rows=max_rows, max_line_bytes=max_line_bytes)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if parsed is None or (header is not None and len(parsed[0]) != (max_rows or header[0])):
        return None  # the careful path reports a short or long file
    digest = (fh.hexdigest(), identity) if fh.hashed == size else None  # read whole: no second pass to hash it
    return parsed[0], parsed[1], header, format, [_BOM_NOTE] if skip else [], digest


# --------------------------------------------------------------------------- header
def _parse_header(
    data: bytes, path, *, binary: bool, max_line_bytes: int, total: int | None = None
) -> tuple[int, int, int]:
    """``(n, dim, body start)`` of a word2vec header; ``total``: the size of the data when ``data`` is only its start."""
    end = data.find(b"\n")
    if end == -1:
        end = len(data)
    line = data[:end]
    m = _HEADER.match(line[:200])
    if not m:
        raise FormatError(
            f"expected a word2vec header 'N_WORDS DIM', got {_show(line[:200], 60)} "
            "(a GloVe file has no header: use format='glove' / glove:PATH)",
            path=path,
            line=1,
        )
    n, dim = int(m.group(1)), int(m.group(2))
    if n == 0:
        raise FormatError("header says the file holds 0 vectors", path=path, line=1)
    if dim == 0:
        raise FormatError(f"header says {n:,} vectors of dimension 0; expected a dimension >= 1", path=path, line=1)
    body = (len(data) if total is None else total) - end - 1
    # the smallest possible row: a 1-byte word, a space, then dim floats ("0 " each) or dim*4 bytes
    min_row = (2 + 4 * dim) if binary else (2 + 2 * dim)
    if n * min_row > body:
        raise FormatError(
            f"header claims {n:,} vectors x {dim:,} dims, which needs at least {n * min_row:,} bytes, "
            f"but only {max(body, 0):,} bytes follow the header (truncated file or wrong header)",
            path=path,
            line=1,
        )
    return n, dim, end + 1


def _show(raw: bytes, width: int = 40) -> str:
    """A short quoted excerpt of file content for an error message, only when it is clearly text.

    Bytes that are mostly not UTF-8, or hold control characters (NUL-separated ``/proc`` data, binary
    floats), are described by their length instead of echoed.
    """
    from textemb.text import excerpt

    text = raw.decode("utf-8", "replace")
    if text.count("\ufffd") * 4 > len(text):
        return f"<{len(raw):,} bytes that are not UTF-8 text>"
    if any(ord(c) < 32 and c != "\t" or 0x7F <= ord(c) <= 0x9F for c in text):
        return f"<{len(raw):,} bytes of binary data>"
    return repr(excerpt(text, width))


# --------------------------------------------------------------------------- binary
def _parse_binary(data: bytes, path, limit: int | None, max_line_bytes: int):
    n, dim, pos = _parse_header(data, path, binary=True, max_line_bytes=max_line_bytes)
    count = n if limit is None else min(n, limit)
    matrix = np.empty((count, dim), dtype=np.float32)
    words: list[bytes] = []
    row_bytes = 4 * dim
    mv = memoryview(data)
    size = len(data)
    for i in range(count):
        while pos < size and data[pos] in b"\n\r":
            pos += 1
        space = data.find(b" ", pos, pos + max_line_bytes)
        if space == -1:
            if pos >= size:
                raise FormatError(f"header says {n:,} vectors but the file ends after {i:,}", path=path, line=i + 2)
            raise FormatError(
                f"vector {i + 1}: no space after the word within {min(max_line_bytes, size - pos):,} bytes "
                "(corrupt binary file, or a text file read as binary)",
                path=path,
                line=i + 2,
            )
        if space == pos:
            raise FormatError(f"vector {i + 1}: empty word", path=path, line=i + 2)
        end = space + 1 + row_bytes
        if end > size:
            raise FormatError(
                f"vector {i + 1} ({_show(data[pos:space])}) needs {row_bytes} bytes of floats, "
                f"only {size - space - 1} left: file truncated (header says {n:,} vectors)",
                path=path,
                line=i + 2,
            )
        words.append(data[pos:space])
        matrix[i] = np.frombuffer(mv[space + 1 : end], dtype="<f4")
        pos = end
    return words, matrix, (n, dim)


# --------------------------------------------------------------------------- build
def _decode(raw_words: list[bytes], errors: str, path, first_line: int | None) -> list[str]:
    """Words as str; in strict mode a NUL byte or invalid UTF-8 is a FormatError naming the line."""
    if errors == "strict":
        try:  # fast path: one C-level pass; the loop below finds the culprit on failure
            joined = b" ".join(raw_words)  # no format allows a space in a word
            if b"\x00" not in joined:
                return joined.decode("utf-8").split(" ")
        except UnicodeDecodeError:
            pass
    words: list[str] = []
    for i, raw in enumerate(raw_words):
        line = None if first_line is None else first_line + i
        if b"\x00" in raw and errors == "strict":
            raise FormatError(
                f"vector {i + 1}: word contains a NUL byte (corrupt or binary file; errors='replace' keeps it)",
                path=path,
                line=line,
            )
        try:
            words.append(raw.decode("utf-8", errors))
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"vector {i + 1}: word {_show(raw)} is not valid UTF-8 ({exc.reason} at byte {exc.start}); "
                "pass errors='replace' (CLI: --errors replace) to substitute U+FFFD",
                path=path,
                line=line,
            ) from None
    return words


def _finite_rows(matrix: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Which rows hold only finite values (in blocks: no full-size boolean temporary)."""
    return np.concatenate([np.isfinite(matrix[s : s + block]).all(axis=1) for s in range(0, len(matrix), block)]
                          or [np.ones(0, dtype=bool)])


def _drop_duplicates(words: list[str], keep: np.ndarray) -> int:
    """Clear ``keep`` for every repeat of an earlier kept word; returns how many.

    Sorting the words' hashes finds candidates without a set of every word (that set alone is ~16 MB for 400k
    words, a sixth of the loaded vectors); only words whose hash repeats are compared.
    """
    ordered = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    ordered.sort()
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if not len(repeated):
        return 0
    hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    seen: set[str] = set()
    duplicates = 0
    for i in np.flatnonzero(np.isin(hashes, repeated) & keep):
        if words[i] in seen:
            keep[i] = False
            duplicates += 1
        else:
            seen.add(words[i])
    return duplicates


def _build(words, matrix, header, path, format, vocab, nonfinite, notes, first_line) -> ParsedVectors:
    """Drop non-finite rows (or raise), then duplicates (first kept, warned), then words outside ``vocab``."""
    keep = _finite_rows(matrix)
    dropped = int((~keep).sum())
    if dropped:
        bad = int(np.argmin(keep))
        if nonfinite == "error":
            raise FormatError(
                f"vector {bad + 1} ({_show(words[bad].encode('utf-8', 'replace'))}) contains NaN or Inf "
                f"({dropped} such rows); pass nonfinite='drop' to skip them",
                path=path,
                line=None if first_line is None else first_line + bad,
            )
    duplicates = _drop_duplicates(words, keep)
    if duplicates:
        warnings.warn(f"{path}: {duplicates} duplicate words; kept the first vector of each", stacklevel=3)
    if vocab is not None:
        wanted = set(vocab)
        keep &= np.fromiter((w in wanted for w in words), dtype=bool, count=len(words))
    if not keep.all():
        words = [w for w, k in zip(words, keep) if k]
        matrix = matrix[keep]
    if not words:
        raise FormatError("no vectors left after filtering (vocab=, nonfinite='drop')", path=path)
    return ParsedVectors(words, np.ascontiguousarray(matrix), format, str(path), duplicates, dropped, header, notes)


# --------------------------------------------------------------------------- write
def write_vectors(
    path: str | Path, words: list[str], vectors: np.ndarray, *, binary: bool = False, header: bool = True
) -> Path:
    """Write word2vec text/binary (or GloVe text with ``header=False``); atomic (temp + rename)."""
    from textemb.io.atomic import atomic_open

    path = Path(path)
    vectors = np.asarray(vectors, dtype=np.float32)
    if binary and not header:
        raise InputError("the word2vec binary format always has a header")
    for w in words:
        if not w or any(c in w for c in " \n\r\t"):
            raise InputError(f"cannot write word {_show(w.encode('utf-8', 'replace'))}: "
                             "keys in these formats cannot be empty or contain whitespace")
    with atomic_open(path) as fh:
        if header:
            fh.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for w, row in zip(words, vectors):
            if binary:
                fh.write(w.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")
            else:
                fh.write((w + " " + " ".join(map(str, row)) + "\n").encode("utf-8"))
    return path


def source_size(path: str | Path) -> int:
    return os.stat(path).st_size
