"""Reading benchmark data files that real people produce: encodings, .gz, delimiters, quoting.

Every dataset reader goes through :func:`read_text` (the shared bounded reader in
:mod:`textemb.io.bounded`, so ``.gz`` works and size caps hold) and :func:`split_rows`
(one delimiter/quoting policy). A file is read correctly or refused with a message that says
how to fix it; it is never silently misread:

- ``,`` and ``;`` files are parsed as RFC 4180 CSV (quoted fields may hold the delimiter,
  doubled quotes and line breaks); a broken quote is a :class:`FormatError` naming the line;
- tab files are read as gensim and sentence-transformers read them (quotes are ordinary
  characters, as in STS-B), unless ``quoting="csv"``;
- ``" "`` (or ``"whitespace"``) splits on runs of blanks, like gensim's analogy reader (MEN layout);
- ``\\t`` typed literally on a command line means a tab;
- a byte that is not valid in the chosen encoding names its line and the ``--encoding`` option.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Sequence
from pathlib import Path

from textemb.errors import DataWarning, FormatError, InputError
from textemb.io.bounded import read_bounded
from textemb.text import excerpt

#: Largest benchmark file (after gunzip) the readers load.
MAX_DATASET_BYTES = 2 * 1024**3
#: A share of unreadable lines above this is reported with a warning on stderr.
SKIP_WARN_RATIO = 0.03
WHITESPACE = " "
QUOTING = ("auto", "csv", "none")
_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "space": WHITESPACE, "whitespace": WHITESPACE,
          "semicolon": ";", "\\s": WHITESPACE, "\\s+": WHITESPACE}


def parse_delimiter(value: str | None) -> str | None:
    """The delimiter meant by ``value``: ``\\t``/``tab`` → TAB, ``" "``/``space`` → runs of blanks.

    ``None`` and ``"auto"`` mean "detect from the file" and return ``None``.
    """
    if value is None or value == "auto":
        return None
    if value in _NAMES:
        return _NAMES[value]
    if value.isspace() and value != "\t":
        return WHITESPACE
    if len(value) != 1:
        raise InputError(f"delimiter must be one character (or tab, space, comma, \\t), got {value!r}")
    if value in "\"\r\n":
        raise InputError(f"{value!r} cannot be a field delimiter")
    return value


def describe_delimiter(delimiter: str) -> str:
    return {"\t": "tab", WHITESPACE: "whitespace", ",": "comma", ";": "semicolon"}.get(delimiter, repr(delimiter))


def read_text(path: str | Path, *, encoding: str = "utf-8") -> list[str]:
    """The lines of a (possibly gzipped) text file, decoded strictly; a leading BOM is dropped.

    Lines are split on ``\\n`` only (with a trailing ``\\r`` removed), so odd Unicode line
    separators inside a field never create extra lines.
    """
    data = read_bounded(path, max_bytes=MAX_DATASET_BYTES)
    try:
        text = data.decode(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} (try utf-8, latin-1, cp1252)") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise FormatError(f"byte 0x{byte} is not valid {encoding}; pass --encoding latin-1 (encoding='latin-1') "
                          "or the file's real encoding", path=path, line=line) from None
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.removesuffix("\r") for ln in lines]


def sniff_delimiter(lines: Sequence[str], fields: int | None = None) -> str:
    """Guess the delimiter from up to 50 non-comment lines: tab, then comma/semicolon, then blanks."""
    sample = [ln for ln in lines if ln.strip() and not ln.startswith("#")][:50]
    if not sample:
        return "\t"
    for cand in ("\t", ",", ";"):
        counts = [len(_split_one(ln, cand, "auto")) for ln in sample]
        hits = sum(c > 1 and (fields is None or c == fields) for c in counts)
        if hits >= 0.8 * len(sample):
            return cand
    return WHITESPACE


def split_rows(lines: Sequence[str], delimiter: str, quoting: str = "auto", *, path: object = None,
               comments: bool = False) -> list[tuple[int, list[str]]]:
    """``(1-based line number, fields)`` for each non-blank line (``#`` lines skipped if ``comments``)."""
    if quoting not in QUOTING:
        raise InputError(f"quoting must be one of {QUOTING}, got {quoting!r}")
    use_csv = quoting == "csv" or (quoting == "auto" and delimiter in ",;")
    if use_csv and delimiter != WHITESPACE:
        return _csv_rows(lines, delimiter, path, comments)
    out = []
    for no, line in enumerate(lines, 1):
        if not line.strip() or (comments and line.startswith("#")):
            continue
        out.append((no, _split_one(line, delimiter, "none")))
    return out


def _split_one(line: str, delimiter: str, quoting: str) -> list[str]:
    if delimiter == WHITESPACE:
        return line.split()
    if quoting == "auto" and delimiter in ",;":
        return next(csv.reader([line], delimiter=delimiter), [])
    return line.split(delimiter)


def _csv_rows(lines: Sequence[str], delimiter: str, path: object, comments: bool) -> list[tuple[int, list[str]]]:
    """RFC 4180 records; a record may span lines (its number is the line it starts on)."""
    keep = [(no, ln) for no, ln in enumerate(lines, 1) if not (comments and ln.startswith("#"))]
    starts = [no for no, _ in keep]
    reader = csv.reader(io.StringIO("\n".join(ln for _, ln in keep)), delimiter=delimiter, strict=True)
    out, consumed = [], 0
    try:
        for row in reader:
            first = starts[consumed] if consumed < len(starts) else len(lines)
            consumed = reader.line_num
            if row and any(c.strip() for c in row):
                out.append((first, row))
    except csv.Error as exc:
        line = starts[min(reader.line_num, len(starts)) - 1] if starts else 1
        raise FormatError(f"malformed quoted CSV ({exc}); fix the quoting or pass --quoting none "
                          "to read quotes as ordinary characters", path=path, line=line) from None
    return out


def warn_skipped(path: object, total: int, bad: Sequence[tuple[int, str]], what: str) -> None:
    """A :class:`DataWarning` when more than :data:`SKIP_WARN_RATIO` of ``total`` lines were unusable."""
    if not bad or total <= 0 or len(bad) / total <= SKIP_WARN_RATIO:
        return
    no, text = bad[0]
    warnings.warn(f"{path}: skipped {len(bad)} of {total} lines ({len(bad) / total:.0%}) that are not {what}; "
                  f"first at line {no}: {excerpt(text, 80)!s}", DataWarning, stacklevel=3)


def layout_hint(lines: Sequence[str], delimiter: str, fields: int | None = None) -> str:
    """A sentence suggesting another --delimiter when the lines split better with it."""
    guess = sniff_delimiter(lines, fields)
    if guess != delimiter:
        flag = {"\t": "'\\t'", WHITESPACE: "' '"}.get(guess, f"'{guess}'")
        n = f"{fields} fields" if fields else "fields"
        return (f"; the lines split into {n} on {describe_delimiter(guess)}: "
                f"pass --delimiter {flag} (delimiter={guess!r})")
    return ""
