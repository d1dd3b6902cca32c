"""The Ray Data encoding engine (``textemb index DOCS -o INDEX --engine ray``): passage texts -> vectors.

The façade reads and chunks the documents (one chunker, see :mod:`textemb.search.chunking`) and hands
the passage texts to :class:`RayEngine`, which cuts them into fixed-size **shards** with
deterministic ids (position + sha256 of the encoder, settings and texts), and turns the shards not
yet on disk into a Ray dataset. ``map_batches`` runs :class:`ShardEncoder`, a callable class, so
each actor loads the model once and encodes one shard per call (``num_gpus`` per actor when the
cluster has GPUs). Each finished shard comes back through Ray's object store and the driver writes it
as ``shard-ID.npy`` plus ``shard-ID.json`` (rows, dim, sha256), both atomically. A crashed or
interrupted run is resumed by running the same command: shards whose file matches its checksum
are skipped. The shards are then concatenated in order and returned to the façade, which stores them
exactly like vectors from :class:`~textemb.search.engines.LocalEngine` (same groups, same batch size,
same :func:`~textemb.search.engines.prepare_vectors`: bit-identical).

Without ``address`` a local Ray runtime is started (``num_cpus`` CPUs, no dashboard, usage stats
off, nothing reached over the network) and shut down afterwards; with ``address`` (``auto`` or the
head's ``HOST:PORT``) an existing cluster is used and left running. textemb must be installed on the
cluster's nodes (``pip install 'textemb[scale]'``) and the encoder spec must load there. Connecting to
``address`` is bounded: a ``HOST:PORT`` that does not answer within ``timeout`` seconds (default
``$TEXTEMB_RAY_TIMEOUT``, else 30; ``--ray-timeout`` on the CLI) is one clear error, never a wait of
minutes. Ray Client
addresses (``ray://``) are refused: Ray Data fails over Ray Client in Ray 2.60 (tried here); submit the
command as a Ray job instead (``ray job submit -- textemb index ... --address auto``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textemb.errors import FormatError, InputError, TextembError, require
from textemb.io.atomic import atomic_open
from textemb.io.cache import sha256_file
from textemb.search.compat import encoder_key
from textemb.search.engines import GROUP_SIZE, prepare_vectors

#: passages per shard (one ``map_batches`` call, one file): the local engine's encode group
SHARD_SIZE = GROUP_SIZE
SHARD_FORMAT = 1
_SHARD_FILE = re.compile(r"^\.?shard-\d{5,}-[0-9a-f]{16}\.(npy|json)(\.[A-Za-z0-9_]+\.tmp)?$")


@dataclass(frozen=True)
class Shard:
    """Passages ``[start, end)`` of the corpus, stored as ``shard-{id}.npy``."""

    id: str
    start: int
    end: int


@dataclass
class RayReport:
    """What a Ray encoding run did: shards planned, reused from disk, and encoded now."""

    shards: int = 0
    reused: int = 0
    encoded: int = 0
    passages: int = 0
    actors: int = 0
    gpus_per_actor: float = 0.0
    seconds: float = 0.0
    ray_start_seconds: float = 0.0
    shard_dir: str = ""
    ray_address: str = "local"
    shard_ids: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- planning (driver, no Ray)
def plan_shards(texts: list[str], *, key: str, shard_size: int = SHARD_SIZE) -> list[Shard]:
    """Consecutive shards of ``shard_size`` passages; an id changes when its texts or ``key`` change."""
    if shard_size < 1:
        raise InputError(f"shard size must be at least 1, got {shard_size}")
    shards = []
    for n, start in enumerate(range(0, len(texts), shard_size)):
        end = min(start + shard_size, len(texts))
        h = hashlib.sha256(f"textemb-shard/{SHARD_FORMAT}\n{key}\n{start}\n".encode())
        for t in texts[start:end]:
            b = t.encode("utf-8", errors="surrogatepass")
            h.update(len(b).to_bytes(8, "little") + b)
        shards.append(Shard(f"{n:05d}-{h.hexdigest()[:16]}", start, end))
    return shards


def shard_key(encoder_spec: str, dtype: str) -> str:
    """What, besides the texts, decides a shard's vectors."""
    return json.dumps({"encoder": encoder_key(encoder_spec), "dtype": dtype, "normalize": "l2"}, sort_keys=True)


# --------------------------------------------------------------------------- shard files
def _paths(folder: Path, shard: Shard) -> tuple[Path, Path]:
    return folder / f"shard-{shard.id}.npy", folder / f"shard-{shard.id}.json"


def shard_done(folder: Path, shard: Shard, dim: int | None = None) -> bool:
    """True when the shard's file exists, has the rows (and dim) expected and matches its sha256."""
    npy, meta = _paths(folder, shard)
    if not (npy.is_file() and meta.is_file()):
        return False
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, MemoryError):  # a damaged record: the shard is re-encoded
        return False
    if not isinstance(info, dict):
        return False
    if info.get("rows") != shard.end - shard.start or (dim is not None and info.get("dim") != dim):
        return False
    return npy.stat().st_size == info.get("size") and sha256_file(npy) == info.get("sha256")


def write_shard(folder: Path, shard: Shard, vectors: np.ndarray, encoder_spec: str) -> dict:
    """Write the shard's vectors, then its checksum record (both atomically; the record last)."""
    npy, meta = _paths(folder, shard)
    with atomic_open(npy) as fh:
        np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    info = {"id": shard.id, "start": shard.start, "end": shard.end, "rows": int(vectors.shape[0]),
            "dim": int(vectors.shape[1]), "encoder": encoder_spec, "size": npy.stat().st_size,
            "sha256": sha256_file(npy), "format": SHARD_FORMAT}
    with atomic_open(meta) as fh:
        fh.write(json.dumps(info, indent=1).encode("utf-8"))
    return info


def read_shard(folder: Path, shard: Shard, dim: int | None = None) -> np.ndarray:
    """The shard's vectors, checked against its checksum record (and, with ``dim``, its header before loading)."""
    from textemb.search.stores.folder_files import check_npy_header

    if not shard_done(folder, shard, dim):
        raise FormatError(f"shard {shard.id} is missing or does not match its sha256; re-run to re-encode it",
                          path=folder)
    npy = _paths(folder, shard)[0]
    if dim is not None:
        check_npy_header(npy, (shard.end - shard.start, dim), np.float32, f"shard {shard.id} vectors")
    try:
        return np.load(npy, allow_pickle=False)
    except (ValueError, EOFError, OSError, MemoryError, RecursionError) as exc:
        raise FormatError(f"shard {shard.id} is unreadable ({type(exc).__name__}); delete {folder} and re-run",
                          path=folder) from None


def clean_shards(folder: Path) -> None:
    """Delete a shard folder (after the index that used it was saved)."""
    if not folder.is_dir():
        return
    for p in folder.iterdir():  # only names textemb gives its shards (and their temp files), nothing else
        if _SHARD_FILE.match(p.name):
            with contextlib.suppress(OSError):
                p.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


# --------------------------------------------------------------------------- the Ray side
class ShardEncoder:
    """``map_batches`` callable: loads the encoder once per actor, encodes one shard per row."""

    def __init__(self, spec: str, device: str = "cpu", batch_size: int = 64, dtype: str = "float32",
                 torch_threads: int | None = None) -> None:
        from textemb import load_encoder

        if torch_threads:  # the driver's intra-op thread count: float sums in the same order, bit-identical vectors
            import torch

            torch.set_num_threads(torch_threads)
        self.encoder = load_encoder(spec, device=device)
        self.batch_size, self.dtype = batch_size, dtype

    def __call__(self, batch: dict) -> dict:
        ids, blobs, rows = [], [], []
        for sid, texts in zip(batch["shard"], batch["texts"]):
            vecs = prepare_vectors(self.encoder.encode([str(t) for t in texts], batch_size=self.batch_size,
                                                       show_progress=False), self.dtype)
            ids.append(str(sid))
            blobs.append(np.ascontiguousarray(vecs, dtype=np.float32).tobytes())
            rows.append(vecs.shape[0])
        return {"shard": np.array(ids, dtype=object), "vectors": np.array(blobs, dtype=object),
                "rows": np.array(rows, dtype=np.int64)}


#: seconds to reach a Ray cluster's address when neither ``timeout=`` nor $TEXTEMB_RAY_TIMEOUT says otherwise
RAY_TIMEOUT = 30.0


def ray_timeout(timeout: float | None = None) -> float:
    """The connect timeout: ``timeout``, else ``$TEXTEMB_RAY_TIMEOUT``, else :data:`RAY_TIMEOUT` (seconds, > 0)."""
    raw = timeout if timeout is not None else os.environ.get("TEXTEMB_RAY_TIMEOUT", RAY_TIMEOUT)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"TEXTEMB_RAY_TIMEOUT must be a number of seconds, got {str(raw)[:40]!r}") from None
    if not 0 < value < float("inf"):
        raise InputError(f"the Ray connect timeout must be a positive number of seconds, got {value:g}")
    return value


def check_reachable(address: str, timeout: float) -> None:
    """One TCP connect to a ``HOST:PORT`` Ray address, so an unreachable cluster fails in ``timeout`` seconds
    (Ray itself retries for minutes). ``auto`` and other address forms are left to Ray."""
    import socket

    host, sep, port = address.strip().rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    host = host.strip("[]")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, (socket.timeout, TimeoutError)) else (exc.strerror or str(exc))
        raise InputError(f"cannot reach the Ray cluster at {address} within {timeout:g} s ({reason}); is 'ray start "
                         "--head' running there and the port open? (wait longer with --ray-timeout SECONDS or "
                         "TEXTEMB_RAY_TIMEOUT)") from None


@contextlib.contextmanager
def ray_runtime(address: str | None = None, num_cpus: int = 2, timeout: float | None = None) -> Iterator:
    """Connect to ``address``, or start a private local Ray (no dashboard, no usage stats); shut it down after.

    Reaching ``address`` is bounded by ``timeout`` seconds (see :func:`ray_timeout`)."""
    if address and address.startswith("ray://"):  # refused whether or not a Ray runtime is already up
        raise InputError(
            f"--address {address}: Ray Data does not run over Ray Client (ray://) in this Ray version; run the "
            "command on the cluster instead: ray job submit --address http://HEAD:8265 -- textemb index DOCS "
            "-o TARGET --engine ray --address auto (a Milvus TARGET is reachable from there), or use the "
            "head's GCS address HOST:6379 from a machine inside the cluster network")
    if address:
        wait = ray_timeout(timeout)
        check_reachable(address, wait)  # before importing Ray: a dead address costs at most ``wait`` seconds
        os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(max(1, int(wait))))
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never phone home
    if not address:
        # a private runtime on this machine: Ray's "single-node" mode binds everything to 127.0.0.1 instead of
        # the machine's network address (read when ray is first imported)
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = require("ray", package="ray[data]", extra="scale", feature="--engine ray")
    require("ray.data", package="ray[data]", extra="scale", feature="--engine ray")
    if ray.is_initialized():  # the caller manages Ray (e.g. a notebook)
        yield ray
        return
    if address:
        try:
            ray.init(address=address, log_to_driver=False)
        except (ConnectionError, RuntimeError) as exc:
            raise InputError(f"cannot connect to the Ray cluster at {address}: {str(exc).splitlines()[0]} (is "
                             "'ray start --head' running there? a cluster with token authentication also needs "
                             "RAY_AUTH_MODE=token and its token in ~/.ray/auth_token or RAY_AUTH_TOKEN)") from None
    else:
        here = str(Path(__file__).resolve().parents[2])  # workers import this very textemb
        path = os.pathsep.join([here] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
        kwargs = {"num_cpus": num_cpus, "include_dashboard": False, "log_to_driver": False,
                  "logging_level": logging.WARNING,
                  "runtime_env": {"env_vars": {"PYTHONPATH": path, "RAY_USAGE_STATS_ENABLED": "0"}}}
        try:
            ray.init(**kwargs)
        except Exception:  # Ray gives its raylet 30 s to register; on a loaded machine, try once more
            ray.shutdown()
            ray.init(**kwargs)
    try:
        yield ray
    finally:
        ray.shutdown()


@dataclass
class RayEngine:
    """An encoding engine on Ray Data: ``engine(texts) -> vectors``; what it did is in :attr:`report`.

    Shards already in ``shard_dir`` with a matching checksum are reused, so re-running after a
    crash encodes only what is missing. ``actors`` defaults to the cluster's GPUs (one each) or
    to ``num_cpus`` for a local runtime (one CPU each).
    """

    encoder_spec: str
    dim: int
    shard_dir: Path
    dtype: str = "float32"
    address: str | None = None
    num_cpus: int = 2
    actors: int | None = None
    gpus_per_actor: float | None = None
    device: str = "cpu"
    batch_size: int = 64
    shard_size: int = SHARD_SIZE
    show_progress: bool = False
    timeout: float | None = None  # seconds to wait for a Ray cluster at ``address``
    report: RayReport = field(default_factory=RayReport)

    def __call__(self, texts) -> np.ndarray:
        t0 = time.perf_counter()
        texts = list(texts)
        shard_dir = Path(self.shard_dir)
        shards = plan_shards(texts, key=shard_key(self.encoder_spec, self.dtype), shard_size=self.shard_size)
        self.report = report = RayReport(shards=len(shards), passages=len(texts), shard_dir=str(shard_dir),
                                         ray_address=self.address or "local", shard_ids=[s.id for s in shards])
        todo = [s for s in shards if not shard_done(shard_dir, s, self.dim)]
        report.reused = len(shards) - len(todo)
        if todo:
            shard_dir.mkdir(parents=True, exist_ok=True)
            _run_ray(todo, texts, self.encoder_spec, shard_dir, report, dim=self.dim, address=self.address,
                     num_cpus=self.num_cpus, actors=self.actors, gpus_per_actor=self.gpus_per_actor, device=self.device,
                     batch_size=self.batch_size, dtype=self.dtype, show_progress=self.show_progress,
                     timeout=self.timeout)
        vecs = [read_shard(shard_dir, s, self.dim) for s in shards]
        report.seconds = time.perf_counter() - t0
        return np.concatenate(vecs) if vecs else np.zeros((0, self.dim), dtype=np.float32)


def _run_ray(todo: list[Shard], texts: list[str], spec: str, shard_dir: Path, report: RayReport, *, dim: int,
             address: str | None, num_cpus: int, actors: int | None, gpus_per_actor: float | None, device: str,
             batch_size: int, dtype: str, show_progress: bool, timeout: float | None = None) -> None:
    t = time.perf_counter()
    with warnings.catch_warnings(), ray_runtime(address, num_cpus, timeout) as ray:
        warnings.simplefilter("ignore")  # Ray's own deprecation notes about its settings are not the user's business
        report.ray_start_seconds = time.perf_counter() - t
        from ray.data import ActorPoolStrategy, DataContext

        ctx = DataContext.get_current()
        ctx.enable_progress_bars = show_progress
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.WARNING)
        resources = ray.cluster_resources()
        gpus = float(resources.get("GPU", 0))
        if gpus_per_actor is None:
            gpus_per_actor = 1.0 if gpus >= 1 else 0.0
        if gpus_per_actor > gpus:
            raise InputError(f"--gpus-per-actor {gpus_per_actor} but the Ray cluster has {gpus:g} GPUs")
        if gpus_per_actor > 0 and device == "cpu":
            device = "cuda"
        cpus = max(1, int(resources.get("CPU", num_cpus)))
        if actors is None:
            actors = int(gpus // gpus_per_actor) if gpus_per_actor > 0 else cpus
        actors = max(1, min(int(actors), len(todo)))
        report.actors, report.gpus_per_actor = actors, gpus_per_actor
        cpus_per_actor = 1 if gpus_per_actor > 0 else max(1, cpus // actors)
        by_id = {s.id: s for s in todo}
        ds = ray.data.from_items([{"shard": s.id, "texts": texts[s.start:s.end]} for s in todo],
                                 override_num_blocks=len(todo))
        out = ds.map_batches(ShardEncoder, batch_size=1, batch_format="numpy",
                             fn_constructor_kwargs={"spec": spec, "device": device, "batch_size": batch_size,
                                                    "dtype": dtype, "torch_threads": _torch_threads()},
                             compute=ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
                             num_gpus=gpus_per_actor or None)
        try:
            for batch in out.iter_batches(batch_size=None, batch_format="numpy"):
                _write_batch(batch, by_id, shard_dir, spec, dim, report)
        except TextembError:
            raise
        except Exception as exc:  # an actor failed (model not loadable there, out of memory, node lost ...)
            lines = [ln for ln in str(exc).splitlines() if ln.strip()]
            raise TextembError(f"Ray encoding failed after {report.encoded} of {len(todo)} shards: "
                               f"{lines[-1] if lines else type(exc).__name__}; the finished shards are kept in "
                               f"{shard_dir}: run the same command again to resume") from exc


def _torch_threads() -> int | None:
    """torch's thread count in this process, if torch is loaded (a local engine here encodes with it)."""
    import sys

    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else None


def _write_batch(batch: dict, by_id: dict, shard_dir: Path, spec: str, dim: int, report: RayReport) -> None:
    for sid, blob, n in zip(batch["shard"], batch["vectors"], batch["rows"]):
        shard = by_id[str(sid)]
        vecs = np.frombuffer(blob, dtype=np.float32).reshape(int(n), -1)
        if vecs.shape != (shard.end - shard.start, dim):
            raise FormatError(f"shard {shard.id}: got vectors {vecs.shape}, expected "
                              f"({shard.end - shard.start}, {dim})", path=shard_dir)
        write_shard(shard_dir, shard, vecs, spec)
        report.encoded += 1
