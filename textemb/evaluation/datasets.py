"""Benchmark datasets by name or path, and strict readers that return plain data.

Named datasets are read from gensim's installed ``gensim/test/test_data`` folder (they are not
copied into this project): ``google`` (questions-words.txt, 19,544 analogy questions),
``wordsim353`` (wordsim353.tsv), ``simlex999`` (simlex999.txt) and ``lee`` (lee.cor +
similarities0-1.txt). Any other value is taken as a file path.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from textemb.errors import FormatError, InputError, MissingDependencyError

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


def read_analogies(path: str | Path) -> tuple[list[AnalogySection], list[int]]:
    """Parse the word2vec/gensim analogy format (``: section`` headers, 4 words a line).

    Follows gensim's reader: a line starting with ``": "`` opens a section; any other line
    must split into exactly 4 words, otherwise it is skipped (its 0-based line number is
    returned in the second list). A question before any header is a :class:`FormatError`.
    """
    sections: list[AnalogySection] = []
    skipped: list[int] = []
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"not UTF-8 ({exc.reason})", path=path, line=line_no + 1) from None
            if line.startswith(": "):
                sections.append(AnalogySection(line.lstrip(": ").strip(), []))
                continue
            if not sections:
                raise FormatError("question before the first ': section' header", path=path, line=line_no + 1)
            words = line.split()
            if len(words) != 4:
                skipped.append(line_no)
                continue
            sections[-1].questions.append((words[0], words[1], words[2], words[3]))
    if not sections:
        raise FormatError("no ': section' header found; is this an analogy file?", path=path)
    return sections, skipped


# ---------------------------------------------------------------------------------- word pairs
def read_word_pairs(path: str | Path, delimiter: str = "\t") -> tuple[list[tuple[str, str, float]], list[int]]:
    """Parse ``word1<TAB>word2<TAB>score`` lines as gensim's ``evaluate_word_pairs`` does.

    Lines starting with ``#`` are comments; a line that does not split into exactly three
    fields with a float score is skipped (its 0-based line number is returned).
    """
    pairs: list[tuple[str, str, float]] = []
    skipped: list[int] = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh):
            if not line or line.startswith("#"):
                continue
            fields = line.split(delimiter)
            try:
                a, b, s = fields
                score = float(s)
            except (ValueError, TypeError):
                skipped.append(line_no)
                continue
            pairs.append((a, b, score))
    if not pairs:
        raise FormatError(f"no 'word1{delimiter!r}word2{delimiter!r}score' lines found", path=path)
    return pairs, skipped


# ---------------------------------------------------------------------------------- documents
def read_lee(corpus: str | Path, similarities: str | Path) -> tuple[list[str], "list[list[float]]"]:
    """The Lee corpus: 50 documents (one a line) and the 50x50 human similarity matrix."""
    with open(corpus, encoding="latin-1") as fh:
        docs = [line.strip() for line in fh if line.strip()]
    rows: list[list[float]] = []
    with open(similarities, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
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
    delimiter: str = "\t",
    header: bool | None = None,
) -> tuple[list[tuple[str, str, float]], list[int]]:
    """Sentence pairs with a gold score from any STS-style delimited file.

    Columns are 0-based indices or header names. ``header=None`` guesses: the first row is a
    header if its score column is not a number, or if a column was given by name. Rows too
    short or with a non-numeric score are skipped (1-based line numbers returned).
    """
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter, quoting=csv.QUOTE_NONE))
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if not rows:
        raise FormatError("empty file", path=path)
    names = any(isinstance(c, str) for c in (score_col, text1_col, text2_col))
    if header is None:
        first = rows[0]
        idx = score_col if isinstance(score_col, int) else -1
        header = names or not (0 <= idx < len(first) and _is_float(first[idx]))
    cols: list[int] = []
    head = rows[0] if header else []
    for c in (score_col, text1_col, text2_col):
        if isinstance(c, str):
            if c not in head:
                raise InputError(f"{path}: no column named {c!r}; the header has {head}")
            cols.append(head.index(c))
        else:
            cols.append(int(c))
    out: list[tuple[str, str, float]] = []
    skipped: list[int] = []
    for line_no, r in enumerate(rows[1:] if header else rows, 2 if header else 1):
        try:
            score = float(r[cols[0]])
            out.append((r[cols[1]], r[cols[2]], score))
        except (IndexError, ValueError):
            skipped.append(line_no)
    if not out:
        raise FormatError(f"no rows with a numeric score in column {score_col!r}", path=path)
    return out, skipped


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_text_lines(path: str | Path) -> list[str]:
    """Non-empty lines of a UTF-8 text file (used by ``textemb plot --file``)."""
    with io.open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip()]
