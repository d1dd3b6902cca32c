"""Usage errors as values: the parser raises :class:`UsageError` instead of exiting, so ``textemb_cli.main``
reports them like any other failure (JSON on stdout under ``--json``, exit code 2), and an unknown option gets a
"did you mean" from the options of the command it was typed for (``--encodr`` -> ``--encoder``)."""

from __future__ import annotations

import argparse
import difflib


class UsageError(Exception):
    """A command line argparse refuses: the message, a hint (or None) and the usage of the (sub)command."""

    def __init__(self, prog: str, message: str, usage: str = "", hint: str | None = None) -> None:
        super().__init__(message)
        self.prog, self.message, self.usage, self.hint = prog, message, usage, hint


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise :class:`UsageError` (sub-parsers are made of the same class)."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(self.prog, message, self.format_usage(), f"see '{self.prog} --help'")


def unrecognized(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> UsageError:
    """The error for arguments no parser took, naming the closest option of the command that was run."""
    command = _innermost(parser, args)
    options = [s for a in command._actions for s in a.option_strings if s.startswith("--")]
    words = " ".join(extras)
    hint = None
    for extra in extras:
        name = extra.split("=", 1)[0]
        if name.startswith("-"):
            close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {close[0]}?"
                break
    return UsageError(command.prog, f"unrecognized arguments: {words}", command.format_usage(),
                      hint or f"see '{command.prog} --help'")


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub-)sub-parser that ``args`` was parsed with (``textemb eval retrieval`` -> its parser)."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, subs[0].dest, None) if subs else None
        if chosen is None or chosen not in subs[0].choices:
            return parser
        parser = subs[0].choices[chosen]
