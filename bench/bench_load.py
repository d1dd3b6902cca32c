"""Loading GloVe 6B 50d text: textemb (cold parse, then cached) vs gensim, side by side in one run.

Writes glove.6B.50d.txt from the packaged vectors (same layout as Stanford's file), then times
gensim ``KeyedVectors.load_word2vec_format(no_header=True)``, textemb's first load (parse +
cache write), and textemb's later load (memory-mapped cache), each the best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save, timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="textemb-bench-"))
    os.environ["TEXTEMB_CACHE"] = str(work / "cache")
    from gensim.models import KeyedVectors

    import textemb
    from textemb.io import cache
    from textemb.io.formats import write_vectors

    glove = textemb.load_encoder("glove-6b-50d")
    path = work / "glove.6B.50d.txt"
    if not path.exists():
        write_vectors(path, glove.words, glove.vectors, header=False)
    size_mb = path.stat().st_size / 1e6

    gensim_t = min(timed(KeyedVectors.load_word2vec_format, str(path), binary=False, no_header=True)[0]
                   for _ in range(args.repeat))
    cold = []
    for _ in range(args.repeat):
        cache.clear()
        cold.append(timed(textemb.load_encoder, f"glove:{path}")[0])
    warm = [timed(textemb.load_encoder, f"glove:{path}")[0] for _ in range(max(3, args.repeat))]
    no_cache = min(timed(textemb.load_encoder, f"glove:{path}?cache=0")[0] for _ in range(args.repeat))
    rows = {
        "gensim load_word2vec_format": gensim_t,
        "textemb first load (parse, no cache)": no_cache,
        "textemb first load (parse + write cache)": min(cold),
        "textemb cached load (mmap)": min(warm),
    }
    print(f"GloVe 6B 50d text, {size_mb:.0f} MB, 400,000 x 50, best of {args.repeat}\n")
    print("| loader | seconds | speed-up vs gensim |")
    print("|---|---:|---:|")
    for name, t in rows.items():
        print(f"| {name} | {t:.3f} | {gensim_t / t:.1f}x |")
    out = save("load", {"file_mb": size_mb, "seconds": rows,
                        "ratios": {k: gensim_t / v for k, v in rows.items()}})
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
