"""Documents in: walk a folder (or read one file / a Wikipedia dump) and parse it into :class:`Document` records.

A folder is walked recursively without following symlinks out of it: every file is checked
(regular file, inside the root, not empty, not oversized, UTF-8 text) and anything that fails
is recorded in :attr:`DocumentSet.skipped` with a reason, never raised. Supported files:
``.txt``, ``.md``, ``.html``/``.htm`` (stripped to text), ``.jsonl`` (one document a line with
``id``/``_id``, ``title``, ``text``), ``.csv`` (a chosen text column), and MediaWiki XML dumps
(``.xml`` or bz2-compressed ``.bz2``, e.g. gensim's enwiki test sample).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from textemb.errors import InputError
from textemb.search.jsonl import jsonl_record
from textemb.search.markup import html_to_text, strip_wiki_markup
from textemb.text import excerpt, printable, utf8_safe

#: files larger than this are skipped (pass ``max_bytes=`` to change it)
DEFAULT_MAX_BYTES = 50 * 1024**2
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".csv", ".xml", ".bz2")


@dataclass
class Document:
    """One document: a stable ``id``, its text, and where it came from.

    ``source`` is the file it was read from (relative to the root, POSIX slashes) and
    ``source_hash`` the sha256 of that file's bytes: re-indexing compares it to skip unchanged files.
    """

    id: str
    text: str
    title: str | None = None
    source: str = ""
    source_hash: str = ""
    meta: dict = field(default_factory=dict)


@dataclass
class DocumentSet:
    """What :func:`load_documents` found: the documents, what was skipped and why, and the root."""

    documents: list[Document]
    skipped: list[tuple[str, str]]  # (path relative to root, reason)
    root: Path | None = None

    def summary(self) -> str:
        sources = len({d.source for d in self.documents})
        head = f"{len(self.documents):,} documents from {sources:,} files"
        if not self.skipped:
            return head
        lines = [head + f"; skipped {len(self.skipped):,}:"]
        lines += [f"  {printable(p)}: {printable(why)}" for p, why in self.skipped[:20]]
        if len(self.skipped) > 20:
            lines.append(f"  ... and {len(self.skipped) - 20:,} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------- walking
def load_documents(
    source: str | Path,
    *,
    text_column: str = "text",
    max_bytes: int = DEFAULT_MAX_BYTES,
    errors: str = "strict",
    exclude: tuple[str | Path, ...] | list[str | Path] = (),
) -> DocumentSet:
    """Read documents from a folder (recursively), one file, or a Wikipedia XML dump.

    ``errors="strict"`` (default) skips files that are not valid UTF-8 (with the byte offset in the
    reason); ``errors="replace"`` reads them with U+FFFD for the bad bytes. Folders in ``exclude``
    (e.g. the index being written) and every textemb index folder met on the walk are not read; each
    is listed in :attr:`DocumentSet.skipped` with the reason.
    """
    if errors not in ("strict", "replace"):
        raise InputError(f"errors must be 'strict' or 'replace', got {errors!r}")
    path = Path(source)
    if not path.exists() and not path.is_symlink():
        raise InputError(f"{path}: no such file or folder; give a folder of documents or a single file")
    if path.is_dir():
        excluded = {_resolved(p) for p in exclude}
        return _walk(path, text_column=text_column, max_bytes=max_bytes, errors=errors, exclude=excluded)
    docs: list[Document] = []
    skipped: list[tuple[str, str]] = []
    name = utf8_safe(path.name)
    _read_one(path, name, docs, skipped, text_column=text_column, max_bytes=max_bytes, errors=errors)
    return DocumentSet(docs, skipped, path.parent.resolve())


def _resolved(p: str | Path) -> Path:
    try:
        return Path(p).resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(p))


def _not_a_source(folder: Path, exclude: set[Path]) -> str | None:
    """Why a folder met on the walk is not read: the index being written, or any textemb index folder."""
    from textemb.search.stores.folder_files import is_index_folder

    if exclude and _resolved(folder) in exclude:
        return "the index output folder (inside the indexed folder): not indexed"
    if is_index_folder(folder):
        return "a textemb index folder: not indexed"
    return None


def _walk(root: Path, *, text_column: str, max_bytes: int, errors: str = "strict",
          exclude: set[Path] | None = None) -> DocumentSet:
    exclude = exclude or set()
    real_root = root.resolve()
    docs: list[Document] = []
    skipped: list[tuple[str, str]] = []
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append((_rel(folder, root), f"unreadable folder ({exc.strerror or exc})"))
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            skipped.append((_rel(folder, root), "symlink loop (folder already visited)"))
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        why = _not_a_source(folder, exclude)
        if why:
            skipped.append((_rel(folder, root), why))
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and folders (.git, .textemb-index ...)
            p = Path(entry.path)
            rel = _rel(p, root)
            if not _utf8_name(entry.name):  # undecodable bytes: the name could not be stored or printed
                skipped.append((utf8_safe(rel), "file name is not valid UTF-8 (rename the file)"))
                continue
            reason = _outside_root(p, real_root) if entry.is_symlink() else None
            if reason:
                skipped.append((rel, reason))
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(p)
            else:
                _read_one(p, rel, docs, skipped, text_column=text_column, max_bytes=max_bytes, errors=errors)
        stack.extend(reversed(subdirs))
    return DocumentSet(docs, skipped, real_root)


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix() or "."
    except ValueError:
        return p.as_posix()


def _outside_root(p: Path, real_root: Path) -> str | None:
    try:
        target = p.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken symlink or symlink loop"
    if target != real_root and real_root not in target.parents:
        return "symlink points outside the indexed folder"
    return None


def _suffix(p: Path) -> str:
    return p.suffix.lower()


def _read_one(p: Path, rel: str, docs: list, skipped: list, *, text_column: str, max_bytes: int,
              errors: str = "strict") -> None:
    """Append the documents of one file to ``docs``, or a reason to ``skipped``."""
    suffix = _suffix(p)
    if suffix not in TEXT_SUFFIXES:
        skipped.append((rel, f"unsupported file type {suffix or '(none)'!r}"))
        return
    try:
        data = _read_bytes(p, max_bytes)
        found = _parse_bytes(data, suffix, rel, skipped, text_column=text_column, max_bytes=max_bytes, errors=errors)
    except _Skip as exc:
        skipped.append((rel, str(exc)))
        return
    except (RecursionError, MemoryError) as exc:  # whatever a parser meets that is nested or large past our checks
        skipped.append((rel, f"cannot be parsed ({'nested too deeply' if isinstance(exc, RecursionError) else 'too large'})"))
        return
    found = [d for d in found if d.text.strip()]
    unique = list({d.id: d for d in reversed(found)}.values())[::-1]  # first of each id wins
    if len(unique) < len(found):
        skipped.append((rel, f"{len(found) - len(unique)} records with a duplicate id (the first one of each is kept)"))
        found = unique
    if not found:
        skipped.append((rel, "no text after parsing"))
        return
    digest = hashlib.sha256(data).hexdigest()
    for d in found:
        d.source, d.source_hash = rel, digest
    docs.extend(found)


def _read_bytes(p: Path, max_bytes: int) -> bytes:
    """The bytes of a regular, non-empty file of at most ``max_bytes``; :class:`_Skip` says why not."""
    # Open without following a symlink (links were resolved and checked by the walker) and without
    # blocking (a FIFO swapped in after the walk cannot hang us), then check what was opened.
    target = p.resolve() if p.is_symlink() else p
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise _Skip(f"unreadable ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Skip("not a regular file (FIFO, socket or device)")
        if st.st_size == 0:
            raise _Skip("empty file")
        if st.st_size > max_bytes:
            raise _Skip(f"oversized ({st.st_size:,} bytes > {max_bytes:,}-byte limit)")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise _Skip(f"unreadable ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise _Skip(f"oversized (grew past the {max_bytes:,}-byte limit while reading)")
    return data


def _parse_bytes(data: bytes, suffix: str, rel: str, skipped: list, *, text_column: str, max_bytes: int,
                 errors: str) -> list:
    """The documents in one file's bytes (a bz2 MediaWiki dump, or UTF-8 text in a known format)."""
    if suffix == ".bz2":  # a compressed MediaWiki dump (enwiki-...-pages-articles*.bz2), inflated as a stream
        from textemb.search.wikidump import bz2_chunks

        return _wiki_documents(bz2_chunks(data, max_bytes * 20), rel, skipped, max_bytes)
    if b"\x00" in data[:8192]:
        raise _Skip("binary file (NUL bytes)")
    try:
        text = data.decode("utf-8-sig", errors=errors)
    except UnicodeDecodeError as exc:
        raise _Skip(f"not UTF-8 text (byte {exc.start}); convert it to UTF-8, "
                    "or in Python load_documents(..., errors='replace')") from None
    return _parse_text(text, suffix, rel, text_column, skipped)


class _Skip(Exception):
    """A file is not usable; the message is the reason in the summary."""


def _wiki_documents(chunks, rel: str, skipped: list, max_text: int) -> list[Document]:
    """The articles of a MediaWiki dump; an article over ``max_text`` characters is skipped with a reason."""
    from textemb.errors import DumpError

    dropped: list[tuple[str, int]] = []
    try:
        found = list(parse_wikipedia_dump(chunks, rel, max_text=max_text, dropped=dropped))
    except DumpError as exc:
        raise _Skip(str(exc)) from None
    skipped.extend((f"{rel}#{page}", f"article text over {max_text:,} characters (the file size limit): skipped")
                   for page, _ in dropped)
    return found


def _parse_text(text: str, suffix: str, rel: str, text_column: str, skipped: list) -> list[Document]:
    if suffix == ".txt":
        return [Document(rel, text)]
    if suffix in (".md", ".markdown"):
        return [Document(rel, text, markdown_title(text))]
    if suffix in (".html", ".htm"):
        title, body = html_to_text(text)
        return [Document(rel, body, title)]
    if suffix == ".jsonl":
        return _parse_jsonl(text, rel, skipped)
    if suffix == ".csv":
        return _parse_csv(text, rel, text_column)
    if suffix == ".xml":
        return _wiki_documents([text.encode("utf-8")], rel, skipped, len(text))
    raise _Skip(f"unsupported file type {suffix!r}")


_ATX_H1 = re.compile(r"^#[ \t]", re.MULTILINE)  # no quantifier: one step per line start, never backtracks


def markdown_title(text: str) -> str | None:
    """The first ``# Title`` line's text (closing ``#``s dropped), in one linear pass over ``text``."""
    for m in _ATX_H1.finditer(text):
        end = text.find("\n", m.end())
        line = text[m.end(): len(text) if end < 0 else end].strip()
        title = line.rstrip("#").rstrip()
        if title:
            return title
    return None


def _parse_jsonl(text: str, rel: str, skipped: list) -> list[Document]:
    out, bad, seen = [], 0, set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        obj, why = jsonl_record(line)
        if obj is not None:
            ident = obj.get("id", obj.get("_id", n))
            if f"{rel}#{ident}" in seen:
                why = f"duplicate id {excerpt(repr(ident), 60)} (the first one is kept)"
        if why or obj is None:
            bad += 1
            if bad <= 3:
                skipped.append((f"{rel}:{n}", why))
            continue
        seen.add(f"{rel}#{ident}")
        title = obj.get("title")
        meta = {k: v for k, v in obj.items() if k not in ("id", "_id", "title", "text")}
        out.append(Document(f"{rel}#{ident}", obj["text"], str(title) if title else None, meta=meta))
    if bad > 3:
        skipped.append((rel, f"{bad - 3} more bad lines"))
    return out


def _parse_csv(text: str, rel: str, text_column: str) -> list[Document]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        fields = reader.fieldnames or []
        if text_column not in fields:
            raise _Skip(f"no column {text_column!r} (columns: {', '.join(fields) or 'none'}); pass text_column= / --text-column")
        out, seen = [], set()
        for n, row in enumerate(reader, 2):
            ident = row.get("id") or row.get("_id") or str(n)
            if ident in seen:
                raise _Skip(f"duplicate id {ident!r} on line {n}; ids in a CSV file must be unique")
            seen.add(ident)
            title = row.get("title") or None
            out.append(Document(f"{rel}#{ident}", row.get(text_column) or "", title))
        return out
    except csv.Error as exc:
        raise _Skip(f"malformed CSV ({exc})") from None


# --------------------------------------------------------------------------- Wikipedia
def parse_wikipedia_dump(xml: bytes | Iterable[bytes], rel: str = "", *, min_chars: int = 1,
                         max_text: int | None = None, dropped: list[tuple[str, int]] | None = None):
    """Yield one :class:`Document` per main-namespace, non-redirect article of a MediaWiki dump.

    ``xml`` is the dump's bytes, or its bytes in pieces (read as a stream, e.g. from
    :func:`textemb.search.wikidump.bz2_chunks`). An article with more than ``max_text`` characters is left out and
    listed in ``dropped``; malformed XML raises :class:`textemb.errors.DumpError`.
    """
    from textemb.search.wikidump import iter_pages

    for page_id, title, raw in iter_pages(xml, max_text=max_text, dropped=dropped):
        text = strip_wiki_markup(raw)
        if len(text) >= min_chars:
            yield Document(f"{rel}#{page_id}" if rel else str(page_id), text, title, meta={"page_id": page_id})
