"""textemb distill : distil a sentence-transformers model into a static lookup table (model2vec)."""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg, at_least
from textemb_cli.output import print_json


def add_parser(sub):
    p = sub.add_parser("distill", help="distil a sentence model into a fast static encoder (model2vec)",
                       description="Run model2vec's distillation on a local model folder (offline) and write a "
                                   "pickle-free static folder that the spec static:FOLDER loads.")
    p.add_argument("model", help="a named model (all-MiniLM-L6-v2) or a local sentence-transformers folder")
    p.add_argument("-o", "--output", required=True, help="output folder (new or empty; see --force)")
    p.add_argument("--force", action="store_true",
                   help="replace an output folder that textemb wrote (a folder it did not write is never replaced)")
    p.add_argument("--pca-dims", type=at_least(0), default=256, help="dimensions kept by PCA (default 256; 0 keeps all)")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.encoders.static import distill, read_manifest
    from textemb.errors import InputError
    from textemb.text import printable

    if args.pca_dims < 0:
        raise InputError(f"--pca-dims must be 0 or more, got {args.pca_dims}")
    folder = distill(args.model, args.output, pca_dims=args.pca_dims or None, overwrite=args.force)
    manifest = read_manifest(folder)
    if args.json:
        print_json({"folder": str(folder), "spec": f"static:{folder}", **manifest})
    else:
        print(f"wrote {printable(str(folder))} ({manifest['dim']} dims); use it as static:{printable(str(folder))}")
    return 0
