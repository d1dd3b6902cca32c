"""textemb cache : where the vector cache lives, and clearing it (only what textemb wrote)."""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg
from textemb_cli.output import print_json


def add_parser(sub):
    p = sub.add_parser("cache", help="show or clear the on-disk cache (vector parses, one-step search indexes)",
                       description="info lists the cache entries textemb wrote; clear removes them and stale "
                                   "temp folders of interrupted writes. Anything textemb did not write is kept.")
    p.add_argument("action", choices=["info", "clear"], nargs="?", default="info",
                   help="info (default): where the cache is and what it holds; clear: remove textemb's entries")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.io import cache
    from textemb.text import printable

    root = cache.cache_root()
    if args.action == "clear":
        n, kept = cache.clear()
        if args.json:
            print_json({"root": printable(root), "removed": n, "kept": [printable(p.name) for p in kept]})
            return 0
        print(f"removed {n} cache entries (vector folders, search indexes) from {printable(root)}")
        for p in kept:
            print(f"  kept {printable(p.name)}: not written by textemb (or holds files it did not write)")
        return 0
    entries = cache.entries()
    size = sum(f.stat().st_size for p in entries for f in p.iterdir() if f.is_file() and not f.is_symlink())
    if args.json:
        print_json({"root": printable(root), "entries": [printable(p.name) for p in entries],
                    "kinds": [p.parent.name for p in entries], "bytes": size})
    else:
        print(f"cache: {printable(root)}  ({len(entries)} entries, {size / 1e6:.1f} MB)")
        for p in entries:
            print(f"  {printable(p.parent.name)}/{printable(p.name)}")
    return 0
