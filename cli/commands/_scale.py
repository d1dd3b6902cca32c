"""The --engine ray options of 'textemb index' (not a command)."""

from __future__ import annotations

from textemb_cli.commands.common import at_least


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
    g.add_argument("--num-cpus", type=at_least(1), default=2, metavar="N", help="CPUs of the local Ray runtime (default 2)")
    g.add_argument("--actors", type=at_least(1), default=None, metavar="N",
                   help="encoder actors (default: one per GPU, else one per CPU); each loads the model once")
    g.add_argument("--gpus-per-actor", type=float, default=None, metavar="G",
                   help="GPUs per actor (default 1 when the cluster has GPUs, else 0)")
    g.add_argument("--shard-size", type=at_least(1), default=None, metavar="N", help="passages per shard (default 1024)")
    g.add_argument("--shard-dir", default=None, metavar="DIR",
                   help="where shards go (default INDEX/.shards, or the cache for a Milvus target)")
    g.add_argument("--keep-shards", action="store_true", help="keep the shard files after the index is written")


def ray_options(args):
    """The RayOptions the --engine ray options describe."""
    from textemb.search.indexing import RayOptions
    from textemb.search.ray_engine import SHARD_SIZE

    return RayOptions(address=args.address, num_cpus=args.num_cpus, actors=args.actors,
                      gpus_per_actor=args.gpus_per_actor, shard_size=args.shard_size or SHARD_SIZE,
                      shard_dir=args.shard_dir, keep_shards=args.keep_shards, timeout=args.ray_timeout)
