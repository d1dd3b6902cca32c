"""textemb index / textemb search end to end (real GloVe 50d), plus the slow MiniLM run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textemb_cli.commands.search import excerpt, highlight, query_words
from textemb_cli.main import main

from tests.full_size import GLOVE_QUICK

ROOT = Path(__file__).resolve().parents[1]
WIKI = ROOT / "corpora" / "wikipedia-sample"


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "notes"
    (root / "animals").mkdir(parents=True)
    (root / "animals" / "frog.md").write_text("# Frogs\n\nA green frog sat on a wet log by the pond.", encoding="utf-8")
    (root / "royal.txt").write_text("The king spoke to the queen about the prince.", encoding="utf-8")
    (root / "money.html").write_text("<title>Banks</title><p>The bank raised interest rates on loans.</p>", encoding="utf-8")
    (root / "junk.bin").write_bytes(b"\x00\x01")
    return root


def test_index_then_search_prints_rank_score_path_title_and_highlights(folder, tmp_path, capsys):
    out = tmp_path / "idx"
    assert main(["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q"]) == 0
    text = capsys.readouterr().out
    assert "3 documents" in text and "junk.bin" in text and "unsupported" in text
    assert main(["search", "a frog near the pond", "--index", str(out), "-k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["1.", lines[0].split()[1]] and "animals/frog.md" in lines[0] and "Frogs" in lines[0]
    assert 0 < float(lines[0].split()[1]) <= 1
    assert "**frog**" in lines[1] and "**pond**" in lines[1]  # not a TTY: markdown bold
    assert len([ln for ln in lines if ln[:3].strip().endswith(".")]) == 2


def test_search_json_and_k_larger_than_index(folder, tmp_path, capsys):
    out = tmp_path / "idx"
    main(["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q"])
    capsys.readouterr()
    assert main(["search", "interest on loans", "--index", str(out), "-k", "50", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["encoder"] == GLOVE_QUICK and len(data["hits"]) == 3
    top = data["hits"][0]
    assert top["source"] == "money.html" and top["title"] == "Banks" and top["rank"] == 1
    assert set(top) >= {"score", "passage", "start", "end", "id"}


def test_reindex_only_encodes_changed_files(folder, tmp_path, capsys):
    out = tmp_path / "idx"
    args = ["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q", "--json"]
    main(args)
    capsys.readouterr()
    (folder / "royal.txt").write_text("The queen abdicated.", encoding="utf-8")
    (folder / "money.html").unlink()
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files"] == {"added": 0, "updated": 1, "unchanged": 1, "removed": 1}
    assert data["encoded_passages"] == 1 and data["documents"] == 2


def test_reindex_keeps_the_index_settings(folder, tmp_path, capsys):
    out = tmp_path / "idx"
    main(["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q", "--ann", "hnsw", "--dtype", "float16"])
    (folder / "royal.txt").write_text("The queen abdicated.", encoding="utf-8")
    assert main(["index", str(folder), "-o", str(out), "-q"]) == 0  # no --encoder/--ann/--dtype: keep them
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["ann"] == "hnsw" and manifest["dtype"] == "float16" and "hnsw" in manifest["files"]
    assert manifest["generation"] == 2 and manifest["encoder"]["spec"] == GLOVE_QUICK
    assert main(["index", str(folder), "-o", str(out), "-q"]) == 0  # nothing changed: no new generation
    assert json.loads((out / "manifest.json").read_text())["generation"] == 2
    capsys.readouterr()
    assert main(["search", "queen", "--index", str(out), "--mode", "ann", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["source"] == "royal.txt"


def test_one_step_search_of_a_folder_uses_the_cache(folder, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TEXTEMB_CACHE", str(tmp_path / "cache"))
    assert main(["search", "royal family", str(folder), "--encoder", GLOVE_QUICK, "-k", "1", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["hits"][0]["source"] == "royal.txt"
    assert Path(first["index"]).parent == tmp_path / "cache" / "indexes"
    assert not (folder / ".textemb-owner.json").exists() and not (folder / ".textemb-index").exists()
    assert main(["search", "royal family", str(folder), "--encoder", GLOVE_QUICK, "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["index"] == first["index"]  # reused


@pytest.mark.parametrize("argv, code, message", [
    (["search", "   ", "--index", "X"], 1, "empty query"),
    (["search", "frog", "--index", "X", "-k", "0"], 2, "-k/--top-k: must be at least 1, got 0"),
    (["search", "frog"], 1, "give a DOCS folder or file to search (it is indexed on the fly) or --index INDEX"),
    (["search", "frog", "docs", "--index", "X"], 1, "or --index INDEX, not both"),
])
def test_search_errors(argv, code, message, capsys):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "(not both)" not in err


def test_wrong_encoder_and_locked_index_are_clear_errors(folder, tmp_path, tiny_glove, capsys):
    out = tmp_path / "idx"
    main(["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q"])
    capsys.readouterr()
    assert main(["search", "frog", "--index", str(out), "--encoder", f"glove:{tiny_glove}"]) == 1
    err = capsys.readouterr().err  # refused on the specs, before the wrong model loads
    assert f"holds vectors from '{GLOVE_QUICK}'" in err and f"--encoder '{GLOVE_QUICK}'" in err
    assert main(["index", str(folder), "-o", str(out), "--encoder", f"glove:{tiny_glove}", "-q"]) == 1
    assert "--rebuild" in capsys.readouterr().err
    from textemb.search.stores.folder_files import IndexLock

    (folder / "new.txt").write_text("A new note about frogs.", encoding="utf-8")  # a change: a writer is needed
    with IndexLock(out):
        assert main(["index", str(folder), "-o", str(out), "-q"]) == 1
        assert "index is locked" in capsys.readouterr().err


def test_highlighting_helpers():
    words = query_words("The Frog and the POND!")
    assert words == ["frog", "pond"]  # longest first, then alphabetical
    assert highlight("A frog in a Pond; frogs.", words, tty=False) == "A **frog** in a **Pond**; frogs."
    assert highlight("frog", words, tty=True) == "\033[1mfrog\033[0m"
    long = "x " * 300 + "the frog jumped " + "y " * 300
    ex = excerpt(long, ["frog"], 100)
    assert "frog" in ex and ex.startswith("...") and len(ex) <= 110


@pytest.mark.parametrize("glove", [GLOVE_QUICK, pytest.param("glove-6b-50d", marks=pytest.mark.slow)])
def test_search_the_shipped_wikipedia_corpus_with_glove(tmp_path, capsys, monkeypatch, glove):
    monkeypatch.setenv("TEXTEMB_CACHE", str(tmp_path / "cache"))
    assert main(["search", "the first men to walk on the moon", str(WIKI), "--encoder", glove,
                 "-k", "3", "-q"]) == 0
    out = capsys.readouterr().out
    assert "corpus.jsonl [" in out and "Apollo" in out


@pytest.mark.slow
def test_search_wikipedia_with_minilm(tmp_path, capsys):
    """Real all-MiniLM-L6-v2 vectors, the sample encoded once: the CLI answer and the retrieval figures share it."""
    pytest.importorskip("sentence_transformers")
    from textemb import load_encoder
    from textemb.search import default_encoder
    from textemb.search.retrieval import build_index, evaluate_retrieval, load_beir

    assert default_encoder().dim == 384  # MiniLM is the default search encoder
    data = load_beir(ROOT / "corpora" / "wikipedia-sample-eval", corpus=WIKI / "corpus.jsonl")
    encoder = load_encoder("all-MiniLM-L6-v2")
    idx = build_index(data, encoder)  # the one MiniLM encoding of the 4,766 passages
    saved = idx.save(tmp_path / "minilm.idx")
    assert main(["search", "when did people first land on the moon", "--index", str(saved), "-k", "3",
                 "--mode", "dense"]) == 0
    assert "Apollo 11" in capsys.readouterr().out.splitlines()[0]
    result = {r.settings["mode"]: r.metrics for r in evaluate_retrieval(data, encoder, index=idx)}
    assert result["dense"]["Recall@10"] >= 0.9 and result["dense"]["nDCG@10"] >= 0.7
    assert result["hybrid"]["nDCG@10"] >= result["bm25"]["nDCG@10"] - 0.02  # fusing MiniLM in never costs much
    print({mode: round(m["nDCG@10"], 4) for mode, m in result.items()})


def test_several_queries_in_one_process_from_a_file(folder, tmp_path, capsys):
    out = tmp_path / "idx"
    main(["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q"])
    queries = tmp_path / "queries.txt"
    queries.write_text("a frog near the pond\n\n   \ninterest on loans\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["search", "--queries", str(queries), "--index", str(out), "-k", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [q["query"] for q in data["queries"]] == ["a frog near the pond", "interest on loans"]  # blank lines skipped
    for q in data["queries"]:  # the same answer as one query per process
        assert main(["search", q["query"], "--index", str(out), "-k", "1", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["hits"][0]["id"] == q["hits"][0]["id"]
    assert main(["search", "--queries", str(queries), "--index", str(out), "-k", "1"]) == 0
    text = capsys.readouterr().out
    assert "== a frog near the pond" in text and "== interest on loans" in text and "money.html" in text
    assert main(["search", "--queries", str(queries), str(folder), "--encoder", GLOVE_QUICK, "-k", "1"]) == 0
    assert "animals/frog.md" in capsys.readouterr().out  # with DOCS as the one positional


def test_search_without_a_query_prompts_on_a_terminal_and_refuses_elsewhere(folder, tmp_path, capsys):
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    out = tmp_path / "idx"
    main(["index", str(folder), "-o", str(out), "--encoder", GLOVE_QUICK, "-q"])
    capsys.readouterr()
    assert main(["search", "--index", str(out)]) == 1  # stdin is not a terminal under pytest
    assert "--queries FILE" in capsys.readouterr().err
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "textemb_cli", "search", "--index", str(out), "-k", "1"],
                            stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    os.write(leader, b"a frog near the pond\n\n")
    seen, deadline = b"", time.monotonic() + 120
    while time.monotonic() < deadline:  # bounded: never block on a read
        ready, _, _ = select.select([leader], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=30)
    os.close(leader)
    assert proc.returncode == 0, seen
    assert b"query> " in seen and b"animals/frog.md" in seen


def test_index_shows_progress_in_a_log_not_only_on_a_terminal(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TEXTEMB_PROGRESS_INTERVAL", "0")  # every update prints a line (stderr here is not a tty)
    assert main(["index", str(folder), "-o", str(tmp_path / "idx"), "--encoder", GLOVE_QUICK]) == 0
    err = capsys.readouterr().err
    assert err.startswith("indexing ") and "glove-6b-50d" in err
    assert any(line.split(":")[0] in ("encoding", "indexing") and "/" in line for line in err.splitlines()[1:]), err
