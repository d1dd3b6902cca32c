"""textemb cache : where the vector cache lives, and clearing it."""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg
from textemb_cli.output import print_json


def add_parser(sub):
    p = sub.add_parser("cache", help="show or clear the on-disk vector cache")
    p.add_argument("action", choices=["info", "clear"], nargs="?", default="info")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.io import cache

    root = cache.cache_root()
    if args.action == "clear":
        n = cache.clear()
        print(f"removed {n} cached vector folders from {root}")
        return 0
    base = root / "vectors"
    entries = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    size = sum(f.stat().st_size for p in entries for f in p.iterdir() if f.is_file())
    if args.json:
        print_json({"root": str(root), "entries": [p.name for p in entries], "bytes": size})
    else:
        print(f"cache: {root}  ({len(entries)} entries, {size / 1e6:.1f} MB)")
        for p in entries:
            print(f"  {p.name}")
    return 0
