"""textemb distill : distil a sentence-transformers model into a static lookup table (model2vec)."""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg, at_least, shown
from textemb_cli.output import print_json


def add_parser(sub):
    p = sub.add_parser("distill", help="distil a sentence model into a fast static encoder (model2vec)",
                       description="Run model2vec's distillation on a local model folder (offline) and write a "
                                   "pickle-free static folder that the spec static:FOLDER loads.")
    p.add_argument("model", help="a named model (all-MiniLM-L6-v2) or a local sentence-transformers folder")
    p.add_argument("-o", "--output", default=None,
                   help="output folder (new or empty; see --force); default: the cache ($TEXTEMB_CACHE/static/"
                        "MODEL-pcaN, listed and cleared by 'textemb cache'), re-used when it is there")
    p.add_argument("--force", action="store_true",
                   help="replace an output folder that textemb wrote (a folder it did not write is never replaced)")
    p.add_argument("--pca-dims", type=at_least(0), default=256, help="dimensions kept by PCA (default 256; 0 keeps all)")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.encoders.static import MANIFEST, distill, read_manifest
    from textemb.text import printable

    output = args.output or _cached_folder(args.model, args.pca_dims)
    reused = args.output is None and not args.force and (output / MANIFEST).is_file()
    if reused:
        folder = output  # distilled before into the cache: re-used (--force distils again)
    else:
        folder = distill(args.model, output, pca_dims=args.pca_dims or None, overwrite=args.force)
    manifest = read_manifest(folder)
    if args.json:
        print_json({"folder": str(folder), "spec": f"static:{folder}", **manifest})
    else:
        done = "distilled before:" if reused else "wrote"
        print(f"{done} {printable(str(folder))} ({manifest['dim']} dims); use it as --encoder {shown(f'static:{folder}')}")
    return 0


def _cached_folder(model: str, pca_dims: int):
    """Where ``textemb distill MODEL`` without -o keeps its static model: ``$TEXTEMB_CACHE/static/NAME-pcaN``."""
    from pathlib import Path

    from textemb.io.cache import cache_root

    name = Path(model.rstrip("/")).name or "model"
    return cache_root() / "static" / f"{name}-pca{pca_dims or 'all'}"
