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
    """Open a gensim native model the user explicitly trusted; returns (words, vectors).

    The file is unpickled once; anything that is not a gensim model holding word vectors
    (``KeyedVectors``, or a ``Word2Vec``/``FastText`` model with ``.wv``) is one :class:`FormatError`.
    """
    from textemb.errors import FormatError, require
    from textemb.io.bounded import check_regular
    from textemb.text import excerpt

    require("gensim", extra="word2vec", feature="opening gensim .model files")
    from gensim import utils
    from gensim.models import KeyedVectors

    check_regular(path, what="model file")
    fname = str(path)
    try:
        obj = utils.unpickle(fname)
        if not isinstance(obj, utils.SaveLoad):
            raise FormatError(f"holds a pickled {type(obj).__name__}, not a gensim model "
                              "(KeyedVectors, Word2Vec or FastText saved with .save())", path=path)
        obj._load_specials(fname, None, *utils.SaveLoad._adapt_by_suffix(fname))
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - unpickling can raise anything; the user gets one line
        raise FormatError(f"cannot open it as a gensim model ({type(exc).__name__}: {excerpt(exc, 120)})",
                          path=path) from None
    kv = getattr(obj, "wv", obj)
    if not isinstance(kv, KeyedVectors):
        raise FormatError(f"holds a gensim {type(obj).__name__} without word vectors", path=path)
    return list(kv.index_to_key), kv.vectors
