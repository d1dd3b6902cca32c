"""Word tokenisation shared by the word-vector backends (no nltk data download needed)."""

from __future__ import annotations

import re
import unicodedata

# Words (with inner apostrophes/hyphens/dots as in "don't", "e-mail", "u.s."), numbers, or
# single punctuation marks: the GloVe/word2vec vocabularies contain all three kinds.
_TOKEN = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]", re.UNICODE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f"), None)


def normalize_text(text: str) -> str:
    """NFC-normalise and drop zero-width / direction marks, so NFD input finds NFC words."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE)


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Split ``text`` into word and punctuation tokens (``"Don't stop!"`` -> don't, stop, !)."""
    text = normalize_text(text)
    if lowercase:
        text = text.lower()
    return _TOKEN.findall(text)


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
    s = text if isinstance(text, str) else str(text)
    if _has_surrogates(s):
        s = s.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if keep_newlines:
        return _CONTROLS.sub(_escape_control, s)
    return _CONTROLS_AND_NEWLINES.sub(_escape_control, s.replace("\t", " "))


def excerpt(text: object, limit: int = 60) -> str:
    """A short, printable excerpt of data for an error message (never more than ``limit`` characters)."""
    s = printable(text)
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
