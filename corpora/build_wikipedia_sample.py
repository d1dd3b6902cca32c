"""Build corpora/wikipedia-sample/corpus.jsonl from gensim's bundled English Wikipedia sample.

Source: ``gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2``
(shipped in the gensim wheel). Keeps main-namespace articles that are not redirects and strips the
wiki markup with :func:`textemb.search.documents.strip_wiki_markup`. Output: one BEIR-style JSON
object per line, ``{"_id": page id, "title": ..., "text": ...}``, in dump order.

    python corpora/build_wikipedia_sample.py            # rewrites corpora/wikipedia-sample/corpus.jsonl
"""

from __future__ import annotations

import bz2
import json
import sys
from pathlib import Path

DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def main() -> int:
    import gensim

    from textemb.io.atomic import atomic_open
    from textemb.search.documents import parse_wikipedia_dump

    src = Path(gensim.__file__).parent / "test" / "test_data" / DUMP
    out = Path(__file__).parent / "wikipedia-sample" / "corpus.jsonl"
    docs = list(parse_wikipedia_dump(bz2.decompress(src.read_bytes())))
    with atomic_open(out) as fh:
        for d in docs:
            fh.write(json.dumps({"_id": d.id, "title": d.title, "text": d.text}, ensure_ascii=False).encode() + b"\n")
    print(f"wrote {len(docs)} articles ({out.stat().st_size / 1e6:.1f} MB) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
