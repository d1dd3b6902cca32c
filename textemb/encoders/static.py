"""StaticEncoder: a distilled static lookup table (model2vec) behind the Encoder API (``static:FOLDER``).

``distill(model, folder)`` runs model2vec's distillation of a local sentence-transformers folder
(every vocabulary token through the model once, PCA, SIF weighting) and writes a pickle-free
textemb folder: model2vec's own layout (``model.safetensors``, ``tokenizer.json``, ``config.json``)
plus ``textemb_static.json`` (format, source model and its weights' sha256, settings, versions).
Encoding is a token lookup and a mean, hundreds of times cheaper than running the transformer:
the seeds' own path from contextual models back to a lookup table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder
from textemb.errors import FormatError, InputError, require

MANIFEST = "textemb_static.json"
FORMAT = "textemb-static"
FORMAT_VERSION = 1


def distill(model: str | Path, folder: str | Path, *, pca_dims: int | None = 256,
            sif_coefficient: float = 1e-4, overwrite: bool = False) -> Path:
    """Distil the local sentence-transformers ``model`` into a static textemb folder at ``folder``.

    The output folder is checked before the (minutes-long) distillation: it must be new, empty, or a
    folder textemb wrote with ``overwrite=True``.
    """
    from textemb.encoders.contextual import locate_model, quiet_transformers
    from textemb.io.cache import sha256_file

    m2v = require("model2vec.distill", package="model2vec", extra="fast", feature="textemb distill")
    path, short, is_folder = locate_model(model)
    if not is_folder:
        raise InputError(f"distill runs offline on a local model folder; {model!r} is not one")
    from textemb.io.ownership import check_replaceable

    target = Path(folder)
    check_replaceable(target, overwrite=overwrite)
    with quiet_transformers():
        static = m2v.distill(model_name=path, pca_dims=pca_dims, sif_coefficient=sif_coefficient)
    weights = Path(path) / "model.safetensors"
    settings = {"pca_dims": pca_dims, "sif_coefficient": sif_coefficient}
    return save_static(static, target, source=short, overwrite=overwrite,
                       source_sha256=sha256_file(weights) if weights.is_file() else None, settings=settings)


def save_static(static, target: str | Path, *, source: str, source_sha256: str | None, settings: dict,
                overwrite: bool = False) -> Path:
    """Write a model2vec ``StaticModel`` and textemb's manifest into ``target`` atomically.

    An existing folder is replaced only if textemb wrote it and ``overwrite=True``
    (:func:`textemb.io.atomic.atomic_dir` refuses anything else).
    """
    from textemb.io.atomic import atomic_dir

    target = Path(target)
    with atomic_dir(target, overwrite=overwrite, kind="static model folder") as tmp:
        static.save_pretrained(str(tmp))
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "source": source,
                    "source_sha256": source_sha256, **settings, "dim": int(static.dim), "versions": _versions()}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return target


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("model2vec", "transformers", "torch"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


#: the files model2vec's loader needs, besides textemb's manifest
REQUIRED = ("model.safetensors", "tokenizer.json", "config.json")
_HINT = "rebuild it with `textemb distill MODEL -o FOLDER`, or copy the whole folder again"


def read_manifest(folder: str | Path) -> dict:
    """The textemb manifest of a static folder (FormatError if missing or not ours)."""
    from textemb.io.guard import read_json_object

    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FormatError(f"not a textemb static folder (no {MANIFEST}); build one with `textemb distill`", path=folder)
    data = read_json_object(path, what=MANIFEST, hint=_HINT)
    if data.get("format") != FORMAT:
        raise FormatError(f"expected format {FORMAT!r}", path=path)
    return data


def _load_static(m2v, folder: Path):
    """model2vec's StaticModel from ``folder``, every file it reads present and its parse errors a FormatError."""
    from textemb.io.guard import damaged_file

    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise FormatError(f"{', '.join(missing)} missing from the static model folder; {_HINT}", path=folder)
    with damaged_file(folder, what="the static model folder (model.safetensors, tokenizer.json, config.json)",
                      hint=_HINT, broad=True):
        return m2v.StaticModel.from_pretrained(folder, force_download=False)


class StaticEncoder(Encoder):
    """A static (lookup table) sentence encoder distilled with model2vec.

    Args:
        folder: a folder written by :func:`distill` / ``textemb distill``.
    """

    def __init__(self, folder: str | Path) -> None:
        m2v = require("model2vec", extra="fast", feature="the static backend")
        folder = Path(folder).expanduser()
        if not folder.is_dir():  # never let model2vec fall back to the Hugging Face hub
            raise InputError(f"no static model folder at {folder}; build one with `textemb distill MODEL -o FOLDER`")
        self.manifest = read_manifest(folder)
        self.model = _load_static(m2v, folder)
        self.folder = folder
        self.name = folder.resolve().name
        self.spec = f"static:{folder}"
        self._dim = int(self.model.dim)

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        # model2vec pools per text, so batch size never changes a row; its own batches are large
        from textemb.progress import _stderr_is_tty as stderr_is_terminal  # noqa: PLC2701 (the one terminal check)

        # model2vec's tqdm bar only on a terminal (in a log it is a line of carriage returns); encoding is fast
        out = self.model.encode(texts, show_progress_bar=show_progress and stderr_is_terminal(),
                                batch_size=max(batch_size, 1024),
                                use_multiprocessing=False)
        return np.asarray(out, dtype=np.float32)

    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Copy this static folder (the same pickle-free files) to ``path``; returns the spec that reloads it."""
        import shutil

        from textemb.io.atomic import atomic_dir
        from textemb.io.ownership import MARKER

        target = Path(path)
        with atomic_dir(target, overwrite=overwrite, kind="static model folder") as tmp:
            for f in self.folder.iterdir():
                if f.is_file() and f.name != MARKER:
                    shutil.copyfile(f, tmp / f.name)
        return f"static:{target.resolve()}"


def from_spec(arg: str, options: dict[str, str], device: str) -> StaticEncoder:
    """Registry factory: ``static:FOLDER`` (a folder from ``textemb distill``)."""
    return StaticEncoder(arg)
