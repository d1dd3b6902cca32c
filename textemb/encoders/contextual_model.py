"""Finding and loading the model behind ``bert:``: folders, named models, Hugging Face names, saved options.

Everything here runs before any text is encoded: :func:`resolve_model` turns a name into a folder (the
transformer inside a sentence-transformers folder), :func:`load_model` loads its fast tokenizer and
safetensors weights (never remote code), and :func:`saved_options` reads what
:meth:`~textemb.encoders.contextual.ContextualEncoder.save` stored next to the weights.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from textemb.errors import FormatError, InputError, ModelNotInstalledError, require

#: options saved next to a model by :meth:`ContextualEncoder.save`, read back as defaults
CONFIG_FILE = "textemb_contextual.json"
DEFAULTS = {"layers": "last", "combine": "mean", "subword": "mean", "pool": "mean",
            "max_length": None, "stride": None, "truncate": False, "dtype": "float32", "vocab": None}


def locate_model(model: str | Path) -> tuple[str, str, bool]:
    """``(folder or Hugging Face name, short name, is_folder)`` for a named model, a folder or a hub name."""
    from textemb import models

    text = str(model)
    named = models.get(text)
    if named is not None:
        return str(named.locate()), named.name, True
    folder = Path(text).expanduser()
    if folder.is_dir():
        return str(folder), folder.resolve().name, True
    if re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text) and not text.startswith("."):
        return text, text.rsplit("/", 1)[-1], False
    raise InputError(f"no model folder at {text!r} (and it is not a named model or a Hugging Face name)")


def resolve_model(model: str | Path) -> tuple[str, str]:
    """``(folder or Hugging Face name, short name)``; for a sentence-transformers folder whose
    transformer lives in a sub-folder (``0_Transformer``), that sub-folder."""
    path, short, is_folder = locate_model(model)
    modules = Path(path) / "modules.json"
    if is_folder and modules.is_file():
        from textemb.io.guard import read_json

        entries = read_json(modules, what="modules.json", max_bytes=1 << 20, hint="copy the model folder again")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise FormatError("modules.json must list the model's modules; copy the model folder again", path=modules)
        for entry in entries:
            if str(entry.get("type", "")).endswith("Transformer") and entry.get("path"):
                path = str(Path(path) / entry["path"])
    return path, short


@contextmanager
def quiet_transformers():
    """Hide transformers' own progress bars (weights loading/writing) for the duration."""
    from transformers.utils import logging as tf_logging

    enabled = tf_logging.is_progress_bar_enabled()
    tf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            tf_logging.enable_progress_bar()


def load_model(path: str, dtype: str):
    """Tokenizer (fast) and model, safetensors only, no remote code; errors say what to do."""
    torch = require("torch", extra="contextual", feature="the bert backend")
    transformers = require("transformers", extra="contextual", feature="the bert backend")
    try:
        with quiet_transformers():  # no "Loading weights" bar for a 6-layer model
            tokenizer = transformers.AutoTokenizer.from_pretrained(path, use_fast=True, trust_remote_code=False)
            model = transformers.AutoModel.from_pretrained(
                path, use_safetensors=True, trust_remote_code=False, dtype=getattr(torch, dtype)
            )
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotInstalledError(
            f"cannot load a transformers model from {path!r}: {first[:300]} "
            "(textemb loads safetensors weights only; offline, use a local folder or a named model such as "
            "all-MiniLM-L6-v2)"
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(f"{path!r} has no fast tokenizer (tokenizer.json); word alignment needs one")
    model.eval()
    return tokenizer, model


def special_affixes(tokenizer) -> tuple[list[int], list[int]]:
    """The special token ids a single sequence gets before and after its content ([CLS] / [SEP])."""
    bare = tokenizer("hello", add_special_tokens=False)["input_ids"]
    full = tokenizer("hello", add_special_tokens=True)["input_ids"]
    for cut in range(len(full) - len(bare) + 1):
        if full[cut : cut + len(bare)] == bare:
            return list(full[:cut]), list(full[cut + len(bare) :])
    raise InputError("cannot locate the content tokens between this tokenizer's special tokens")


def model_limit(tokenizer, config) -> int:
    """The longest input the model takes: its position embeddings and the tokenizer's own maximum."""
    limits = [int(config.max_position_embeddings)] if getattr(config, "max_position_embeddings", None) else []
    tml = getattr(tokenizer, "model_max_length", None)
    if isinstance(tml, int) and tml < 1_000_000:
        limits.append(tml)
    return min(limits) if limits else 512


def saved_options(path: str) -> dict:
    """The options :meth:`ContextualEncoder.save` wrote next to the model (defaults for a load), or ``{}``."""
    file = Path(path) / CONFIG_FILE
    if not file.is_file():
        return {}
    from textemb.io.guard import read_json_object

    data = read_json_object(file, what=CONFIG_FILE, hint="delete it to load the model with the default options")
    if set(data) - set(DEFAULTS):
        raise FormatError(f"expected an object with keys among {sorted(DEFAULTS)}", path=file)
    return data


def read_words(path: str | Path) -> list[str]:
    """The distinct words of a vocabulary file, one per line (regular files only, size-capped)."""
    from textemb.io.bounded import read_text_lines

    lines = read_text_lines(Path(path).expanduser(), what="vocabulary file")  # regular files only, capped
    words = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not words:
        raise InputError(f"vocabulary file {path} has no words")
    return words
