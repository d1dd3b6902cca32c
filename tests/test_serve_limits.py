"""textemb serve's connection rules, on a real uvicorn server (run in a thread) and real sockets on 127.0.0.1.

Idle and half-open connections (a request line or headers begun and never finished) are closed after
the header timeout, at most ``max_incomplete`` of them are kept, and they never count against the
request limit, so other clients are answered while hundreds of them are held. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import resource
import socket
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from tests.serve_fixtures import serving_in_thread  # noqa: E402
from textemb.serve import ServeConfig, create_app  # noqa: E402 (after importorskip)
from textemb.serve.state import IndexHolder, WordsHolder  # noqa: E402

IDLE = 300
DOCS = {"frog.txt": "Frogs are amphibians that live near ponds and eat insects.",
        "paris.txt": "Paris is the capital of France, on the river Seine."}


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    from textemb import load_encoder
    from textemb.encoders.averaging import AveragingEncoder
    from textemb.search import Index, load_documents

    wv = load_encoder("glove:glove-6b-50d?limit=20000")
    docs = tmp_path_factory.mktemp("docs")
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    path = tmp_path_factory.mktemp("idx") / "small.idx"
    encoder = AveragingEncoder.mean(wv)
    Index.build(load_documents(docs), encoder, path=path)
    return path, encoder, wv


@contextlib.contextmanager
def served(small_index, **config):
    path, encoder, wv = small_index
    settings = ServeConfig(**config)
    app = create_app(IndexHolder(path, encoder=encoder, interval=1.0), WordsHolder(wv, wv.spec), settings)
    with serving_in_thread(app, settings) as (port, server):
        yield port, server


@pytest.fixture
def enough_files():
    """Room for the held sockets at both ends (both in this process): raise the soft limit if it is low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 4 * IDLE + 256
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"the file-descriptor limit is {hard}; this test holds {2 * IDLE} sockets")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def is_open(sock: socket.socket) -> bool:
    """Whether the server still holds ``sock`` open (no end of stream, no reset; nothing was sent to it)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(10)


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def read_until_closed(sock: socket.socket, limit: float = 10) -> bytes:
    """What the server sends on ``sock`` until it closes it (a socket timeout past ``limit`` seconds)."""
    sock.settimeout(limit)
    got = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            got += chunk
    return got


def test_idle_half_open_connections_do_not_lock_out_other_clients(small_index, enough_files):
    with served(small_index, header_timeout=120) as (port, server), contextlib.ExitStack() as held:
        idle = [held.enter_context(connect(port)) for _ in range(IDLE)]
        for i, sock in enumerate(idle):  # a request line begun, or headers begun and never ended, or nothing
            sock.sendall([b"GET /hea", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1", b""][i % 3])
        wait_for(lambda: len(server.server_state.connections) >= IDLE, 30, f"the server holds {IDLE} connections")
        t0 = time.monotonic()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            answers = [client.get("/health") for _ in range(10)]
            answers += [client.post("/search", json={"query": "frogs in ponds", "k": 1}) for _ in range(10)]
        answers += [httpx.get(f"http://127.0.0.1:{port}/health", timeout=30) for _ in range(10)]  # new connections
        took = time.monotonic() - t0
        assert [r.status_code for r in answers] == [200] * 30, [r.text for r in answers if r.status_code != 200][:2]
        assert answers[10].json()["hits"][0]["source"] == "frog.txt"
        assert sum(map(is_open, idle)) == IDLE, "the idle connections were held open all along"
    assert took < 30, f"30 requests took {took:.1f} s beside {IDLE} idle connections"


def test_a_half_open_connection_is_closed_after_the_header_timeout(small_index):
    with served(small_index, header_timeout=1.0) as (port, _server):
        silent, half = connect(port), connect(port)
        half.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # one answered request, then half of one
        kept.request("GET", "/health")
        assert kept.getresponse().read() and kept.sock is not None
        kept.sock.sendall(b"GET /hea")
        t0 = time.monotonic()
        closed_at = []
        for sock in (silent, half, kept.sock):
            assert read_until_closed(sock) == b""  # closed without an answer: there is no request to answer
            closed_at.append(time.monotonic() - t0)
        assert all(0.5 < t < 5 for t in closed_at), closed_at  # each closed at about 1 s
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
        for conn in (silent, half, kept):
            conn.close()


def test_only_the_newest_incomplete_requests_are_kept(small_index):
    with served(small_index, header_timeout=120, max_incomplete=20) as (port, server), contextlib.ExitStack() as held:
        first = [held.enter_context(connect(port)) for _ in range(20)]
        for sock in first:
            sock.sendall(b"GET /hea")
        wait_for(lambda: len(server.server_state.connections) >= 20, 30, "the server holds 20 connections")
        assert all(map(is_open, first))
        later = [held.enter_context(connect(port)) for _ in range(10)]
        for sock in later:
            sock.sendall(b"POST /sea")
        wait_for(lambda: sum(not is_open(s) for s in first) == 10, 30, "the 10 oldest incomplete requests closed")
        assert all(map(is_open, later))
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200


def test_requests_past_the_in_flight_limit_get_a_json_503_and_slow_bodies_a_408(small_index):
    with served(small_index, max_in_flight=2, body_timeout=1.5) as (port, _server), contextlib.ExitStack() as held:
        slow = [held.enter_context(connect(port)) for _ in range(2)]
        for sock in slow:  # headers done, body never finished: two requests in flight
            sock.sendall(b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 40\r\n\r\n{\"query\": ")
        url = f"http://127.0.0.1:{port}/health"
        busy = []
        wait_for(lambda: busy.append(httpx.get(url, timeout=10)) or busy[-1].status_code == 503, 5, "a 503")
        assert busy[-1].json()["error"]["code"] == "busy" and busy[-1].headers["retry-after"] == "1"
        for sock in slow:
            answer = read_until_closed(sock)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer[:200]
            assert json.loads(body)["error"]["code"] == "body_timeout"
        assert httpx.get(url, timeout=10).status_code == 200  # the slots are free again
        with connect(port) as sock:  # a body refused by its length is not waited for: the connection closes
            sock.sendall(b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n{")
            t0 = time.monotonic()
            assert read_until_closed(sock).startswith(b"HTTP/1.1 413")
            assert time.monotonic() - t0 < 3  # at once, not after the 5 s keep-alive
