"""Hardening round 2, the search side (issue 11 items 1, 2, 3, 6, 7, 9, 10, 11, 12, 13 and the index fuzz test).

Each test fails on c36a692 (before the fixes). Hang guards run the work in a subprocess with a generous
wall-clock limit: they are not performance assertions, only "this finishes at all".
"""

from __future__ import annotations

import json
import os
import pickle
import random
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from textemb.errors import FormatError, InputError, UnsafeFileError
from textemb.search import ChunkSettings, Document, Index

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    Document("frog", "a frog sat on the log by the café", "Frogs"),
    Document("king", "the king spoke to the queen and the prince", "Royalty"),
    Document("paris", "paris is the capital of france", "Paris"),
]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / ".pyshim"), env.get("PYTHONPATH", "")])
    return env


def _run_py(code: str, timeout: float = 120, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter; a hang is a test failure after ``timeout`` seconds."""
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                              check=False, timeout=timeout, env=_env(), cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: still running after {timeout} s")


@pytest.fixture
def tiny_encoder(tiny_glove):
    from textemb import load_encoder

    return load_encoder(f"glove:{tiny_glove}")


@pytest.fixture
def tiny_index(tiny_encoder, tmp_path) -> Path:
    Index.build(DOCS, tiny_encoder, path=tmp_path / "idx", chunk=ChunkSettings(size=4, overlap=1), ann="hnsw")
    return tmp_path / "idx"


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _set_manifest(path: Path, manifest: dict) -> None:
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))  # creates the marker file when unpickled


# --------------------------------------------------------------------------- item 1: no code from a crafted index
def _plant_pickle(index: Path, tmp_path: Path) -> Path:
    marker = tmp_path / "PWNED"
    (index / "evil.model").write_bytes(pickle.dumps(_Evil(str(marker))))
    m = _manifest(index)
    m["encoder"]["spec"] = f"word2vec:{index / 'evil.model'}?trust_pickle=1"
    _set_manifest(index, m)
    return marker


def test_item1_manifest_spec_cannot_opt_in_to_pickle_library(tiny_index, tmp_path):
    marker = _plant_pickle(tiny_index, tmp_path)
    idx = Index.open(tiny_index)
    with pytest.raises(UnsafeFileError, match="trust_pickle.*--encoder SPEC"):
        idx.search("frog")
    assert not marker.exists()


def test_item1_manifest_spec_cannot_opt_in_cli_search_and_index(tiny_index, tmp_path, capsys):
    from textemb_cli.main import main

    marker = _plant_pickle(tiny_index, tmp_path)
    assert main(["search", "frog", "--index", str(tiny_index)]) == 1
    err = capsys.readouterr().err
    assert "trust_pickle" in err and "--encoder SPEC" in err and err.count("\n") == 1
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the frog sat on the log", encoding="utf-8")
    assert main(["index", str(docs), "-o", str(tiny_index), "-q"]) == 1
    assert "trust_pickle" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize("spec", ["glove:/dev/zero", "avg-sif:glove:/dev/urandom", "avg:glove-6b-50d?corpus=/dev/zero",
                                  "avg-sif:glove-6b-50d?counts=/proc/self/environ", "bert:x?trust_remote_code=1",
                                  "avg-sif:word2vec:m.model?TRUST_pickle=yes"])
def test_item1_untrusted_spec_refuses_devices_and_trust_options(spec):
    from textemb import load_encoder

    with pytest.raises(UnsafeFileError, match="read from INDEX/manifest.json.*pass the spec yourself"):
        load_encoder(spec, from_data="INDEX/manifest.json")


def test_item1_untrusted_spec_refuses_a_fifo(tmp_path):
    from textemb.encoders.registry import check_untrusted_spec

    fifo = tmp_path / "vectors.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeFileError, match="FIFO"):
        check_untrusted_spec(f"glove:{fifo}")
    check_untrusted_spec(f"glove:{tmp_path}")  # a folder and plain names are fine
    check_untrusted_spec("avg:glove-6b-50d")


def test_item1_store_manifest_spec_is_untrusted(tiny_index, tmp_path):
    from textemb.search.stores import open_store

    marker = _plant_pickle(tiny_index, tmp_path)
    store = Index(open_store(str(tiny_index)))  # the façade loads the query encoder from the store's manifest
    try:
        with pytest.raises(UnsafeFileError):
            store.search("frog")
    finally:
        store.close()
    assert not marker.exists()


def test_item1_user_encoder_still_opts_in(tiny_index, tiny_encoder):
    """The user's own encoder argument is what a crafted manifest cannot replace."""
    idx = Index.open(tiny_index, encoder=tiny_encoder)
    assert idx.search("frog", k=1)[0].id == "frog"


# --------------------------------------------------------------------------- item 2: never write in someone else's folder
def _user_folder(tmp_path: Path) -> tuple[Path, dict]:
    out = tmp_path / "mine"
    out.mkdir()
    files = {"lock": b"precious lock notes", "vectors-7.npy": b"my array", "docs-000002.jsonl": b"{}\n",
             ".report.tmp": b"draft", "NOTES.md": b"# notes"}
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out, files


def test_item2_index_refuses_a_non_empty_folder_that_is_not_an_index(tmp_path, tiny_glove, capsys):
    from textemb_cli.main import main

    out, files = _user_folder(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the frog sat on the log", encoding="utf-8")
    assert main(["index", str(docs), "-o", str(out), "--encoder", f"glove:{tiny_glove}", "-q"]) == 1
    assert "is not a textemb index" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    for fresh in (False, True):
        with pytest.raises(InputError, match="not a textemb index"):
            from textemb.search.indexing import index_documents

            index_documents(str(docs), str(out), encoder=_tiny(tiny_glove), rebuild=fresh)
    with pytest.raises(InputError, match="not a textemb index"):
        Index.build(DOCS, _tiny(tiny_glove), path=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files


def _tiny(tiny_glove):
    from textemb import load_encoder

    return load_encoder(f"glove:{tiny_glove}")


def test_item2_cleanup_removes_only_textemb_files_in_its_own_index(tiny_index, tiny_encoder):
    (tiny_index / ".report.tmp").write_bytes(b"mine")
    (tiny_index / ".notes.txt.tmp").write_bytes(b"mine too")
    (tiny_index / ".vectors-000009.npy.ab12_x.tmp").write_bytes(b"textemb's temp file")
    idx = Index.open(tiny_index, encoder=tiny_encoder)
    idx.add([Document("new", "the queen of france")])
    idx.save()
    names = {p.name for p in tiny_index.iterdir()}
    assert {".report.tmp", ".notes.txt.tmp"} <= names
    assert ".vectors-000009.npy.ab12_x.tmp" not in names


def test_item2_empty_folder_is_taken_and_marked(tmp_path, tiny_encoder):
    out = tmp_path / "empty"
    out.mkdir()
    Index.build(DOCS, tiny_encoder, path=out)
    from textemb.search.stores.folder_files import is_index_folder

    assert is_index_folder(out) and (out / ".textemb-owner.json").is_file()


# --------------------------------------------------------------------------- item 3: no hang on hostile documents
HOSTILE = {
    "title.md": lambda: "# a" + " " * 3000 + "b",
    "anchors.html": lambda: "<a " * 30_000,
    "comments.html": lambda: "<!--" * 30_000,
    "spaces.html": lambda: "<p>" + "\u00a0" * 200_000 + "x",
}


def _wiki_dump(body: str) -> str:
    from xml.sax.saxutils import escape

    return (f"<mediawiki><page><title>Refs</title><ns>0</ns><id>1</id><revision><text>{escape(body)}</text>"
            "</revision></page></mediawiki>")


@pytest.mark.parametrize("name,body", [
    *[(k, v) for k, v in HOSTILE.items()],
    ("refs.xml", lambda: _wiki_dump("<ref>" * 80_000)),
    ("open-refs.xml", lambda: _wiki_dump("<ref name=x " * 35_000)),
    ("links.xml", lambda: _wiki_dump("[http://a " * 40_000)),
    ("heading.xml", lambda: _wiki_dump("=" + " " * 100_000 + "a")),
    ("blank.xml", lambda: _wiki_dump("\n" * 200_000 + "x")),
])
def test_item3_hostile_documents_parse_in_bounded_time(tmp_path, name, body):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / name).write_text(body(), encoding="utf-8")
    res = _run_py("""
        import sys
        from textemb.search.documents import load_documents
        found = load_documents(sys.argv[1])
        print(len(found.documents), len(found.skipped))
    """, 60, str(folder))
    assert res.returncode == 0, res.stderr[-2000:]


def test_item3_parsers_keep_their_meaning():
    from textemb.search.documents import html_to_text, markdown_title, strip_wiki_markup

    assert markdown_title("intro\n# Frogs and toads ##\n## sub") == "Frogs and toads"
    assert markdown_title("## not a title\n#no space") is None
    assert html_to_text("<title>T &amp; U</title><script>x<y</script><p>a &lt; b</p><div>c</div>") == ("T & U", "a < b\nc")
    assert html_to_text("<p>a <!-- hidden --> b<noscript>no</noscript></p>") == (None, "a b")
    raw = "x<ref>cite</ref> y<ref name=a/> z<!-- c -->\n== Head ==\n[[a|b]] [http://e.org link] <ref>open"
    assert strip_wiki_markup(raw) == "x y z\nHead\nb link open"


# --------------------------------------------------------------------------- item 7: the index is not indexed
def test_item7_output_inside_docs_is_excluded(tmp_path, tiny_glove, capsys):
    from textemb_cli.main import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the frog sat on the log", encoding="utf-8")
    out = docs / "idx"
    enc = ["--encoder", f"glove:{tiny_glove}"]
    for _ in range(3):
        assert main(["index", str(docs), "-o", str(out), *enc, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 1
    assert any(s["path"] == "idx" and "index" in s["reason"] for s in report["skipped"])
    other = docs / "other-index"  # any textemb index met on the walk is skipped too
    Index.build(DOCS, _tiny(tiny_glove), path=other)
    assert main(["index", str(docs), "-o", str(out), *enc, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 1 and any(s["path"] == "other-index" for s in report["skipped"])


# --------------------------------------------------------------------------- item 12: damaged index files
def test_item12_npy_header_claiming_huge_shape_is_a_format_error(tiny_index):
    m = _manifest(tiny_index)
    p = tiny_index / m["files"]["passages"]["name"]
    raw = p.read_bytes()
    header = raw[: raw.index(b"\n") + 1]
    n = m["counts"]["passages"]
    bad = header.replace(f"({n}, 3)".encode(), b"(100000000000, 3)")
    bad = bad[:-1].rstrip(b" ")  # keep the header length, so only the shape changes
    bad = bad + b" " * (len(header) - 1 - len(bad)) + b"\n"
    p.write_bytes(bad + raw[len(header):])
    for verify in (False, True):
        with pytest.raises(FormatError, match="damaged"):
            Index.open(tiny_index, verify=verify)


def test_item12_mutated_hnsw_file_is_a_format_error(tiny_index, tiny_encoder):
    m = _manifest(tiny_index)
    p = tiny_index / m["files"]["hnsw"]["name"]
    good = p.read_bytes()
    rng = random.Random(0)
    for _ in range(30):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        p.write_bytes(bytes(data))
        idx = Index.open(tiny_index, encoder=tiny_encoder, verify=False)
        with pytest.raises(FormatError, match="damaged"):
            idx.search("frog", mode="ann")
    p.write_bytes(good)
    assert Index.open(tiny_index, encoder=tiny_encoder, verify=False).search("frog", mode="ann")


# --------------------------------------------------------------------------- the fuzz test over index folders
FUZZ_WORKER = """
import io, json, random, shutil, sys, traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from textemb import load_encoder
from textemb.errors import TextembError
from textemb.search import Index
from textemb_cli.main import main

src, work, spec, seed, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(seed)
enc = load_encoder(spec)
files = sorted(p.name for p in src.iterdir() if p.is_file())

def mutate(data: bytes) -> bytes:
    kind = rng.choice(["flip", "bytes", "truncate", "extend", "zero", "digits", "empty"])
    b = bytearray(data)
    if kind == "flip" and b:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif kind == "bytes" and b:
        for _ in range(rng.randint(1, 16)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == "truncate":
        b = b[: rng.randrange(len(b) + 1)]
    elif kind == "extend":
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == "zero" and b:
        i = rng.randrange(len(b)); b[i:i + rng.randint(1, 64)] = bytes(min(64, len(b) - i))
    elif kind == "digits":  # make numbers in text (manifest, headers) huge or negative
        s = b.decode("latin-1")
        digits = [i for i, c in enumerate(s) if c.isdigit()]
        if digits:
            i = rng.choice(digits)
            s = s[:i] + rng.choice(["99999999999", "-1", "1e308", "0"]) + s[i + 1:]
        b = bytearray(s.encode("latin-1"))
    elif kind == "empty":
        b = bytearray()
    return bytes(b)

bad = []
for case in range(n):
    target = work / f"case{case}"
    shutil.copytree(src, target)
    for name in rng.sample(files, rng.randint(1, min(2, len(files)))):
        p = target / name
        p.write_bytes(mutate(p.read_bytes()))
    for verify in (None, False):
        for mode in ("auto", "exact", "ann"):
            try:
                idx = Index.open(target, verify=verify, encoder=enc if mode != "auto" else None)
                idx.search("frog on a log", k=2, mode=mode)
            except TextembError:
                pass
            except Exception:
                bad.append(f"case {case} verify={verify} mode={mode}: " + traceback.format_exc(limit=3))
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            rc = main(["search", "frog", "--index", str(target), "--json"])
        if rc not in (0, 1) or "Traceback" in err.getvalue():
            bad.append(f"case {case} cli rc={rc}: {err.getvalue()[-300:]}")
    except BaseException:
        bad.append(f"case {case} cli: " + traceback.format_exc(limit=3))
    shutil.rmtree(target)
print(json.dumps(bad))
"""


def _fuzz(index: Path, spec: str, tmp_path: Path, seed: int, n: int, timeout: float) -> None:
    work = tmp_path / "fuzz"
    work.mkdir()
    res = _run_py(FUZZ_WORKER, timeout, str(index), str(work), spec, str(seed), str(n))
    assert res.returncode == 0, res.stderr[-3000:]
    bad = json.loads(res.stdout.strip().splitlines()[-1])
    assert not bad, "\n".join(bad[:5])


def test_fuzz_index_folder_mutations_fast(tiny_index, tiny_glove, tmp_path):
    """Random mutations of every file of a small real index (HNSW graph included): TextembError only, no hang."""
    _fuzz(tiny_index, f"glove:{tiny_glove}", tmp_path, seed=1, n=40, timeout=240)


@pytest.mark.slow
def test_fuzz_index_folder_mutations_real_glove(glove50, tmp_path):
    docs = [Document(f"d{i}", " ".join(random.Random(i).choices(
        ["the", "king", "queen", "frog", "log", "paris", "france", "capital", "river", "city", "music", "art", "war", "peace"], k=60)), f"T{i}")
        for i in range(60)]
    Index.build(docs, glove50, path=tmp_path / "real", chunk=ChunkSettings(size=16, overlap=4), ann="hnsw")
    _fuzz(tmp_path / "real", "glove-6b-50d", tmp_path, seed=7, n=100, timeout=900)  # 7 mutation kinds over 9 files, 1-2 files a case


# --------------------------------------------------------------------------- item 6: nothing raw on the terminal
EVIL = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\x1b]8;;http://x\x07\r\x9b"


def test_item6_search_output_escapes_strings_from_data(tmp_path, tiny_encoder, capsys):
    from textemb_cli.main import main

    docs = [Document(f"frog{EVIL}", f"a frog sat on the log {EVIL} by the café", f"Frogs{EVIL}",
                     source=f"notes/{EVIL}.md")]
    Index.build(docs, tiny_encoder, path=tmp_path / "idx")
    assert main(["search", "frog log", "--index", str(tmp_path / "idx"), "--encoder", tiny_encoder.spec]) == 0
    out = capsys.readouterr().out
    assert "frog" in out and "\\x1b[2J" in out
    assert not any(c in out for c in "\x1b\x07\r\x9b"), repr(out)


def test_item6_index_skipped_list_is_escaped(tmp_path, tiny_glove, capsys):
    from textemb_cli.main import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the frog sat on the log", encoding="utf-8")
    (docs / "evil\x1b[2J\x1b]52;c;x\x07.bin").write_bytes(b"x")
    assert main(["index", str(docs), "-o", str(tmp_path / "idx"), "--encoder", f"glove:{tiny_glove}", "-q"]) == 0
    out = capsys.readouterr().out
    assert "evil\\x1b[2J" in out and "\x1b" not in out and "\x07" not in out


def test_item6_json_is_valid_utf8_for_undecodable_names(tmp_path, tiny_glove, tiny_encoder, capsys):
    from textemb_cli.main import main

    name = os.fsdecode(b"frog-\xff\xfe.txt")
    single = tmp_path / name
    single.write_text("the frog sat on the log", encoding="utf-8")
    assert main(["index", str(single), "-o", str(tmp_path / "idx"), "--encoder", f"glove:{tiny_glove}", "--json"]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert json.loads(out)["documents"] == 1
    # an index whose stored records hold lone surrogates (crafted, or written by another tool)
    idx = tmp_path / "idx"
    m = _manifest(idx)
    dpath = idx / m["files"]["docs"]["name"]
    dpath.write_bytes(dpath.read_bytes().replace(b'"title": null', b'"title": "\\udcff\\u001b[2J"'))
    import hashlib

    m["files"]["docs"].update(size=dpath.stat().st_size, sha256=hashlib.sha256(dpath.read_bytes()).hexdigest())
    _set_manifest(idx, m)
    for extra in (["--json"], []):
        assert main(["search", "frog", "--index", str(idx), "--encoder", tiny_encoder.spec, *extra]) == 0
        out = capsys.readouterr().out
        out.encode("utf-8")
        assert "\x1b" not in out
    hits = json.loads(main(["search", "frog", "--index", str(idx), "--encoder", tiny_encoder.spec, "--json"]) == 0
                      and capsys.readouterr().out)["hits"]
    assert hits[0]["title"].startswith("\ufffd")


# --------------------------------------------------------------------------- item 9: readers are never refused
def test_item9_unchanged_folder_search_takes_no_lock(tmp_path, tiny_glove, capsys):
    from textemb_cli.main import main

    from textemb.search.stores.folder_files import IndexLock

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the frog sat on the log", encoding="utf-8")
    argv = ["search", "frog", str(docs), "--encoder", f"glove:{tiny_glove}", "-q", "--json"]
    assert main(argv) == 0  # builds the cached index
    cached = Path(json.loads(capsys.readouterr().out)["index"])
    gen = _manifest(cached)["generation"]
    with IndexLock(cached):  # another process is writing: a search of the unchanged folder still answers
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["hits"][0]["source"] == "a.txt"
    assert _manifest(cached)["generation"] == gen


def test_item9_four_parallel_searches_all_succeed(tmp_path, tiny_glove):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(5):
        (docs / f"d{i}.txt").write_text("the frog sat on the log " * (i + 1), encoding="utf-8")
    code = ["-m", "textemb_cli.main", "search", "frog", str(docs), "--encoder", f"glove:{tiny_glove}", "-q"]
    env = {**_env(), "TEXTEMB_CACHE": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, *code], capture_output=True, text=True, env=env, timeout=120,
                           check=False)
    assert first.returncode == 0, first.stderr
    procs = [subprocess.Popen([sys.executable, *code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(4)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert all(rc == 0 for _, _, rc in results), [err for _, err, _ in results]


# --------------------------------------------------------------------------- item 10: Ray address that never answers
def test_item10_unreachable_ray_address_is_one_quick_error(tmp_path, tiny_glove, capsys):
    from textemb_cli.main import main

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the frog sat on the log", encoding="utf-8")
    argv = ["index", str(docs), "-o", str(tmp_path / "idx"), "--encoder", f"glove:{tiny_glove}", "-q",
            "--engine", "ray", "--address", f"127.0.0.1:{port}", "--ray-timeout", "5"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port} within 5 s" in err and err.count("\n") == 1


def test_item10_timeout_setting(monkeypatch):
    from textemb.search.ray_engine import RAY_TIMEOUT, check_reachable, ray_timeout

    monkeypatch.delenv("TEXTEMB_RAY_TIMEOUT", raising=False)
    assert ray_timeout() == RAY_TIMEOUT and ray_timeout(2.5) == 2.5
    monkeypatch.setenv("TEXTEMB_RAY_TIMEOUT", "7")
    assert ray_timeout() == 7.0
    for bad in ("0", "-1", "soon", "inf"):
        monkeypatch.setenv("TEXTEMB_RAY_TIMEOUT", bad)
        with pytest.raises(InputError, match="seconds"):
            ray_timeout()
    check_reachable("auto", 0.5)  # left to Ray: nothing to probe


# --------------------------------------------------------------------------- item 11: secrets in errors
@pytest.mark.parametrize("url", ["milvus://admin:S3cret@host:19530/wiki", "milvus://admin:S3cret@host:x/wiki",
                                 "milvus+https://tok:S3cret@h/c?db=x", "milvus://a:S3c/ret@host:19530/wiki"])
def test_item11_store_url_password_is_masked_and_refused(url, tmp_path, capsys):
    from textemb_cli.main import main

    from textemb.search.stores import mask_url, parse_store_url

    with pytest.raises(InputError, match="MILVUS_TOKEN") as exc:
        parse_store_url(url)
    assert "S3c" not in str(exc.value) and "***@" in str(exc.value)
    assert "S3c" not in mask_url(url)
    for argv in (["search", "frog", "--index", url], ["index", str(tmp_path), "-o", url, "-q"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "S3c" not in err and "MILVUS_TOKEN" in err


# --------------------------------------------------------------------------- item 13: odd queries and widths
@pytest.mark.parametrize("query", ["\x01\x02", "\x1b\x07\x9b", " \t\u200b "])
def test_item13_control_character_query_is_a_clear_error(tiny_index, tiny_encoder, query, capsys):
    from textemb_cli.main import main

    assert main(["search", query, "--index", str(tiny_index), "--encoder", tiny_encoder.spec]) == 1
    err = capsys.readouterr().err
    assert "empty query" in err and "Warning" not in err and ".py" not in err and err.count("\n") == 1


def test_item13_unknown_words_give_a_note_not_a_raw_warning(tiny_index, tiny_encoder):
    """In a real process (pytest would swallow the warning): one note line, no file path, no warning class."""
    res = subprocess.run([sys.executable, "-m", "textemb_cli.main", "search", "zzzqqq", "--index", str(tiny_index),
                          "--encoder", tiny_encoder.spec], capture_output=True, text=True, env=_env(), timeout=120,
                         check=False)
    assert res.returncode == 0 and "no results" in res.stdout
    assert res.stderr.startswith("textemb: note: ") and ".py" not in res.stderr and "Warning" not in res.stderr


@pytest.mark.parametrize("width", ["0", "-5"])
def test_item13_width_must_be_positive(tiny_index, width, capsys):
    from textemb_cli.main import main

    assert main(["search", "frog", "--index", str(tiny_index), "--width", width]) == 2  # a usage error, as -k
    assert f"--width: must be at least 1, got {width}" in capsys.readouterr().err


def test_shard_cleanup_removes_only_shard_files(tmp_path):
    from textemb.search.ray_engine import clean_shards

    d = tmp_path / "shards"
    d.mkdir()
    (d / "shard-notes.txt").write_text("mine", encoding="utf-8")
    (d / "shard-00001-0123456789abcdef.npy").write_bytes(b"x")
    (d / ".shard-00001-0123456789abcdef.json.ab_1.tmp").write_bytes(b"x")
    clean_shards(d)
    assert sorted(p.name for p in d.iterdir()) == ["shard-notes.txt"]


def test_item1_a_named_model_spec_from_data_cannot_carry_a_trust_option():
    from textemb.encoders.registry import check_untrusted_spec
    from textemb.errors import UnsafeFileError

    with pytest.raises(UnsafeFileError, match="trust option 'trust_pickle'"):
        check_untrusted_spec("glove-6b-50d?trust_pickle=1", source="manifest.json")
    check_untrusted_spec("glove-6b-50d?limit=5", source="manifest.json")  # plain options stay fine
