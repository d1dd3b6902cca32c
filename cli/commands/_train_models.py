"""textemb train lsa|fasttext|doc2vec CORPUS -o FOLDER : the model-folder trainers (pickle-free output)."""

from __future__ import annotations

import argparse
import contextlib

_TOKENIZERS = ["regexp", "words", "treebank", "nltk", "whitespace"]


def add_parsers(models) -> None:
    """Add the lsa, fasttext and doc2vec subcommands to ``textemb train``."""
    fmt = _DefaultsFormatter
    lsa = models.add_parser("lsa", help="LSA: TF-IDF + truncated SVD (gensim)", formatter_class=fmt,
                            description="Fit TF-IDF and a truncated SVD on CORPUS (one document per line, a folder "
                                        "of .txt files or a wiki dump). Writes a model folder (JSON + npy); load it "
                                        "with the spec lsa:FOLDER.")
    _common(lsa, tokenizer="words", lowercase=True)
    lsa.add_argument("--dim", type=int, default=300, help="SVD rank")
    lsa.add_argument("--min-count", type=int, default=1, help="drop words in fewer documents")
    lsa.add_argument("--no-above", type=float, default=1.0, help="drop words in more than this fraction of documents")
    lsa.add_argument("--stopwords", action="store_true", help="drop gensim's English stopwords")

    ft = models.add_parser("fasttext", help="fastText with character n-grams (gensim)", formatter_class=fmt,
                           description="Train fastText on CORPUS. -o FOLDER writes a textemb model folder (JSON + npy; "
                                       "spec fasttext:FOLDER); -o FILE.bin writes Facebook's format (fasttext:FILE.bin).")
    _common(ft, tokenizer="regexp", lowercase=False, multi=True)
    _word_training(ft, sg=True)
    ft.add_argument("--min-n", type=int, default=3, help="shortest character n-gram")
    ft.add_argument("--max-n", type=int, default=6, help="longest character n-gram (0: no n-grams)")
    ft.add_argument("--bucket", type=int, default=200_000, help="n-gram hash buckets (fastText's default: 2000000)")

    d2v = models.add_parser("doc2vec", help="Doc2Vec paragraph vectors, PV-DM or PV-DBOW (gensim)", formatter_class=fmt,
                            description="Train Doc2Vec on CORPUS (each line is one document). Writes a model folder "
                                        "(JSON + npy); load it with doc2vec:FOLDER?epochs=N&seed=S. Inference is "
                                        "deterministic: every text restarts the random generator from --seed.")
    _common(d2v, tokenizer="words", lowercase=True)
    _word_training(d2v, epochs=40, min_count=2)
    arch = d2v.add_mutually_exclusive_group()
    arch.add_argument("--dm", dest="dm", action="store_true", help="PV-DM (the default)")
    arch.add_argument("--dbow", dest="dm", action="store_false", help="PV-DBOW")
    d2v.set_defaults(dm=True)
    d2v.add_argument("--dbow-words", action="store_true", help="PV-DBOW: also train word vectors (skip-gram)")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show ``(default: X)`` for options that take a value; an on/off flag's help already says what it does."""

    def _get_help_string(self, action):
        if action.nargs == 0 or action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def _common(p, *, tokenizer: str, lowercase: bool, multi: bool = False) -> None:
    p.add_argument("corpus", metavar="CORPUS", help="a text file (one document per line; .gz/.bz2 ok), a folder of .txt "
                   "files, or a Wikipedia XML dump")
    p.add_argument("-o", "--output", required=True, metavar="PATH", action="append" if multi else "store",
                   help="where to save" + (" (repeat for a folder and a .bin)" if multi else " (a folder)"))
    p.add_argument("--tokenizer", default=tokenizer, choices=_TOKENIZERS, help="how the corpus is split into words")
    p.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=lowercase,
                   help="lower-case the corpus (and every text encoded later)")
    p.add_argument("--kind", default="auto", choices=["auto", "text", "folder", "wiki"], help="corpus kind")
    p.add_argument("--errors", default="strict", choices=["strict", "replace"], help="invalid UTF-8 in the corpus")
    p.add_argument("--seed", type=int, default=1, help="random seed (with --workers 1: the same model on every run)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--force", action="store_true",
                   help="replace an existing output folder that textemb wrote (a folder it did not write is never replaced) "
                        "or an existing .bin file")


def _word_training(p, *, epochs: int = 5, min_count: int = 5, sg: bool = False) -> None:
    p.add_argument("--dim", type=int, default=100, help="vector size")
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the corpus")
    p.add_argument("--min-count", type=int, default=min_count, help="ignore words seen fewer times")
    p.add_argument("--window", type=int, default=5, help="context words on each side")
    p.add_argument("--negative", type=int, default=5, help="negative samples")
    p.add_argument("--sample", type=float, default=1e-3, help="down-sampling threshold for frequent words")
    p.add_argument("--workers", type=int, default=1, help="threads (1 with a fixed --seed is reproducible)")
    if sg:
        p.add_argument("--sg", action="store_true", help="skip-gram (default CBOW)")


def run(args) -> int:
    """Train the model ``args.model`` names, save it, print a summary."""
    import time

    from textemb_cli.output import print_json

    from textemb.corpus import Corpus
    from textemb.io.ownership import check_file_replaceable, check_replaceable
    from textemb.text import printable

    corpus = Corpus(args.corpus, kind=args.kind, errors=args.errors)
    outputs = args.output if isinstance(args.output, list) else [args.output]
    for out in outputs:  # refuse before training, not after it
        if str(out).lower().endswith(".bin"):
            check_file_replaceable(out, overwrite=args.force)
        else:
            check_replaceable(out, overwrite=args.force)
    t0 = time.perf_counter()
    with warned() as notes:
        saved, summary = _TRAINERS[args.model](corpus, args, outputs)
    summary = {"model": args.model, "corpus": str(args.corpus), **summary,
               "seconds": round(time.perf_counter() - t0, 3), "saved": [str(p) for p in saved], "warnings": notes}
    if args.json:
        print_json(summary)
        return 0
    print(f"trained {args.model} on {printable(args.corpus)}: " +
          ", ".join(f"{k} {v}" for k, v in summary.items() if k in ("vocab", "dim", "documents", "seconds")))
    for spec in saved:
        print(f"wrote {printable(spec.split(':', 1)[1])}; load it with: {printable(spec)}")
    return 0


@contextlib.contextmanager
def warned():
    """The library's warnings during training (a tiny vocabulary ...), each printed as one ``warning:`` line on
    stderr as it comes, and collected for the summary; other warning categories go on as usual."""
    import sys
    import warnings

    from textemb.text import printable

    notes: list[str] = []
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, UserWarning) or issubclass(category, DeprecationWarning):
            return shown(message, category, filename, lineno, file, line)
        notes.append(str(message))
        print(f"warning: {printable(str(message))}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        yield notes


def _lsa(corpus, args, outputs):
    from pathlib import Path

    from textemb.training import train_lsa

    enc = train_lsa(corpus, dim=args.dim, min_count=args.min_count, no_above=args.no_above, tokenizer=args.tokenizer,
                    lowercase=args.lowercase, stopwords=args.stopwords, seed=args.seed, name=Path(outputs[0]).name)
    return [enc.save(outputs[0], overwrite=args.force)], {"vocab": len(enc.words), "dim": enc.dim,
                                                           "documents": enc.settings["documents"]}


def _fasttext(corpus, args, outputs):
    from textemb.training import train_fasttext

    result = train_fasttext(corpus, dim=args.dim, epochs=args.epochs, sg=args.sg, window=args.window,
                            min_count=args.min_count, negative=args.negative, sample=args.sample,
                            workers=args.workers, seed=args.seed, min_n=args.min_n, max_n=args.max_n,
                            bucket=args.bucket, tokenizer=args.tokenizer, lowercase=args.lowercase)
    saved = [result.save(out, overwrite=args.force) for out in outputs]
    return saved, {"vocab": len(result.vectors), "dim": result.vectors.dim, **result.settings}


def _doc2vec(corpus, args, outputs):
    from textemb.training import train_doc2vec

    enc = train_doc2vec(corpus, dim=args.dim, epochs=args.epochs, dm=args.dm, dbow_words=args.dbow_words,
                        window=args.window, min_count=args.min_count, negative=args.negative, sample=args.sample,
                        workers=args.workers, seed=args.seed, tokenizer=args.tokenizer, lowercase=args.lowercase)
    return [enc.save(outputs[0], overwrite=args.force)], {"vocab": len(enc.words), "dim": enc.dim,
                                                           "documents": enc.settings["documents"]}


_TRAINERS = {"lsa": _lsa, "fasttext": _fasttext, "doc2vec": _doc2vec}
