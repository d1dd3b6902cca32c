"""Optional capabilities of an encoder, declared as small protocols and checked in this one place.

Every encoder has :meth:`~textemb.encoders.base.Encoder.encode`. Some can do more, and callers ask
for that here instead of probing with ``hasattr``:

* :class:`HasWordVectors` — gives a :class:`~textemb.vectors.WordVectors` (GloVe and word2vec *are*
  word vectors; ``bert:`` builds them from its vocabulary; averaging encoders expose their inner ones).
* :class:`EmbedsTokens` — gives one vector per token of a text in context (``bert:``).
* :class:`HasTokenizer` — carries a Hugging Face fast tokenizer (``bert:``, ``sbert:``), used to
  chunk documents by model tokens.
* :class:`WrapsWordVectors` — is built over word vectors it holds as ``wv``, with the ``settings`` that
  weight them (averaging encoders); :func:`held_word_vectors_of` reaches them without computing anything.
* :class:`HasModelFolder` — was loaded from a model folder (``model_path``), whose weights identify it.

>>> wv = word_vectors_of(load_encoder("glove-6b-50d"), "glove-6b-50d")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textemb.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from textemb.vectors import WordVectors


@runtime_checkable
class HasWordVectors(Protocol):
    """An encoder that can give word vectors (its own vocabulary, one vector per word)."""

    def word_vectors(self) -> WordVectors:
        """The word vectors; may be computed (and cached) on first call."""
        ...


@runtime_checkable
class EmbedsTokens(Protocol):
    """An encoder that embeds each token of a text in its context."""

    def embed_tokens(self, text: str) -> tuple[list[str], np.ndarray]:
        """The text's tokens and one vector per token, shape ``(len(tokens), dim)``."""
        ...


@runtime_checkable
class HasTokenizer(Protocol):
    """An encoder carrying a Hugging Face tokenizer (``tokenizer`` attribute)."""

    tokenizer: Any


@runtime_checkable
class WrapsWordVectors(Protocol):
    """An encoder built over word vectors it holds as ``wv``, weighted by its ``settings`` (averaging)."""

    wv: WordVectors
    settings: dict[str, Any]


@runtime_checkable
class HasModelFolder(Protocol):
    """An encoder loaded from a model folder or Hugging Face name (``model_path``): ``bert:``, ``sbert:``."""

    model_path: str


def word_vectors_of(encoder: object, name: str | None = None, *, needed_by: str | None = None) -> WordVectors:
    """``encoder`` as word vectors, or :class:`InputError` saying which models have them.

    ``needed_by`` names what asked (``averaging``) at the start of the error message.
    """
    from textemb.vectors import WordVectors

    if isinstance(encoder, WordVectors):
        return encoder
    if isinstance(encoder, HasWordVectors):
        return encoder.word_vectors()
    label = repr(name) if name else type(encoder).__name__
    why = f"{needed_by} needs word vectors; " if needed_by else ""
    raise InputError(f"{why}{label} has no word vectors ({type(encoder).__name__} encodes whole texts only): "
                     "use a word-vector model such as glove-6b-50d, word2vec:FILE, or a contextual model "
                     "bert:all-MiniLM-L6-v2 (word vectors from its vocabulary)")


def held_word_vectors_of(encoder: object) -> WordVectors | None:
    """The word vectors ``encoder`` is or holds (itself, an averaging encoder's ``wv``), computing nothing;
    ``None`` for any other encoder (a contextual model's :meth:`word_vectors` is not called)."""
    from textemb.vectors import WordVectors

    if isinstance(encoder, WordVectors):
        return encoder
    if isinstance(encoder, WrapsWordVectors) and isinstance(encoder.wv, WordVectors):
        return encoder.wv
    return None


def token_embedder_of(encoder: object, name: str | None = None) -> EmbedsTokens:
    """``encoder`` if it embeds tokens in context, else :class:`InputError` naming one that does."""
    if isinstance(encoder, EmbedsTokens):
        return encoder
    label = repr(name) if name else type(encoder).__name__
    raise InputError(f"{label} cannot embed tokens in context: use a contextual encoder such as "
                     "bert:all-MiniLM-L6-v2")


def hf_tokenizer_of(encoder: object) -> Any | None:
    """The encoder's Hugging Face *fast* tokenizer (on the encoder or its ``model``), or None."""
    for owner in (encoder, getattr(encoder, "model", None)):
        if isinstance(owner, HasTokenizer):
            tok = owner.tokenizer
            if callable(tok) and getattr(tok, "is_fast", False):
                return tok
    return None
