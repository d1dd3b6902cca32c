"""What a server is allowed to do: request limits, the bind address and the bearer token rule.

A server bound to a loopback address (127.0.0.1, ::1, localhost) may run without a token; any
other address (0.0.0.0, a LAN address, a host name) needs one, and :func:`check_bind` refuses
to start without it. The limits keep one request from holding the model for long.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from textemb.errors import InputError

#: the shortest bearer token accepted (a guessable token is no protection)
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class Limits:
    """Caps on what one request may ask for; a request over a cap gets a 4xx JSON error."""

    max_query_chars: int = 1_000      # /search query
    max_text_chars: int = 10_000      # each text given to /encode or /similarity
    max_k: int = 100                  # /search k, /neighbors k, /analogy k
    max_batch: int = 64               # texts per /encode call, pairs per /similarity call
    max_words: int = 100              # words in one /pca scatter
    max_body_bytes: int = 1_048_576   # any request body

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"limit {name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class ServeConfig:
    """Everything :func:`textemb.serve.create_app` needs besides the index and the models."""

    host: str = "127.0.0.1"
    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    #: seconds between two looks at the index manifest (a look is one ``stat``)
    reload_interval: float = 1.0
    #: Host headers accepted; ``None``: the loopback names when bound to loopback, any otherwise
    allowed_hosts: tuple[str, ...] | None = None
    #: seconds a connection has to send a request line and headers (idle and half-open ones are closed after it)
    header_timeout: float = 10.0
    #: seconds a request has to send its body once its headers are in (a 408 JSON error after it)
    body_timeout: float = 30.0
    #: connections still sending headers that are kept; past it the oldest of them is closed
    max_incomplete: int = 1_000
    #: requests answered at once (headers in, response not yet sent); past it a 503 JSON error
    max_in_flight: int = 256

    def __post_init__(self) -> None:
        check_bind(self.host, self.token)
        if not (self.reload_interval >= 0):
            raise InputError(f"reload interval must be >= 0 seconds, got {self.reload_interval!r}")
        for name in ("header_timeout", "body_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise InputError(f"{name} must be a positive number of seconds, got {value!r}")
        for name in ("max_incomplete", "max_in_flight"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")

    def trusted_hosts(self) -> list[str]:
        """Host header values to accept (a DNS-rebinding page cannot reach a loopback server)."""
        if self.allowed_hosts is not None:
            return list(self.allowed_hosts)
        if is_loopback(self.host):
            return list(dict.fromkeys(["127.0.0.1", "localhost", "[::1]", "::1", self.host.strip("[]").lower()]))
        return ["*"]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; False for 0.0.0.0, ::, other addresses and names."""
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_port(port: object) -> int:
    """``port`` as an int when it is a TCP port one can bind (1 to 65535), else an :class:`InputError`."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InputError(f"port must be a whole number from 1 to 65535, got {port!r}")
    return port


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a token, and any token too short to be a secret."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise InputError(f"the bearer token is {len(token)} characters; use at least {MIN_TOKEN_CHARS} "
                         "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if token is None and not is_loopback(host):
        raise InputError(f"refusing to serve on {host!r} without a bearer token: anyone who can reach that address "
                         "could use the server. Set TEXTEMB_SERVE_TOKEN (or --token-file FILE), or bind to 127.0.0.1")
