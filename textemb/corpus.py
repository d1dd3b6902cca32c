"""Streamed text corpora and word counts, for training word vectors and fitting weights.

A :class:`Corpus` is a *restartable* iterable of texts: every ``iter()`` re-reads the source,
so nothing is held in memory and training can make several passes. Three sources:

* a text file (``.txt``, ``.cor``, ``.gz``/``.bz2`` compressed too): one sentence or document
  per line;
* a folder: every ``*.txt`` file under it (sorted, recursive), one text per line;
* a Wikipedia XML dump (``*.xml``, ``*.xml.bz2``): main-namespace articles, redirects
  skipped, markup stripped as ``textemb index`` strips it (:mod:`textemb.search.markup`); one text per
  paragraph.

Tokenisers are :func:`textemb.text.make_tokenizer`'s (:data:`TOKENIZERS`, also importable from here). Word counts are
stored in the word2vec C tool's ``-save-vocab`` format (``word count`` per line, vocabulary
order), which gensim reads with ``KeyedVectors.load_word2vec_format(..., fvocab=PATH)``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError
from textemb.text import TOKENIZERS as TOKENIZERS  # the tokenizers live in textemb.text; old import path
from textemb.text import make_tokenizer

_SPACES = re.compile(r"[ \t\u00a0]{2,}")


class Corpus:
    """A restartable stream of texts from a file, a folder of ``.txt`` files or a Wikipedia dump.

    Args:
        source: a path, or an in-memory sequence of strings (kept as given).
        kind: ``auto`` (by path), ``text``, ``folder`` or ``wiki``.
        encoding / errors: how text files are decoded (``errors='replace'`` tolerates bad bytes).
    """

    def __init__(
        self, source: str | Path | Sequence[str], *, kind: str = "auto", encoding: str = "utf-8", errors: str = "strict"
    ) -> None:
        self.encoding = encoding
        self.errors = errors
        if isinstance(source, (str, Path)) and not (isinstance(source, str) and "\n" in source):
            path = Path(source)
            if not path.exists():
                raise InputError(f"corpus {path} does not exist; give a text file, a folder of .txt files or a wiki dump")
            self.path: Path | None = path
            self.texts: Sequence[str] | None = None
            self.kind = _guess_kind(path) if kind == "auto" else kind
            if self.kind not in ("text", "folder", "wiki"):
                raise InputError(f"unknown corpus kind {kind!r}: use auto, text, folder or wiki")
            if self.kind == "folder" and not path.is_dir():
                raise InputError(f"corpus kind 'folder' needs a folder, {path} is a file")
            if self.kind != "folder" and path.is_dir():
                raise InputError(f"corpus {path} is a folder; use kind='folder' (or 'auto')")
        else:
            if isinstance(source, str):
                raise InputError("a corpus is a path or a list of texts, not one multi-line string")
            self.path, self.kind = None, "list"
            self.texts = list(source)
            for i, t in enumerate(self.texts):
                if not isinstance(t, str):
                    raise InputError(f"corpus item {i} is {type(t).__name__}, expected str")

    def __repr__(self) -> str:
        where = str(self.path) if self.path else f"{len(self.texts or [])} texts"
        return f"Corpus({where!r}, kind={self.kind!r})"

    def files(self) -> list[Path]:
        """The files this corpus reads, in reading order."""
        if self.path is None:
            return []
        if self.kind == "folder":
            found = sorted(p for p in self.path.rglob("*.txt") if p.is_file())
            if not found:
                raise InputError(f"folder {self.path} contains no .txt files")
            return found
        return [self.path]

    def __iter__(self) -> Iterator[str]:
        """Yield texts (lines, or wiki paragraphs); blank ones are skipped."""
        if self.texts is not None:
            yield from self.texts
            return
        if self.kind == "wiki":
            yield from _wiki_paragraphs(self.path)
            return
        for f in self.files():
            with _open_text(f, self.encoding, self.errors) as fh:
                try:
                    for line in _capped_lines(fh, f):
                        line = line.rstrip("\r\n")
                        if line.strip():
                            yield line
                except UnicodeDecodeError as exc:
                    raise FormatError(
                        f"not valid {self.encoding} ({exc.reason}); pass errors='replace' (CLI: --errors replace)", path=f
                    ) from None

    def tokens(self, tokenizer: str = "regexp", *, lowercase: bool = False) -> "TokenStream":
        """A restartable stream of token lists (empty ones skipped)."""
        return TokenStream(self, make_tokenizer(tokenizer, lowercase=lowercase))


class TokenStream:
    """Restartable iterable of token lists from a :class:`Corpus`."""

    def __init__(self, corpus: Iterable[str], tokenize: Callable[[str], list[str]]) -> None:
        self.corpus = corpus
        self.tokenize = tokenize

    def __iter__(self) -> Iterator[list[str]]:
        for text in self.corpus:
            toks = self.tokenize(text)
            if toks:
                yield toks


def as_corpus(source: "str | Path | Sequence[str] | Corpus") -> Corpus:
    """``source`` as a :class:`Corpus` (a path, a list of texts, or a Corpus already)."""
    return source if isinstance(source, Corpus) else Corpus(source)


# --------------------------------------------------------------------------- sources
def _guess_kind(path: Path) -> str:
    if path.is_dir():
        return "folder"
    name = path.name.lower()
    for ext in (".bz2", ".gz"):
        name = name.removesuffix(ext)
    return "wiki" if name.endswith(".xml") or "pages-articles" in name else "text"


def _open_binary(path: Path):
    """A regular file (never a device, FIFO or /proc file), decompressed as its name says."""
    from textemb.io.bounded import open_regular

    raw = open_regular(path, what="corpus file")
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.BZ2File(raw, "rb")  # closes ``raw`` with it
    if name.endswith(".gz"):
        return _Gzip(raw)
    return raw


class _Gzip(gzip.GzipFile):
    """A GzipFile that closes the file object it reads from (gzip does not, for a given fileobj)."""

    def __init__(self, raw) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


#: longest line (in characters) a corpus or counts file may have; longer means not a text file
MAX_LINE_CHARS = 1 << 24


def _capped_lines(fh, path: Path) -> Iterator[str]:
    """The lines of a text stream, refusing one longer than :data:`MAX_LINE_CHARS` before it fills memory."""
    while True:
        line = fh.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise FormatError(f"a line is longer than {MAX_LINE_CHARS:,} characters: not a text file "
                              "with one sentence or document per line", path=path)
        yield line


def _open_text(path: Path, encoding: str, errors: str):
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, errors=errors, newline=None)


def _wiki_paragraphs(path: Path) -> Iterator[str]:
    """Main-namespace, non-redirect article paragraphs of a MediaWiki XML dump, markup stripped.

    The same reader and markup stripper as ``textemb index`` (:mod:`textemb.search.wikidump`,
    :func:`textemb.search.markup.strip_wiki_markup`): one streamed, linear pass, no gensim needed.
    """
    from textemb.errors import DumpError
    from textemb.search.markup import strip_wiki_markup
    from textemb.search.wikidump import CHUNK, iter_pages

    with _open_binary(path) as fh:
        try:
            for _page_id, _title, raw in iter_pages(iter(lambda: fh.read(CHUNK), b"")):
                for para in strip_wiki_markup(raw).split("\n"):
                    para = _SPACES.sub(" ", para).strip()
                    if para:
                        yield para
        except (DumpError, EOFError, OSError) as exc:
            raise FormatError(f"not a readable MediaWiki XML dump ({exc})", path=path) from None


# --------------------------------------------------------------------------- counts
def write_counts(path: str | Path, words: Sequence[str], counts: Sequence[int] | np.ndarray) -> Path:
    """Write ``word count`` lines in vocabulary order (the word2vec C tool's ``-save-vocab`` format)."""
    from textemb.io.atomic import atomic_open

    counts = np.asarray(counts, dtype=np.int64)
    if len(words) != len(counts):
        raise InputError(f"{len(words)} words but {len(counts)} counts")
    with atomic_open(path) as fh:
        fh.write("".join(f"{w} {int(c)}\n" for w, c in zip(words, counts)).encode("utf-8"))
    return Path(path)


def read_counts(path: str | Path) -> dict[str, int]:
    """Read a ``word count`` file (C tool / gensim ``fvocab`` format) into ``{word: count}``."""
    from textemb.io.bounded import open_regular
    from textemb.text import excerpt

    path = Path(path)
    out: dict[str, int] = {}
    try:
        with io.TextIOWrapper(open_regular(path, what="word-count file"), encoding="utf-8") as fh:
            for lineno, line in enumerate(_capped_lines(fh, path), 1):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                word, _, count = line.rpartition(" ")
                if not word or not count.isdigit():
                    raise FormatError(f"expected 'word count', got {excerpt(line)!r}", path=path, line=lineno)
                out.setdefault(word, int(count))
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read word counts ({exc})", path=path) from None
    return out


def counts_path(vectors_path: str | Path) -> Path:
    """Where the word counts of a saved vector file or folder live.

    ``model.bin`` / ``model.txt`` -> ``model.vocab.txt`` beside it; a vector folder ->
    ``FOLDER/vocab.txt``.
    """
    p = Path(vectors_path)
    if p.is_dir() or p.suffix == "":
        return p / "vocab.txt"
    name = p.name
    for ext in (".gz", ".bin", ".txt", ".vec"):
        name = name.removesuffix(ext)
    side = p.with_name(name + ".vocab.txt")
    return side if side != p else p.with_name(p.name + ".vocab")
