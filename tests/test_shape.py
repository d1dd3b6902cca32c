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


def _exception_classes(tree: ast.Module) -> list[str]:
    """Names of the classes ``tree`` defines that derive from an exception (a builtin one, a name ending in
    Error/Exception/Warning, or another such class of the same module)."""
    import builtins

    def is_exception_name(name: str) -> bool:
        obj = getattr(builtins, name, None)
        return (isinstance(obj, type) and issubclass(obj, BaseException)) or name.endswith(("Error", "Exception",
                                                                                             "Warning"))

    found: list[str] = []
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for _ in range(len(classes)):  # a class may derive from one defined further down
        for node in classes:
            bases = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]
            if node.name not in found and any(is_exception_name(b) or b in found for b in bases):
                found.append(node.name)
    return found


def test_every_exception_class_is_in_errors():
    """Every public exception (and warning) class of the library lives in ``textemb/errors.py``.

    A user finds in one module all that textemb may raise, and ``except TextembError`` catches every
    error raised on purpose. A ``_private`` exception is control flow inside one module (caught there,
    never seen by a caller), so it may stay beside the code that raises and catches it.
    """
    stray = []
    for path in sorted((ROOT / "textemb").rglob("*.py")):
        if path.name == "errors.py" and path.parent.name == "textemb":
            continue
        for name in _exception_classes(ast.parse(path.read_text(encoding="utf-8"))):
            if not name.startswith("_"):
                stray.append(f"{path.relative_to(ROOT).as_posix()}: {name}")
    assert not stray, "define these in textemb/errors.py (and import them from there): " + ", ".join(stray)


def test_errors_keep_their_old_import_paths():
    from textemb import errors
    from textemb.evaluation.delimited import DataWarning
    from textemb.search.stores.folder_files import IndexLockedError, IndexWriteError, NotAnIndexFolderError
    from textemb.search.wikidump import DumpError

    assert (IndexLockedError, IndexWriteError, NotAnIndexFolderError, DumpError, DataWarning) == (
        errors.IndexLockedError, errors.IndexWriteError, errors.NotAnIndexFolderError, errors.DumpError,
        errors.DataWarning)
    error = errors.ApiError(413, "too_large", "body is 9 bytes")
    assert isinstance(error, errors.TextembError)
    assert (error.status, error.code, error.message, str(error)) == (413, "too_large", "body is 9 bytes",
                                                                     "body is 9 bytes")


if __name__ == "__main__":
    modules, functions = measure()
    print(f"modules over {MODULE_LINES} lines / largest:")
    for key, n in sorted(modules.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {n:5d}  {key}")
    print(f"functions over {FUNCTION_LINES} lines:")
    for key, n in sorted(functions.items(), key=lambda kv: -kv[1]):
        if n > FUNCTION_LINES:
            print(f"  {n:5d}  {key}")
