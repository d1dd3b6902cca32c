"""textemb cache : where the cache lives, what it holds (with sizes), and clearing it (only what textemb wrote)."""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg
from textemb_cli.output import print_json


def add_parser(sub):
    p = sub.add_parser("cache", help="show or clear the on-disk cache (vector parses, search indexes, ONNX exports, "
                                     "distilled models)",
                       description="info lists the cache entries textemb wrote, by kind, with their sizes: parsed "
                                   "vector files, one-step search indexes, ONNX exports (fp32 and int8), distilled "
                                   "static models (textemb distill without -o) and Ray shards; clear removes them and "
                                   "stale temp folders of interrupted writes. Anything textemb did not write is kept.")
    p.add_argument("action", choices=["info", "clear"], nargs="?", default="info",
                   help="info (default): where the cache is and what it holds; clear: remove textemb's entries")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.io import cache
    from textemb.text import printable

    root = cache.cache_root()
    if args.action == "clear":
        before = sum(cache.tree_bytes(p) for p in cache.entries())
        n, kept = cache.clear()
        if args.json:
            print_json({"root": printable(root), "removed": n, "freed_bytes": before,
                        "kept": [printable(p.name) for p in kept]})
            return 0
        print(f"removed {n} cache entries ({_mb(before)}: vector folders, search indexes, ONNX exports, distilled "
              f"models, shards) from {printable(root)}")
        for p in kept:
            print(f"  kept {printable(p.name)}: not written by textemb (or holds files it did not write)")
        return 0
    found = [(p.parent.name, p, cache.tree_bytes(p)) for p in cache.entries()]
    kinds = {k: sum(b for kind, _, b in found if kind == k) for k in cache.CACHE_KINDS}
    total = sum(kinds.values())
    if args.json:
        print_json({"root": printable(root), "bytes": total,  # entries, kinds and sizes: one item per entry
                    "entries": [printable(p.name) for _, p, _ in found], "kinds": [k for k, _, _ in found],
                    "sizes": [b for _, _, b in found],
                    "by_kind": {k: {"what": cache.KIND_NAMES[k], "entries": sum(1 for x in found if x[0] == k),
                                    "bytes": b} for k, b in kinds.items()}})
        return 0
    print(f"cache: {printable(root)}  ({len(found)} entries, {_mb(total)})")
    for kind in cache.CACHE_KINDS:
        mine = [(p, b) for k, p, b in found if k == kind]
        print(f"  {cache.KIND_NAMES[kind]} ({kind}/): {len(mine)} entries, {_mb(kinds[kind])}")
        for p, b in mine:
            print(f"    {printable(p.name)}  {_mb(b)}")
    return 0


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"
