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
