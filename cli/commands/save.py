"""textemb save SPEC -o FOLDER : build an encoder once (e.g. fit TF-IDF/SIF on a corpus) and save it.

Prints the spec that loads the saved folder back (``avg-saved:FOLDER``, ``vectors:FOLDER``,
``bert:FOLDER``, ``sbert:FOLDER``); ``textemb encode --encoder SPEC`` and every other command take it.
"""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg


def add_parser(sub):
    p = sub.add_parser("save", help="save an encoder to a folder and print the spec that loads it",
                       description="Build the encoder SPEC names (fitting weights where the spec says so) and "
                                   "save it to FOLDER; prints the spec that rebuilds it exactly.")
    p.add_argument("spec", metavar="SPEC", help="encoder spec, e.g. 'avg-sif:glove-6b-50d?corpus=corpus.txt'")
    p.add_argument("-o", "--output", required=True, metavar="FOLDER", help="where to save (a new folder)")
    p.add_argument("--force", action="store_true",
                   help="replace a folder textemb wrote before (a folder it did not write is never replaced)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb_cli.output import print_json

    from textemb import load_encoder
    from textemb.errors import InputError
    from textemb.text import printable

    encoder = load_encoder(args.spec, device=args.device)
    save = getattr(encoder, "save", None)
    if not callable(save):
        raise InputError(f"{printable(args.spec)} cannot be saved ({type(encoder).__name__} has no save())")
    spec = save(args.output, overwrite=args.force)
    if args.json:
        print_json({"encoder": args.spec, "saved": str(args.output), "spec": spec, "dim": encoder.dim})
        return 0
    print(f"saved {printable(args.spec)} ({encoder.dim}-d) to {printable(args.output)}")
    print(f"load it with: {printable(spec)}")
    return 0
