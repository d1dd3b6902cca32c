"""Entry point: parse the command line, run one command, map errors to exit codes.

Exit codes: 0 success, 1 user error (a one-line ``textemb: error: ...`` message), 2 usage.
Any other exception is a bug or an unforeseen failure: it too prints one line (and exits 1), and
``TEXTEMB_DEBUG=1`` prints its traceback first.
With ``--json`` on the command line, stdout is JSON on failure too (usage errors included), with the same
exit codes: ``{"error": {"type": ..., "message": ..., "hint": ...}}`` (the one-line message still goes to
stderr for a person watching).
Each command lives in ``textemb_cli.commands.<name>`` with ``add_parser(subparsers)`` and
``run(args) -> int``; adding a command is adding a module to ``cli/commands/``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from textemb_cli.usage import Parser, UsageError, unrecognized

#: preferred order in ``textemb --help``; any other module in ``commands/`` is listed after these
ORDER = ["encode", "neighbors", "analogy", "eval", "plot", "train", "index", "search", "models", "cache"]


def command_names() -> list[str]:
    """Every command module in ``textemb_cli/commands`` (a module is a command if it has ``run``)."""
    import pkgutil

    from textemb_cli import commands

    found = [m.name for m in pkgutil.iter_modules(commands.__path__) if m.name != "common" and not m.name.startswith("_")]
    return [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)


def build_parser() -> argparse.ArgumentParser:
    from textemb import __version__

    parser = Parser(
        prog="textemb",
        description="Text embeddings behind one interface: encode, compare, evaluate, search.",
    )
    parser.add_argument("--version", action="version", version=f"textemb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in command_names():
        module = importlib.import_module(f"textemb_cli.commands.{name}")
        if not hasattr(module, "run"):
            continue
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download by default; users may unset it
    from textemb.errors import TextembError
    from textemb.text import printable

    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            raise unrecognized(parser, args, extras)
    except UsageError as exc:
        return fail(as_json, "UsageError", exc.message, exc.hint, 2, usage=exc.usage, prog=exc.prog)
    try:
        return int(args._run(args) or 0)
    except TextembError as exc:
        return fail(as_json, type(exc).__name__, printable(exc, keep_newlines=True), getattr(exc, "hint", None), 1)
    except BrokenPipeError:
        return 0
    except OSError as exc:  # disk full, read-only folder, permission denied: a message, not a traceback
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        return fail(as_json, type(exc).__name__, f"{printable(where)}{printable(exc.strerror or exc)}", None, 1)
    except KeyboardInterrupt:
        if as_json:
            _print_error("KeyboardInterrupt", "interrupted", None)
        print("textemb: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen failure: one line, traceback on request
        return _unexpected(exc, as_json)


def fail(as_json: bool, kind: str, message: str, hint: str | None, code: int, usage: str = "",
         prog: str = "textemb") -> int:
    """Report a failure: one line on stderr (after the usage for a usage error), and the JSON error object on
    stdout under ``--json``; returns the exit code."""
    if as_json:
        _print_error(kind, message, hint)
    if usage:
        sys.stderr.write(usage)
    print(f"{prog}: error: {message}" + (f" ({hint})" if hint and hint not in message else ""), file=sys.stderr)
    return code


def _print_error(kind: str, message: str, hint: str | None) -> None:
    from textemb_cli.output import print_json

    print_json({"error": {"type": kind, "message": message, "hint": hint}})


def _unexpected(exc: Exception, as_json: bool = False) -> int:
    """Print one line for an exception textemb did not foresee (``TEXTEMB_DEBUG=1``: the traceback too)."""
    from textemb.text import excerpt

    if os.environ.get("TEXTEMB_DEBUG", "").strip() not in ("", "0"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    message = excerpt(str(exc) or "no message", 300)
    return fail(as_json, type(exc).__name__, f"unexpected {type(exc).__name__}: {message}",
                "run with TEXTEMB_DEBUG=1 for the traceback, and please report it", 1)


if __name__ == "__main__":
    raise SystemExit(main())
