"""textemb models : the named offline models and the backends a spec can name."""

from __future__ import annotations

from textemb_cli.commands.common import add_json_arg, shown
from textemb_cli.output import print_json, table


def add_parser(sub):
    p = sub.add_parser("models", help="list named offline models and backends",
                       description="The named models that ship offline in PyPI packages (installed or not) and the "
                                   "backends an --encoder spec can name (PREFIX:ARG?key=value).")
    add_json_arg(p)
    return p


def run(args) -> int:
    from textemb.encoders.registry import backends
    from textemb.model_paths import COLUMNS, format_figure, load_figures, path_figures
    from textemb.models import list_models

    rows = list_models()
    for m in rows:
        figures = path_figures(m["name"])
        m["paths"] = [{**p, "measured": figures.get(p["path"], {})} for p in m["paths"]]
    if args.json:
        print_json({"models": rows, "measured": load_figures()["about"],
                    "backends": [{"prefix": b.prefix, "help": b.help, "example": b.example} for b in backends()]})
        return 0
    print("Named models (ship offline in PyPI packages):")
    print(table(["name", "kind", "dim", "size MB", "licence", "installed", "package"],
                [[m["name"], m["kind"], m["dim"], "-" if m["size_mb"] is None else f'{m["size_mb"]:.1f}', m["licence"],
                  "yes" if m["installed"] else "no",
                  m["package"]] for m in rows]))
    print("\nWays to run them (speed and quality measured by bench/bench_fast_paths.py):")
    print(table(["model", "path", *COLUMNS.values(), "spec", "needs"],
                [[m["name"], p["path"], *(format_figure(k, p["measured"].get(k)) for k in COLUMNS), _pasteable(p["spec"]),
                  p["needs"]] for m in rows for p in m["paths"]]))
    print(load_figures()["about"]["summary"])
    print("\nBackends (spec PREFIX:ARG?key=value):")
    print(table(["prefix", "what", "example"], [[b.prefix, b.help, _pasteable(b.example)] for b in backends()]))
    return 0


def _pasteable(spec: str) -> str:
    """A spec as it must be typed in a shell (``'a?x=1&y=2'``); a sentence (``static:FOLDER after ...``) as is."""
    return spec if " " in spec else shown(spec)
