"""SentenceTransformerEncoder (sbert:...): contract, pass-through to sentence-transformers, real MiniLM."""

from __future__ import annotations

import numpy as np
import pytest

st = pytest.importorskip("sentence_transformers")

from tests.encoder_contract import TEXTS  # noqa: E402
from textemb import load_encoder  # noqa: E402
from textemb.encoders.sbert import SentenceTransformerEncoder  # noqa: E402
from textemb.errors import InputError  # noqa: E402


def test_same_as_sentence_transformers_directly(tiny_sbert):
    enc = SentenceTransformerEncoder(tiny_sbert)
    direct = st.SentenceTransformer(str(tiny_sbert), device="cpu")
    np.testing.assert_allclose(enc.encode(TEXTS, batch_size=2), direct.encode(TEXTS, batch_size=2), atol=1e-6)
    np.testing.assert_allclose(enc.encode(TEXTS, normalize=True),
                               direct.encode(TEXTS, normalize_embeddings=True), atol=1e-6)
    assert enc.dim == direct.encode(['x']).shape[1] and enc.device == "cpu"


def test_progress_bar_passes_through_only_to_a_terminal(tiny_sbert, capsys, monkeypatch):
    enc = SentenceTransformerEncoder(tiny_sbert)
    expected = enc.encode(TEXTS, show_progress=False)
    assert capsys.readouterr().err == ""
    # stderr is not a terminal here (a log, CI): no tqdm bar and no carriage return, plain lines instead
    monkeypatch.setenv("TEXTEMB_PROGRESS_INTERVAL", "0")
    np.testing.assert_allclose(enc.encode(TEXTS, show_progress=True, batch_size=2), expected, atol=1e-6)
    err = capsys.readouterr().err
    assert "Batches" not in err and "\r" not in err and "encoding with" in err
    monkeypatch.setattr("textemb.progress._stderr_is_tty", lambda: True)  # a terminal: sentence-transformers' own bar
    enc.encode(TEXTS, show_progress=True)
    assert "Batches" in capsys.readouterr().err


def test_options_and_errors(tiny_sbert):
    enc = load_encoder(f"sbert:{tiny_sbert}?max_length=8")
    assert enc.max_length == 8
    with pytest.raises(InputError, match="unknown option"):
        load_encoder(f"sbert:{tiny_sbert}?pool=cls")
    with pytest.raises(InputError, match="max_length"):
        load_encoder(f"sbert:{tiny_sbert}?max_length=x")
    with pytest.raises(InputError, match="no model folder"):
        load_encoder("sbert:./missing/folder")


def test_an_unknown_option_fails_before_the_model_or_torch_loads():
    """A typo in a real model's spec is refused at once: no model file opened, torch not imported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from textemb import load_encoder\n"
        "from textemb.errors import InputError\n"
        "for spec in ('all-MiniLM-L6-v2?normalise=1', 'bert:all-MiniLM-L6-v2?poool=mean',\n"
        "             'sbert:all-MiniLM-L6-v2?backend=onnx&quantise=int8'):\n"
        "    try:\n"
        "        load_encoder(spec)\n"
        "    except InputError as exc:\n"
        "        print(exc)\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["unknown option(s) for the 'sbert' backend: normalise",
                   "unknown option(s) for the 'bert' backend: poool",
                   "unknown option(s) for the 'sbert' backend: quantise",
                   "False False"]


def test_bert_backend_reads_a_sentence_transformers_folder(tiny_sbert):
    """bert:FOLDER on an ST folder runs its transformer; mean pooling then equals the ST model."""
    bert = load_encoder(f"bert:{tiny_sbert}")
    sbert = load_encoder(f"sbert:{tiny_sbert}")
    np.testing.assert_allclose(bert.encode(TEXTS), sbert.encode(TEXTS), atol=1e-5)


@pytest.mark.slow
def test_named_model_resolves_offline(minilm_sbert):
    from textemb.models import model_path

    assert minilm_sbert.dim == 384 and minilm_sbert.model_path == str(model_path("all-MiniLM-L6-v2"))
    plain = load_encoder("all-MiniLM-L6-v2")
    assert isinstance(plain, SentenceTransformerEncoder)
    a, b, c = plain.encode(["A man is eating food.", "A man eats something.", "The stock market fell."])
    assert a @ b > a @ c + 0.3
