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
