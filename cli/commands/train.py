"""textemb train word2vec CORPUS -o model.bin : train word vectors on a corpus."""

from __future__ import annotations

import argparse


def add_parser(sub):
    p = sub.add_parser("train", help="train word2vec, fastText, LSA or Doc2Vec on a corpus",
                       description="Train word vectors on your own corpus.")
    models = p.add_subparsers(dest="model", metavar="MODEL")
    models.required = True
    w = models.add_parser(
        "word2vec", help="word2vec skip-gram or CBOW (gensim)",
        description=(
            "Train word2vec on CORPUS: a text file (one sentence or document per line; .gz/.bz2 ok), "
            "a folder of .txt files, or a Wikipedia XML dump (.xml/.xml.bz2). Writes each -o: .bin = "
            "word2vec binary, .txt/.vec = word2vec text, anything else = a textemb vector folder; the "
            "word counts go beside it (model.vocab.txt, the C tool's -save-vocab format) for SIF. "
            "--workers 1 with a fixed --seed gives bit-identical vectors on every run."
        ),
    )
    w.add_argument("corpus", metavar="CORPUS",
                   help="a text file (one sentence or document a line; .gz/.bz2 ok), a folder of .txt files, "
                        "or a Wikipedia XML dump")
    w.add_argument("-o", "--output", action="append", required=True, metavar="PATH",
                   help="where to save: .bin, .txt/.vec or a folder, e.g. out/model.bin (repeat for several formats)")
    w.add_argument("--force", action="store_true",
                   help="replace existing outputs: a folder textemb wrote before (a folder it did not write is never "
                        "replaced), or an existing .bin/.txt file and its .vocab.txt")
    w.add_argument("--dim", type=int, default=100, help="vector size (default 100)")
    w.add_argument("--epochs", type=int, default=5, help="passes over the corpus (default 5)")
    arch = w.add_mutually_exclusive_group()
    arch.add_argument("--sg", dest="sg", action="store_true", help="train skip-gram (predict the context from a word)")
    arch.add_argument("--cbow", dest="sg", action="store_false",
                      help="train CBOW (predict a word from its context); this is the default")
    w.set_defaults(sg=False)
    w.add_argument("--min-count", type=int, default=5, help="ignore words seen fewer times (default 5)")
    w.add_argument("--window", type=int, default=5, help="context words on each side (default 5)")
    w.add_argument("--negative", type=int, default=5, help="negative samples per word (default 5; 0 = hierarchical softmax)")
    w.add_argument("--sample", type=float, default=1e-3, help="down-sampling threshold for frequent words (default 0.001; 0 = "
                                                              "none)")
    w.add_argument("--alpha", type=float, default=0.025, help="initial learning rate (default 0.025)")
    w.add_argument("--workers", type=int, default=1, help="threads (default 1: reproducible with --seed; more is faster, not "
                                                          "reproducible)")
    w.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    w.add_argument("--lowercase", action="store_true", help="lower-case the corpus (default: keep case)")
    w.add_argument("--tokenizer", default="regexp", choices=["regexp", "words", "treebank", "nltk", "whitespace"],
                   help="regexp (default): words and punctuation, as textemb encodes; words: no punctuation; "
                        "treebank/nltk: nltk's; whitespace: split on blanks only")
    w.add_argument("--kind", default="auto", choices=["auto", "text", "folder", "wiki"],
                   help="what CORPUS is: auto (default, from the name), text, folder or wiki")
    w.add_argument("--errors", default="strict", choices=["strict", "replace"],
                   help="invalid UTF-8 in the corpus: strict (default) stops with the line, replace uses U+FFFD")
    w.add_argument("--max-vocab", type=int, default=None, metavar="N", help="keep at most the N most frequent words (default: "
                                                                            "no limit)")
    w.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress with words/s on stderr: a bar on a terminal, a line every 15 s in a log "
                        "(default: on; --no-progress for none)")
    w.add_argument("--neighbors", nargs="*", default=[], metavar="WORD", help="after training, print the nearest words of these")
    w.add_argument("--json", action="store_true", help="print the summary as JSON")
    from textemb_cli.commands._train_models import add_parsers

    add_parsers(models)
    return p


def run(args) -> int:
    if args.model != "word2vec":
        from textemb_cli.commands._train_models import run as run_model

        return run_model(args)
    import time

    from textemb_cli.commands._train_models import warned
    from textemb_cli.output import print_json, table

    from textemb.corpus import Corpus
    from textemb.text import printable
    from textemb.training import output_spec, train_word2vec

    corpus = Corpus(args.corpus, kind=args.kind, errors=args.errors)
    _check_outputs(args.output, args.force)
    if args.progress is not False:
        from textemb.progress import announce

        announce(f"training word2vec ({'skip-gram' if args.sg else 'CBOW'}, {args.dim} dims, {args.epochs} epochs, "
                 f"{args.workers} worker(s)) on {printable(corpus.path)}: tokenising the corpus first")
    t0 = time.perf_counter()
    with warned() as notes:
        result = train_word2vec(
            corpus, dim=args.dim, epochs=args.epochs, sg=args.sg, window=args.window, min_count=args.min_count,
            negative=args.negative, sample=args.sample, alpha=args.alpha, workers=args.workers, seed=args.seed,
            lowercase=args.lowercase, tokenizer=args.tokenizer, max_final_vocab=args.max_vocab,
            show_progress=args.progress is not False, name=_name(args.output[0]),
        )
    saved = []
    for out in args.output:
        saved += [str(p) for p in result.save(out, overwrite=args.force) if str(p) not in saved]
    specs = [output_spec(out) for out in args.output]  # what loads each output back
    total = time.perf_counter() - t0
    summary = {**result.summary(), "total_seconds": round(total, 3), "saved": saved, "specs": specs, "warnings": notes}
    neighbors = {w: result.vectors.most_similar(w, topn=5) for w in args.neighbors if w in result.vectors}
    if args.json:
        print_json({**summary, "neighbors": neighbors})
        return 0
    s = result
    print(f"trained word2vec {summary['model']} on {printable(corpus.path)} ({corpus.kind}): "
          f"{s.corpus_words:,} tokens in {s.corpus_sentences:,} sentences")
    print(f"vocabulary {len(s.vectors):,} words (min_count={args.min_count}) x {args.dim} dims, "
          f"{args.epochs} epochs, window {args.window}, workers {args.workers}, seed {args.seed}")
    print(f"tokenise + vocabulary {s.prepare_seconds:.1f}s; training {s.seconds:.1f}s = "
          f"{s.words_per_second:,.0f} words/s ({s.trained_words / max(s.seconds, 1e-9):,.0f} effective words/s "
          f"after down-sampling); total {total:.1f}s")
    for path in saved:
        print(f"wrote {printable(path)}")
    for spec in specs:
        print(f"load it with: {printable(spec)}")
    for word in args.neighbors:
        if word not in result.vectors:
            print(f"{printable(repr(word))}: not in the vocabulary")
            continue
        print(f"\nnearest to {printable(repr(word))}:")
        print(table(["word", "cosine"], [[x, sc] for x, sc in neighbors[word]]))
    return 0


def _check_outputs(outputs: list[str], force: bool) -> None:
    """Refuse an output folder or file that may not be replaced before training, not after it."""
    from textemb.corpus import counts_path
    from textemb.io.ownership import check_file_replaceable, check_replaceable
    from textemb.training import output_format

    for out in outputs:
        if output_format(out) == "folder":
            check_replaceable(out, overwrite=force)
        else:  # the vector file and its word-count sidecar (model.vocab.txt)
            check_file_replaceable(out, overwrite=force)
            check_file_replaceable(counts_path(out), overwrite=force)


def _name(path: str) -> str:
    from pathlib import Path

    return Path(path).name or "word2vec"
