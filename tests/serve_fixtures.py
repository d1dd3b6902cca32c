"""Fixtures for the `textemb serve` tests: a real index of the shipped Wikipedia sample, a real uvicorn
server started with the `textemb serve` command on a free loopback port, and the same server run in a
thread of the test process (:func:`serving_in_thread`, for tests that look at its connections).

The documents are corpora/wikipedia-sample plus one crafted document whose title and text are HTML
(the browser test checks that the page shows it as text and runs none of it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIKI = ROOT / "corpora" / "wikipedia-sample"
ENCODER = "avg:glove-6b-50d"
CRAFTED_TITLE = '<img src=x onerror="document.title=\'pwned\'">Zebrafish <b>bold</b>'
CRAFTED = {"_id": "crafted-1", "title": CRAFTED_TITLE,
           "text": "zebrafish xylophone zebrafish xylophone <script>document.title='pwned'</script> "
                   "zebrafish xylophone zebrafish xylophone"}


def textemb(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real ``textemb`` command (this worktree's) and return the finished process."""
    return subprocess.run([sys.executable, "-m", "textemb_cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy(), check=False)


def build_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(WIKI / "corpus.jsonl", folder / "corpus.jsonl")
    (folder / "crafted.jsonl").write_text(json.dumps(CRAFTED) + "\n", encoding="utf-8")
    return folder


_BUILT: dict[str, Path] = {}


def wiki_index_for(tmp_path_factory) -> Path:
    """The Wikipedia sample (+ the crafted document) indexed by `textemb index` with averaged GloVe 50d
    (built once per session, whichever test module asks first)."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _BUILT:
        base = tmp_path_factory.mktemp("wiki")
        docs = build_docs(base / "docs")
        out = base / "wiki.idx"
        done = textemb("index", str(docs), "-o", str(out), "--encoder", ENCODER, "-q")
        assert done.returncode == 0, done.stderr
        _BUILT[key] = out
    return _BUILT[key]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(index: Path, *args: str, startup_s: float = 180, token: str | None = None):
    """`textemb serve --index INDEX ARGS` on 127.0.0.1:<free port>; yields the base URL, stops it after.

    ``token``: the server's bearer token (it must also be in the environment), used to poll /health."""
    import httpx

    port = free_port()
    log = open(index.parent / f"serve-{port}.log", "w+")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen([sys.executable, "-m", "textemb_cli", "serve", "--index", str(index), "--port", str(port),
                             "--log-level", "warning", *args], stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"textemb serve exited with {proc.returncode}: {log.read()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                auth = {"Authorization": f"Bearer {token}"} if token else {}
                if httpx.get(url + "/health", timeout=2, headers=auth).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"textemb serve did not answer within {startup_s} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


def artefact_dir(tmp_path: Path) -> Path:
    """Where screenshots and reports go: $TEXTEMB_SERVE_OUT if set (e.g. out/), else the test's tmp folder."""
    out = Path(os.environ.get("TEXTEMB_SERVE_OUT") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


@contextlib.contextmanager
def serving_in_thread(app, config, *, startup_s: float = 30):
    """``app`` served by :func:`textemb.serve.server.build_server` (what `textemb serve` runs) in a thread,
    on a loopback socket bound here; yields ``(port, server)`` and stops the server after."""
    from textemb.serve.server import build_server

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = build_server(app, config, port=port, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start within {startup_s} s")
            time.sleep(0.02)
        yield port, server
    finally:
        server.should_exit = server.force_exit = True
        thread.join(timeout=30)
        sock.close()
        assert not thread.is_alive(), "the server thread did not stop within 30 s"
