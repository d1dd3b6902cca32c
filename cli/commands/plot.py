"""textemb plot WORDS... : a 2-D picture (PCA, t-SNE or UMAP) of words or texts."""

from __future__ import annotations

from textemb_cli.commands.common import add_encoder_args, add_force_arg, shown


def add_parser(sub):
    p = sub.add_parser("plot", help="2-D picture of words or texts (pca, tsne, umap)",
                       description="Embed WORDS (or the lines of --file) and draw them in 2-D. "
                                   "PCA needs nothing extra; t-SNE needs scikit-learn; UMAP needs umap-learn.")
    p.add_argument("words", nargs="*", metavar="WORD", help="words or quoted texts")
    p.add_argument("--file", "-f", metavar="PATH", help="also plot each non-empty line of this UTF-8 file")
    p.add_argument("--method", "-m", choices=["pca", "tsne", "umap"], default="pca",
                   help="pca (default: linear, deterministic), tsne (scikit-learn) or umap (umap-learn): "
                        "the last two keep neighbours close but distort distances")
    p.add_argument("--output", "-o", default="out/plot.png", metavar="PNG",
                   help="output PNG (default out/plot.png; its folder is created)")
    p.add_argument("--seed", type=int, default=0, help="random seed for t-SNE/UMAP (default 0)")
    p.add_argument("--title", default=None, metavar="TEXT", help="title above the picture (default: encoder and method)")
    add_force_arg(p, "the output PNG")
    add_encoder_args(p)
    return p


def run(args) -> int:
    from pathlib import Path

    from textemb_cli.commands.common import check_output_file, load

    from textemb.errors import InputError
    from textemb.evaluation.plots import plot_texts
    from textemb.io.bounded import read_text_lines
    from textemb.text import excerpt, printable
    from textemb.vectors import WordVectors

    if Path(args.output).suffix.lower() != ".png":
        raise InputError(f"--output {shown(args.output)}: give a .png file name (e.g. out/plot.png)")
    check_output_file(args.output, args.force)
    texts = list(args.words)
    if args.file:
        texts += [line.strip() for line in read_text_lines(args.file) if line.strip()]
    texts = list(dict.fromkeys(texts))
    if len(texts) < 2:
        raise InputError("give at least 2 distinct WORDS (or --file with 2+ lines) to plot")
    enc = load(args)
    missing = [t for t in texts if " " not in t.strip() and isinstance(enc, WordVectors)
               and t not in enc and t.lower() not in enc]
    if missing:
        words = ", ".join(excerpt(m, 40) for m in missing[:10])
        raise InputError(f"not in the vocabulary of {shown(args.encoder)}: {words}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    path = plot_texts(enc, texts, args.output, method=args.method, seed=args.seed, title=args.title)
    print(f"wrote {printable(path)} ({len(texts)} points, {args.method})")
    return 0
