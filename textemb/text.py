"""Text as textemb reads and shows it: the one tokenizer, Unicode normalization, and scrubbing for output.

Tokenising: :func:`make_tokenizer` builds every tokenizer textemb offers (:data:`TOKENIZERS`; none needs an
nltk data download); :func:`tokenize` is its ``regexp`` tokenizer, lower-cased by default, which the
word-vector encoders use, so vectors trained with ``tokenizer="regexp"`` are looked up with the same tokens.
Output: :func:`printable` / :func:`excerpt` for terminals and messages, :func:`utf8_safe` for anything
that must encode as UTF-8 (JSON, HTTP bodies).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Words (with inner apostrophes/hyphens/dots as in "don't", "e-mail", "u.s."), numbers, or
# single punctuation marks: the GloVe/word2vec vocabularies contain all three kinds.
TOKEN_PATTERN = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]", re.UNICODE)
#: the same words and numbers without the punctuation marks (the ``words`` tokenizer)
WORD_PATTERN = re.compile(r"\w+(?:[-'.]\w+)*", re.UNICODE)
#: the tokenizers :func:`make_tokenizer` builds
TOKENIZERS = ("regexp", "words", "treebank", "nltk", "whitespace")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f"), None)


def normalize_text(text: str) -> str:
    """NFC-normalize and drop zero-width / direction marks, so NFD input finds NFC words."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE)


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Split ``text`` into word and punctuation tokens (``"Don't stop!"`` -> don't, stop, !): the ``regexp``
    tokenizer of :func:`make_tokenizer`, lower-cased unless ``lowercase=False``."""
    text = normalize_text(text)
    if lowercase:
        text = text.lower()
    return TOKEN_PATTERN.findall(text)


def make_tokenizer(name: str = "regexp", *, lowercase: bool = False) -> Callable[[str], list[str]]:
    """A function ``text -> tokens`` (NFC-normalized, optionally lower-cased) for ``name``.

    ``regexp``: words, numbers and punctuation marks (:data:`TOKEN_PATTERN`, as :func:`tokenize`);
    ``words``: the same without punctuation; ``treebank``: nltk's TreebankWordTokenizer
    (``don't`` -> ``do n't``); ``nltk``: NLTKWordTokenizer (the tokenizer behind
    ``word_tokenize``, without its Punkt sentence split); ``whitespace``: ``str.split``.
    Only ``treebank`` and ``nltk`` need nltk (no data download).
    """
    base = _base_tokenizer(name)

    def tokenize(text: str) -> list[str]:
        text = normalize_text(text)
        if lowercase:
            text = text.lower()
        return [t for t in base(text) if t and not t.isspace()]

    return tokenize


def _base_tokenizer(name: str) -> Callable[[str], list[str]]:
    if name == "whitespace":
        return str.split
    if name == "regexp":
        return TOKEN_PATTERN.findall
    if name == "words":
        return WORD_PATTERN.findall
    if name not in TOKENIZERS:
        from textemb.errors import InputError

        raise InputError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZERS)}")
    try:
        from nltk.tokenize import NLTKWordTokenizer, TreebankWordTokenizer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from textemb.errors import MissingDependencyError

        raise MissingDependencyError("nltk", "word2vec", "corpus tokenisation") from exc
    return TreebankWordTokenizer().tokenize if name == "treebank" else NLTKWordTokenizer().tokenize


# C0 controls (but tab/newline, handled by the caller's choice), DEL, C1 controls, and the Unicode
# bidi overrides / isolates that can reorder what a terminal shows.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_AND_NEWLINES = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape_control(match: re.Match) -> str:
    ch = match.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` made safe for a terminal, a log line or an error message.

    Every string that comes from data (file names, document ids, titles, passages, words read from a
    file) goes through this before it is printed: C0/C1 control characters (ESC, BEL, CR, OSC/CSI
    introducers, ...) and bidi overrides become visible escapes (``\\x1b``), so a crafted document can
    neither clear the screen, write the clipboard (OSC 52) nor hide text. Lone surrogates (from
    undecodable file names) become U+FFFD so the result always encodes as UTF-8. Tabs are kept;
    newlines are kept only with ``keep_newlines=True``.
    """
    s = utf8_safe(text if isinstance(text, str) else str(text))
    if keep_newlines:
        return _CONTROLS.sub(_escape_control, s)
    return _CONTROLS_AND_NEWLINES.sub(_escape_control, s.replace("\t", " "))


def excerpt(text: object, limit: int = 60) -> str:
    """A short, printable excerpt of data for an error message (never more than ``limit`` characters)."""
    s = printable(text)
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def utf8_safe(s: str) -> str:
    """``s`` made encodable as UTF-8, the one place textemb scrubs lone surrogates; any other string comes back
    unchanged.

    An undecodable byte of a file name (``surrogateescape``, U+DC80..U+DCFF) becomes one U+FFFD; any other lone
    surrogate (a JSON ``\\ud800`` escape) becomes U+FFFD as well.
    """
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    try:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return s.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
