"""Serve an index over HTTP: a JSON API (search, encode, words) and a page to use it in a browser.

>>> from textemb.serve import open_state, create_app
>>> holder, words = open_state("wiki.idx", words="glove-6b-50d")
>>> app = create_app(holder, words)          # an ASGI app; `textemb serve` runs it with uvicorn

Needs the ``serve`` extra (FastAPI, uvicorn): ``pip install 'textemb[serve]'``.
"""

from __future__ import annotations

from pathlib import Path

from textemb.serve.config import Limits, ServeConfig, check_bind, check_port, is_loopback

__all__ = ["Limits", "ServeConfig", "check_bind", "check_port", "create_app", "is_loopback", "open_state", "run"]


def _require() -> None:
    from textemb.errors import require

    require("fastapi", extra="serve", feature="textemb serve")
    require("uvicorn", extra="serve", feature="textemb serve")


def open_state(index: str | Path, *, encoder: str | None = None, words: str | None = None, device: str = "cpu",
               reload_interval: float = 1.0):
    """Open the index the user named (and load the models once); returns ``(IndexHolder, WordsHolder)``.

    ``encoder`` overrides the index's own spec (it must be compatible); ``words`` names word
    vectors for the words endpoints, else the encoder's own are used when it has them.
    """
    from textemb import compiled, load_encoder
    from textemb.serve.state import IndexHolder, WordsHolder, word_vectors_of

    compiled.prepare()  # a server answers one query at a time: the compiled single-query loop pays at once
    enc = load_encoder(encoder, device=device) if encoder else None
    holder = IndexHolder(index, encoder=enc, device=device, interval=reload_interval)
    if words:
        wv = word_vectors_of(load_encoder(words, device=device), convert=True)
        if wv is None:
            from textemb.errors import InputError

            raise InputError(f"--words {words!r} gives no word vectors; use a word-vector spec such as glove-6b-50d")
        return holder, WordsHolder(wv, words)
    wv = word_vectors_of(holder.encoder)
    return holder, WordsHolder(wv, None if wv is None else wv.spec)


def create_app(holder, words, config: ServeConfig | None = None):
    """The FastAPI app for an opened index (see :mod:`textemb.serve.app`)."""
    _require()
    from textemb.serve.app import create_app as build

    return build(holder, words, config)


def run(app, config: ServeConfig, *, port: int = 8000, log_level: str = "info") -> None:
    """Serve ``app`` with uvicorn on ``config.host:port`` (one process; requests share the loaded model).

    Connections get ``config.header_timeout`` seconds to send their headers and at most
    ``config.max_in_flight`` requests are answered at once (see :mod:`textemb.serve.server`)."""
    _require()
    from textemb.serve.server import build_server

    build_server(app, config, port=port, log_level=log_level).run()
