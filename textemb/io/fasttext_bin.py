"""A structural check of a Facebook fastText ``.bin`` file, run before gensim's reader sees it.

gensim reads a word a byte at a time until it meets a NUL, so a file cut inside the vocabulary (a partial
download) or whose header claims more words than it holds makes it spin forever at end of file; a header
claiming 10^12 matrix rows makes it allocate them. :func:`check_facebook_bin` walks the same layout
(header, vocabulary, pruned-index pairs, the input matrix's shape) over a memory map, linear in the file,
and compares every count with the bytes that are really there, so such a file is one :class:`FormatError`.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

from textemb.errors import FormatError

MAGIC = 793712314
_NEW_HEADER = struct.Struct("=2i12id")  # magic, version, 12 int args (dim first), t
_OLD_HEADER = struct.Struct("=2i10id")  # dim, ws, 10 int args, t
_VOCAB = struct.Struct("=3iq")  # vocab_size, nwords, nlabels, ntokens
_ENTRY = 9  # int64 count + int8 entry type after each word's NUL
_HINT = "the file is truncated or damaged (a partial download?): download or save it again"


def check_facebook_bin(path: str | Path) -> None:
    """Raise :class:`FormatError` unless ``path``'s vocabulary and input matrix fit in its bytes."""
    from textemb.io.bounded import open_regular

    path = Path(path)
    with open_regular(path, what="fastText .bin file") as fh:
        size = fh.seek(0, 2)
        if size < _OLD_HEADER.size:
            raise FormatError(f"{size:,} bytes is too short for a fastText .bin header; {_HINT}", path=path)
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            _check(data, size, path)


def _check(data: mmap.mmap, size: int, path: Path) -> None:
    new = struct.unpack_from("=i", data, 0)[0] == MAGIC
    header = _NEW_HEADER if new else _OLD_HEADER
    if size < header.size + _VOCAB.size + (8 if new else 0):
        raise FormatError(f"the file ends inside its header ({size:,} bytes); {_HINT}", path=path)
    dim = header.unpack_from(data, 0)[2 if new else 0]
    vocab_size, nwords, nlabels, _ntokens = _VOCAB.unpack_from(data, header.size)
    pos = header.size + _VOCAB.size
    pruned = 0
    if new:
        pruned = struct.unpack_from("=q", data, pos)[0]
        pos += 8
    pruned = max(pruned, 0)  # -1: nothing pruned
    if not (0 <= nwords <= vocab_size and nlabels >= 0 and dim > 0):
        raise FormatError(f"header counts are impossible ({vocab_size} words, {nwords} of them words, dim {dim}); "
                          f"{_HINT}", path=path)
    if pos + vocab_size * (1 + _ENTRY) > size:
        raise FormatError(f"the header says {vocab_size:,} vocabulary entries, more than the file's {size:,} bytes "
                          f"can hold; {_HINT}", path=path)
    for i in range(vocab_size):
        end = data.find(b"\x00", pos)
        if end < 0 or end + 1 + _ENTRY > size:
            raise FormatError(f"the file ends inside its vocabulary, after {i:,} of the {vocab_size:,} words its "
                              f"header announces; {_HINT}", path=path)
        pos = end + 1 + _ENTRY
    pos += pruned * 8 + (1 if new else 0)
    if pos + 16 > size:
        raise FormatError(f"the file ends before its vector matrix; {_HINT}", path=path)
    rows, cols = struct.unpack_from("=2q", data, pos)
    need = rows * cols * 4 if rows >= 0 and cols >= 0 else -1
    if cols != dim or rows < nwords or need < 0 or pos + 16 + need > size:
        raise FormatError(f"the vector matrix claims {rows:,} x {cols:,} floats (dim {dim}, {nwords:,} words), "
                          f"but {max(size - pos - 16, 0):,} bytes follow; {_HINT}", path=path)
