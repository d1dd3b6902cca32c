"""The FastAPI application: JSON endpoints for search and words, the page, its assets, the API page.

>>> from textemb.serve import create_app, open_state
>>> app = create_app(*open_state("wiki.idx", words="glove-6b-50d"))
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)   (what `textemb serve` does)

Endpoints are plain ``def`` functions, so FastAPI runs them in its thread pool; the shared
state they touch is in :mod:`textemb.serve.state`. No endpoint takes a file path: the index
is the one the user named when starting the server, and the page's assets come from a fixed
table read from the package at start-up.
"""

from __future__ import annotations

import json
import logging
import time
from importlib import resources

import numpy as np
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from textemb.errors import ApiError, InputError, NoWordVectorsError, OOVError, TextembError
from textemb.search.highlight import query_words
from textemb.serve import schemas
from textemb.serve.config import ServeConfig
from textemb.serve.guard import (
    SECURITY_HEADERS,
    BodyLimit,
    InFlightLimit,
    SecurityHeaders,
    SlashRedirect,
    cap,
    check_token,
    error_body,
    positive,
)
from textemb.serve.results import clean, finite, hit_json, pca_2d
from textemb.serve.state import IndexHolder, WordsHolder, searching
from textemb.text import excerpt

log = logging.getLogger("textemb.serve")

#: the page and its assets: URL path -> (package file, media type); nothing else is served from disk
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/docs": ("docs.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/docs.js": ("docs.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
}


def create_app(holder: IndexHolder, words: WordsHolder, config: ServeConfig | None = None):
    """The ASGI app serving ``holder``'s index and ``words``' vectors under ``config``'s rules."""
    config = config or ServeConfig()
    app = FastAPI(title="textemb", version=_version(), docs_url=None, redoc_url=None, redirect_slashes=False,
                  default_response_class=SafeJSONResponse,
                  description="Semantic search and word-vector exploration over one textemb index.")
    app.state.holder, app.state.words, app.state.config = holder, words, config

    def auth(request: Request) -> None:
        check_token(request.headers.get("authorization"), config.token)

    _add_error_handlers(app)
    _add_assets(app)
    api = Depends(auth)
    _add_search_routes(app, holder, config, api)
    _add_word_routes(app, holder, words, config, api)
    # the first added runs last: headers on every answer, then the Host check, the request count, the body
    app.add_middleware(SlashRedirect, paths=[route.path for route in app.routes if isinstance(route, Route)])
    app.add_middleware(BodyLimit, max_bytes=config.limits.max_body_bytes, timeout=config.body_timeout)
    app.add_middleware(InFlightLimit, limit=config.max_in_flight)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=config.trusted_hosts())
    app.add_middleware(SecurityHeaders)
    return app


def _version() -> str:
    from textemb import __version__

    return __version__


class SafeJSONResponse(JSONResponse):
    """JSON that is always valid UTF-8 and never holds NaN."""

    def render(self, content) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return clean(text).encode("utf-8")


def _error(status: int, code: str, message: str):
    return Response(error_body(code, message), status_code=status, media_type="application/json",
                    headers={"www-authenticate": "Bearer"} if status == 401 else None)


def _add_error_handlers(app) -> None:
    @app.exception_handler(ApiError)
    def _api(request, exc: ApiError):
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(OOVError)
    def _oov(request, exc: OOVError):
        return _error(400, "unknown_word", str(exc))

    @app.exception_handler(NoWordVectorsError)
    def _no_words(request, exc):
        return _error(400, "no_word_vectors", str(exc))

    @app.exception_handler(InputError)
    def _input(request, exc: InputError):
        return _error(400, "invalid", str(exc))

    @app.exception_handler(TextembError)
    def _textemb(request, exc: TextembError):  # a bad index file, a missing extra: the server's problem
        return _error(500, "server_error", str(exc))

    @app.exception_handler(Exception)
    def _unexpected(request, exc: Exception):  # answered outside the middlewares: add their headers here
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        response = _error(500, "internal", f"unexpected {type(exc).__name__} (the server log has the details)")
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(RequestValidationError)
    def _invalid(request, exc):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return _error(422, "invalid", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(HTTPException)
    def _http(request, exc):
        return _error(exc.status_code, "not_found" if exc.status_code == 404 else "http_error", str(exc.detail))


def _add_assets(app) -> None:
    files = resources.files("textemb.serve") / "static"
    table = {url: (files.joinpath(name).read_bytes(), media) for url, (name, media) in ASSETS.items()}
    for url, (body, media) in table.items():
        def asset(body=body, media=media):
            return Response(body, media_type=media)

        app.add_api_route(url, asset, methods=["GET"], include_in_schema=False)


def _add_search_routes(app, holder: IndexHolder, config: ServeConfig, api) -> None:
    limits = config.limits

    @app.post("/search", dependencies=[api], summary="Top-k documents for a query")
    def search(req: schemas.SearchRequest) -> dict:
        return _search(holder, limits, req)

    @app.get("/search", dependencies=[api], summary="Top-k documents for a query (query-string form)")
    def search_get(q: str, k: int = 10, mode: str = "hybrid", doc_score: str = "max", vector_search: str = "auto") -> dict:
        from pydantic import ValidationError

        try:
            req = schemas.SearchRequest(query=q, k=k, mode=mode, doc_score=doc_score, vector_search=vector_search)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ApiError(422, "invalid", f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        return _search(holder, limits, req)

    @app.post("/encode", dependencies=[api], summary="Vectors of texts from the index's encoder")
    def encode(req: schemas.EncodeRequest) -> dict:
        _check_texts(req.texts, limits, "texts")
        vecs = holder.encoder.encode(req.texts, normalize=req.normalize) if req.texts else np.zeros((0, holder.encoder.dim))
        if not np.isfinite(vecs).all():
            raise ApiError(422, "not_finite", "the encoder gave non-finite values for these texts")
        return {"encoder": clean(holder.encoder.spec), "dim": holder.encoder.dim,
                "vectors": np.asarray(vecs, dtype=np.float32).tolist()}

    @app.get("/health", dependencies=[api], summary="Index generation, counts, models and limits")
    def health() -> dict:
        snap = holder.current()
        idx = snap.index
        return {"status": "ok",
                "index": {"name": clean(holder.path.name), "generation": snap.generation, "documents": len(idx),
                          "passages": idx.store.passage_count(), "encoder": clean(idx.encoder_spec), "dim": idx.dim,
                          "reloads": holder.reloads, "reload_error": holder.reload_error,
                          "checked_every_s": holder.interval},
                "words": {"available": app.state.words.wv is not None,
                          "spec": None if app.state.words.spec is None else clean(app.state.words.spec),
                          "size": len(app.state.words.wv) if app.state.words.wv is not None else 0},
                "modes": list(schemas.SEARCH_MODES), "limits": vars(limits)}


def _search(holder: IndexHolder, limits, req: schemas.SearchRequest) -> dict:
    if not req.query.strip():
        raise ApiError(422, "invalid", "query is empty: give some words to search for")
    cap(len(req.query), limits.max_query_chars, "query length in characters")
    positive(req.k, "k")
    cap(req.k, limits.max_k, "k")
    t0 = time.perf_counter()
    snap = holder.current()
    if req.vector_search == "ann" and req.mode != "bm25" and not snap.has_ann:  # never build a graph per request
        raise ApiError(422, "invalid", "vector_search ann needs an HNSW graph and this index has none: use "
                                       "vector_search exact, or re-index with 'textemb index ... --ann hnsw'")
    with searching(snap, "exact" if req.mode == "bm25" else req.vector_search):
        hits = snap.index.search(req.query, k=req.k, mode=req.mode, ann=req.vector_search, doc_score=req.doc_score)
    words = query_words(req.query)
    return {"query": clean(req.query), "k": req.k, "mode": req.mode, "vector_search": req.vector_search,
            "doc_score": req.doc_score,
            "generation": snap.generation, "documents": len(snap.index), "words": words,
            "took_ms": round(1000 * (time.perf_counter() - t0), 2), "hits": [hit_json(h, words) for h in hits]}


def _check_texts(texts: list[str], limits, what: str) -> None:
    cap(len(texts), limits.max_batch, f"number of {what}")
    for i, t in enumerate(texts):
        cap(len(t), limits.max_text_chars, f"length of {what}[{i}] in characters")


def _add_word_routes(app, holder: IndexHolder, words: WordsHolder, config: ServeConfig, api) -> None:
    limits = config.limits

    @app.post("/neighbors", dependencies=[api], summary="Nearest words by cosine similarity")
    def neighbors(req: schemas.NeighborsRequest) -> dict:
        wv = words.require()
        positive(req.k, "k")
        cap(req.k, limits.max_k, "k")
        word = _word(wv, req.word)
        return {"word": clean(word), "neighbors": _pairs(wv.most_similar(word, topn=req.k))}

    @app.post("/analogy", dependencies=[api], summary="a : b :: c : ?")
    def analogy(req: schemas.AnalogyRequest) -> dict:
        wv = words.require()
        positive(req.k, "k")
        cap(req.k, limits.max_k, "k")
        a, b, c = (_word(wv, w) for w in (req.a, req.b, req.c))
        return {"a": clean(a), "b": clean(b), "c": clean(c), "method": req.method,
                "answers": _pairs(wv.analogy(a, b, c, topn=req.k, method=req.method))}

    @app.post("/similarity", dependencies=[api], summary="Cosine similarity of text (or word) pairs")
    def similarity(req: schemas.SimilarityRequest) -> dict:
        cap(len(req.pairs), limits.max_batch, "number of pairs")
        if req.level == "word":
            wv = words.require()
            scores = [wv.similarity(_word(wv, a), _word(wv, b)) for a, b in req.pairs]
        else:
            flat = [t for pair in req.pairs for t in pair]
            for i, t in enumerate(flat):
                cap(len(t), limits.max_text_chars, f"length of text {i} in characters")
            vecs = holder.encoder.encode(flat, normalize=True) if flat else np.zeros((0, 1))
            scores = [float(vecs[2 * i] @ vecs[2 * i + 1]) for i in range(len(req.pairs))]
        return {"level": req.level, "scores": [finite(s) for s in scores]}

    @app.post("/pca", dependencies=[api], summary="2-D PCA coordinates of words (for the scatter)")
    def pca(req: schemas.PcaRequest) -> dict:
        wv = words.require()
        cap(len(req.words), limits.max_words, "number of words")
        known, missing = [], []
        for w in dict.fromkeys(x.strip() for x in req.words if x.strip()):
            if w in wv or w.lower() in wv:
                known.append(_word(wv, w))
            else:
                missing.append(clean(w))
        known = list(dict.fromkeys(known))
        points, ratios = pca_2d(wv[known]) if len(known) >= 2 else _too_few(known)
        return {"words": [clean(w) for w in known], "points": [[finite(x), finite(y)] for x, y in points],
                "explained": [finite(r) for r in ratios], "missing": missing}


def _too_few(known: list[str]):
    raise InputError(f"a scatter needs at least 2 words in the vocabulary; found {len(known)}")


def _word(wv, word: str) -> str:
    """``word`` as the vocabulary spells it: as given, else lower-cased (GloVe is lower-case)."""
    w = word.strip()
    if not w:
        raise ApiError(422, "invalid", "empty word")
    if w in wv:
        return w
    if w.lower() in wv:
        return w.lower()
    raise ApiError(400, "unknown_word", f"{excerpt(w)!r} is not in the vocabulary of {len(wv):,} words "
                                        "(check the spelling; multi-word phrases are not words)")


def _pairs(items) -> list[dict]:
    return [{"word": clean(w), "score": finite(s)} for w, s in items]
