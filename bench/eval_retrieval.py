"""Retrieval quality of dense, BM25 (bm25s) and hybrid search with a textemb encoder on a BEIR-style set.

    python bench/eval_retrieval.py                                  # default encoder on the shipped Wikipedia set
    python bench/eval_retrieval.py --encoder all-MiniLM-L6-v2
    python bench/eval_retrieval.py --encoder glove-6b-50d --beir path/to/scifact

Prints a Markdown table (nDCG@10, MRR@10, Recall@1/5/10) and writes
bench/results/retrieval-<encoder>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    from textemb import load_encoder
    from textemb.io.atomic import atomic_write_bytes
    from textemb.search import ChunkSettings, default_encoder
    from textemb.search.retrieval import evaluate_retrieval, load_beir, to_markdown_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default=None, help="encoder spec (default: all-MiniLM-L6-v2, else averaged GloVe)")
    ap.add_argument("--beir", default=str(ROOT / "corpora" / "wikipedia-sample-eval"), help="BEIR folder")
    ap.add_argument("--corpus", default=None, help="corpus.jsonl (default: BEIR/corpus.jsonl, or the Wikipedia sample)")
    ap.add_argument("--chunk-size", type=int, default=128)
    ap.add_argument("--overlap", type=int, default=32)
    ap.add_argument("--doc-score", choices=["max", "mean"], default="max")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    corpus = args.corpus
    if corpus is None and not (Path(args.beir) / "corpus.jsonl").is_file():
        corpus = ROOT / "corpora" / "wikipedia-sample" / "corpus.jsonl"
    data = load_beir(args.beir, corpus=corpus)
    encoder = load_encoder(args.encoder, device=args.device) if args.encoder else default_encoder(args.device)
    results = evaluate_retrieval(data, encoder, chunk=ChunkSettings(args.chunk_size, args.overlap),
                                 doc_score=args.doc_score)
    print(f"## Retrieval on {data.name}: {len(data.corpus)} documents, {len(data.qrels)} queries\n")
    print(to_markdown_table(results))
    print(f"\nsettings: {json.dumps(results[0].settings, default=str)}")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.spec or encoder.name)
    out = ROOT / "bench" / "results" / f"retrieval-{name}.json"
    atomic_write_bytes(out, json.dumps([r.to_dict() for r in results], indent=2, default=str).encode())
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
