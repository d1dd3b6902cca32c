"""ContextualEncoder: token vectors of a BERT-family model, with layer and pooling choices.

``bert:all-MiniLM-L6-v2`` is the 6-layer BERT inside the offline all-MiniLM-L6-v2 folder; any
other folder or Hugging Face name works too (``bert:bert-base-uncased?layers=-4..-1``).
Weights load from safetensors only, and no remote code ever runs.

* ``embed_tokens(text)`` → the text's words (not word pieces) and one contextual vector each.
* ``encode(texts)`` → one vector per text, pooled over tokens (``pool=mean|cls|max``).
* ``word_vectors(vocab, contexts)`` → a :class:`~textemb.vectors.WordVectors` for word benchmarks.

Texts longer than the model's maximum go through overlapping windows (``stride`` tokens apart)
and every token takes its vector from the window where it has the most context; nothing is
silently cut. ``truncate=True`` keeps only the first window and reports what it dropped.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from textemb.encoders import contextual_words
from textemb.encoders.base import Encoder, batches, progress
from textemb.encoders.contextual_model import (
    CONFIG_FILE,
    DEFAULTS,
    load_model,
    locate_model,
    model_limit,
    quiet_transformers,
    read_words,
    resolve_model,
    saved_options,
    special_affixes,
)
from textemb.encoders.contextual_pooling import combine_layers, kept_tokens, piece_groups, pool_pieces
from textemb.encoders.windows import Window, parse_layers, plan_windows
from textemb.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from textemb.vectors import WordVectors

#: names other modules import from here (the model-loading helpers live in :mod:`.contextual_model`)
__all__ = ["COMBINES", "CONFIG_FILE", "DTYPES", "POOLS", "SUBWORD_POOLS", "ContextualEncoder", "from_spec",
           "locate_model", "quiet_transformers", "resolve_model"]
_read_words = read_words  # kept for callers of the old private name

POOLS = ("mean", "cls", "max")
SUBWORD_POOLS = ("first", "mean", "last")
COMBINES = ("mean", "sum", "concat")
DTYPES = ("float32", "float16", "bfloat16")

class ContextualEncoder(Encoder):
    """Contextual vectors from a BERT-family model.

    Args:
        model: a named model (``all-MiniLM-L6-v2``), a model folder, or a Hugging Face name.
        layers: ``last``, ``first``, ``embeddings``, ``all``, ints, lists (``-4,-3``), ranges (``-4..-1``).
        combine: how several layers merge: ``mean``, ``sum`` or ``concat``.
        subword: word pieces → word vector: ``first``, ``mean`` or ``last`` piece.
        pool: tokens → text vector in :meth:`encode`: ``mean`` (padding masked, [CLS]/[SEP]
            included as sentence-transformers does), ``cls`` or ``max``.
        max_length: tokens per window including special tokens (default: the model's maximum).
        stride: tokens between window starts for long texts (default: half a window).
        truncate: keep only the first window of long texts (counted in ``last_stats`` and warned).
        dtype: ``float32`` (default), ``float16`` or ``bfloat16`` for the model weights.
        vocab: default vocabulary file (one word per line) for :meth:`word_vectors`.
        device: ``auto`` (cuda, then mps, then cpu), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    """

    def __init__(
        self,
        model: str | Path = "all-MiniLM-L6-v2",
        *,
        layers: str | int | Sequence[int] | None = None,
        combine: str | None = None,
        subword: str | None = None,
        pool: str | None = None,
        max_length: int | None = None,
        stride: int | None = None,
        truncate: bool | None = None,
        dtype: str | None = None,
        vocab: str | Path | None = None,
        device: str | None = "auto",
        backend: str = "torch",
        quantize: str | None = None,
        threads: int | None = None,
    ) -> None:
        from textemb import kernels

        path, short = resolve_model(model)
        saved = saved_options(path)
        given = dict(layers=layers, combine=combine, subword=subword, pool=pool, max_length=max_length,
                     stride=stride, truncate=truncate, dtype=dtype, vocab=vocab)
        opts = {k: (v if v is not None else saved.get(k, DEFAULTS[k])) for k, v in given.items()}
        for key, allowed in (("combine", COMBINES), ("subword", SUBWORD_POOLS), ("pool", POOLS), ("dtype", DTYPES)):
            if opts[key] not in allowed:
                raise InputError(f"{key}={opts[key]!r} is not one of {', '.join(allowed)}")
        self.options = opts
        self.model_path = path
        self.name = short
        self.device = kernels.resolve_device(device)
        self.tokenizer, self.model = load_model(path, opts["dtype"])
        self.model.to(self.device)
        config = self.model.config
        self.n_layers = int(config.num_hidden_layers)
        self.layers = parse_layers(opts["layers"], self.n_layers)
        self.combine, self.subword, self.pool = opts["combine"], opts["subword"], opts["pool"]
        self.truncate = bool(opts["truncate"])
        self.vocab = opts["vocab"]
        limit = min(model_limit(self.tokenizer, config), 1 << 20)
        self.max_length = int(opts["max_length"] or limit)
        if not 3 <= self.max_length <= limit:
            raise InputError(f"max_length must be between 3 and this model's limit {limit}, got {self.max_length}")
        self._prefix, self._suffix = special_affixes(self.tokenizer)
        self.width = self.max_length - len(self._prefix) - len(self._suffix)
        self.stride = int(opts["stride"] or max(1, self.width // 2))
        if not 1 <= self.stride <= self.width:
            raise InputError(f"stride must be between 1 and {self.width} tokens (the window minus special tokens), "
                             f"got {self.stride}")
        pad = self.tokenizer.pad_token_id
        self._pad = int(pad if pad is not None else 0)
        self._hidden = int(config.hidden_size)
        self._onnx = self._onnx_session(backend, quantize, threads)
        self.spec = self._canonical_spec(model)
        #: counts from the last call: texts, windows, long_texts, truncated_texts, dropped_tokens
        self.last_stats: dict[str, int] = {}

    # ------------------------------------------------------------------ basics
    @property
    def dim(self) -> int:
        return self._hidden * (len(self.layers) if self.combine == "concat" else 1)

    def _canonical_spec(self, model: str | Path) -> str:
        changed = {k: v for k, v in self.options.items() if v != DEFAULTS[k]}
        if "truncate" in changed:
            changed["truncate"] = "true"
        query = "&".join(f"{k}={v}" for k, v in changed.items())
        if self._onnx is not None:
            query = "&".join(filter(None, [query, f"backend=onnx{'&quantize=' + self.quantize if self.quantize else ''}"]))
        return f"bert:{model}" + (f"?{query}" if query else "")

    def _onnx_session(self, backend: str, quantize: str | None, threads: int | None):
        """An onnxruntime session for ``backend=onnx`` (the export is cached), else None."""
        self.quantize = quantize
        if backend == "torch":
            if quantize or threads:
                raise InputError("quantize= and threads= go with backend=onnx (e.g. bert:all-MiniLM-L6-v2?backend=onnx)")
            return None
        if backend != "onnx" or self.options["dtype"] != "float32" or self.device != "cpu":
            raise InputError(f"backend must be torch or onnx (onnx: float32 weights on cpu), got backend={backend!r} "
                             f"dtype={self.options['dtype']} device={self.device}")
        from textemb.encoders import onnx_export

        outputs = "last" if self.layers == [self.n_layers] else "hidden"
        self.onnx_file, onnx_session = onnx_export.cached_session(self.model_path, outputs=outputs, quantize=quantize,
                                                                  threads=threads)
        return onnx_session

    def _forward(self, ids: np.ndarray, mask: np.ndarray, need_all: bool):
        """One batch through the model: ``(last_hidden_state, hidden_states or None)`` as torch tensors."""
        import torch

        if self._onnx is not None:
            out = torch.from_numpy(self._onnx.run(None, {"input_ids": ids, "attention_mask": mask})[0])
            return (out, None) if not need_all else (out[-1], out)
        res = self.model(input_ids=torch.from_numpy(ids).to(self.device),
                         attention_mask=torch.from_numpy(mask).to(self.device), output_hidden_states=need_all)
        return res.last_hidden_state, res.hidden_states

    def __repr__(self) -> str:
        return (f"ContextualEncoder({self.name!r}, layers={self.layers}, combine={self.combine!r}, "
                f"subword={self.subword!r}, pool={self.pool!r}, dim={self.dim}, device={self.device!r})")

    # ------------------------------------------------------------------ model runs
    def _plan(self, lengths: Sequence[int]) -> list[tuple[int, Window]]:
        """Every text's windows as ``(text index, window)``; updates ``last_stats``."""
        plan: list[tuple[int, Window]] = []
        long_texts = dropped = 0
        for i, n in enumerate(lengths):
            wins = plan_windows(n, self.width, self.stride, truncate=self.truncate)
            plan.extend((i, w) for w in wins)
            if n > self.width:
                long_texts += 1
                dropped += n - wins[-1].end if self.truncate else 0
        self.last_stats = {"texts": len(lengths), "windows": len(plan), "long_texts": long_texts,
                           "truncated_texts": long_texts if self.truncate else 0, "dropped_tokens": dropped}
        if self.truncate and long_texts:
            warnings.warn(
                f"truncate=true: {long_texts} of {len(lengths)} texts were longer than {self.max_length} tokens; "
                f"{dropped} tokens past the first window were dropped", stacklevel=4)
        return plan

    def _run(self, windows: list[list[int]], batch_size: int,
             show_progress: bool) -> Iterator[tuple[list[int], object, list[int]]]:
        """Run windows longest-first in batches; yields ``(window indices, hidden (B,T,dim), lengths)``."""
        import torch

        order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
        need_all = self.layers != [self.n_layers]
        steps = progress(batches(order, batch_size), total=-(-len(order) // batch_size), enabled=show_progress,
                         desc=f"encoding with {self.name}", unit="batch")
        with torch.inference_mode():
            for idx in steps:
                lens = [len(windows[i]) for i in idx]
                ids = np.full((len(idx), max(lens)), self._pad, dtype=np.int64)
                mask = np.zeros(ids.shape, dtype=np.int64)
                for row, i in enumerate(idx):
                    ids[row, : lens[row]] = windows[i]
                    mask[row, : lens[row]] = 1
                last, states = self._forward(ids, mask, need_all)
                hidden = combine_layers(states, self.layers, self.combine) if need_all else last
                yield list(idx), hidden.float(), lens

    def _window_ids(self, ids: Sequence[int], w: Window) -> list[int]:
        return [*self._prefix, *ids[w.start : w.end], *self._suffix]

    def _tokenize(self, texts: Sequence[str], offsets: bool = False):
        return self.tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False,
                              return_attention_mask=False, return_token_type_ids=False,
                              return_offsets_mapping=offsets)

    # ------------------------------------------------------------------ Encoder
    def _encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        """Pool every text's owned token vectors across its windows (sum/count, max, or mean of CLS)."""
        import torch

        all_ids = self._tokenize(texts)["input_ids"]
        plan = self._plan([len(x) for x in all_ids])
        windows = [self._window_ids(all_ids[t], w) for t, w in plan]
        n, dim, p = len(texts), self.dim, len(self._prefix)
        acc = torch.zeros((n, dim), dtype=torch.float32, device=self.device)
        if self.pool == "max":
            acc.fill_(float("-inf"))
        counts = torch.zeros(n, dtype=torch.float32, device=self.device)
        for idx, hidden, lens in self._run(windows, batch_size, show_progress):
            owner = torch.as_tensor([plan[i][0] for i in idx], device=self.device)
            if self.pool == "cls":
                acc.index_add_(0, owner, hidden[:, 0])
                counts.index_add_(0, owner, torch.ones(len(idx), device=self.device))
                continue
            own = ([p + plan[i][1].own_start - plan[i][1].start for i in idx],
                   [p + plan[i][1].own_end - plan[i][1].start for i in idx])
            keep = kept_tokens(hidden.shape[:2], own, lens, p, len(self._suffix), self.device)
            if self.pool == "mean":
                acc.index_add_(0, owner, (hidden * keep[..., None]).sum(1))
                counts.index_add_(0, owner, keep.sum(1).float())
            else:
                best = hidden.masked_fill(~keep[..., None], float("-inf")).amax(1)
                acc.scatter_reduce_(0, owner[:, None].expand(-1, dim), best, reduce="amax")
        if self.pool != "max":
            acc = acc / counts.clamp(min=1)[:, None]
        return acc.cpu().numpy()

    # ------------------------------------------------------------------ tokens
    def embed_tokens(self, text: str) -> tuple[list[str], np.ndarray]:
        """The words of ``text`` (as written) and one contextual vector per word, ``(n_words, dim)``."""
        if not isinstance(text, str):
            raise InputError(f"embed_tokens() takes one string, got {type(text).__name__}")
        return next(iter(self.embed_tokens_batch([text])))

    def embed_tokens_batch(self, texts: Sequence[str], *, batch_size: int = 32,
                           show_progress: bool = False) -> Iterator[tuple[list[str], np.ndarray]]:
        """:meth:`embed_tokens` for many texts, batched; yields one ``(words, vectors)`` per text, in order."""
        chunk = max(1024, batch_size * 8)  # texts whose windows are length-sorted together
        bar = progress(None, total=len(texts), enabled=show_progress, desc=f"encoding with {self.name}")
        try:
            for start in range(0, len(texts), chunk):
                part = list(texts[start : start + chunk])
                yield from self._token_chunk(part, batch_size, False)
                if bar is not None:
                    bar.update(len(part))
        finally:
            if bar is not None:
                bar.close()

    def _token_chunk(self, texts: list[str], batch_size: int, show_progress: bool):
        enc = self._tokenize(texts, offsets=True)
        all_ids = enc["input_ids"]
        plan = self._plan([len(x) for x in all_ids])
        windows = [self._window_ids(all_ids[t], w) for t, w in plan]
        tokens = [np.zeros((len(ids), self.dim), dtype=np.float32) for ids in all_ids]
        p = len(self._prefix)
        for idx, hidden, _ in self._run(windows, batch_size, show_progress):
            hidden = hidden.cpu().numpy()
            for row, i in enumerate(idx):
                t, w = plan[i]
                tokens[t][w.own_start : w.own_end] = hidden[row, p + w.own_start - w.start : p + w.own_end - w.start]
        for t, text in enumerate(texts):
            kept = plan_windows(len(all_ids[t]), self.width, self.stride, truncate=self.truncate)[-1].end
            word_ids = enc.word_ids(t)[:kept]
            spans = enc["offset_mapping"][t]
            yield self._pool_words(text, tokens[t][:kept], word_ids, spans)

    def _pool_words(self, text: str, vecs: np.ndarray, word_ids: list[int | None], spans) -> tuple[list[str], np.ndarray]:
        """Group consecutive pieces of the same word and pool them (first / mean / last)."""
        groups = piece_groups(word_ids)
        words = [text[spans[a][0] : spans[b - 1][1]] for a, b in groups]
        out = np.empty((len(groups), self.dim), dtype=np.float32)
        for r, (a, b) in enumerate(groups):
            out[r] = pool_pieces(vecs[a:b], self.subword)
        return words, out

    def _pool_pieces(self, pieces: np.ndarray) -> np.ndarray:
        return pool_pieces(pieces, self.subword)

    # ------------------------------------------------------------------ word vectors
    def default_vocab(self) -> list[str]:
        """The ``vocab=`` file's words if one was given, else the model vocabulary's whole words."""
        return contextual_words.default_vocab(self)

    def word_vectors(
        self,
        vocab: Iterable[str] | str | Path | None = None,
        contexts: Iterable[str] | None = None,
        *,
        batch_size: int = 128,
        show_progress: bool | None = None,
        missing: str = "isolated",
        cache: bool = True,
    ) -> "WordVectors":
        """Word-level vectors from the contextual model, as a :class:`~textemb.vectors.WordVectors`.

        Args:
            vocab: the words (an iterable, or a file with one word per line); default
                :meth:`default_vocab` (the ``vocab=`` option, else the model's whole-word entries).
            contexts: texts to average each word's contextual vectors over; ``None`` encodes each
                word alone (``[CLS] word [SEP]``, pieces pooled with ``subword``).
            missing: with contexts, words that never occur are encoded alone (``isolated``) or
                left out (``drop``).
            cache: keep isolated-word vectors of a local model in textemb's cache (keyed by the
                weights file's size/mtime, the options and the word list), so the next call is instant.
        """
        return contextual_words.word_vectors(self, vocab, contexts, batch_size=batch_size,
                                             show_progress=show_progress, missing=missing, cache=cache)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path, *, overwrite: bool = False) -> str:
        """Write model (safetensors), tokenizer and these options to a folder; returns ``bert:PATH``.

        ``load_encoder`` of the returned spec rebuilds this encoder (same options, same output).
        """
        from textemb.io.atomic import atomic_dir

        path = Path(path)
        with atomic_dir(path, overwrite=overwrite, kind="contextual") as tmp, quiet_transformers():
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            opts = {k: (str(v) if isinstance(v, Path) else v) for k, v in self.options.items()}
            if opts.get("vocab"):  # absolute, so the saved spec loads from any working directory
                opts["vocab"] = str(Path(opts["vocab"]).expanduser().resolve())
            (tmp / CONFIG_FILE).write_text(json.dumps(opts, indent=1), encoding="utf-8")
        return f"bert:{path.resolve()}"


def from_spec(arg: str, options: dict[str, str], device: str) -> ContextualEncoder:
    """Registry factory: ``bert:MODEL?layers=-4..-1&combine=mean&subword=mean&pool=mean&stride=128&truncate=false``."""
    from textemb.encoders.options import pop_bool, pop_int, reject_unknown

    settings = dict(
        layers=options.pop("layers", None),
        combine=options.pop("combine", None),
        subword=options.pop("subword", None),
        pool=options.pop("pool", None),
        max_length=pop_int(options, "max_length", minimum=3),
        stride=pop_int(options, "stride", minimum=1),
        truncate=pop_bool(options, "truncate"),
        dtype=options.pop("dtype", None),
        vocab=options.pop("vocab", None),
        **_backend_options(options),
    )
    reject_unknown(options, "bert")  # before the model (and torch) loads
    return ContextualEncoder(arg, device=device, **settings)


def _backend_options(options: dict) -> dict:
    """``backend=torch|onnx``, ``quantize=none|int8``, ``threads=N`` (the last two for onnx only)."""
    from textemb.encoders.options import pop_choice, pop_int

    quantize = pop_choice(options, "quantize", ("none", "int8"), "none")
    return {"backend": pop_choice(options, "backend", ("torch", "onnx"), "torch"),
            "quantize": None if quantize == "none" else quantize, "threads": pop_int(options, "threads", minimum=1)}
