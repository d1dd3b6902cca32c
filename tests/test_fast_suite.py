"""The fast suite stays fast: no test outside ``slow`` uses a full-size model (the guard is tests/full_size.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.full_size import FULL_SIZE_FIXTURES, GLOVE_QUICK, FullSizeWatch

TESTS = Path(__file__).resolve().parent
#: CLI options that take a model spec
SPEC_OPTIONS = {"--encoder", "-e", "--words", "--model"}
#: a comment that marks a line whose full-size spec is refused before any model loads (the test checks that)
NOT_LOADED = "# never loaded"
#: the full-size models as a user names them on the command line (any prefix, any options but ``limit``)
FULL_NAMES = ("glove-6b-50d", "all-minilm-l6-v2")


def _full_size_spec(text: str) -> bool:
    name, _, options = text.partition("?")
    return name.rsplit(":", 1)[-1].lower() in FULL_NAMES and not (name.lower().startswith(("glove", "avg")) and
                                                                   "limit=" in options)


def _is_slow(node: ast.AST) -> bool:
    return any("slow" in ast.unparse(d) for d in getattr(node, "decorator_list", []))


def _cli_specs(func: ast.FunctionDef, lines: list[str]) -> list[tuple[int, str]]:
    """(line, spec) for every string constant right after an option such as "--encoder" in a list, tuple or call,
    except on a line that says :data:`NOT_LOADED`."""
    found = []
    for node in ast.walk(func):
        items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else node.args if isinstance(node, ast.Call) else []
        for option, value in zip(items, items[1:]):
            if (isinstance(option, ast.Constant) and option.value in SPEC_OPTIONS and isinstance(value, ast.Constant)
                    and isinstance(value.value, str) and _full_size_spec(value.value)
                    and NOT_LOADED not in lines[value.lineno - 1]):
                found.append((value.lineno, value.value))
    return found


def test_sources_name_no_full_size_cli_spec():
    """A fast test that runs the CLI (often in a child process, which the audit hook cannot see) passes the quick
    GloVe, not the full model. Covers literal option lists in test functions; not helpers, fixtures or scripts.
    A spec the test shows is refused before any load is allowed on a line ending ``# never loaded``."""
    offenders = []
    for path in sorted(TESTS.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        tree, lines = ast.parse(source), source.splitlines()
        if any(isinstance(n, ast.Assign) and "pytestmark" in ast.unparse(n) and "slow" in ast.unparse(n.value)
               for n in tree.body):
            continue
        for func in tree.body:
            if isinstance(func, ast.FunctionDef) and func.name.startswith("test_") and not _is_slow(func):
                offenders += [f"{path.name}:{line} {func.name}: {spec}" for line, spec in _cli_specs(func, lines)]
    assert not offenders, f"fast tests name a full-size model; use {GLOVE_QUICK!r} or mark them slow: {offenders}"


def test_the_spec_check_knows_full_from_quick():
    assert _full_size_spec("glove-6b-50d") and _full_size_spec("avg:glove-6b-50d?weights=sif")
    assert _full_size_spec("all-MiniLM-L6-v2") and _full_size_spec("sbert:all-MiniLM-L6-v2?backend=onnx")
    assert not _full_size_spec(GLOVE_QUICK) and not _full_size_spec("avg:glove-6b-50d?limit=1000")
    assert not _full_size_spec("glove:/tmp/tiny.txt") and not _full_size_spec("sbert:/tmp/tiny_sbert")
    source = ('def test_x(capsys):\n    main(["index", "d", "-e", "glove-6b-50d"])\n'
              '    run(capsys, "search", "--encoder", "all-MiniLM-L6-v2")  # never loaded\n'
              '    run(capsys, "search", "--encoder", "glove-6b-50d?limit=10")\n')
    assert _cli_specs(ast.parse(source).body[0], source.splitlines()) == [(2, "glove-6b-50d")]


def test_the_full_size_fixtures_exist():
    """The setup check refuses these names; a renamed fixture would slip past it silently."""
    source = "".join((TESTS / name).read_text(encoding="utf-8") for name in ("conftest.py", "contextual_fixtures.py"))
    assert all(f"def {name}(" in source for name in FULL_SIZE_FIXTURES)


@pytest.mark.slow
def test_the_watch_sees_full_size_loads_and_not_the_quick_glove():
    """The audit hook behind the guard (its own instance: the session's one watches fast tests only)."""
    from textemb import load_encoder
    from textemb.models import model_path

    watch = FullSizeWatch()
    watch.start("probe")
    load_encoder(GLOVE_QUICK)
    assert watch.stop() == []
    watch.start("probe")
    load_encoder("glove-6b-50d")
    assert any("GloVe" in seen for seen in watch.stop())
    watch.start("probe")
    (model_path("all-MiniLM-L6-v2") / "config.json").read_bytes()  # any file of the MiniLM package
    assert any("all-MiniLM-L6-v2" in seen for seen in watch.stop())
