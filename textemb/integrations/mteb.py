"""Run any textemb :class:`~textemb.encoders.base.Encoder` under MTEB (``pip install 'textemb[mteb]'``).

>>> import mteb
>>> from textemb import load_encoder
>>> from textemb.integrations.mteb import to_mteb, local_sts_task
>>> model = to_mteb(load_encoder("glove-6b-50d"))
>>> result = mteb.evaluate(model, local_sts_task("pairs.tsv"), cache=None)

:class:`MtebEncoder` follows mteb 2's ``EncoderProtocol``: ``encode(inputs, *, task_metadata,
hf_split, hf_subset, prompt_type=None, **kwargs)`` over a DataLoader of text batches,
``similarity`` / ``similarity_pairwise`` (cosine, as every textemb benchmark), and
``mteb_model_meta`` (name, revision = weights sha256 prefix, embedding size, cosine).
:func:`local_sts_task` turns a local sentence-pair file (read by textemb's own strict reader)
into an mteb STS task, so a figure can be checked against ``textemb eval similarity``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from textemb.encoders.base import Encoder, cosine_similarity
from textemb.errors import InputError, require

#: mteb's encode keywords this adapter understands; anything else fails loudly
_MTEB_KWARGS = ("batch_size", "show_progress_bar", "precision")


def _mteb():
    return require("mteb", extra="mteb", feature="running textemb encoders under MTEB")


class MtebEncoder:
    """A textemb encoder seen through mteb 2's ``EncoderProtocol``."""

    def __init__(self, encoder: Encoder, *, name: str | None = None, revision: str | None = None) -> None:
        if not isinstance(encoder, Encoder):
            raise InputError(f"to_mteb() takes a textemb Encoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self._name = name
        self._revision = revision
        self._meta = None

    @property
    def mteb_model_meta(self):
        """mteb ``ModelMeta``: ``textemb/<name>``, revision, dimension and cosine similarity."""
        if self._meta is None:
            from mteb.models.model_meta import ModelMeta, ScoringFunction

            from textemb.evaluation.result import encoder_identity

            ident = encoder_identity(self.encoder)
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self._name or self.encoder.name).strip("_") or "encoder"
            revision = self._revision or ident.get("revision") or str(ident.get("weights_sha256", "unknown"))[:12]
            self._meta = ModelMeta.create_empty(overwrites={
                "name": slug if "/" in slug else f"textemb/{slug}", "revision": revision,
                "embed_dim": self.encoder.dim, "similarity_fn_name": ScoringFunction.COSINE,
                "use_instructions": bool(self.encoder.prompts), "modalities": ["text"],
            })
        return self._meta

    def encode(self, inputs: Any, *, task_metadata: Any, hf_split: str, hf_subset: str,
               prompt_type: Any = None, **kwargs: Any) -> np.ndarray:
        """Encode every text in the DataLoader ``inputs`` (batches with a ``"text"`` column)."""
        unknown = sorted(set(kwargs) - set(_MTEB_KWARGS))
        if unknown:
            raise InputError(f"textemb's mteb adapter does not support encode keywords {unknown}")
        if kwargs.get("precision") not in (None, "float32", "float"):
            raise InputError(f"textemb encoders return float32; precision={kwargs['precision']!r} is not supported")
        texts: list[str] = []
        for batch in inputs:
            if "text" not in batch:
                raise InputError(f"textemb encoders embed text; this mteb batch has {sorted(batch)}")
            texts.extend(batch["text"])
        prompt_name = getattr(prompt_type, "value", prompt_type)
        use_prompt = prompt_name if prompt_name in self.encoder.prompts else None
        return self.encoder.encode(texts, batch_size=int(kwargs.get("batch_size", 32)),
                                   show_progress_bar=kwargs.get("show_progress_bar"), prompt_name=use_prompt)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> Any:
        """Cosine of every row of ``embeddings1`` with every row of ``embeddings2``."""
        return cosine_similarity(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> Any:
        """Cosine of row i with row i."""
        return cosine_similarity(embeddings1, embeddings2, pairwise=True)

    def __repr__(self) -> str:
        return f"MtebEncoder({self.encoder!r})"


def to_mteb(encoder: Encoder, *, name: str | None = None, revision: str | None = None) -> MtebEncoder:
    """Wrap ``encoder`` for ``mteb.evaluate`` (mteb is only imported when mteb asks for the metadata)."""
    return MtebEncoder(encoder, name=name, revision=revision)


def local_sts_task(path: str | Path, *, name: str | None = None, score_col: int | str = 0, text1_col: int | str = 1,
                   text2_col: int | str = 2, delimiter: str | None = "\t", header: bool | None = None,
                   encoding: str = "utf-8", split: str = "test"):
    """An mteb STS task over a local sentence-pair file (main score: cosine Spearman).

    The file is read with :func:`textemb.evaluation.datasets.read_sentence_pairs`, the reader
    ``textemb eval similarity --columns`` uses, so both see exactly the same pairs.
    """
    _mteb()
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.sts import AbsTaskSTS
    from mteb.abstasks.task_metadata import TaskMetadata

    from textemb.evaluation.datasets import read_sentence_pairs, sha256

    path = Path(path)
    pairs, _ = read_sentence_pairs(path, score_col=score_col, text1_col=text1_col, text2_col=text2_col,
                                   delimiter=delimiter, header=header, encoding=encoding)
    scores = [s for _, _, s in pairs]
    task_name = name or "TextembLocal" + re.sub(r"[^A-Za-z0-9]", "", path.stem.title())
    metadata = TaskMetadata(
        name=task_name, type="STS", main_score="cosine_spearman",
        description=f"Sentence pairs from the local file {path.name} (read by textemb).",
        reference="https://github.com/embeddings-benchmark/mteb",
        dataset={"path": f"local/{path.name}", "revision": sha256(path)[:12]},
        category="t2t", modalities=["text"], eval_splits=[split], eval_langs=["eng-Latn"],
        date=("2000-01-01", "2000-01-01"), dialect=[], domains=[], task_subtypes=[], license="not specified",
        annotations_creators="human-annotated", sample_creation="found", bibtex_citation="",
    )
    data = {"sentence1": [a for a, _, _ in pairs], "sentence2": [b for _, b, _ in pairs], "score": scores}

    class LocalSTSTask(AbsTaskSTS):
        min_score = float(min(scores))
        max_score = float(max(scores)) if max(scores) > min(scores) else float(min(scores)) + 1.0

        def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
            self.dataset = DatasetDict({split: Dataset.from_dict(data)})
            self.data_loaded = True

    LocalSTSTask.metadata = metadata
    LocalSTSTask.__name__ = task_name
    return LocalSTSTask()
