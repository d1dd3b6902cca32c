"""Every fenced ``bash`` and ``python`` block in README.md runs as written (issue: a newcomer's first hour).

Each block is one test case, run in a fresh process inside a scratch folder that holds a link to the
repository's ``corpora/`` (so paths in the README resolve as they do from a clone). Blocks run in README
order within one scratch folder, so a later block may use what an earlier one wrote (``wiki.idx``).
The README itself says where a block is not run as written, in an HTML comment right above the fence:

* ``<!-- readme-test: skip REASON -->`` — not run (``make test`` is what CI runs anyway);
* ``<!-- readme-test: replace OLD => NEW -->`` — run with OLD replaced by NEW (e.g. a smaller model);
* ``<!-- readme-test: expect TEXT -->`` — the block's output must contain TEXT (a figure it quotes).

Blocks in other languages (``text``: sample output) are not code and are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*readme-test:\s*(skip|replace|expect)\b\s*(.*?)\s*-->\s*$")
RUNNABLE = {"bash": "bash", "sh": "bash", "python": "python"}


@dataclass
class Block:
    line: int
    lang: str
    code: str
    skip: str | None = None
    replace: list[tuple[str, str]] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.lang}"

    def source(self) -> str:
        code = self.code
        for old, new in self.replace:
            if old not in code:
                raise AssertionError(f"README line {self.line}: replace target {old!r} is not in the block")
            code = code.replace(old, new)
        return code


def parse_readme(text: str) -> list[Block]:
    """The fenced blocks of ``text`` with the directives written right above each one."""
    blocks: list[Block] = []
    lines = text.splitlines()
    pending: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if m:
            pending.append((m.group(1), m.group(2)))
        fence = _FENCE.match(lines[i])
        if fence:
            start = i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append(_block(start + 1, fence.group(1) or "text", "\n".join(body) + "\n", pending))
            pending = []
        elif not m and lines[i].strip():
            pending = []  # a directive applies only to the fence right below it
        i += 1
    return blocks


def _block(line: int, lang: str, code: str, directives: list[tuple[str, str]]) -> Block:
    block = Block(line, lang, code)
    for kind, arg in directives:
        if kind == "skip":
            block.skip = arg or "skipped by the README"
        elif kind == "replace":
            old, sep, new = arg.partition(" => ")
            if not sep:
                raise AssertionError(f"README line {line}: write replace directives as 'OLD => NEW'")
            block.replace.append((old, new))
        else:
            block.expect.append(arg)
    return block


BLOCKS = [b for b in parse_readme(README.read_text(encoding="utf-8")) if b.lang in RUNNABLE]


def test_the_readme_has_runnable_blocks_and_every_skip_says_why():
    runnable = [b for b in BLOCKS if b.skip is None]
    assert len(runnable) >= 10, "the README lost its examples"
    for b in BLOCKS:
        if b.skip is not None:
            assert len(b.skip) > 10, f"README line {b.line}: a skipped block must say why"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    os.symlink(ROOT / "corpora", work / "corpora")
    return work


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    bin_dir = Path(sys.executable).parent
    out = dict(os.environ)
    out.update(PATH=f"{bin_dir}{os.pathsep}{out.get('PATH', '')}", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TEXTEMB_CACHE=str(tmp_path_factory.mktemp("readme-cache")), PYTHONUNBUFFERED="1")
    out.setdefault("PYTHONPATH", str(ROOT))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs_as_written(block: Block, workdir: Path, env: dict):
    if block.skip is not None:
        pytest.skip(block.skip)
    if RUNNABLE[block.lang] == "bash" and shutil.which("bash") is None:
        pytest.skip("no bash here")
    cmd = ["bash", "-e", "-o", "pipefail", "-c", block.source()] if RUNNABLE[block.lang] == "bash" \
        else [sys.executable, "-c", block.source()]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"README line {block.line} failed (exit {proc.returncode}):\n{output[-3000:]}"
    for text in block.expect:
        assert text in output, f"README line {block.line}: output lacks {text!r}:\n{output[-3000:]}"


@pytest.mark.slow
def test_readme_blocks_write_only_into_out(workdir: Path):
    """Run after the blocks above (same module-scoped folder): README examples write into out/, never the current
    folder, so a newcomer following them in a clone leaves no stray files in its root."""
    stray = sorted(p.name for p in workdir.iterdir() if p.name not in {"corpora", "out"})
    assert not stray, f"README blocks wrote outside out/: {stray}"
