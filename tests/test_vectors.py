"""WordVectors queries, the kNN kernel, the registry and the cache on tiny data."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import TINY_WORDS
from textemb import WordVectors, kernels, load_encoder
from textemb.errors import FormatError, InputError, OOVError, UnknownEncoderError
from textemb.io import cache


@pytest.fixture
def wv(tiny_glove):
    return load_encoder(f"glove:{tiny_glove}")


def brute_most_similar(wv, pos, neg, topn):
    u = wv.unit_vectors
    q = np.mean([u[wv.index(w)] for w in pos] + [-u[wv.index(w)] for w in neg], axis=0)
    q /= np.linalg.norm(q)
    scores = u @ q
    order = [i for i in np.argsort(-scores) if wv.words[i] not in pos + neg]
    return [wv.words[i] for i in order[:topn]]


def test_membership_and_lookup(wv, tiny_matrix):
    assert "king" in wv and "kingdom" not in wv and len(wv) == len(TINY_WORDS)
    np.testing.assert_array_equal(wv["king"], tiny_matrix[1])
    assert wv[["king", "queen"]].shape == (2, 8)
    assert wv.get("kingdom") is None


def test_oov_error_names_the_word(wv):
    with pytest.raises(OOVError, match=r"word not in vocabulary of 20 words: 'kingdom' \(check spelling and case\)"):
        wv["kingdom"]  # no oov= here, so the message suggests none
    with pytest.raises(OOVError, match=r"words not in vocabulary.*'xx', 'yy'"):
        wv.most_similar(["king", "xx", "yy"])


def test_oov_skip_policy(wv):
    assert wv.most_similar(["king", "xx"], topn=3, oov="skip") == wv.most_similar("king", topn=3)
    assert wv.most_similar(["xx"], oov="skip") == []


def test_most_similar_matches_brute_force(wv):
    got = [w for w, _ in wv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)]
    assert got == brute_most_similar(wv, ["king", "woman"], ["man"], 5)
    assert "king" not in got and "man" not in got


def test_restrict_vocab(wv):
    got = wv.most_similar("king", topn=10, restrict_vocab=5)
    assert {w for w, _ in got} <= set(TINY_WORDS[:5]) - {"king"}


def test_similarity_symmetric(wv):
    assert wv.similarity("king", "queen") == pytest.approx(wv.similarity("queen", "king"))
    assert wv.similarity("king", "king") == pytest.approx(1.0)


def test_analogy_methods(wv):
    add = wv.analogy("man", "king", "woman", topn=3)
    assert add == wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    mul = wv.analogy("man", "king", "woman", topn=3, method="3cosmul")
    assert len(mul) == 3 and not {"man", "king", "woman"} & {w for w, _ in mul}
    with pytest.raises(InputError, match="unknown analogy method"):
        wv.analogy("man", "king", "woman", method="3cosfoo")


def test_kernel_blocks_and_exclusion():
    rng = np.random.default_rng(1)
    m = rng.standard_normal((500, 16)).astype(np.float32)
    q = rng.standard_normal((37, 16)).astype(np.float32)
    idx, sc = kernels.nearest(q, m, 5, block=8, exclude=[[0, 1]] * 37)
    full = q @ m.T
    full[:, [0, 1]] = -np.inf
    np.testing.assert_array_equal(idx, np.argsort(-full, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(sc, np.sort(full, axis=1)[:, ::-1][:, :5], rtol=1e-5)
    with pytest.raises(InputError, match="query dimension 3 does not match the vectors' 16"):
        kernels.nearest(q[:, :3], m, 5)
    with pytest.raises(InputError, match="k must be at least 1"):
        kernels.nearest(q, m, 0)


def test_device_validation():
    assert kernels.resolve_device("cpu") == "cpu"
    assert kernels.resolve_device("auto") in ("cpu", "cuda", "mps")
    with pytest.raises(InputError, match="unknown device 'tpu'"):
        kernels.resolve_device("tpu")


def test_torch_kernel_matches_numpy_on_cpu():
    torch = pytest.importorskip("torch")  # noqa: F841
    rng = np.random.default_rng(2)
    m = rng.standard_normal((300, 8)).astype(np.float32)
    q = rng.standard_normal((10, 8)).astype(np.float32)
    a = kernels.nearest(q, m, 4)
    b = kernels._nearest_torch(q, m, 4, None, "cpu", 4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-5)


@pytest.mark.gpu
def test_cuda_kernel_matches_numpy():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    rng = np.random.default_rng(3)
    m = rng.standard_normal((5000, 32)).astype(np.float32)
    q = rng.standard_normal((50, 32)).astype(np.float32)
    a = kernels.nearest(q, m, 10)
    b = kernels.nearest(q, m, 10, device="cuda")
    np.testing.assert_array_equal(a[0], b[0])


def test_encode_mean_of_tokens(wv):
    v = wv.encode("The King, the QUEEN!")
    expected = np.mean([wv["the"], wv["king"], wv["the"], wv["queen"]], axis=0)
    np.testing.assert_allclose(v, expected, rtol=1e-6)
    with pytest.warns(UserWarning, match="1 of 2 texts had no in-vocabulary token"):
        out = wv.encode(["king", "xyzzy plugh"])
    assert not out[1].any() and wv.last_stats["oov_tokens"] == 2


def test_registry_errors(tiny_glove):
    with pytest.raises(UnknownEncoderError, match=r"unknown encoder 'glvoe-6b-50d' \(did you mean 'glove-6b-50d'\?\).*textemb models"):
        load_encoder("glvoe-6b-50d")
    with pytest.raises(UnknownEncoderError, match="names no path"):
        load_encoder("glove:")
    with pytest.raises(InputError, match=r"unknown option\(s\) for the 'glove' backend: colour"):
        load_encoder(f"glove:{tiny_glove}?colour=red")
    assert len(load_encoder(f"glove:{tiny_glove}?limit=5")) == 5
    assert len(load_encoder(f"glove:{tiny_glove}", limit=3)) == 3


def test_an_unknown_option_is_refused_before_the_file_is_read(tmp_path, monkeypatch):
    """A typo costs nothing: the spec is refused before a (possibly huge) vector file or folder is opened."""
    from textemb import models
    from textemb.encoders import glove, word2vec

    def never(*a, **kw):
        raise AssertionError("the file was read before the options were checked")

    monkeypatch.setattr(glove, "load_vector_file", never)
    monkeypatch.setattr(word2vec, "load_vector_file", never)  # its own binding, restored after the test
    monkeypatch.setattr(glove.WordVectors, "load", never)
    monkeypatch.setattr(models, "load_named_vectors", never)
    for spec, prefix in ((f"glove:{tmp_path}/v.txt?limt=5", "glove"), (f"word2vec:{tmp_path}/v.bin?limt=5", "word2vec"),
                         (f"vectors:{tmp_path}?limt=5", "vectors"), ("glove-6b-50d?limt=5", "glove")):
        with pytest.raises(InputError, match=rf"unknown option\(s\) for the '{prefix}' backend: limt"):
            load_encoder(spec)


def test_cache_hit_and_invalidation(tiny_glove, tiny_matrix):
    first = load_encoder(f"glove:{tiny_glove}")
    entry = cache.cached_entry(tiny_glove, {"format": "glove", "errors": "strict", "nonfinite": "error"})
    assert (entry / "manifest.json").is_file()
    manifest = cache.read_manifest(entry)
    assert manifest["source"]["size"] == tiny_glove.stat().st_size and len(manifest["source"]["sha256"]) == 64
    second = load_encoder(f"glove:{tiny_glove}")
    assert isinstance(second.vectors, np.memmap)
    np.testing.assert_array_equal(second.vectors, first.vectors)
    # editing the source invalidates the cache
    tiny_glove.write_text("solo 1 2 3\n", encoding="utf-8")
    third = load_encoder(f"glove:{tiny_glove}")
    assert third.words == ["solo"]


def test_cache_corruption_falls_back_with_warning(tiny_glove):
    load_encoder(f"glove:{tiny_glove}")
    entry = cache.cached_entry(tiny_glove, {"format": "glove", "errors": "strict", "nonfinite": "error"})
    with open(entry / "vectors.npy", "r+b") as fh:
        fh.truncate(100)
    with pytest.warns(UserWarning, match="ignoring a damaged cache entry"):
        again = load_encoder(f"glove:{tiny_glove}")
    assert again.words == TINY_WORDS


def test_vector_folder_errors(tmp_path, wv):
    with pytest.raises(FormatError, match="manifest.json is missing"):
        WordVectors.load(tmp_path)
    wv.save(tmp_path / "v")
    (tmp_path / "v" / "manifest.json").write_text("{not json")
    with pytest.raises(FormatError, match="manifest.json is not valid JSON"):
        WordVectors.load(tmp_path / "v")
    wv.save(tmp_path / "w")
    text = (tmp_path / "w" / "manifest.json").read_text().replace('"format_version": 1', '"format_version": 99')
    (tmp_path / "w" / "manifest.json").write_text(text)
    with pytest.raises(FormatError, match="format version 99 is newer"):
        WordVectors.load(tmp_path / "w")


def test_constructor_checks():
    with pytest.raises(InputError, match="2 words but 3 vector rows"):
        WordVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(InputError, match="duplicate words"):
        WordVectors(["a", "a"], np.zeros((2, 2)))


def test_named_models_take_their_backends_options_and_near_misses_get_a_suggestion():
    wv = load_encoder("glove-6b-50d?limit=1000")  # the named model, first 1,000 words
    assert len(wv) == 1000 and wv.words[0] == "the"
    for typo, meant in [("glove-6b-50", "glove-6b-50d"), ("ALL-MINILM-L6-V2x", "all-MiniLM-L6-v2"), ("glov:x.txt", "glove:")]:
        with pytest.raises(UnknownEncoderError, match=f"did you mean '{meant}'") as err:
            load_encoder(typo)
        assert len(str(err.value)) < 200  # one readable line, not the whole catalogue
    with pytest.raises(InputError, match="unknown option"):
        load_encoder("glove-6b-50d?limit=1000&colour=red")  # (limit: the options are checked after the load)


def test_a_backend_whose_package_is_missing_names_its_extra(monkeypatch, tmp_path):
    import builtins

    from textemb.errors import MissingDependencyError

    real_import = builtins.__import__

    def no_gensim(name, *args, **kwargs):
        if name == "gensim" or name.startswith("gensim."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    model = tmp_path / "model.model"
    model.write_bytes(b"\x80\x04N.")  # a (harmless) pickle: the backend needs gensim to open it
    monkeypatch.setattr(builtins, "__import__", no_gensim)
    with pytest.raises(MissingDependencyError, match=r"pip install 'textemb\[word2vec\]'"):
        load_encoder(f"word2vec:{model}?trust_pickle=1")


def test_a_folder_given_as_a_vector_file_gets_a_suggestion_that_fits(tmp_path, tiny_glove):
    import shutil

    texts = tmp_path / "notes"
    texts.mkdir()
    (texts / "a.txt").write_text("the king spoke\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes is a folder, not a vector file; give one of its files, e\.g\. "
                                         r"'glove:.*notes/a\.txt'") as info:
        load_encoder(f"word2vec:{texts}")
    assert "vectors:" not in str(info.value)  # a folder of texts is no vector folder
    saved = tmp_path / "saved"
    load_encoder(f"glove:{tiny_glove}").save(saved)
    with pytest.raises(InputError, match=f"it is a textemb vectors model folder: use 'vectors:{saved}'"):
        load_encoder(f"word2vec:{saved}")
    empty = tmp_path / "empty"
    shutil.copytree(texts, empty)
    (empty / "a.txt").unlink()
    with pytest.raises(InputError, match="give a vector file"):
        load_encoder(f"glove:{empty}")
