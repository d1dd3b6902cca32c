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
    """The error for arguments no parser took, naming the closest option of the command that was run (or the
    sibling commands that have the option: ``--restrict-vocab`` is for ``eval analogy``, not ``eval retrieval``)."""
    chain = _chain(parser, args)
    command = chain[-1]
    options = [s for a in command._actions for s in a.option_strings if s.startswith("--")]
    hint = None
    for extra in (e.split("=", 1)[0] for e in extras if e.startswith("-")):
        close = difflib.get_close_matches(extra, options, n=1, cutoff=0.6)
        others = [p.prog for p in _siblings(chain) if extra in p._option_string_actions]
        if close:
            hint = f"did you mean {close[0]}?"
        elif others:
            hint = f"{extra} is an option of {', '.join(others)}, not of {command.prog}"
        if hint:
            break
    return UsageError(command.prog, f"unrecognized arguments: {' '.join(extras)}", command.format_usage(),
                      hint or f"see '{command.prog} --help'")


def _chain(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[argparse.ArgumentParser]:
    """The parsers ``args`` went through, outermost first (``textemb``, ``textemb eval``, ``textemb eval retrieval``)."""
    chain = [parser]
    while True:
        subs = _subparsers(chain[-1])
        chosen = getattr(args, subs.dest, None) if subs else None
        if subs is None or chosen not in subs.choices:
            return chain
        chain.append(subs.choices[chosen])


def _siblings(chain: list[argparse.ArgumentParser]) -> list[argparse.ArgumentParser]:
    """The other sub-commands of the innermost command's parent (none for a top-level command)."""
    subs = _subparsers(chain[-2]) if len(chain) > 2 else None
    return [] if subs is None else list(dict.fromkeys(p for p in subs.choices.values() if p is not chain[-1]))


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
