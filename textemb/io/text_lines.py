"""The careful parser for GloVe / word2vec text: the whole file, line by line, exact errors.

:func:`textemb.io.formats.read_vectors` streams well-formed files (:mod:`textemb.io.text_stream`); this parser
handles everything else (``.gz`` files, files the fast path cannot vouch for) and finds the line of any error.
"""

from __future__ import annotations

import numpy as np

from textemb.errors import FormatError


def _show(raw: bytes, width: int = 40) -> str:
    from textemb.io.formats import _show as show

    return show(raw, width)


def parse_text(data: bytes, path, has_header: bool, limit: int | None, max_line_bytes: int):
    """``(raw words, matrix, header)`` of a whole text file, line by line; every error names its line."""
    from textemb.io.formats import _parse_header

    header = None
    first_line = 1
    body = data
    if has_header:
        n, dim, start = _parse_header(data, path, binary=False, max_line_bytes=max_line_bytes)
        header = (n, dim)
        body = data[start:]
        first_line = 2
    lines = body.split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if header is not None:
        lines = _check_count(lines, header[0], limit, path, first_line)
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


def _check_count(lines: list[bytes], expected: int, limit: int | None, path, first_line: int) -> list[bytes]:
    """The header's ``expected`` lines; a shorter file, or a longer one without ``limit``, is an error."""
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
    return lines[:expected]


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
