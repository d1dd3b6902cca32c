"""textemb serve --index INDEX : an HTTP API and a web page over one index (FastAPI on uvicorn)."""

from __future__ import annotations

import os
import sys

TOKEN_ENV = "TEXTEMB_SERVE_TOKEN"


def add_parser(sub):
    p = sub.add_parser(
        "serve", help="serve an index over HTTP: JSON API and a search/words page",
        description="Serve INDEX on http://HOST:PORT/: a search page and a words tab at /, the JSON API (/search, "
                    "/encode, /neighbors, /analogy, /similarity, /pca, /health) and its description at /docs. The "
                    "model is loaded once; when 'textemb index' updates INDEX the newest generation is served "
                    f"without a restart. Binding to anything but loopback needs a bearer token (${TOKEN_ENV} or "
                    "--token-file).")
    p.add_argument("--index", "-i", required=True, metavar="INDEX", help="an index folder built by 'textemb index'")
    p.add_argument("--encoder", "-e", default=None, metavar="SPEC",
                   help="query encoder (default: the index's own; must be compatible with it)")
    p.add_argument("--words", default=None, metavar="SPEC",
                   help="word vectors for the words tab (default: the encoder's own, if it is word-based), "
                        "e.g. glove-6b-50d")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", "-p", type=port_number, default=8000, help="port, 1 to 65535 (default 8000)")
    p.add_argument("--token-file", default=None, metavar="FILE",
                   help=f"file holding the bearer token (or set ${TOKEN_ENV}); required off loopback")
    p.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--reload-interval", type=float, default=1.0, metavar="SECONDS",
                   help="how often to look for a new index generation (default 1 s; one stat per look)")
    p.add_argument("--max-k", type=int, default=100, metavar="N", help="largest k a request may ask for (default 100)")
    p.add_argument("--max-query-chars", type=int, default=1000, metavar="N", help="longest query (default 1000)")
    p.add_argument("--max-batch", type=int, default=64, metavar="N", help="texts per /encode request (default 64)")
    p.add_argument("--max-body-bytes", type=int, default=1_048_576, metavar="N", help="largest request body (default 1 MiB)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return p


def port_number(text: str) -> int:
    """A TCP port for argparse: a whole number from 1 to 65535 (a usage error otherwise, not a bind failure)."""
    import argparse

    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a whole number from 1 to 65535")
    return port


def read_token(args) -> str | None:
    """The bearer token from --token-file (a regular file) or the environment; ``None`` if neither."""
    from textemb.errors import InputError

    if args.token_file:
        import stat

        try:
            st = os.stat(args.token_file)
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"--token-file {args.token_file!r} is not a regular file")
            if st.st_size > 4096:
                raise InputError(f"--token-file {args.token_file!r} is {st.st_size:,} bytes; a token is one short line")
            with open(args.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read --token-file {args.token_file!r}: {exc}") from None
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def run(args) -> int:
    from textemb.serve import Limits, ServeConfig, check_bind, create_app, open_state
    from textemb.serve import run as serve
    from textemb.text import printable

    token = read_token(args)
    check_bind(args.host, token)  # before loading any model
    limits = Limits(max_k=args.max_k, max_query_chars=args.max_query_chars, max_batch=args.max_batch,
                    max_body_bytes=args.max_body_bytes)
    config = ServeConfig(host=args.host, token=token, limits=limits, reload_interval=args.reload_interval)
    holder, words = open_state(args.index, encoder=args.encoder, words=args.words, device=args.device,
                               reload_interval=args.reload_interval)
    app = create_app(holder, words, config)
    snap = holder.current()
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"serving {printable(args.index)} (generation {snap.generation}, {len(snap.index):,} documents, "
          f"encoder {printable(snap.index.encoder_spec)}) on http://{host}:{args.port}/"
          + ("  [bearer token required]" if token else ""), file=sys.stderr)
    if words.wv is None:
        print("textemb: note: no word vectors for the words tab; add --words glove-6b-50d", file=sys.stderr)
    serve(app, config, port=args.port, log_level=args.log_level)
    return 0
