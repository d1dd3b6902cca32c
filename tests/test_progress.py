"""Progress reads well in a log: periodic plain lines when stderr is not a terminal."""

from __future__ import annotations

from textemb.progress import LineProgress, announce, progress


def test_line_progress_prints_periodic_lines_with_rate_and_eta(capsys):
    bar = LineProgress(None, total=100, desc="indexing", unit="doc", interval=0.0)
    bar.update(25)
    bar.close()
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("indexing: 25/100 docs (25%)") and "docs/s" in err[0] and "left" in err[0]
    assert "done in" in err[-1]
    assert "\r" not in "".join(err)


def test_progress_wraps_an_iterable_and_keeps_items_in_order(capsys, monkeypatch):
    monkeypatch.setenv("TEXTEMB_PROGRESS_INTERVAL", "0")
    items = list(progress(iter(range(5)), total=5, enabled=True, desc="encoding", unit="text"))
    assert items == [0, 1, 2, 3, 4]
    assert "encoding: 5/5 texts (100%)" in capsys.readouterr().err  # stderr is captured: not a tty


def test_disabled_progress_is_silent_and_announce_is_one_line(capsys):
    counter = progress(None, total=3, enabled=False, desc="x")
    counter.update(3)
    counter.close()
    assert list(progress([1, 2], total=2, enabled=False, desc="x")) == [1, 2]
    announce("encoding 4,766 passages with all-MiniLM-L6-v2 ...")
    assert capsys.readouterr().err == "encoding 4,766 passages with all-MiniLM-L6-v2 ...\n"


def test_lines_come_by_the_clock_while_no_unit_finishes(capsys):
    """One long batch (no update for a while) still gives a line every interval, with the time elapsed."""
    import time

    bar = LineProgress(None, total=1_000, desc="encoding", unit="passage", interval=0.2)
    time.sleep(0.9)
    bar.update(1_000)
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    waiting = [ln for ln in lines if ln.startswith("encoding: 0/1,000 passages (0%), ") and ln.endswith(" s elapsed")]
    assert len(waiting) >= 2, lines
    assert lines[-1].startswith("encoding: 1,000/1,000 passages (100%)") and "done in" in lines[-1]


def test_the_100_percent_line_is_printed_once(capsys):
    bar = LineProgress(None, total=5, desc="indexing", unit="doc", interval=0.0)
    for _ in range(5):
        bar.update(1)
    bar.close()
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert [ln for ln in lines if "(100%)" in ln] == [lines[-1]] and "done in" in lines[-1]
    assert len(lines) == 5  # 20% .. 80%, then the one final line


def test_a_bar_dropped_without_close_stops_its_timer():
    import gc
    import threading
    import time

    bar = LineProgress(None, total=10, desc="dropped", unit="x", interval=0.05)
    timer = bar._timer
    del bar
    gc.collect()
    deadline = time.monotonic() + 5
    while timer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not timer.is_alive() and not any(t.name == "progress: dropped" for t in threading.enumerate())


def test_indexing_the_wikipedia_sample_in_a_log(tmp_path):
    """The real command on the shipped sample (quick GloVe), stderr a pipe: periodic lines, one 100% line."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.full_size import GLOVE_QUICK

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "TEXTEMB_CACHE": str(tmp_path / "cache"), "TEXTEMB_PROGRESS_INTERVAL": "0.3"}
    proc = subprocess.run([sys.executable, "-m", "textemb_cli", "index", str(root / "corpora" / "wikipedia-sample"),
                           "-o", str(tmp_path / "idx"), "-e", GLOVE_QUICK], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("encoding: ")]
    assert len(lines) >= 2 and [ln for ln in lines if "(100%)" in ln] == [lines[-1]], proc.stderr
    assert lines[-1].startswith("encoding: 4,766/4,766 passages (100%)") and "done in" in lines[-1]
