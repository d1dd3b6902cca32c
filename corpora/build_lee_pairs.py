"""Build corpora/lee-pairs/lee-pairs.tsv from the Lee corpus that gensim ships as test data.

Keeps the first 20 of the 50 documents and writes every pair (i < j) with its mean human
similarity rating from ``similarities0-1.txt``: 190 rows of ``score<TAB>text1<TAB>text2``
with a header line. Runs of whitespace (including tabs) inside a document become one space.
"""

from __future__ import annotations

import re
from pathlib import Path

from textemb.evaluation.datasets import gensim_test_data, read_lee

N_DOCS = 20


def main() -> None:
    folder = gensim_test_data()
    docs, sims = read_lee(folder / "lee.cor", folder / "similarities0-1.txt")
    docs = [re.sub(r"\s+", " ", d).strip() for d in docs[:N_DOCS]]
    out = Path(__file__).parent / "lee-pairs" / "lee-pairs.tsv"
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("score\tsentence1\tsentence2\n")
        for i in range(N_DOCS):
            fh.writelines(f"{sims[i][j]:.6g}\t{docs[i]}\t{docs[j]}\n" for j in range(i + 1, N_DOCS))
    print(f"wrote {out} ({N_DOCS * (N_DOCS - 1) // 2} pairs)")


if __name__ == "__main__":
    main()
