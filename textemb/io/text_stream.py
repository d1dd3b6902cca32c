"""Streaming parse of GloVe / word2vec text vector files, half a megabyte at a time.

The file is read in blocks of :data:`BLOCK_BYTES` cut at a line end; pyarrow's CSV parser turns each block into
float32 columns that are copied straight into the result matrix, and the block's words are decoded in one call.
Peak memory is the result (matrix + words) plus one block, never the whole file.

This is the fast path only: it returns ``None`` whenever it cannot vouch for a block (a NUL byte, a malformed row,
a row count that disagrees with the line count, an empty word, invalid UTF-8, an over-long line ...), and the
caller then runs the careful whole-file parser, which raises the precise ``file:line`` error or handles the
file's oddity exactly as before. A file it accepts gives the same words and float32 values as the careful parser.
"""

from __future__ import annotations

import math
from typing import BinaryIO

import numpy as np

#: bytes read per block (cut back to the last line end): 512 KB parse as fast as 1 MB (both stay in cache) and
#: leave half the freed parser memory behind (7 vs 13 MB on GloVe 6B 50d)
BLOCK_BYTES = 1 << 19
#: room for the partial line carried into the next block; a longer line sends the file to the careful parser
CARRY_BYTES = 1 << 16


class _Fallback(Exception):
    """This block needs the careful parser."""


def stream_text(fh: BinaryIO, size: int, dim: int, *, max_rows: int | None, max_line_bytes: int):
    """Parse ``fh`` (positioned at the first vector line, ``size`` bytes left) into ``(words, matrix)``.

    ``dim`` is the number of values per row; ``max_rows`` stops after that many rows (``limit=``, a header's
    count). Returns ``None`` when the careful parser must decide (see the module docstring).
    """
    try:
        import pyarrow as pa  # noqa: F401
        import pyarrow.csv  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return None
    parser = _BlockParser(dim, max_line_bytes)
    words: list[str] = []
    matrix: np.ndarray | None = None
    try:
        for block in _blocks(fh, min(max_line_bytes, CARRY_BYTES)):
            if max_rows is not None:
                block = block[: _end_of_lines(block, max_rows - len(words))]
            part_words, cols = parser.parse(block)
            rows, n = len(words), len(part_words)
            if matrix is None:
                matrix = np.empty((_estimate_rows(size, len(block), n, max_rows), dim), dtype=np.float32)
            if rows + n > matrix.shape[0]:  # realloc: a large block is remapped, not copied
                matrix.resize((max(rows + n, int(matrix.shape[0] * 1.25) + 1024), dim), refcheck=False)
            _fill(matrix, rows, cols)
            words.extend(part_words)
            if max_rows is not None and len(words) >= max_rows:
                break
    except _Fallback:
        return None
    if matrix is None or not words:
        return None
    matrix.resize((len(words), dim), refcheck=False)  # shrinks in place
    _return_free_memory()
    return words, matrix


def _return_free_memory() -> None:
    """Hand the heap's freed blocks back to the system (glibc ``malloc_trim``; nothing elsewhere).

    The blocks' parser buffers are freed but kept by malloc for reuse: about 10 MB on GloVe 6B 50d, which
    would otherwise sit under the cache write and the rest of the process' life.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        pass


def _blocks(fh: BinaryIO, max_carry: int):
    """Blocks of complete lines as memoryviews into one reused buffer (no per-block copies of the file).

    The last block drops trailing blank lines; a partial line longer than ``max_carry`` raises _Fallback.
    """
    buf = bytearray(BLOCK_BYTES + max_carry)
    view = memoryview(buf)
    carry = 0
    while True:
        got = fh.readinto(view[carry : carry + BLOCK_BYTES])
        filled = carry + got
        if not got:
            tail = bytes(view[:filled]).rstrip()
            if tail:
                yield memoryview(tail + b"\n")
            return
        end = buf.rfind(b"\n", 0, filled) + 1
        if filled - end > max_carry:
            raise _Fallback  # a line longer than the cap, or than a block
        if end:
            yield view[:end]
        carry = filled - end
        buf[:carry] = view[end:filled]


def _end_of_lines(block: memoryview, count: int) -> int:
    """Byte offset just past the ``count``-th line end of ``block`` (its length if it has fewer lines)."""
    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    return len(block) if count >= len(ends) else int(ends[count - 1]) + 1


def _estimate_rows(size: int, block_bytes: int, block_rows: int, max_rows: int | None) -> int:
    """Rows to allocate up front, from the density of the first block (grown or shrunk by realloc later)."""
    guess = math.ceil(size / max(block_bytes, 1) * block_rows * 1.02) + 16
    return guess if max_rows is None else max(1, min(guess, max_rows))


def _fill(matrix: np.ndarray, start: int, cols: list) -> None:
    """Copy null-free float32 arrow arrays into ``matrix[start:, j]`` straight from their data buffers
    (``to_numpy`` on arrow arrays imports pandas, which costs more than the parse)."""
    for j, column in enumerate(cols):
        at = start
        for chunk in column.chunks:
            n = len(chunk)
            matrix[at : at + n, j] = np.frombuffer(chunk.buffers()[1], dtype=np.float32, count=n, offset=chunk.offset * 4)
            at += n


class _BlockParser:
    """pyarrow CSV options for ``word v1 ... vDIM`` rows, and the per-block checks."""

    def __init__(self, dim: int, max_line_bytes: int) -> None:
        import pyarrow as pa
        import pyarrow.csv as pc

        names = [f"c{i}" for i in range(dim + 1)]
        self.dim, self.max_line_bytes = dim, max_line_bytes
        self.parse_options = pc.ParseOptions(
            delimiter=" ", quote_char=False, escape_char=False, double_quote=False, ignore_empty_lines=False
        )
        self.convert_options = pc.ConvertOptions(
            column_types={"c0": pa.binary(), **{n: pa.float32() for n in names[1:]}},
            null_values=[], strings_can_be_null=False, check_utf8=False, quoted_strings_can_be_null=False,
        )
        self.names = names

    def parse(self, block: memoryview) -> tuple[list[str], list]:
        """Words and float columns of one block of complete lines; :class:`_Fallback` if anything is off."""
        import pyarrow as pa
        import pyarrow.csv as pc

        raw = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(raw == 10)
        if not len(ends) or np.diff(ends, prepend=-1).max() - 1 > self.max_line_bytes or not raw.all():
            raise _Fallback  # an over-long line, or a NUL byte
        try:
            table = pc.read_csv(
                pa.BufferReader(pa.py_buffer(block)),
                read_options=pc.ReadOptions(column_names=self.names, use_threads=False, block_size=len(block) + 1),
                parse_options=self.parse_options,
                convert_options=self.convert_options,
                memory_pool=pa.system_memory_pool(),  # malloc: returns the blocks
            )
        except (pa.ArrowInvalid, pa.ArrowException, ValueError):
            raise _Fallback from None
        # a lone CR splits a row for arrow but not for the line-based format: the counts must agree
        if table.num_rows != len(ends) or any(table.column(j).null_count for j in range(1, self.dim + 1)):
            raise _Fallback
        return _decode_words(table.column(0)), [table.column(j) for j in range(1, self.dim + 1)]


def _decode_words(column) -> list[str]:
    """All words of a binary arrow column as str, decoded (strict UTF-8) in one call per chunk."""
    out: list[str] = []
    for chunk in column.chunks:
        n = len(chunk)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=n + 1, offset=chunk.offset * 4)
        if n and int(np.diff(offsets).min()) == 0:
            raise _Fallback  # an empty word (a line starting with a space)
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        joined = np.insert(data, offsets[1:] - offsets[0], 10).tobytes()  # word\nword\n...
        try:
            text = joined.decode("utf-8")
        except UnicodeDecodeError:
            raise _Fallback from None
        out.extend(text.split("\n")[:-1])
    return out


class HashingReader:
    """A binary reader that feeds every byte it reads, once and in file order, to a sha256.

    ``hashed`` is how many bytes from the start went into the hash; a seek back re-reads without hashing
    twice, a read past a gap stops hashing (then ``hashed`` never reaches the file size).
    """

    def __init__(self, fh) -> None:
        import hashlib

        self._fh, self._sha, self.hashed, self._gap = fh, hashlib.sha256(), 0, False

    def _feed(self, pos: int, data) -> None:
        if self._gap or pos > self.hashed:
            self._gap = True
            return
        skip = self.hashed - pos
        if len(data) > skip:
            self._sha.update(data[skip:])
            self.hashed = pos + len(data)

    def readline(self, limit: int = -1) -> bytes:
        pos = self._fh.tell()
        line = self._fh.readline(limit)
        self._feed(pos, line)
        return line

    def readinto(self, view) -> int:
        pos = self._fh.tell()
        n = self._fh.readinto(view)
        self._feed(pos, memoryview(view)[:n])
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def hexdigest(self) -> str:
        return self._sha.hexdigest()
