"""Hardening round 2 (issue 11), the core half: output folders, device files, the cache, reports, the CLI.

Each test reproduces one defect found on main (c36a692) and fails there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TINY_WORDS
from textemb import load_encoder
from textemb.errors import InputError
from textemb.io import cache
from textemb.vectors import WordVectors

OPTIONS = {"format": "glove", "errors": "strict", "nonfinite": "error"}


@pytest.fixture
def wv(tiny_matrix) -> WordVectors:
    return WordVectors(TINY_WORDS, tiny_matrix, name="tiny")


def _user_folder(path: Path) -> Path:
    """A folder of the user's that happens to be named as an output: notes and an older model."""
    (path / "old-run").mkdir(parents=True)
    (path / "NOTES.md").write_text("my notes\n")
    (path / "old-run" / "model.bin").write_bytes(b"precious")
    return path


def _assert_untouched(path: Path) -> None:
    assert (path / "NOTES.md").read_text() == "my notes\n"
    assert (path / "old-run" / "model.bin").read_bytes() == b"precious"
    assert sorted(p.name for p in path.iterdir()) == ["NOTES.md", "old-run"]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp or renamed-away folder


# ----------------------------------------------------------------------------- item 2: output folders
def test_item2_save_refuses_a_folder_textemb_did_not_write(tmp_path, wv):
    target = _user_folder(tmp_path / "out")
    for overwrite in (False, True):
        with pytest.raises(InputError, match="folder textemb did not write; refusing"):
            wv.save(target, overwrite=overwrite)
        _assert_untouched(target)


def test_item2_own_folder_needs_overwrite_and_keeps_added_user_files(tmp_path, wv):
    target = tmp_path / "vecs"
    wv.save(target)
    with pytest.raises(InputError, match="overwrite=True"):
        wv.save(target)
    small = WordVectors(TINY_WORDS[:3], np.ones((3, 8), np.float32))
    small.save(target, overwrite=True)
    assert WordVectors.load(target).words == TINY_WORDS[:3]
    (target / "NOTES.md").write_text("mine")
    with pytest.raises(InputError, match=r"also holds files it did not write \(NOTES.md\)"):
        wv.save(target, overwrite=True)
    assert (target / "NOTES.md").read_text() == "mine"


def test_item2_an_empty_folder_and_a_file_at_the_path(tmp_path, wv):
    (tmp_path / "empty").mkdir()
    wv.save(tmp_path / "empty")
    assert WordVectors.load(tmp_path / "empty").words == TINY_WORDS
    (tmp_path / "afile").write_text("keep")
    with pytest.raises(InputError, match="is not a folder textemb wrote"):
        wv.save(tmp_path / "afile", overwrite=True)
    assert (tmp_path / "afile").read_text() == "keep"


def test_item2_averaging_save_refuses_user_folder(tmp_path, wv):
    from textemb.encoders.averaging import AveragingEncoder

    target = _user_folder(tmp_path / "avg")
    with pytest.raises(InputError, match="did not write"):
        AveragingEncoder.mean(wv).save(target, overwrite=True)
    _assert_untouched(target)


def test_item2_cli_train_refuses_user_folder_before_training(tmp_path, capsys):
    from textemb_cli.main import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("the king spoke to the queen\n" * 50)
    target = _user_folder(tmp_path / "model")
    code = main(["train", "word2vec", str(corpus), "-o", str(target), "--min-count", "1", "--epochs", "1",
                 "--dim", "8", "--force"])
    err = capsys.readouterr().err
    assert code == 1 and "did not write; refusing" in err and "Traceback" not in err
    _assert_untouched(target)
    # a folder textemb wrote is replaced with --force only
    own = tmp_path / "own"
    args = ["train", "word2vec", str(corpus), "-o", str(own), "--min-count", "1", "--epochs", "1", "--dim", "8"]
    assert main(args) == 0
    assert main(args) == 1 and "--force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0
    assert (own / "vocab.txt").is_file() and len(WordVectors.load(own)) > 3


def test_item2_cache_clear_deletes_only_textemb_entries(tiny_glove, capsys):
    from textemb_cli.main import main

    load_encoder(f"glove:{tiny_glove}")
    base = cache.cache_root() / "vectors"
    mine = _user_folder(base / "my-stuff")
    (base / "stray.txt").write_text("x")
    assert main(["cache", "clear"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 cache entries" in out and "kept my-stuff" in out
    _assert_untouched(mine)
    assert (base / "stray.txt").read_text() == "x"
    assert sorted(p.name for p in base.iterdir()) == ["my-stuff", "stray.txt"]
    assert main(["cache", "info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == []


def test_item2_cache_write_never_replaces_a_foreign_folder(tiny_glove):
    entry = cache.cached_entry(tiny_glove, OPTIONS)
    _user_folder(entry)
    with pytest.warns(UserWarning, match="could not write the vector cache"):
        wv = load_encoder(f"glove:{tiny_glove}")
    assert wv.words == TINY_WORDS
    _assert_untouched(entry)


# ----------------------------------------------------------------------------- item 5: stale cache
def _rewrite_keeping_size_and_mtime(path: Path, new: bytes) -> None:
    st = path.stat()
    assert len(new) == st.st_size
    time.sleep(0.05)  # past the coarse filesystem clock tick, as any real later rewrite is
    path.write_bytes(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # what cp -p / rsync -t / tar x do


def test_item5_rewrite_with_same_size_and_mtime_is_not_served_from_cache(tmp_path):
    src = tmp_path / "v.txt"
    src.write_text("alpha 1.0 2.0\nbeta 3.0 4.0\n")
    first = load_encoder(f"glove:{src}")
    np.testing.assert_array_equal(first["alpha"], [1, 2])
    load_encoder(f"glove:{src}")  # the identity is now recorded as verified
    _rewrite_keeping_size_and_mtime(src, b"alpha 5.0 6.0\nbeta 7.0 8.0\n")
    again = load_encoder(f"glove:{src}")
    np.testing.assert_array_equal(again["alpha"], [5, 6])


def test_item5_replaced_file_new_inode_same_bytes_is_a_verified_hit(tmp_path):
    src = tmp_path / "v.txt"
    src.write_text("alpha 1.0 2.0\nbeta 3.0 4.0\n")
    load_encoder(f"glove:{src}")
    entry = cache.cached_entry(src, OPTIONS)
    npy_inode = (entry / "vectors.npy").stat().st_ino
    st = src.stat()
    copy = tmp_path / "copy.txt"
    copy.write_bytes(src.read_bytes())
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(copy, src)  # rsync -t: a new inode, same bytes, same mtime
    assert src.stat().st_ino != cache.read_manifest(entry)["source"]["inode"]
    wv = load_encoder(f"glove:{src}")
    assert isinstance(wv.vectors, np.memmap) and (entry / "vectors.npy").stat().st_ino == npy_inode
    assert cache.read_manifest(entry)["source"]["inode"] == src.stat().st_ino  # recorded after the sha256 check


# ----------------------------------------------------------------------------- item 13: killed cache write
_KILLED_WRITE = """
import os, signal, sys
from textemb.io.atomic import atomic_dir
with atomic_dir(sys.argv[1], kind="vectors") as tmp:
    (tmp / "vectors.npy").write_bytes(b"x" * 100000)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_item13_killed_first_cache_write_is_not_an_entry_and_is_cleaned(tiny_glove, capsys):
    from textemb_cli.main import main

    entry = cache.cached_entry(tiny_glove, OPTIONS)
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITE, str(entry)], env=os.environ.copy(), check=False)
    assert proc.returncode == -signal.SIGKILL
    base = entry.parent
    leftovers = [p for p in base.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1
    assert main(["cache", "info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == []
    load_encoder(f"glove:{tiny_glove}")  # the next cache write cleans the stale temp folder
    assert [p.name for p in base.iterdir()] == [entry.name]
    assert main(["cache", "info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == [entry.name]


def test_item13_killed_save_leftover_is_cleaned_by_the_next_save(tmp_path, wv):
    target = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITE, str(target)], env=os.environ.copy(), check=False)
    assert proc.returncode == -signal.SIGKILL and len(list(tmp_path.iterdir())) == 1
    (tmp_path / ".out.notours.tmp").mkdir()  # a look-alike without textemb's marker is never removed
    wv.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.notours.tmp", "out"]


def test_item13_a_live_writers_temp_folder_is_not_removed(tmp_path):
    from textemb.io.atomic import atomic_dir
    from textemb.io.ownership import clean_stale_temps

    with atomic_dir(tmp_path / "x") as tmp:
        assert clean_stale_temps(tmp_path) == []
        assert tmp.is_dir()
    assert (tmp_path / "x").is_dir()


# ----------------------------------------------------------------------------- item 4: devices, FIFOs, /proc
@pytest.mark.parametrize("spec", [
    "glove:/dev/zero", "glove:/dev/urandom", "word2vec:/dev/zero", "word2vec:/dev/urandom",
])
def test_item4_device_files_are_refused_in_one_line(spec, capsys):
    from textemb_cli.main import main

    with pytest.raises(InputError, match="is a device file, not a regular file"):
        load_encoder(spec)
    assert main(["neighbors", "king", "--encoder", spec]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a regular file" in err


def test_item4_corpus_and_counts_options_refuse_devices(tiny_glove):
    with pytest.raises(InputError, match="/dev/zero: is a device file"):
        load_encoder(f"avg-tfidf:glove:{tiny_glove}?corpus=/dev/zero")
    with pytest.raises(InputError, match="/dev/zero: is a device file"):
        load_encoder(f"avg-sif:glove:{tiny_glove}?counts=/dev/zero")
    with pytest.raises(InputError, match="/dev/urandom: is a device file"):
        load_encoder(f"avg-sif:glove:{tiny_glove}?corpus=/dev/urandom&pc=1")


def _run_bounded(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)


def test_item4_a_fifo_never_blocks(tmp_path, tiny_glove):
    fifo = tmp_path / "vectors.txt"
    os.mkfifo(fifo)
    counts = tmp_path / "counts.txt"
    os.mkfifo(counts)
    code = f"""
from textemb import load_encoder
from textemb.errors import InputError
for spec in ["glove:{fifo}", "word2vec:{fifo}", "avg-tfidf:glove:{tiny_glove}?corpus={fifo}",
             "avg-sif:glove:{tiny_glove}?counts={counts}"]:
    try:
        load_encoder(spec)
    except InputError as exc:
        assert "is a FIFO, not a regular file" in str(exc), exc
    else:
        raise SystemExit("loaded " + spec)
print("ok")
"""
    proc = _run_bounded(code)  # on main the first open blocks forever: the timeout fails the test
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_item4_proc_files_are_refused_and_never_echoed(tmp_path):
    with pytest.raises(InputError, match="system pseudo file"):
        load_encoder("glove:/proc/self/environ")
    link = tmp_path / "innocent.txt"
    link.symlink_to("/proc/self/environ")
    with pytest.raises(InputError, match="system pseudo file") as info:
        load_encoder(f"glove:{link}")
    assert "PATH=" not in str(info.value) and "HOME=" not in str(info.value)


def test_item4_binary_content_is_described_not_echoed(tmp_path):
    from textemb.errors import FormatError

    secret = tmp_path / "env.txt"
    secret.write_bytes(b"x 1 2\nSECRET_TOKEN=hunter2\x00HOME=/root\x00PATH=/usr/bin 1\n")
    with pytest.raises(FormatError) as info:
        load_encoder(f"glove:{secret}")
    assert "hunter2" not in str(info.value) and "bytes of binary data" in str(info.value)
    header = tmp_path / "bad.vec"
    header.write_bytes(b"\x1b]52;c;aGk=\x07 PASSWORD=x\n")
    with pytest.raises(FormatError) as info:
        load_encoder(f"word2vec:{header}?format=word2vec")
    assert "\x1b" not in str(info.value) and "PASSWORD" not in str(info.value)
    assert "bytes of binary data" in str(info.value)


def test_item4_caps_count_bytes_read_not_st_size(tmp_path):
    from textemb.errors import FormatError
    from textemb.io.bounded import open_regular, read_capped

    f = tmp_path / "big.txt"
    f.write_bytes(b"a 1\n" * 1000)
    with open_regular(f) as fh, pytest.raises(FormatError, match="more than the 100-byte cap"):
        read_capped(fh, 100, f)
    with open_regular(f) as fh:
        assert len(read_capped(fh, 4000, f)) == 4000


def test_item4_corpus_line_cap(tmp_path, monkeypatch):
    from textemb import corpus as corpus_mod
    from textemb.errors import FormatError

    monkeypatch.setattr(corpus_mod, "MAX_LINE_CHARS", 1000)
    f = tmp_path / "c.txt"
    f.write_text("short line\n" + "x" * 5000 + "\n")
    with pytest.raises(FormatError, match="longer than 1,000 characters"):
        list(corpus_mod.Corpus(f))


# ----------------------------------------------------------------------------- item 14: no traceback from the CLI
def _boom(args):
    raise RuntimeError("faiss says\x1b[2J no")


def test_item14_unexpected_exception_is_one_line(monkeypatch, capsys):
    from textemb_cli import main as main_mod
    from textemb_cli.commands import models

    monkeypatch.setattr(models, "run", _boom)
    monkeypatch.delenv("TEXTEMB_DEBUG", raising=False)
    assert main_mod.main(["models"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "\x1b" not in err
    assert "unexpected RuntimeError: faiss says" in err and "TEXTEMB_DEBUG=1" in err
    monkeypatch.setenv("TEXTEMB_DEBUG", "1")
    assert main_mod.main(["models"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "_boom" in err


def test_item14_through_a_real_process():
    code = ("import sys; from textemb_cli import main as m; from textemb_cli.commands import models\n"
            "models.run = lambda args: {}['missing']\n"
            "sys.exit(m.main(['models']))")
    proc = _run_bounded(code)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("textemb: error: unexpected KeyError")


# ----------------------------------------------------------------------------- item 13: a pickle that is not a model
def test_item13_trusted_pickle_that_is_not_a_model_is_one_error_and_unpickled_once(tmp_path, capsys):
    import pickle

    from textemb_cli.main import main

    from textemb.errors import FormatError

    marker = tmp_path / "count.txt"
    path = tmp_path / "not.model"
    path.write_bytes(pickle.dumps(_CountingPayload(str(marker)), protocol=4))
    with pytest.raises(FormatError, match="holds a pickled dict, not a gensim model"):
        load_encoder(f"word2vec:{path}?trust_pickle=1")
    assert marker.read_text() == "x"  # unpickled exactly once (main: twice, then an AttributeError)
    path.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    assert main(["neighbors", "a", "--encoder", f"word2vec:{path}?trust_pickle=1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds a pickled dict" in err and "Traceback" not in err


class _CountingPayload:
    """Appends one 'x' to a file each time it is unpickled (a harmless stand-in for code in a pickle)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (_record_unpickle, (self.path,))


def _record_unpickle(path: str) -> dict:
    with open(path, "a") as fh:
        fh.write("x")
    return {"unpickled": True}


# ----------------------------------------------------------------------------- item 8: reports
_HOSTILE_SECTIONS = [r": $\frac{$", ": prices $5 to $10", ": <script>alert(1)</script> [click](javascript:alert(1))"]


@pytest.fixture
def hostile_result(tmp_path):
    from textemb.evaluation import evaluate_analogies

    rng = np.random.default_rng(3)
    words = ["man", "woman", "king", "queen", "$5", "$10", "$x$", "<b>"] + [f"w{i}" for i in range(30)]
    vecs = rng.standard_normal((len(words), 8)).astype(np.float32)
    q = tmp_path / "q.txt"
    q.write_text(f"{_HOSTILE_SECTIONS[0]}\nman woman king queen\n{_HOSTILE_SECTIONS[1]}\n$5 $10 man woman\n"
                 f"{_HOSTILE_SECTIONS[2]}\n$x$ <b> king queen\n", encoding="utf-8")
    return evaluate_analogies(WordVectors(words, vecs, name="enc$1$"), q)


def test_item8_dollar_labels_are_plain_text_and_never_crash(tmp_path, hostile_result):
    pytest.importorskip("matplotlib")
    from textemb.evaluation import plots, write_report

    names = [s["section"] for s in hostile_result.sections]
    assert r"$\frac{$" in names and "prices $5 to $10" in names
    out = write_report(hostile_result, tmp_path / "r.html")  # main: ValueError from mathtext, no report
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 and "plot skipped" not in page  # bars + PCA pairs
    assert plots.plain("prices $5 to $10") == r"prices \$5 to \$10"
    png = plots.section_bars_png({"a$b$": hostile_result.sections}, title="costs $5 to $10")
    (tmp_path / "bars.png").write_bytes(png)
    coords = plots.pca_2d(np.random.default_rng(0).standard_normal((4, 5)))
    (tmp_path / "scatter.png").write_bytes(plots.scatter_png([r"$\frac{$", "$5", "$10", "x"], coords, title="$$"))
    _rendered_texts_are_literal(plots, hostile_result)


def _rendered_texts_are_literal(plots, result) -> None:
    """Draw the bars and read back what matplotlib will show: the literal names, not math."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    labels = [plots.plain(s["section"]) for s in result.sections]
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    fig.canvas.draw()
    shown = [t._preprocess_math(t.get_text()) for t in ax.get_yticklabels()]
    assert [s for s, _ in shown] == [s["section"] for s in result.sections]
    assert not any(ismath for _, ismath in shown)


def test_item8_a_failing_plot_never_loses_the_report(tmp_path, hostile_result, monkeypatch):
    from textemb.evaluation import plots, write_report

    def broken(*args, **kwargs):
        raise RuntimeError("matplotlib exploded")

    monkeypatch.setattr(plots, "section_bars_png", broken)
    page = write_report(hostile_result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "plot skipped (RuntimeError: matplotlib exploded)" in page
    assert "Worst misses" in page or "Sections" in page


def test_item8_markdown_escapes_html_and_links(tmp_path, hostile_result):
    from textemb.evaluation import write_report

    md = write_report(hostile_result, tmp_path / "r.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "<b>" not in md and "&lt;script&gt;" in md
    import re

    assert re.search(r"(?<!\\)\]\(", md) is None and r"\[click\]" in md  # no link syntax left
    assert "enc$1$" in md  # dollars are plain characters in Markdown
    html_page = write_report(hostile_result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html_page and "&lt;script&gt;" in html_page


# ----------------------------------------------------------------------------- item 6: nothing raw on the terminal
_EVIL = ["\x1b[2Jwipe", "\x1b]52;c;aGk=\x07clip", "\rfake", "\x9b31mred", "\u202eevil", "\x1b]8;;http://x\x1b\\link"]


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n") or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E]


@pytest.fixture
def evil_vectors(tmp_path) -> Path:
    rng = np.random.default_rng(1)
    words = ["king", "queen", "man", "woman"] + _EVIL
    path = tmp_path / "evil\x1b[2J\udcff.txt"
    with open(path, "w", encoding="utf-8") as fh:
        for w in words:
            fh.write(w + " " + " ".join(f"{x:.4f}" for x in rng.standard_normal(6)) + "\n")
    return path


def test_item6_neighbors_and_analogy_escape_words_from_data(evil_vectors, capsys):
    from textemb_cli.main import main

    spec = f"glove:{evil_vectors}"
    assert main(["neighbors", "king", "-k", "9", "--encoder", spec]) == 0
    out = capsys.readouterr().out
    assert not _raw_controls(out) and "\\x1b[2Jwipe" in out and "\\u202eevil" in out
    assert main(["analogy", "man", "king", "woman", "-k", "9", "--encoder", spec]) == 0
    out = capsys.readouterr().out
    assert not _raw_controls(out) and "\\x9b31mred" in out
    assert main(["neighbors", "king", "-k", "9", "--json", "--encoder", spec]) == 0
    raw = capsys.readouterr().out
    raw.encode("utf-8")  # valid UTF-8: the undecodable byte in the file name became U+FFFD
    assert not _raw_controls(raw.replace("\n", ""))
    words = {h["word"] for h in json.loads(raw)["neighbors"]["king"]}
    assert set(_EVIL) <= words  # JSON readers get the exact words back


def test_item6_cache_info_and_eval_escape_names(evil_vectors, tmp_path, capsys):
    from textemb_cli.main import main

    load_encoder(f"glove:{evil_vectors}")
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "evil\\x1b[2J" in out and not _raw_controls(out)
    assert main(["cache", "info", "--json"]) == 0
    raw = capsys.readouterr().out
    raw.encode("utf-8")
    assert json.loads(raw)["entries"][0].startswith("evil\\x1b[2J")
    q = tmp_path / "q\x1b]52;c;x\x07.txt"
    q.write_text(": sec\x1b[31m\nman woman king queen\n", encoding="utf-8")
    assert main(["eval", "analogy", "--dataset", str(q), "--encoder", f"glove:{evil_vectors}"]) == 0
    out = capsys.readouterr().out
    assert not _raw_controls(out) and "sec\\x1b[31m" in out


def test_item6_error_lines_are_escaped(tmp_path, capsys):
    from textemb_cli.main import main

    assert main(["neighbors", "x", "--encoder", f"glove:{tmp_path}/no\x1b[2Jsuch.txt"]) == 1
    err = capsys.readouterr().err
    assert not _raw_controls(err) and "no\\x1b[2Jsuch" in err


def test_item13_stale_rule_old_or_dead_owner_only(tmp_path):
    from textemb.io import ownership

    live = tmp_path / ".x.abc.tmp"
    live.mkdir()
    record = ownership.new_record("vectors")
    ownership.write_marker(live, record)
    assert not ownership.is_stale_temp(live)  # this process is alive and the folder is fresh
    assert ownership.is_stale_temp(live, now=record["created"] + ownership.STALE_AFTER_S + 1)
    foreign = tmp_path / ".y.abc.tmp"
    foreign.mkdir()
    (foreign / "data").write_text("not ours")
    assert not ownership.is_stale_temp(foreign, now=time.time() + 10 * ownership.STALE_AFTER_S)
    assert ownership.clean_stale_temps(tmp_path) == []


# ----------------------------------------------------------------------------- real models
@pytest.mark.slow
def test_item2_real_minilm_save_never_replaces_a_user_folder(tmp_path):
    pytest.importorskip("sentence_transformers")
    enc = load_encoder("sbert:all-MiniLM-L6-v2")
    target = _user_folder(tmp_path / "model")
    with pytest.raises(InputError, match="did not write"):
        enc.save(target, overwrite=True)
    _assert_untouched(target)
    own = tmp_path / "mine"
    spec = enc.save(own)
    with pytest.raises(InputError, match="overwrite=True"):
        enc.save(own)
    assert enc.save(own, overwrite=True) == spec
    again = load_encoder(spec)
    np.testing.assert_allclose(again.encode("a frog"), enc.encode("a frog"), atol=1e-6)


@pytest.mark.slow
def test_item5_real_glove_file_rewritten_in_place_is_reparsed(tmp_path, glove50):
    src = tmp_path / "glove.txt"
    assert "king" in glove50.words[:2000]
    WordVectors(glove50.words[:2000], np.asarray(glove50.vectors[:2000])).save_word2vec_format(src, header=False)
    before = load_encoder(f"glove:{src}")
    king = np.array(before["king"])
    data = src.read_bytes()
    swapped = data.replace(b"\nking ", b"\nkxng ", 1)  # same size; the mtime is put back below
    assert swapped != data and len(swapped) == len(data)
    _rewrite_keeping_size_and_mtime(src, swapped)
    after = load_encoder(f"glove:{src}")
    assert "king" not in after.words and np.allclose(np.array(after["kxng"]), king)


def test_item4_text_list_readers_refuse_devices_and_fifos(tmp_path, capsys):
    from textemb_cli.main import main

    from textemb.encoders.contextual import _read_words

    with pytest.raises(InputError, match="/dev/zero: is a device file"):
        _read_words("/dev/zero")  # bert:...?vocab=/dev/zero
    assert main(["encode", "--file", "/dev/urandom", "--encoder", "avg:glove:/nonexistent"]) == 1
    assert "is a device file" in capsys.readouterr().err
    fifo = tmp_path / "texts.txt"
    os.mkfifo(fifo)
    code = f"""
import sys
from textemb_cli.main import main
sys.exit(main(["plot", "a", "b", "--file", "{fifo}", "-o", "{tmp_path}/p.png"]))
"""
    proc = _run_bounded(code)
    assert proc.returncode == 1 and "is a FIFO, not a regular file" in proc.stderr
