"""House-style limits over the whole library: modules under ~400 lines, functions under ~60.

Run as a script (``python tests/test_shape.py``) for the list of the largest modules and longest
functions. The test fails when a module or function not listed in :data:`KNOWN` passes a limit, or a
listed one grows; a listed one that shrinks under the limit is fine (drop it from the list then).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("textemb", "cli")
MODULE_LINES, FUNCTION_LINES = 400, 60

#: over a limit today, each at most this long: "path" for a module, "path:function" for a function
KNOWN: dict[str, int] = {}


def measure() -> tuple[dict[str, int], dict[str, int]]:
    """Lines of every module and of every function (decorators included), keyed as in :data:`KNOWN`."""
    modules, functions = {}, {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            source = path.read_text(encoding="utf-8")
            modules[rel] = len(source.splitlines())
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    key = f"{rel}:{node.name}"
                    functions[key] = max(functions.get(key, 0), (node.end_lineno or node.lineno) - start + 1)
    return modules, functions


def _offenders(sizes: dict[str, int], limit: int) -> list[str]:
    return [f"{key}: {n} lines (limit {limit}{', listed at ' + str(KNOWN[key]) if key in KNOWN else ''})"
            for key, n in sorted(sizes.items()) if n > max(limit, KNOWN.get(key, 0))]


def test_modules_and_functions_stay_small():
    modules, functions = measure()
    assert not _offenders(modules, MODULE_LINES) + _offenders(functions, FUNCTION_LINES)


if __name__ == "__main__":
    modules, functions = measure()
    print(f"modules over {MODULE_LINES} lines / largest:")
    for key, n in sorted(modules.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {n:5d}  {key}")
    print(f"functions over {FUNCTION_LINES} lines:")
    for key, n in sorted(functions.items(), key=lambda kv: -kv[1]):
        if n > FUNCTION_LINES:
            print(f"  {n:5d}  {key}")
