"""textemb index DOCS -o INDEX : build (or incrementally update) a semantic search index."""

from __future__ import annotations

import sys

from textemb_cli.commands._scale import add_scale_args, ray_options
from textemb_cli.commands.common import (
    add_index_args,
    announce_indexing,
    check_docs,
    chunk_from_args,
    index_encoder,
    json_safe,
    load_search_encoder,
    notes,
    refuse_other_encoder,
)
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


def build(args, docs: str, out):
    """Index ``docs`` into ``out`` as the options say; returns (open index, report, documents, ray report).

    Everything that can be refused is refused before a model loads: a missing DOCS, and an ``--encoder`` whose
    vectors the existing index does not hold (compared on the specs in its manifest)."""
    from textemb.search.indexing import index_documents
    from textemb.search.stores import mask_url, parse_store_url

    check_docs(docs)
    built = None if args.rebuild else index_encoder(str(out))
    if args.encoder and built:
        refuse_other_encoder(mask_url(out), built, args.encoder, updating=True)
    with notes():
        encoder = None if built and not args.encoder else load_search_encoder(args.encoder, args.device,
                                                                                quiet=args.quiet)
    if not args.quiet:
        first = built is None and parse_store_url(out).kind == "folder"
        announce_indexing(docs, mask_url(out), encoder.spec if encoder else built, first=first,
                          loads=encoder is None)
    with notes():
        return index_documents(docs, out, encoder=encoder, engine=args.engine, ray=ray_options(args),
                               chunk=chunk_from_args(args), dtype=args.dtype, ann=args.ann,
                               text_column=args.text_column, batch_size=args.batch_size,
                               show_progress=not args.quiet,  # a bar on a terminal, periodic lines in a log
                               rebuild=args.rebuild, device=args.device)


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
    from textemb.encoders.runtime import prepare_fast
    from textemb.errors import TextembError
    from textemb.text import printable

    try:
        path = prepare_fast(spec, args.device)  # None: no faster runtime with the same vectors (queries run as built)
    except (TextembError, OSError, RuntimeError, ValueError) as exc:
        print(f"textemb: note: no ONNX export for fast queries ({printable(exc)}); searches use PyTorch",
              file=sys.stderr)
        return
    if path is not None and not args.quiet and not args.json:
        print(f"  fast queries: the same model on ONNX Runtime ({printable(path.parent.name)})")
