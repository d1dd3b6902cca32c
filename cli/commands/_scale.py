"""The scale-out side of 'textemb index' / 'textemb search': --engine ray and Milvus stores (not a command)."""

from __future__ import annotations

import sys

from textemb_cli.output import print_json


def add_scale_args(p) -> None:
    """Options of 'textemb index' for --engine ray (ignored by the local engine)."""
    g = p.add_argument_group("scale out (pip install 'textemb[scale]')")
    g.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="encode in this process (default) or on Ray Data (a local Ray runtime unless --address)")
    g.add_argument("--address", default=None, metavar="ADDR",
                   help="Ray cluster to use: auto (the cluster this machine belongs to) or the head's HOST:PORT; "
                        "Ray Client (ray://) is refused: submit the command with 'ray job submit' instead")
    g.add_argument("--ray-timeout", type=float, default=None, metavar="SECONDS",
                   help="give up connecting to the --address cluster after this long (default: $TEXTEMB_RAY_TIMEOUT, "
                        "else 30)")
    g.add_argument("--num-cpus", type=int, default=2, metavar="N", help="CPUs of the local Ray runtime (default 2)")
    g.add_argument("--actors", type=int, default=None, metavar="N",
                   help="encoder actors (default: one per GPU, else one per CPU); each loads the model once")
    g.add_argument("--gpus-per-actor", type=float, default=None, metavar="G",
                   help="GPUs per actor (default 1 when the cluster has GPUs, else 0)")
    g.add_argument("--shard-size", type=int, default=None, metavar="N", help="passages per shard (default 1024)")
    g.add_argument("--shard-dir", default=None, metavar="DIR",
                   help="where shards go (default INDEX/.shards, or the cache for a Milvus target)")
    g.add_argument("--keep-shards", action="store_true", help="keep the shard files after the index is written")


def wants_scale(args) -> bool:
    from textemb.search.stores import is_store_url

    return args.engine != "local" or is_store_url(args.output)


def run_index(args) -> int:
    """'textemb index' into a Milvus store and/or with --engine ray."""
    from textemb_cli.commands.index import chunk_from_args, json_safe, notes

    from textemb import load_encoder
    from textemb.search.distributed import SHARD_SIZE
    from textemb.search.scale import RayOptions, index_documents
    from textemb.search.stores import mask_url
    from textemb.text import printable

    encoder = load_encoder(args.encoder, device=args.device) if args.encoder else None
    ray = RayOptions(address=args.address, num_cpus=args.num_cpus, actors=args.actors,
                     gpus_per_actor=args.gpus_per_actor, shard_size=args.shard_size or SHARD_SIZE,
                     shard_dir=args.shard_dir, keep_shards=args.keep_shards, timeout=args.ray_timeout)
    with notes():
        store, report, found, rr = index_documents(
            args.docs, args.output, encoder=encoder, engine=args.engine, ray=ray, chunk=chunk_from_args(args),
            dtype=args.dtype or "float32", ann=args.ann or "auto", text_column=args.text_column,
            batch_size=args.batch_size,
            show_progress=not args.quiet and sys.stderr.isatty(), rebuild=args.rebuild, device=args.device)
    try:
        n_docs, n_pass = len(store), store.passage_count()
        spec, dim = store.encoder_spec, store.dim
    finally:
        store.close()
    rate = (report.added + report.updated) and len(found.documents) / max(report.seconds, 1e-9)
    ray_info = None if rr is None else {"shards": rr.shards, "reused": rr.reused, "encoded": rr.encoded,
                                        "actors": rr.actors, "gpus_per_actor": rr.gpus_per_actor,
                                        "address": rr.ray_address, "shard_dir": rr.shard_dir}
    if args.json:
        print_json(json_safe({"index": mask_url(args.output), "engine": args.engine, "encoder": spec, "documents": n_docs,
                    "passages": n_pass, "files": {"added": report.added, "updated": report.updated,
                    "unchanged": report.unchanged, "removed": report.removed},
                    "encoded_passages": report.encoded_passages, "seconds": round(report.seconds, 3),
                    "ray": ray_info, "skipped": [{"path": p, "reason": r} for p, r in found.skipped]}))
        return 0
    print(f"indexed {printable(args.docs)} -> {mask_url(args.output)}  (encoder {printable(spec)}, {dim}-d, "
          f"engine {args.engine})")
    print(f"  {n_docs:,} documents, {n_pass:,} passages; files: {report.added} new, {report.updated} changed, "
          f"{report.unchanged} unchanged, {report.removed} removed; {report.encoded_passages:,} passages encoded "
          f"in {report.seconds:.1f}s" + (f" ({rate:,.0f} docs/s)" if rate else ""))
    if found.skipped:
        print(found.summary().split("\n", 1)[1] if "\n" in found.summary() else "")
    if ray_info and rr.shards:
        print(f"  ray: {rr.shards} shards ({rr.reused} reused from {rr.shard_dir}, {rr.encoded} encoded) on "
              f"{rr.actors} actor(s) at {printable(rr.ray_address)}")
    return 0


class StoreSearch:
    """Lets 'textemb search --index STORE' use a Milvus store like an index folder."""

    def __init__(self, url: str, *, device: str = "cpu", encoder=None) -> None:
        from textemb.search.stores import open_store

        self.store = open_store(url, device=device, encoder=encoder)
        from textemb.search.stores import mask_url

        self.path, self.encoder_spec, self.root = mask_url(url), self.store.encoder_spec, None

    def search(self, query: str, *, k: int, mode: str = "auto", doc_score: str = "max"):
        from textemb.errors import InputError

        if mode == "ann" or doc_score != "max":
            raise InputError(f"{self.path} searches exactly (FLAT) by each document's best passage: "
                             "drop --mode ann / --doc-score mean")
        try:
            return self.store.search(query, k=k)
        finally:
            self.store.close()
