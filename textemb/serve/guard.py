"""The server's guards: JSON errors, the bearer token, the body-size cap and timeout, the in-flight
request limit, relative slash redirects and safe response headers.

Every error leaves as ``{"error": {"code": ..., "message": ...}}``, so a client can tell a too-long
query (413) from an unknown word (400), a missing token (401), a slow body (408) or a busy server (503).
The connection-level rules (header timeout, unfinished requests) are in :mod:`textemb.serve.server`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from urllib.parse import quote

from textemb.errors import ApiError
from textemb.serve.results import clean

#: sent with every response: only our own scripts and styles run, nothing embeds the page
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": clean(message)}}, ensure_ascii=False).encode("utf-8")


def check_token(header: str | None, token: str | None) -> None:
    """Raise a 401 :class:`ApiError` unless ``header`` is ``Bearer <token>`` (constant-time compare)."""
    if token is None:
        return
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "unauthorized", "this server needs a bearer token: send 'Authorization: Bearer <token>'")


def cap(value: int, limit: int, what: str, *, status: int = 422) -> None:
    """Raise an :class:`ApiError` when ``value`` is over ``limit``."""
    if value > limit:
        raise ApiError(status, "too_large", f"{what} is {value:,}; this server accepts at most {limit:,}")


def positive(value: int, what: str) -> None:
    if value < 1:
        raise ApiError(422, "invalid", f"{what} must be at least 1, got {value}")


async def send_error(send, status: int, code: str, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """Answer with ``status`` and the JSON error body straight from ASGI (for the middlewares below)."""
    body = error_body(code, message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers] + [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` (by Content-Length, then by bytes read) and
    bodies that take longer than ``timeout`` seconds to arrive (a 408: a slow sender cannot hold a request slot)."""

    def __init__(self, app, max_bytes: int, timeout: float = 30.0) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await self._refuse(send)
        chunks, seen = [], 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:  # buffer the body (at most max_bytes), so the app never sees a partial one
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                return await send_error(send, 408, "body_timeout", f"the request body did not arrive within "
                                        f"{self.timeout:g} s; send it at once", ((b"connection", b"close"),))
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                return await self._refuse(send)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:
        await send_error(send, 413, "body_too_large", f"request body over {self.max_bytes:,} bytes; send less",
                         ((b"connection", b"close"),))  # the rest of the body is not read: nor is the connection


class InFlightLimit:
    """ASGI middleware: at most ``limit`` requests answered at once; one more gets a 503 JSON error.

    It counts requests, not connections: a connection still sending its headers is no request yet
    (the server's header timeout closes it), so idle clients cannot lock the others out."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit, self.active = app, limit, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.active >= self.limit:
            return await send_error(send, 503, "busy", f"the server is answering {self.limit:,} requests; "
                                    "try again in a moment", ((b"retry-after", b"1"),))
        self.active += 1  # one event loop: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class SlashRedirect:
    """ASGI middleware: ``/health/`` → 307 to ``/health`` with a relative ``Location`` (the Host header,
    which a client chooses, is never echoed); only paths in ``paths`` are redirected to."""

    def __init__(self, app, paths) -> None:
        self.app, self.paths = app, frozenset(paths)

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        target = path.rstrip("/")
        if len(path) > 1 and path.endswith("/") and target in self.paths:
            query = scope.get("query_string", b"")
            location = quote(target).encode("ascii") + (b"?" + query if query else b"")
            await send({"type": "http.response.start", "status": 307,
                        "headers": [(b"location", location), (b"content-length", b"0")]})
            return await send({"type": "http.response.body", "body": b""})
        return await self.app(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app) -> None:
        self.app = app
        self.extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message, headers=list(message.get("headers", []))
                               + [(k, v) for k, v in self.extra if k not in names])
            await send(message)

        await self.app(scope, receive, with_headers)
