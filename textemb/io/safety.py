"""Safe-loading rules: files that need pickle (code execution) to open are refused by default.

gensim's native ``.model`` files, ``.pkl``/``.pickle`` files and torch ``.bin``/``.pt`` checkpoints
are pickle-based: opening one can run arbitrary code. textemb refuses them unless the caller passes
``trust_pickle=True`` (spec option ``trust_pickle=1``, CLI ``--trust-pickle``) for a file they trust.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from textemb.errors import UnsafeFileError

PICKLE_SUFFIXES = {".model", ".pkl", ".pickle", ".pt", ".pth", ".joblib", ".npy_pickle"}


def looks_like_pickle(path: str | Path) -> bool:
    """True when the file starts like a pickle stream or is a torch zip checkpoint holding one."""
    from textemb.errors import InputError
    from textemb.io.bounded import open_regular

    path = Path(path)
    try:
        with open_regular(path) as fh:
            head = fh.read(2)
    except (OSError, InputError):  # not a readable regular file: the reader says so
        return False
    if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # PROTO opcode, protocols 2-5
        return True
    if head == b"PK" and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                return any(name.endswith(".pkl") for name in zf.namelist())
        except zipfile.BadZipFile:
            return False
    return False


def refuse_pickle(path: str | Path, *, trust_pickle: bool = False) -> None:
    """Raise :class:`UnsafeFileError` for a pickle-based file unless the user opted in."""
    path = Path(path)
    if trust_pickle:
        return
    if path.suffix.lower() in PICKLE_SUFFIXES or looks_like_pickle(path):
        raise UnsafeFileError(
            f"{path} is a pickle-based file (gensim .model, .pkl, torch checkpoint): loading it can run "
            "arbitrary code, so textemb refuses it. If you trust its source, pass trust_pickle=True "
            "(spec option ?trust_pickle=1); better, convert it once to word2vec binary "
            "(KeyedVectors.save_word2vec_format(..., binary=True)) and load that"
        )


def load_trusted_gensim(path: str | Path):
    """Open a gensim native model the user explicitly trusted; returns (words, vectors)."""
    from textemb.errors import require

    require("gensim", extra="word2vec", feature="opening gensim .model files")
    from gensim.models import KeyedVectors, Word2Vec

    try:
        obj = KeyedVectors.load(str(path))
    except Exception:  # a full Word2Vec / FastText model rather than bare KeyedVectors
        obj = Word2Vec.load(str(path))
    kv = getattr(obj, "wv", obj)
    return list(kv.index_to_key), kv.vectors
