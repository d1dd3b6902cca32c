"""textemb search QUERY (--index INDEX | DOCS) : semantic search with highlighted passages."""

from __future__ import annotations

import sys

from textemb_cli.commands.common import (
    add_index_args,
    announce_indexing,
    at_least,
    check_docs,
    chunk_from_args,
    json_safe,
    load_announced,
    load_search_encoder,
    notes,
    refuse_other_encoder,
)
from textemb_cli.output import print_json

from textemb.search.highlight import excerpt, query_words, word_pattern

BOLD, RESET = "\033[1m", "\033[0m"
#: seconds a one-step 'textemb search QUERY DOCS' waits for another process updating the same cached index
LOCK_WAIT = 600.0


def add_parser(sub):
    p = sub.add_parser(
        "search", help="search an index (or a folder, indexed on the fly) for a query",
        description="Print the k best documents for QUERY: rank, score, path relative to the indexed folder, title, "
                    "and the best passage with the query words highlighted. With DOCS instead of --index, the folder "
                    "is indexed into the cache ($TEXTEMB_CACHE/indexes/) and re-used (only changed files are "
                    "re-encoded). Several queries in one process: --queries FILE, or no QUERY on a terminal for a "
                    "prompt (the model is loaded once).")
    p.add_argument("query", nargs="?", metavar="QUERY",
                   help="what to search for (leave it out with --queries, or on a terminal for a prompt)")
    p.add_argument("docs", nargs="?", metavar="DOCS", help="folder or file to search (indexed on the fly)")
    p.add_argument("--queries", metavar="FILE", help="a UTF-8 text file, one query a line (blank lines skipped)")
    p.add_argument("--index", "-i", "--store", metavar="INDEX",
                   help="an index folder built by 'textemb index', or a store (milvus://HOST:PORT/COLLECTION, "
                        "milvus-lite:FILE.db/COLLECTION)")
    p.add_argument("-k", "--top-k", dest="k", type=at_least(1), default=5, help="documents to show (default 5)")
    p.add_argument("--mode", choices=["dense", "bm25", "hybrid", "exact", "ann", "auto"], default=None,
                   help="dense (vectors), bm25 (words) or hybrid (both; the default). "
                        "exact / ann are dense search with that vector search")
    p.add_argument("--fusion", choices=["weighted", "rrf"], default=None,
                   help="how hybrid fuses the two rankings: mean of min-max-normalized scores (weighted, the default) "
                        "or reciprocal rank (rrf)")
    p.add_argument("--vector-search", choices=["auto", "exact", "ann"], default="auto",
                   help="exact matrix multiply, faiss HNSW, or auto (HNSW when the index has one)")
    p.add_argument("--doc-score", choices=["max", "mean"], default="max",
                   help="document score: best passage (default) or mean over its passages")
    p.add_argument("--width", type=at_least(1), default=320, metavar="CHARS", help="passage characters to show (default 320)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    add_index_args(p)
    return p


def run(args) -> int:
    from textemb.errors import InputError
    from textemb.search import DEFAULT_MODE, Index
    from textemb.search.index import DEFAULT_FUSION
    from textemb.search.stores import mask_url

    if args.queries and args.query is not None and args.docs is None:
        args.query, args.docs = None, args.query  # 'search --queries FILE DOCS': the one positional is DOCS
    queries = _queries(args)
    if args.index is None and args.docs is None:
        raise InputError("give a DOCS folder or file to search (it is indexed on the fly) or --index INDEX")
    if args.index is not None and args.docs is not None:
        raise InputError("give a DOCS folder or file to search or --index INDEX, not both")
    if args.index:
        idx = Index.open(args.index, device=args.device)
        if args.encoder:  # the model check on specs first: a wrong --encoder is refused before it loads
            try:
                refuse_other_encoder(mask_url(args.index), idx.encoder_spec, args.encoder, updating=False)
                idx.use_encoder(load_announced(args.encoder, args.device, quiet=args.quiet or args.json))
            except BaseException:
                idx.close()
                raise
    else:
        idx = _index_for_folder(args)
    with idx:
        answers = []
        for query in queries if queries is not None else _prompt():
            with notes():  # library warnings (e.g. "no in-vocabulary token") as one-line notes, not raw warnings
                hits = idx.search(query, k=args.k, mode=args.mode, doc_score=args.doc_score, ann=args.vector_search,
                                  fusion=args.fusion or DEFAULT_FUSION)
            if args.json:
                answers.append({"query": query, "hits": [h.to_dict() for h in hits]})
            else:
                _print_hits(query, hits, len(idx) == 0, args.width, multi=queries is None or len(queries) > 1)
    if args.json:
        head = {"index": mask_url(idx.path), "encoder": idx.encoder_spec, "root": idx.root,
                "mode": args.mode or DEFAULT_MODE}
        body = answers[0] if args.queries is None and len(answers) == 1 else {"queries": answers}
        print_json(json_safe({**body, **head} if "hits" in body else {**head, **body}))
    return 0


def _queries(args) -> list[str] | None:
    """The queries to run: QUERY, the lines of --queries FILE, or None for an interactive prompt."""
    from textemb.errors import InputError
    from textemb.io.bounded import read_text_lines
    from textemb.search.index import is_blank

    if args.query is not None and args.queries:
        raise InputError("give QUERY or --queries FILE, not both")
    if args.queries:
        found = [q.strip() for q in read_text_lines(args.queries, what="queries file") if not is_blank(q)]
        if not found:
            raise InputError(f"{args.queries}: no queries in the file (one query a line)")
        return found
    if args.query is None:
        if not sys.stdin.isatty() or args.json:
            raise InputError("give a QUERY, or --queries FILE (one query a line); "
                             "run on a terminal without QUERY for a prompt")
        return None
    if is_blank(args.query):
        raise InputError("empty query: give some words to search for (control characters and spaces alone are not "
                         "a query)")
    return [args.query]


def _prompt():
    """Queries typed at a ``query>`` prompt until an empty line, EOF or Ctrl-C."""
    from textemb.search.index import is_blank

    print("type a query and press Enter; an empty line ends", file=sys.stderr)
    while True:
        try:
            line = input("query> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return
        if is_blank(line):
            return
        yield line.strip()


def _print_hits(query: str, hits, empty: bool, width: int, *, multi: bool) -> None:
    """The ranked documents for one query, every string from the documents escaped."""
    from textemb.text import printable

    tty = sys.stdout.isatty()
    words = query_words(query)
    if multi:
        print(f"\n== {printable(query)}")
    if not hits:
        print("no documents in the index" if empty else "no results: no query word is known to the index")
    for h in hits:  # every string below comes from the documents: escaped before it reaches the terminal
        source, ident = printable(h.source), printable(h.id)
        where = source if h.id == h.source else f"{source} [{printable(h.id.rsplit('#', 1)[-1])}]"
        title = f"  {printable(h.title)}" if h.title else ""
        print(f"{h.rank:>2}. {h.score:.4f}  {where or ident}{title}")
        print("    " + highlight(excerpt(printable(" ".join(h.passage.split())), words, width), words, tty=tty))


def _index_for_folder(args):
    """The cached index of DOCS, brought up to date (only changed files are re-encoded)."""
    from textemb.search import ChunkSettings
    from textemb.search.indexing import cached_index_path, index_documents

    check_docs(args.docs)
    quiet = args.quiet or args.json
    with notes():
        encoder = load_search_encoder(args.encoder, args.device, quiet=quiet)
    out = cached_index_path(args.docs, encoder.spec, chunk_from_args(args) or ChunkSettings())
    if not quiet:
        announce_indexing(args.docs, out, encoder.spec, first=not out.exists())
    with notes():
        idx, _, found, _ = index_documents(
            args.docs, out, encoder=encoder, chunk=chunk_from_args(args), dtype=args.dtype, ann=args.ann,
            text_column=args.text_column, batch_size=args.batch_size, show_progress=not quiet, device=args.device,
            lock_wait=LOCK_WAIT)  # another 'textemb search' may be updating the same cached index: wait, never fail
    if found.skipped and not quiet:
        print(f"(skipped {len(found.skipped)} files; 'textemb index' lists them)", file=sys.stderr)
    return idx


def highlight(text: str, words: list[str], *, tty: bool) -> str:
    """Query words in bold: ANSI on a terminal, ``**word**`` otherwise (case-insensitive, whole words)."""
    if not words:
        return text
    on, off = (BOLD, RESET) if tty else ("**", "**")
    return word_pattern(words).sub(lambda m: f"{on}{m.group(0)}{off}", text)
