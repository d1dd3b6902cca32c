"""The exceptions textemb raises.

Every error a user can trigger is a :class:`TextembError` subclass whose message says
what went wrong, where (file, line, word), and how to fix it. The CLI prints the
message on one line and exits with status 1.

Every exception class of the library is defined here (``tests/test_shape.py`` checks it), so a user
finds what textemb may raise in one module; the modules that raise them import them from here (and
their old import paths, e.g. ``textemb.search.stores.folder_files.IndexLockedError``, keep working).
"""

from __future__ import annotations


class TextembError(Exception):
    """Base class of every error textemb raises on purpose."""

    def __str__(self) -> str:  # KeyError subclasses would otherwise quote the message
        return str(self.args[0]) if self.args else self.__class__.__name__


class InputError(TextembError, ValueError):
    """An argument or input value is not usable (empty input, bad option, wrong type)."""


class FormatError(TextembError, ValueError):
    """A file does not follow the format it claims (malformed vector file, bad manifest)."""

    def __init__(self, message: str, *, path: object = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f" line {line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class OOVError(TextembError, KeyError):
    """A word is not in the vocabulary.

    ``hint`` says how to get past it where the error is raised (``oov='skip'`` only where the call
    takes ``oov``; the CLI names its own flags); the default asks to check spelling and case.
    """

    def __init__(self, words: list[str] | str, *, vocab_size: int | None = None, hint: str | None = None) -> None:
        words = [words] if isinstance(words, str) else list(words)
        shown = ", ".join(repr(w) for w in words[:10]) + (" ..." if len(words) > 10 else "")
        size = f" of {vocab_size:,} words" if vocab_size is not None else ""
        noun = "word" if len(words) == 1 else "words"
        super().__init__(f"{noun} not in vocabulary{size}: {shown} ({hint or 'check spelling and case'})")
        self.words = words
        self.vocab_size = vocab_size


#: the OOVError hint of calls that take ``oov=``
SKIP_HINT = "check spelling and case, or pass oov='skip' to ignore unknown words"


class UnknownEncoderError(TextembError, ValueError):
    """An encoder spec names no registered backend or named model."""


class ModelNotInstalledError(TextembError):
    """A named offline model's package is not installed."""


class MissingDependencyError(TextembError, ImportError):
    """An optional dependency (an extra) is needed for this feature."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the '{package}' package, which is not installed: "
            f"pip install 'textemb[{extra}]'"
        )


class UnsafeFileError(TextembError):
    """A file would need pickle (or other code execution) to load and the user did not opt in."""


class CacheError(TextembError):
    """The on-disk cache is unusable (corrupt, unwritable)."""


class NotAnIndexFolderError(InputError):
    """An output folder exists, holds files, and is not a textemb index: textemb will not write there."""


class IndexLockedError(TextembError):
    """Another process is writing this index."""


class IndexWriteError(TextembError, OSError):
    """Writing a new generation failed (disk full, read-only folder ...); the previous one is intact."""


class MilvusError(TextembError):
    """The Milvus server or milvus-lite refused an operation."""


class DumpError(TextembError):
    """A MediaWiki dump cannot be read (bad bz2 data, malformed XML, inflates past its cap); the message is the reason."""


class NoWordVectorsError(InputError):
    """A words endpoint of ``textemb serve`` was called on a server without word vectors."""


class ApiError(TextembError):
    """A ``textemb serve`` error answered with HTTP ``status`` and a JSON body naming ``code`` and saying what to change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class DataWarning(UserWarning):
    """A dataset was read but some of its lines were not usable (a warning, not an error: the rest is used)."""


def require(module: str, *, package: str | None = None, extra: str, feature: str):
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(package or module, extra, feature) from exc
