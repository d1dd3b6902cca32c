"""Class 11 (issue 7): SIGKILL a writer during index add/save at random points, at least 20 times.

After every kill the index must reopen (sha256-verified) as one complete generation, old or new,
never torn, and every document whose save was acknowledged must be there.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textemb.search import Document, Index, load_documents

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "wikipedia-sample" / "corpus.jsonl"
KILLS = 24

# The writer adds one document and saves, forever, acknowledging each save on stdout once it returned.
_WRITER = r"""
import sys
from textemb import load_encoder
from textemb.search import Document, Index
idx = Index.open(sys.argv[1], writable=True, encoder=load_encoder(sys.argv[2]))
start = int(sys.argv[3])
print("ready", flush=True)
i = start
while True:
    idx.add([Document(f"extra-{i}", f"extra document number {i} about frogs and kings", None)])
    idx.save()
    print(f"ack {i}", flush=True)
    i += 1
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_class11_sigkill_at_random_points_never_tears_the_index(tmp_path, glove50):
    path = tmp_path / "idx"
    base = load_documents(CORPUS).documents[:40]  # ~1 MB of text per generation: writes take a while
    Index.build(base, glove50, path=path)
    spec = "glove-6b-50d"
    base_ids = {d.id for d in base}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    rng = random.Random(7)
    kills = intact = mid_write = 0
    next_i = 0
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), spec, str(next_i)],
                                 stdout=subprocess.PIPE, env=env, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))  # a random point in the add/save loop
        names = os.listdir(path)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        kills += 1
        mid_write += any(n.endswith(".tmp") for n in names)
        acked = [int(line.split()[1]) for line in child.stdout.read().splitlines() if line.startswith("ack ")]
        child.stdout.close()
        idx = Index.open(path, verify=True)  # sizes and sha256 of one complete generation
        ids = {d["id"] for d in idx.docs}
        extras = sorted(int(i.split("-")[1]) for i in ids - base_ids)
        assert base_ids <= ids
        assert extras == list(range(len(extras)))  # a prefix of the writes: old or new generation, nothing torn
        if acked:
            assert max(acked) < len(extras) <= max(acked) + 2  # every acknowledged document is present
        assert len(idx.vectors) == len(idx.passages) == idx.manifest["counts"]["passages"]
        assert idx.search("frogs and kings", k=1)[0].score > 0
        intact += 1
        next_i = len(extras)
    # the next writer gets the lock (the kernel released it) and cleans the leftovers of the kills
    with Index.open(path, writable=True, encoder=glove50) as w:
        w.add([Document("final", "final document", None)])
        w.save()
    assert not [n for n in os.listdir(path) if n.endswith(".tmp")]
    print(f"\nclass 11: {kills} SIGKILLs, {intact} intact reopenings, {mid_write} with temp files on disk at the kill, "
          f"{next_i} acknowledged-or-committed documents")
    assert kills == intact >= 20
