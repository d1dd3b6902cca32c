"""textemb index DOCS -o INDEX : build (or incrementally update) a semantic search index."""

from __future__ import annotations

import contextlib
import sys
import warnings

from textemb_cli.commands._scale import add_scale_args, ray_options
from textemb_cli.output import print_json


def add_parser(sub):
    p = sub.add_parser(
        "index", help="build or update a search index over documents",
        description="Index a folder (walked recursively: .txt .md .html .jsonl .csv, Wikipedia .xml/.bz2 dumps) or one "
                    "file. Re-running on the same -o folder re-encodes only files whose content changed and drops "
                    "deleted ones.")
    p.add_argument("docs", metavar="DOCS", help="folder or file of documents")
    p.add_argument("-o", "--output", "--store", required=True, metavar="INDEX",
                   help="index folder to create or update, or a store: milvus://HOST:PORT/COLLECTION, "
                        "milvus-lite:FILE.db/COLLECTION")
    add_index_args(p)
    add_scale_args(p)
    p.add_argument("--rebuild", action="store_true", help="re-index from scratch (e.g. to change the encoder)")
    p.add_argument("--json", action="store_true", help="print a JSON summary for machines")
    return p


def add_index_args(p) -> None:
    """Options shared with 'textemb search ... DOCS' (which indexes on the fly)."""
    p.add_argument("--encoder", "-e", default=None, metavar="SPEC",
                   help="encoder spec (default: the index's own; for a new index all-MiniLM-L6-v2, "
                        "or averaged glove-6b-50d when the sentence-transformers backend is missing)")
    p.add_argument("--device", default="cpu", metavar="DEV", help="cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--chunk-size", type=int, default=None, metavar="N", help="passage length in units (default 128)")
    p.add_argument("--overlap", type=int, default=None, metavar="N", help="units shared by consecutive passages (default 32)")
    p.add_argument("--unit", choices=["words", "tokens"], default=None, help="chunk by words (default) or encoder tokens")
    p.add_argument("--dtype", choices=["float32", "float16"], default=None,
                   help="stored vector type (default: float32, or what an existing index uses)")
    p.add_argument("--ann", choices=["auto", "hnsw", "none"], default=None,
                   help="faiss HNSW graph: auto (>= 100k passages; the default for a new index), hnsw (always), none")
    p.add_argument("--text-column", default="text", metavar="COL", help="CSV column holding the text (default 'text')")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def chunk_from_args(args):
    from textemb.search import ChunkSettings

    if args.chunk_size is None and args.overlap is None and args.unit is None:
        return None
    d = ChunkSettings()
    size = args.chunk_size if args.chunk_size is not None else d.size
    overlap = args.overlap if args.overlap is not None else min(d.overlap, size // 4)
    return ChunkSettings(size=size, overlap=overlap, unit=args.unit or d.unit)


def build(args, docs: str, out):
    """Index ``docs`` into ``out`` as the options say; returns (open index, report, documents, ray report)."""
    from textemb import load_encoder
    from textemb.search.indexing import index_documents

    encoder = load_encoder(args.encoder, device=args.device) if args.encoder else None
    if not args.quiet:
        from textemb.progress import announce
        from textemb.text import printable

        spec = printable(args.encoder or "the default encoder")
        announce(f"indexing {printable(docs)} with {spec} (only new or changed files are encoded; progress follows)")
    with notes():
        return index_documents(docs, out, encoder=encoder, engine=args.engine, ray=ray_options(args),
                               chunk=chunk_from_args(args), dtype=args.dtype, ann=args.ann,
                               text_column=args.text_column, batch_size=args.batch_size,
                               show_progress=not args.quiet,  # a bar on a terminal, periodic lines in a log
                               rebuild=getattr(args, "rebuild", False), device=args.device)


@contextlib.contextmanager
def notes():
    """Show library warnings (e.g. the encoder fallback) as one-line notes on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                from textemb.text import printable

                print(f"textemb: note: {printable(w.message)}", file=sys.stderr)


def json_safe(obj):
    """``obj`` with every string made encodable as UTF-8 (lone surrogates from undecodable names -> U+FFFD),
    so ``--json`` output is always valid UTF-8; JSON itself escapes control characters."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
            return obj
        except UnicodeEncodeError:
            return obj.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(obj, dict):
        return {json_safe(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def run(args) -> int:
    from textemb.search.stores import mask_url
    from textemb.text import printable

    idx, report, found, rr = build(args, args.docs, args.output)
    with idx:
        n_docs, n_pass = len(idx), idx.store.passage_count()
    rate = (report.added + report.updated) and len(found.documents) / max(report.seconds, 1e-9)
    ray_info = None if rr is None else {"shards": rr.shards, "reused": rr.reused, "encoded": rr.encoded,
                                        "actors": rr.actors, "gpus_per_actor": rr.gpus_per_actor,
                                        "address": rr.ray_address, "shard_dir": rr.shard_dir}
    if args.json:
        print_json(json_safe({"index": mask_url(idx.path), "engine": args.engine, "encoder": idx.encoder_spec,
                              "documents": n_docs, "passages": n_pass,
                              "files": {"added": report.added, "updated": report.updated,
                                        "unchanged": report.unchanged, "removed": report.removed},
                              "encoded_passages": report.encoded_passages, "seconds": round(report.seconds, 3),
                              "ray": ray_info, "skipped": [{"path": p, "reason": r} for p, r in found.skipped]}))
        return 0
    print(f"indexed {printable(args.docs)} -> {mask_url(idx.path)}  (encoder {printable(idx.encoder_spec)}, "
          f"{idx.dim}-d, engine {args.engine})")
    print(f"  {n_docs:,} documents, {n_pass:,} passages; files: {report.added} new, {report.updated} changed, "
          f"{report.unchanged} unchanged, {report.removed} removed; {report.encoded_passages:,} passages encoded "
          f"in {report.seconds:.1f}s" + (f" ({rate:,.1f} docs/s)" if rate else ""))
    if rr is not None and rr.shards:
        print(f"  ray: {rr.shards} shards ({rr.reused} reused from {rr.shard_dir}, {rr.encoded} encoded) on "
              f"{rr.actors} actor(s) at {printable(rr.ray_address)}")
    if found.skipped:
        print(found.summary().split("\n", 1)[1] if "\n" in found.summary() else "")
    _prepare_fast_queries(idx.encoder_spec, args)
    return 0


def _prepare_fast_queries(spec: str, args) -> None:
    """Export a sentence-transformers model to ONNX once (cached; the export announces itself), so each later
    CLI query skips torch."""
    from textemb.errors import TextembError
    from textemb.search.compat import export_for_queries, onnx_query_model
    from textemb.text import printable

    model = onnx_query_model(spec, args.device)
    if model is None:
        return  # not a plain sbert index on the CPU (or no onnxruntime): queries run as the index was built
    try:
        path = export_for_queries(model)
    except (TextembError, OSError, RuntimeError, ValueError) as exc:
        print(f"textemb: note: no ONNX export for fast queries ({printable(exc)}); searches use PyTorch",
              file=sys.stderr)
        return
    if path is not None and not args.quiet and not args.json:
        print(f"  fast queries: the same model on ONNX Runtime ({printable(path.parent.name)})")
