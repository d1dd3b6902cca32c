"""Benchmark datasets by name or path, and strict readers that return plain data.

Named datasets are read from gensim's installed ``gensim/test/test_data`` folder (they are not
copied into this project): ``google`` (questions-words.txt, 19,544 analogy questions),
``wordsim353`` (wordsim353.tsv), ``simlex999`` (simlex999.txt) and ``lee`` (lee.cor +
similarities0-1.txt). Any other value is taken as a file path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from textemb.errors import FormatError, InputError, MissingDependencyError
from textemb.evaluation.delimited import (
    WHITESPACE,
    describe_delimiter,
    layout_hint,
    parse_delimiter,
    read_text,
    sniff_delimiter,
    split_rows,
    warn_skipped,
)
from textemb.text import excerpt

#: name -> (kind, files inside gensim/test/test_data)
NAMED_DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "google": ("analogy", ("questions-words.txt",)),
    "wordsim353": ("word-pairs", ("wordsim353.tsv",)),
    "simlex999": ("word-pairs", ("simlex999.txt",)),
    "lee": ("documents", ("lee.cor", "similarities0-1.txt")),
}


@dataclass(frozen=True)
class DatasetRef:
    """A resolved dataset: its name, kind and files (with their sha256, for reports)."""

    name: str
    kind: str
    paths: tuple[Path, ...]

    @property
    def path(self) -> Path:
        return self.paths[0]

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind,
                "files": [{"path": str(p), "sha256": sha256(p)} for p in self.paths]}


def gensim_test_data() -> Path:
    """gensim's bundled test-data folder; :class:`MissingDependencyError` if gensim is absent."""
    import importlib.util

    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("gensim", "word2vec", "the named benchmark datasets (google, wordsim353, ...)")
    return Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data"


def resolve_dataset(name_or_path: str | Path, kind: str) -> DatasetRef:
    """A named dataset (see :data:`NAMED_DATASETS`) or an existing file of the given ``kind``."""
    key = str(name_or_path)
    if key in NAMED_DATASETS:
        named_kind, files = NAMED_DATASETS[key]
        if named_kind != kind:
            raise InputError(f"dataset {key!r} is a {named_kind} dataset, not {kind}; "
                             f"{kind} datasets: {', '.join(n for n, (k, _) in NAMED_DATASETS.items() if k == kind)}")
        folder = gensim_test_data()
        paths = tuple(folder / f for f in files)
        for p in paths:
            if not p.is_file():
                raise InputError(f"dataset {key!r}: {p} is missing from the installed gensim; reinstall gensim")
        return DatasetRef(key, kind, paths)
    path = Path(key).expanduser()
    if not path.is_file():
        known = ", ".join(n for n, (k, _) in NAMED_DATASETS.items() if k == kind)
        raise InputError(f"dataset {key!r} is neither a named {kind} dataset ({known}) nor an existing file")
    return DatasetRef(path.name, kind, (path,))


_SHA_CACHE: dict[tuple[str, float, int], str] = {}


def sha256(path: str | Path) -> str:
    """Hex sha256 of a file (cached by path, mtime and size)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime, st.st_size)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


# ---------------------------------------------------------------------------------- analogies
@dataclass
class AnalogySection:
    """One ``: name`` section of an analogy file and its (a, b, c, expected) questions."""

    name: str
    questions: list[tuple[str, str, str, str]]


def read_analogies(path: str | Path, *, encoding: str = "utf-8") -> tuple[list[AnalogySection], list[int]]:
    """Parse the word2vec/gensim analogy format (``: section`` headers, 4 words a line).

    Follows gensim's reader: a line starting with ``": "`` opens a section; any other line
    must split into exactly 4 words, otherwise it is skipped (its 0-based line number is
    returned in the second list; more than a few percent skipped is a :class:`DataWarning`).
    A question before any header is a :class:`FormatError`. ``.gz`` files are read as well.
    """
    sections: list[AnalogySection] = []
    skipped: list[int] = []
    bad: list[tuple[int, str]] = []
    lines = read_text(path, encoding=encoding)
    for line_no, line in enumerate(lines):
        if line.startswith(": "):
            sections.append(AnalogySection(line.lstrip(": ").strip(), []))
            continue
        if not sections:
            raise FormatError("question before the first ': section' header", path=path, line=line_no + 1)
        words = line.split()
        if len(words) != 4:
            skipped.append(line_no)
            if line.strip():
                bad.append((line_no + 1, line))
            continue
        sections[-1].questions.append((words[0], words[1], words[2], words[3]))
    if not sections:
        raise FormatError("no ': section' header found; is this an analogy file?", path=path)
    warn_skipped(path, len(lines), bad, "4 whitespace-separated words" + layout_hint(lines, WHITESPACE, 4))
    return sections, skipped


# ---------------------------------------------------------------------------------- word pairs
def read_word_pairs(
    path: str | Path, delimiter: str | None = None, *, encoding: str = "utf-8", quoting: str = "auto"
) -> tuple[list[tuple[str, str, float]], list[int]]:
    """Parse ``word1<TAB>word2<TAB>score`` lines as gensim's ``evaluate_word_pairs`` does.

    ``delimiter=None`` detects tab, comma (RFC 4180 CSV), semicolon or runs of blanks (the
    MEN layout); ``"\\t"`` typed literally means a tab. Lines starting with ``#`` are
    comments; a line that does not split into exactly three fields with a float score is
    skipped (its 0-based line number is returned; a header line is not counted).
    """
    lines = read_text(path, encoding=encoding)
    delim = parse_delimiter(delimiter) or sniff_delimiter(lines, 3)
    pairs: list[tuple[str, str, float]] = []
    skipped: list[int] = []
    bad: list[tuple[int, str]] = []
    for line_no, fields in split_rows(lines, delim, quoting, path=path, comments=True):
        try:
            a, b, s = fields
            score = float(s)
        except (ValueError, TypeError):
            if not pairs and not bad and len(fields) == 3:  # a header line: word1,word2,score
                continue
            skipped.append(line_no - 1)
            bad.append((line_no, lines[line_no - 1]))
            continue
        pairs.append((a, b, score))
    hint = layout_hint(lines, delim, 3)
    if not pairs:
        raise FormatError(f"no 'word1 word2 score' lines split on {describe_delimiter(delim)}{hint}", path=path)
    warn_skipped(path, len(pairs) + len(bad), bad, f"'word1 word2 score' split on {describe_delimiter(delim)}{hint}")
    return pairs, skipped


# ---------------------------------------------------------------------------------- documents
def read_lee(corpus: str | Path, similarities: str | Path) -> tuple[list[str], list[list[float]]]:
    """The Lee corpus: 50 documents (one a line) and the 50x50 human similarity matrix."""
    docs = [line.strip() for line in read_text(corpus, encoding="latin-1") if line.strip()]
    rows: list[list[float]] = []
    for line_no, line in enumerate(read_text(similarities), 1):
        if not line.strip():
            continue
        try:
            rows.append([float(x) for x in line.split()])
        except ValueError:
            raise FormatError("expected tab-separated numbers", path=similarities, line=line_no) from None
    n = len(docs)
    if len(rows) != n or any(len(r) != n for r in rows):
        raise FormatError(f"expected a {n}x{n} matrix to match {n} documents in {corpus}, "
                          f"got {len(rows)} rows", path=similarities)
    return docs, rows


# ---------------------------------------------------------------------------------- sentence pairs
def read_sentence_pairs(
    path: str | Path,
    *,
    score_col: int | str = 0,
    text1_col: int | str = 1,
    text2_col: int | str = 2,
    delimiter: str | None = "\t",
    header: bool | None = None,
    encoding: str = "utf-8",
    quoting: str = "auto",
) -> tuple[list[tuple[str, str, float]], list[int]]:
    """Sentence pairs with a gold score from any STS-style delimited file.

    Columns are 0-based indices or header names. ``header=None`` guesses: the first row is a
    header if its score column is not a number, or if a column was given by name. Comma and
    semicolon files are RFC 4180 CSV (quoted fields may hold commas, quotes, line breaks); tab
    files keep quotes as text, as STS-B needs. Rows with another field count than the header
    (or, without one, than most rows) or a non-numeric score are skipped: 1-based line numbers
    are returned and more than a few percent is a :class:`DataWarning`.
    """
    lines = read_text(path, encoding=encoding)
    delim = parse_delimiter(delimiter) or sniff_delimiter(lines)
    rows = split_rows(lines, delim, quoting, path=path)
    if not rows:
        raise FormatError("empty file", path=path)
    names = any(isinstance(c, str) for c in (score_col, text1_col, text2_col))
    if header is None:
        first = rows[0][1]
        idx = score_col if isinstance(score_col, int) else -1
        header = names or not (0 <= idx < len(first) and _is_float(first[idx]))
    head = rows[0][1] if header else []
    cols = [_column(c, head, path) for c in (score_col, text1_col, text2_col)]
    body = rows[1:] if header else rows
    width = len(head) if header else _usual_width(body)
    out: list[tuple[str, str, float]] = []
    skipped: list[int] = []
    bad: list[tuple[int, str]] = []
    for line_no, r in body:
        try:
            if len(r) != width:
                raise ValueError(len(r))
            out.append((r[cols[1]], r[cols[2]], float(r[cols[0]])))
        except (IndexError, ValueError):
            skipped.append(line_no)
            bad.append((line_no, lines[line_no - 1]))
    what = f"{width} fields split on {describe_delimiter(delim)} with a numeric score in column {score_col!r}"
    hint = layout_hint(lines, delim) if width < 3 else ""
    if not out:
        raise FormatError(f"no rows of {what}{hint}", path=path)
    warn_skipped(path, len(body), bad, what + hint)
    return out, skipped


def _column(c: int | str, head: list[str], path: object) -> int:
    if isinstance(c, str):
        if c not in head:
            raise InputError(f"{path}: no column named {c!r}; the header has {[excerpt(h, 30) for h in head]}")
        return head.index(c)
    return int(c)


def _usual_width(rows: list[tuple[int, list[str]]]) -> int:
    """The most common field count (ties: the larger), the layout every data row must have."""
    counts: dict[int, int] = {}
    for _, r in rows:
        counts[len(r)] = counts.get(len(r), 0) + 1
    return max(counts, key=lambda k: (counts[k], k)) if counts else 0


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_text_lines(path: str | Path) -> list[str]:
    """Non-empty lines of a UTF-8 text file (used by ``textemb plot --file``)."""
    return [line.strip() for line in read_text(path) if line.strip()]
