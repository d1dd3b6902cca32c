"""House-style rules over the whole library: modules by concept, private by default; functions under ~60 lines.

A module holds one idea, however long that takes (the old 400-line module cap split files by a line count:
five flat analogy modules, one of 20 lines); only a god module (over :data:`GOD_MODULE_LINES`) fails. What keeps
the shape are the rules below, each test's docstring says why. Run as a script (``python tests/test_shape.py``)
for the largest modules and the longest functions. A function not listed in :data:`KNOWN` fails when it passes
the limit, a listed one when it grows; a listed one that shrinks under the limit is fine (drop it from the list).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("textemb", "cli")
#: the import name of each folder of :data:`PACKAGES` (setuptools maps ``cli/`` to ``textemb_cli``)
IMPORT_NAMES = {"textemb": "textemb", "cli": "textemb_cli"}
FUNCTION_LINES = 60
#: gensim's ``keyedvectors.py`` is the anti-pattern: no module holds that many ideas
GOD_MODULE_LINES = 1000

#: over a limit today, each at most this long: "path" for a module, "path:function" for a function
KNOWN: dict[str, int] = {}
#: imports of another module's private name that predate the rule, in modules this branch does not own
#: ("path: dotted.name"); each is a helper that should become public where it lives. Drop entries as they go.
KNOWN_PRIVATE_IMPORTS = {
    "textemb/encoders/averaging_saved.py: textemb.encoders.averaging._word_vectors",
    "textemb/encoders/sbert.py: textemb.progress._stderr_is_tty",
    "textemb/encoders/static.py: textemb.progress._stderr_is_tty",
    "textemb/io/text_lines.py: textemb.io.formats._show",
    "textemb/io/text_lines.py: textemb.io.formats._parse_header",
}


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


def test_functions_stay_short_and_no_god_module():
    """A function fits a screen (~60 lines); a module may be as long as its one idea, short of a god module."""
    modules, functions = measure()
    assert not _offenders(modules, GOD_MODULE_LINES) + _offenders(functions, FUNCTION_LINES)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    parts[0] = IMPORT_NAMES[parts[0]]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(parts: list[str]) -> bool:
    folder = {v: k for k, v in IMPORT_NAMES.items()}.get(parts[0]) if parts else None
    return folder is not None and (ROOT.joinpath(folder, *parts[1:]) / "__init__.py").is_file()


def _imported_names(path: Path) -> list[tuple[int, list[str]]]:
    """``(line, dotted name split in parts)`` of everything ``path`` imports (relative imports resolved)."""
    name = _module_name(path)
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            out += [(node.lineno, module + [alias.name]) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, alias.name.split(".")) for alias in node.names]
    return out


def private_imports(path: Path) -> list[str]:
    """Imports in ``path`` of a private name it may not use, as ``"path: dotted.name"``."""
    name, rel, bad = _module_name(path), path.relative_to(ROOT).as_posix(), []
    for _line, parts in _imported_names(path):
        for i, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:i])
                # a private module (``pkg/_x.py``) belongs to its package; a private name to its module alone
                allowed = _is_package(parts[:i]) and (name == owner or name.startswith(owner + "."))
                if not allowed:
                    bad.append(f"{rel}: {'.'.join(parts)}")
                    break
    return bad


def test_no_private_name_is_imported_across_modules():
    """``_private`` means private: a ``_name`` defined in a module is used by that module alone, and a private
    module (``pkg/_client.py``, as in httpx) is imported only by the modules of its own package.

    A helper two modules need is public where it lives (``training.check_positive``, ``glove.file_options``),
    so a reader can trust that changing a ``_name`` touches one file, and a package's ``__init__`` is the one
    door to its private modules.
    """
    bad = [entry for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
           for entry in private_imports(path) if entry not in KNOWN_PRIVATE_IMPORTS]
    assert not bad, "make these helpers public where they live, or import them through the package: " + str(bad)


def _bound_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _dunder_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [ast.literal_eval(elt) for elt in node.value.elts]  # type: ignore[attr-defined]
    return None


def test_packages_by_concept_keep_their_modules_private():
    """A package by concept (one holding a ``_private`` module: ``evaluation/analogy/``, ``training/``) keeps its
    modules private unless its ``__init__`` lists them in ``__all__``, and every package's ``__all__`` names only
    what its ``__init__`` binds.

    ``__all__`` is then the whole public API of the concept: users (and the docs' API reference) import from
    the package, and the files inside can be split or merged by idea without breaking an import.
    """
    bad = []
    for init in sorted((ROOT / "textemb").rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        exported, rel = _dunder_all(tree), init.parent.relative_to(ROOT).as_posix()
        if exported is not None:
            bad += [f"{rel}: __all__ names {n!r}, which __init__ does not bind" for n in exported
                    if n not in _bound_names(tree)]
        modules = [p.stem for p in init.parent.iterdir() if p.suffix == ".py" and p.name != "__init__.py"]
        if any(m.startswith("_") for m in modules):
            if exported is None:
                bad.append(f"{rel}: a package of private modules needs __all__ in its __init__")
            bad += [f"{rel}/{m}.py is public: make it _{m}.py or list it in __all__" for m in modules
                    if not m.startswith("_") and m not in (exported or [])]
    assert not bad, bad


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
    print(f"largest modules (a god module passes {GOD_MODULE_LINES} lines):")
    for key, n in sorted(modules.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {n:5d}  {key}")
    print(f"functions over {FUNCTION_LINES} lines:")
    for key, n in sorted(functions.items(), key=lambda kv: -kv[1]):
        if n > FUNCTION_LINES:
            print(f"  {n:5d}  {key}")
