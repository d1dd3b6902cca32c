"""The HTTP server under the app: uvicorn's h11 protocol with a header timeout and a cap on unfinished requests.

uvicorn alone waits for ever for a request line and headers that never finish, and its
``limit_concurrency`` counts connections, so a few hundred idle sockets made every other client get
a 503. Here a connection has ``header_timeout`` seconds to finish its headers (from its start, and on a
kept-alive connection from the end of the previous response), at most ``max_incomplete`` connections may be
sending headers at once (past it the oldest of them is closed), and the request limit is the app's
:class:`~textemb.serve.guard.InFlightLimit`, which counts requests, not connections.

>>> server = build_server(app, ServeConfig(), port=8000)
>>> server.run()                                    # what `textemb serve` does
"""

from __future__ import annotations

import asyncio

from textemb.serve.config import ServeConfig, check_bind, check_port

#: bytes of request line + headers a connection may send (h11's own default, stated here); over it: a 400
MAX_HEADER_BYTES = 16 * 1024


def protocol_class(header_timeout: float, max_incomplete: int) -> type[asyncio.Protocol]:
    """An h11 protocol class for one server: connections still sending headers are timed and capped.

    A fresh class per server, so its table of connections waiting for headers is that server's own."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        """uvicorn's h11 protocol that closes a connection not done with its headers in time."""

        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_headers()

        def handle_events(self) -> None:  # after data arrived, or after a response (the next request's turn)
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:
                self._headers_done()  # a request line and headers arrived (or h11 refused them)
            elif self not in waiting and not self.transport.is_closing():
                self._await_headers()  # a kept-alive connection: the next request gets the same time

        def connection_lost(self, exc: Exception | None) -> None:
            self._headers_done()
            super().connection_lost(exc)

        def _await_headers(self) -> None:
            self._headers_done()
            waiting[self] = None
            self._header_timer = self.loop.call_later(header_timeout, self._close_unfinished)
            while len(waiting) > max_incomplete:
                next(iter(waiting))._close_unfinished()

        def _headers_done(self) -> None:
            waiting.pop(self, None)
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _close_unfinished(self) -> None:
            self._headers_done()
            if not self.transport.is_closing():
                self.transport.close()

    #: connections whose current request has not finished its headers, oldest first (dicts keep order)
    waiting: dict[HeaderTimeoutProtocol, None] = {}
    return HeaderTimeoutProtocol


def build_server(app, config: ServeConfig, *, port: int, log_level: str = "info"):
    """A ``uvicorn.Server`` for ``app`` on ``config.host:port`` under ``config``'s connection rules (not started)."""
    import uvicorn

    check_bind(config.host, config.token)
    check_port(port)
    settings = uvicorn.Config(
        app, host=config.host, port=port, log_level=log_level, server_header=False, proxy_headers=False,
        http=protocol_class(config.header_timeout, config.max_incomplete), ws="none", lifespan="off",
        h11_max_incomplete_event_size=MAX_HEADER_BYTES, timeout_keep_alive=5,
        limit_concurrency=None)  # requests are limited in the app (InFlightLimit), connections here
    return uvicorn.Server(settings)
