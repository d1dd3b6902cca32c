"""Entry point: parse the command line, run one command, map errors to exit codes.

Exit codes: 0 success, 1 user error (a one-line ``textemb: error: ...`` message), 2 usage.
Each command lives in ``textemb_cli.commands.<name>`` with ``add_parser(subparsers)`` and
``run(args) -> int``; adding a command is adding a module to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: command modules, in the order ``textemb --help`` lists them
COMMANDS = ["encode", "neighbors", "analogy", "models", "cache"]


def build_parser() -> argparse.ArgumentParser:
    from textemb import __version__

    parser = argparse.ArgumentParser(
        prog="textemb",
        description="Text embeddings behind one interface: encode, compare, evaluate, search.",
    )
    parser.add_argument("--version", action="version", version=f"textemb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"textemb_cli.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download by default; users may unset it
    from textemb.errors import TextembError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except TextembError as exc:
        print(f"textemb: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("textemb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
