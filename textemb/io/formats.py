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
from textemb.io.bounded import DEFAULT_MAX_BYTES, read_bounded

FORMATS = ("auto", "glove", "word2vec", "word2vec-bin")
ERRORS = ("strict", "replace")
NONFINITE = ("error", "drop")
#: longest line (or binary word) accepted; real files stay far below (300 dims ≈ 3 KB).
DEFAULT_MAX_LINE_BYTES = 1 << 20
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")
_BOM = b"\xef\xbb\xbf"


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
    data = read_bounded(path, max_bytes)
    if not data or data.isspace():
        raise FormatError("file is empty: expected word vectors, one word per line", path=path)
    if format == "auto":
        format = detect_format(path, data[:4096])
    notes = []
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
        notes.append("skipped a UTF-8 byte-order mark at the start of the file")
    if format == "word2vec-bin":
        raw_words, matrix, header = _parse_binary(data, path, limit, max_line_bytes)
    else:
        raw_words, matrix, header = _parse_text(data, path, format == "word2vec", limit, max_line_bytes)
    first_line = None if format == "word2vec-bin" else (2 if format == "word2vec" else 1)
    return _build(raw_words, matrix, header, path, format, errors, vocab, nonfinite, notes, first_line)


# --------------------------------------------------------------------------- header
def _parse_header(data: bytes, path, *, binary: bool, max_line_bytes: int) -> tuple[int, int, int]:
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
    body = len(data) - end - 1
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


# --------------------------------------------------------------------------- text
def _parse_text(data: bytes, path, has_header: bool, limit: int | None, max_line_bytes: int):
    header = None
    first_line = 1
    body = data
    if has_header:
        n, dim, start = _parse_header(data, path, binary=False, max_line_bytes=max_line_bytes)
        header = (n, dim)
        body = data[start:]
        first_line = 2
    if limit is None and header is None:
        _check_line_lengths(body, path, first_line, max_line_bytes)
        fast = _parse_text_arrow(body)
        if fast is not None:
            return fast[0], fast[1], None
    lines = body.split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if header is not None:
        expected = header[0]
        if len(lines) < expected:
            raise FormatError(
                f"header says {expected:,} vectors but the file ends after {len(lines):,}",
                path=path,
                line=first_line + len(lines),
            )
        if limit is None and len(lines) > expected:
            raise FormatError(
                f"header says {expected:,} vectors but the file has {len(lines):,} lines of vectors",
                path=path,
                line=first_line + expected,
            )
        lines = lines[:expected]
    if limit is not None:
        lines = lines[:limit]
    words: list[bytes] = []
    rests: list[bytes] = []
    dim = header[1] if header else None
    for i, line in enumerate(lines):
        lineno = first_line + i
        if len(line) > max_line_bytes:
            raise FormatError(f"line is {len(line):,} bytes, over the {max_line_bytes:,}-byte cap", path=path, line=lineno)
        line = line.rstrip(b" \t\r")
        word, _, rest = line.partition(b" ")
        if not word:
            raise FormatError("empty line or line starting with a space; expected 'word v1 v2 ...'", path=path, line=lineno)
        count = rest.count(b" ") + 1 if rest else 0
        if dim is None:
            dim = count
            if dim == 0:
                raise FormatError(f"word {_show(word)} has no values; expected 'word v1 v2 ...'", path=path, line=lineno)
        if count != dim:
            raise FormatError(_count_message(word, rest, dim, count), path=path, line=lineno)
        words.append(word)
        rests.append(rest)
    if not words:
        raise FormatError("no vectors found", path=path)
    try:
        flat = np.fromstring(b" ".join(rests), dtype=np.float32, sep=" ")
    except ValueError:  # numpy >= 2.3 raises on the first unparsable value
        flat = np.zeros(0, np.float32)
    if flat.size != len(words) * dim:
        _raise_bad_number(rests, dim, path, first_line)
    return words, flat.reshape(len(words), dim), header


def _parse_text_arrow(body: bytes):
    """Multi-threaded parse with pyarrow's CSV reader; None when the file needs the careful path."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pc
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return None
    nl = body.find(b"\n")
    first = (body if nl == -1 else body[:nl]).rstrip(b"\r")
    if not first or first.endswith(b" "):
        return None
    dim = first.count(b" ")
    if dim < 1:
        return None
    names = [f"c{i}" for i in range(dim + 1)]
    types = {"c0": pa.binary(), **{n: pa.float32() for n in names[1:]}}
    try:
        table = pc.read_csv(
            pa.BufferReader(body),
            read_options=pc.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pc.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, double_quote=False, ignore_empty_lines=False
            ),
            convert_options=pc.ConvertOptions(
                column_types=types, null_values=[], strings_can_be_null=False, check_utf8=False
            ),
        )
        matrix = np.empty((table.num_rows, dim), dtype=np.float32)
        for j in range(dim):
            col = table.column(j + 1)
            if col.null_count:
                return None
            _fill_column(matrix, j, col)
        words = table.column(0).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    if not words or any(not w or w.endswith(b"\r") for w in words[:1]):
        return None
    return words, matrix


def _fill_column(matrix: np.ndarray, j: int, column) -> None:
    """Copy a null-free float32 ChunkedArray into ``matrix[:, j]`` straight from its data buffers
    (``ChunkedArray.to_numpy`` and ``Array.to_numpy`` import pandas, half the CPU of a quick command)."""
    start = 0
    for chunk in column.chunks:
        n = len(chunk)
        matrix[start : start + n, j] = np.frombuffer(chunk.buffers()[1], dtype=np.float32, count=n, offset=chunk.offset * 4)
        start += n


def _check_line_lengths(body: bytes, path, first_line: int, max_line_bytes: int) -> None:
    """Reject any line longer than the cap (vectorised: one pass over the newline positions)."""
    ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10)
    bounds = np.concatenate([[-1], ends, [len(body)]])
    lengths = np.diff(bounds) - 1
    if lengths.size and lengths.max() > max_line_bytes:
        i = int(np.argmax(lengths > max_line_bytes))
        raise FormatError(
            f"line is {int(lengths[i]):,} bytes, over the {max_line_bytes:,}-byte cap", path=path, line=first_line + i
        )


def _count_message(word: bytes, rest: bytes, dim: int, count: int) -> str:
    if count > dim and rest.split(b" ", 1)[0] and not _is_number(rest.split(b" ", 1)[0]):
        return (
            f"expected {dim} values after the word, got {count}: the key looks like several words "
            f"({_show(word + b' ' + rest.split(b' ', 1)[0])} ...); keys cannot contain spaces"
        )
    return f"expected {dim} values after word {_show(word)}, got {count}"


def _raise_bad_number(rests: list[bytes], dim: int, path, first_line: int):
    for i, rest in enumerate(rests):
        for j, tok in enumerate(rest.split(b" ")):
            if not _is_number(tok):
                raise FormatError(
                    f"value {j + 1} of {dim} is {_show(tok)}, expected a number", path=path, line=first_line + i
                )
    raise FormatError("could not parse the numbers in this file", path=path)  # pragma: no cover


def _is_number(tok: bytes) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return b"_" not in tok and tok.strip() == tok


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
def _build(raw_words, matrix, header, path, format, errors, vocab, nonfinite, notes, first_line) -> ParsedVectors:
    words: list[str] = []

    def line_of(i: int) -> int | None:
        return None if first_line is None else first_line + i

    if errors == "strict":
        try:  # fast path: one C-level pass; the loop below finds the culprit on failure
            words = [raw.decode("utf-8") for raw in raw_words]
            if any(b"\x00" in raw for raw in raw_words):
                words = []
        except UnicodeDecodeError:
            words = []
    for i, raw in enumerate(raw_words if not words else ()):
        if b"\x00" in raw and errors == "strict":
            raise FormatError(
                f"vector {i + 1}: word contains a NUL byte (corrupt or binary file; errors='replace' keeps it)",
                path=path,
                line=line_of(i),
            )
        try:
            words.append(raw.decode("utf-8", errors))
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"vector {i + 1}: word {_show(raw)} is not valid UTF-8 ({exc.reason} at byte {exc.start}); "
                "pass errors='replace' (CLI: --errors replace) to substitute U+FFFD",
                path=path,
                line=line_of(i),
            ) from None
    keep = np.ones(len(words), dtype=bool)
    dropped = 0
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        bad = int(np.argmin(finite))
        if nonfinite == "error":
            raise FormatError(
                f"vector {bad + 1} ({_show(words[bad].encode('utf-8', 'replace'))}) contains NaN or Inf "
                f"({int((~finite).sum())} such rows); pass nonfinite='drop' to skip them",
                path=path,
                line=line_of(bad),
            )
        keep &= finite
        dropped = int((~finite).sum())
    seen: set[str] = set()
    duplicates = 0
    if len(set(words)) != len(words) or not keep.all():
        for i, w in enumerate(words):
            if not keep[i]:
                continue
            if w in seen:
                keep[i] = False
                duplicates += 1
            else:
                seen.add(w)
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
            raise InputError(f"cannot write word {_show(w.encode('utf-8', 'replace'))}: keys in these formats cannot be empty or contain whitespace")
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
