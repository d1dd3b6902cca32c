"""The project's own files: what `make demo` runs, what the wheel ships, what setup needs.

A newcomer's `make demo` needs no root and no system package, leaves the cache where their own shell finds it,
and the wheel ships every file the library opens (the serve page included) without setuptools warnings.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _make_dry_run(target: str) -> str:
    """The commands `make TARGET` would run from scratch (-B: as if nothing were built yet), none executed."""
    if shutil.which("make") is None:
        pytest.skip("no make here")
    proc = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_make_demo_needs_no_root_and_no_system_package():
    commands = _make_dry_run("demo")
    assert "textemb index" in commands and "pip install" in commands  # the dry run did walk setup and the demo
    for word in ("sudo", "apt-get", "apt ", "chromium", "brew ", "dnf "):
        assert word not in commands, f"make demo would run {word.strip()!r}:\n{commands}"


def test_make_test_installs_the_browser_only_without_a_password_prompt():
    commands = _make_dry_run("test")
    assert "apt-get" in commands  # the browser tests get their browser from make test ...
    assert not re.search(r"\bsudo(?! -n)", commands), "make test may use sudo only as 'sudo -n' (never a prompt)"


def test_make_leaves_the_cache_where_the_users_shell_finds_it():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(export\s+)?TEXTEMB_CACHE\s*[:?+]?=", makefile, re.M), \
        "the Makefile redirects TEXTEMB_CACHE: the demo's exports would be invisible to the user's shell"


def _declared_packages() -> set[str]:
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11+ reads TOML without a package")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    return set(config["packages"])


def test_every_folder_the_library_ships_is_a_declared_package():
    """setuptools warns ('Package ... is absent from the packages configuration') for a data folder that is
    not declared, and future setuptools versions drop its files from the wheel."""
    declared = _declared_packages()
    for folder in sorted(p for p in (ROOT / "textemb").rglob("*") if p.is_dir() and p.name != "__pycache__"):
        if not any(f.is_file() and f.suffix != ".pyc" for f in folder.iterdir()):
            continue
        name = ".".join(folder.relative_to(ROOT).parts)
        assert name in declared, f"{name} holds shipped files but is not in pyproject's packages"


def test_the_wheel_builds_without_warnings_and_ships_the_serve_page(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "absent from the `packages` configuration" not in proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("textemb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for page in ("index.html", "app.js", "app.css", "docs.html", "docs.js"):
        assert f"textemb/serve/static/{page}" in names
    assert "textemb/model_paths.json" in names and "textemb_cli/main.py" in names


def test_setup_never_leaves_the_user_without_output_while_pip_works():
    """pip prints nothing while it unpacks torch or installs 100+ packages (98 s in one run): each pip step of
    setup runs beside a ticker that prints a line every 15 s and stops with the step."""
    steps = [line for line in _make_dry_run("setup").splitlines() if "pip install" in line and "-c constraints.txt" in line]
    assert len(steps) == 2
    for line in steps:
        assert "still working" in line and "trap" in line and line.index("while sleep") < line.index("pip install")
