"""The lexical index beside the vectors: Okapi BM25 (``bm25s``) over the same passage texts, kept in sync.

Rows are passages grouped by document (``doc_ids[i]`` has ``counts[i]`` passages, in order), so a
document is replaced or dropped without re-tokenizing the others: :meth:`LexicalIndex.add` tokenizes
only the new documents, and the BM25 matrix (which depends on every document through idf and the mean
length) is recomputed from the stored token ids on the next search. Saved as one ``.npz`` of plain
numeric arrays (read with ``allow_pickle=False``) and one JSON file (vocabulary, document ids, settings):
nothing is ever unpickled.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterable, Sequence
from tokenize import TokenError

import numpy as np

from textemb.errors import FormatError, require

FORMAT = "textemb-lexical"
FORMAT_VERSION = 1
K1, B = 1.5, 0.75  # bm25s' defaults (method "lucene")
_ARRAYS = {"tokens": np.int32, "offsets": np.int64, "counts": np.int64, "data": np.float32, "indices": np.int32,
           "indptr": np.int64}


def _bm25s():
    return require("bm25s", extra="search", feature="BM25 / hybrid search")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """bm25s' tokenizer: lower-cased words of 2+ word characters, English stopwords removed."""
    return _bm25s().tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)


class LexicalIndex:
    """BM25 over passages, keyed by (document id, passage number)."""

    def __init__(self, *, matrix: dict | None = None) -> None:
        """An empty index (``matrix``: the BM25 matrix read with the tokens by :meth:`from_bytes`)."""
        self.vocab: dict[str, int] = {}
        self.doc_ids: list[str] = []
        self.counts: list[int] = []
        self.tokens: list[np.ndarray] = []  # one int32 array of token ids per passage
        self._matrix: dict | None = matrix
        self._rows: tuple[np.ndarray, np.ndarray] | None = None  # document index and passage number per row

    def __len__(self) -> int:
        return len(self.tokens)

    # ------------------------------------------------------------------ updating
    def add(self, documents: Iterable[tuple[str, Sequence[str]]]) -> None:
        """Index each ``(document id, passage texts in order)``; an id already present is replaced."""
        documents = list(documents)
        self.remove(d for d, _ in documents)
        texts = [t for _, passages in documents for t in passages]
        tokenized = iter(tokenize(texts)) if texts else iter(())
        for doc_id, passages in documents:
            self.doc_ids.append(doc_id)
            self.counts.append(len(passages))
            for _ in passages:
                self.tokens.append(np.fromiter((self.vocab.setdefault(t, len(self.vocab)) for t in next(tokenized)),
                                               dtype=np.int32))
        self._matrix = self._rows = None

    def remove(self, ids: Iterable[str]) -> int:
        """Drop these documents' passages (unknown ids are ignored); returns how many documents went."""
        drop = set(ids) & set(self.doc_ids)
        if not drop:
            return 0
        keep_docs, keep_counts, keep_tokens, row = [], [], [], 0
        for doc_id, n in zip(self.doc_ids, self.counts):
            if doc_id not in drop:
                keep_docs.append(doc_id)
                keep_counts.append(n)
                keep_tokens.extend(self.tokens[row:row + n])
            row += n
        self.doc_ids, self.counts, self.tokens = keep_docs, keep_counts, keep_tokens
        self._matrix = self._rows = None
        return len(drop)

    # ------------------------------------------------------------------ searching
    def _scores_matrix(self) -> dict:
        if self._matrix is None and (not self.vocab or not self.tokens):
            self._matrix = {"data": np.zeros(0, np.float32), "indices": np.zeros(0, np.int32),
                            "indptr": np.zeros(len(self.vocab) + 1, np.int64), "num_docs": len(self.tokens)}
        if self._matrix is None:
            bm25 = _bm25s().BM25(k1=K1, b=B)
            vocab = {t: i for t, i in self.vocab.items()}
            bm25.index(([list(map(int, t)) for t in self.tokens], vocab), show_progress=False)
            s = bm25.scores
            self._matrix = {"data": np.asarray(s["data"], dtype=np.float32),
                            "indices": np.asarray(s["indices"], dtype=np.int32),
                            "indptr": np.asarray(s["indptr"], dtype=np.int64), "num_docs": len(self.tokens)}
        return self._matrix

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Per passage row: the index of its document in :attr:`doc_ids`, and its passage number."""
        if self._rows is None:
            counts = np.asarray(self.counts, dtype=np.int64)
            doc = np.repeat(np.arange(len(counts)), counts)
            starts = np.repeat(np.cumsum(counts) - counts, counts)
            self._rows = (doc, np.arange(len(doc), dtype=np.int64) - starts)
        return self._rows

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no query word is indexed)."""
        ids = [self.vocab[t] for t in tokenize([query])[0] if t in self.vocab]
        out = np.zeros(len(self.tokens), dtype=np.float32)
        if not ids or not len(self.tokens):
            return out
        m = self._scores_matrix()
        for t in ids:  # score = sum over the query's words of each passage's precomputed BM25 weight
            s, e = m["indptr"][t], m["indptr"][t + 1]
            np.add.at(out, m["indices"][s:e], m["data"][s:e])
        return out

    # ------------------------------------------------------------------ persistence (no pickle)
    def to_bytes(self) -> tuple[bytes, bytes]:
        """``(npz bytes, json bytes)``: token ids, passage offsets, per-document counts and the BM25 matrix."""
        m = self._scores_matrix()
        lengths = np.fromiter((len(t) for t in self.tokens), dtype=np.int64, count=len(self.tokens))
        arrays = {"tokens": np.concatenate(self.tokens).astype(np.int32) if self.tokens else np.zeros(0, np.int32),
                  "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                  "counts": np.asarray(self.counts, dtype=np.int64), "data": m["data"], "indices": m["indices"],
                  "indptr": m["indptr"]}
        buf = io.BytesIO()
        np.savez(buf, **arrays, allow_pickle=False)
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "k1": K1, "b": B, "method": "lucene",
                "tokenizer": "bm25s.tokenize(stopwords='en')", "passages": len(self.tokens), "vocab": vocab,
                "doc_ids": self.doc_ids}
        return buf.getvalue(), json.dumps(meta, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, npz: bytes, meta: bytes, where: object = "lexical index") -> LexicalIndex:
        """Read what :meth:`to_bytes` wrote, checking every array's type and shape (FormatError when damaged)."""
        from textemb.io.cache import check_format

        try:
            info = json.loads(meta.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
            raise FormatError(f"the lexical index's JSON file is damaged ({type(exc).__name__}); re-index",
                              path=where) from None
        arrays = _read_arrays(npz, where)
        check_format(info, FORMAT, FORMAT_VERSION, where)
        vocab, doc_ids = info.get("vocab"), info.get("doc_ids")
        if not (isinstance(vocab, list) and isinstance(doc_ids, list) and all(isinstance(x, str) for x in doc_ids)
                and all(isinstance(t, str) for t in vocab) and len(set(vocab)) == len(vocab)):
            raise FormatError("the lexical index's vocabulary or document ids are damaged; re-index", path=where)
        for k, dt in _ARRAYS.items():
            if arrays[k].dtype != dt or arrays[k].ndim != 1:
                raise FormatError(f"lexical array {k!r} is {arrays[k].dtype}{arrays[k].shape}; re-index", path=where)
        off, counts, toks = arrays["offsets"], arrays["counts"], arrays["tokens"]
        n = int(counts.sum()) if len(counts) else 0
        if (len(counts) != len(doc_ids) or len(off) != n + 1 or off[0] != 0 or off[-1] != len(toks)
                or (np.diff(off) < 0).any() or (toks.size and (toks.min() < 0 or toks.max() >= len(vocab)))
                or len(arrays["indptr"]) != len(vocab) + 1 or info.get("passages") != n
                or arrays["indptr"][0] != 0 or (np.diff(arrays["indptr"]) < 0).any()
                or arrays["indptr"][-1] != len(arrays["indices"]) or len(arrays["data"]) != len(arrays["indices"])
                or (counts < 0).any()):
            raise FormatError("the lexical index's arrays do not fit together; re-index", path=where)
        idx = cls(matrix={"data": arrays["data"], "indices": arrays["indices"], "indptr": arrays["indptr"], "num_docs": n})
        idx.vocab = {t: i for i, t in enumerate(vocab)}
        idx.doc_ids, idx.counts = list(doc_ids), [int(c) for c in counts]
        idx.tokens = [toks[off[i]:off[i + 1]] for i in range(n)]
        if len(arrays["indices"]) and (arrays["indices"].max() >= n or arrays["indices"].min() < 0):
            raise FormatError("the lexical index's BM25 matrix points outside its passages; re-index", path=where)
        return idx


def _read_arrays(npz: bytes, where: object) -> dict[str, np.ndarray]:
    """The arrays of a lexical ``.npz``, each zip entry's declared size and npy header checked before it is inflated.

    textemb writes the ``.npz`` uncompressed (``np.savez``), so every entry holds at most as many bytes as the
    whole file: an entry that declares more (a zip bomb: a few MB inflating to GBs) is refused unread, and no
    array is allocated before its header's size is found to fit its entry. Peak memory stays within about
    twice the file's size.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(npz)) as z:
            entries = {i.filename: i for i in z.infolist()}
            missing = [k for k in _ARRAYS if f"{k}.npy" not in entries]
            if missing or len(entries) != len(_ARRAYS):
                raise FormatError(f"the lexical index holds entries {sorted(entries)[:10]!s:.200}, not the "
                                  f"{len(_ARRAYS)} arrays {sorted(_ARRAYS)}; re-index", path=where)
            return {k: _read_entry(z, entries[f"{k}.npy"], dt, len(npz), where) for k, dt in _ARRAYS.items()}
    except FormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, OSError,
            MemoryError, RecursionError, SyntaxError, TypeError, struct.error, TokenError) as exc:
        raise FormatError(f"the lexical index is damaged ({type(exc).__name__}); re-index", path=where) from None


def _read_entry(z, info, dtype, file_size: int, where: object) -> np.ndarray:
    """One ``.npy`` entry of the zip, checked (declared size, header dtype, 1-d shape, byte count) before reading."""
    fmt = np.lib.format
    name = info.filename
    if info.file_size > file_size or info.compress_size > file_size:
        raise FormatError(f"lexical array {name!r} declares {info.file_size:,} bytes inside a {file_size:,}-byte file "
                          "(textemb writes it uncompressed: damaged or a zip bomb); re-index", path=where)
    with z.open(info) as fh:
        major, _ = fmt.read_magic(fh)
        if major not in (1, 2, 3):
            raise FormatError(f"lexical array {name!r} has npy format version {major}; re-index", path=where)
        read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
        shape, fortran, got = read(fh)
        header = fh.tell() if fh.seekable() else None
        want = np.dtype(dtype)
        if got != want or fortran or len(shape) != 1:
            raise FormatError(f"lexical array {name!r} is {got}{str(tuple(shape))[:40]}, expected a 1-d {want} array; "
                              "re-index", path=where)
        body = info.file_size - (header if header is not None else 0)
        if header is None or shape[0] * want.itemsize != body:
            raise FormatError(f"lexical array {name!r}: its header ({shape[0]:,} values) does not fit its "
                              f"{info.file_size:,}-byte entry; re-index", path=where)
        data = fh.read(body)
    if len(data) != body:
        raise FormatError(f"lexical array {name!r} is truncated; re-index", path=where)
    return np.frombuffer(data, dtype=want).copy()
