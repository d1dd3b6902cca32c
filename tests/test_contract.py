"""The contract suite generated from the registry (like scikit-learn's ``parametrize_with_checks``).

Every registered backend, named model and vector store has a tiny fixture in
tests/contract_fixtures.py (or ``test_every_registered_backend_has_a_fixture`` fails), and every
fixture runs every check of tests/encoder_contract.py, the checks of each capability it declares,
and the save → spec → ``load_encoder`` round trip (bit for bit).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests import contract_fixtures as cf
from tests import encoder_contract as ec
from textemb.encoders.registry import backends

ENCODER_CHECKS = {
    "dim_and_name": ec.EncoderContract.test_dim_and_name,
    "shape_and_dtype": ec.EncoderContract.test_shape_and_dtype,
    "single_string": ec.EncoderContract.test_single_string_gives_one_vector,
    "empty_list": ec.EncoderContract.test_empty_list,
    "input_order": ec.EncoderContract.test_rows_in_input_order,
    "batch_size_invariance": ec.EncoderContract.test_batch_size_invariance,
    "deterministic": ec.EncoderContract.test_deterministic,
    "odd_unicode": ec.EncoderContract.test_odd_unicode,
    "normalize": ec.EncoderContract.test_normalize,
    "rejects_non_strings": ec.EncoderContract.test_rejects_non_strings,
}
CAPABILITY_CHECKS = {"words": ec.check_word_vectors, "tokens": ec.check_embeds_tokens, "tokenizer": ec.check_tokenizer}


def _params(table: dict) -> list:
    return [pytest.param(key, id=key, marks=[pytest.mark.slow] if fx.slow else []) for key, fx in table.items()]


def _skip_missing(needs: tuple[str, ...]) -> None:
    if not cf.available(needs):
        pytest.skip(f"needs {', '.join(needs)}, not all importable here")


@pytest.fixture(scope="session")
def workshop(tmp_path_factory) -> cf.Workshop:
    return cf.Workshop(tmp_path_factory.mktemp("contract"))


@pytest.fixture(scope="session")
def built(workshop):
    """Encoders built once per session, by fixture key."""
    cache: dict = {}

    def get(key: str):
        if key not in cache:
            fx = cf.ENCODERS[key]
            _skip_missing(fx.needs)
            cache[key] = fx.build(workshop)
        return cache[key]

    return get


def declared_capabilities(encoder) -> set[str]:
    """The capabilities an encoder declares, read through textemb.encoders.capabilities only."""
    from textemb.encoders.capabilities import (
        EmbedsTokens,
        HasWordVectors,
        hf_tokenizer_of,
    )
    from textemb.vectors import WordVectors

    caps = set()
    if isinstance(encoder, (WordVectors, HasWordVectors)):
        caps.add("words")
    if isinstance(encoder, EmbedsTokens):
        caps.add("tokens")
    if hf_tokenizer_of(encoder) is not None:
        caps.add("tokenizer")
    return caps


# --------------------------------------------------------------------------- completeness
def test_every_registered_backend_has_a_fixture():
    problems = cf.missing_fixtures() + cf.stale_fixtures()
    assert not problems, "\n".join(problems)


def test_removing_a_fixture_is_reported():
    """The completeness check is not vacuous: drop any one entry and it names what lost its fixture."""
    for prefix in [b.prefix for b in backends()] + ["glove-6b-50d"]:
        fewer = {k: v for k, v in cf.ENCODERS.items() if k.split("[", 1)[0] != prefix}
        assert cf.missing_fixtures(encoders=fewer)[0].startswith(
            (f"backend {prefix!r} is registered but has no contract fixture: add one to tests/contract_fixtures.py",
             f"named model {prefix!r} has no contract fixture"))
    fewer_stores = {k: v for k, v in cf.STORES.items() if k != "FolderStore"}
    assert cf.missing_fixtures(stores=fewer_stores) == [
        "vector store 'FolderStore' has no contract fixture: add one to STORES in tests/contract_fixtures.py"]


def test_a_newly_registered_backend_without_fixture_fails(monkeypatch):
    from textemb.encoders import registry

    monkeypatch.setitem(registry._BACKENDS, "x", registry.Backend("x", "m:f", "help", "x:ARG"))
    assert cf.missing_fixtures() == [
        "backend 'x' is registered but has no contract fixture: add one to tests/contract_fixtures.py"]


def test_the_store_list_is_discovered_from_the_package():
    found = cf.store_classes()
    assert {"FolderStore", "MilvusStore"} <= set(found), found


# --------------------------------------------------------------------------- encoder contract
@pytest.mark.parametrize("check", list(ENCODER_CHECKS))
@pytest.mark.parametrize("key", _params(cf.ENCODERS))
def test_contract(key, check, built, request):
    encoder = built(key)
    ENCODER_CHECKS[check](ec.EncoderContract(), encoder, *([request.getfixturevalue("recwarn")]
                                                            if check == "odd_unicode" else []))


@pytest.mark.parametrize("key", _params(cf.ENCODERS))
def test_declared_capabilities(key, built):
    """Each encoder declares exactly the capabilities its fixture lists, and passes their checks."""
    encoder = built(key)
    caps = declared_capabilities(encoder)
    assert caps == set(cf.ENCODERS[key].caps), f"{key} declares {sorted(caps)}, the table says {sorted(cf.ENCODERS[key].caps)}"
    for cap in sorted(caps):
        if cap == "words":
            ec.check_word_vectors(encoder, encodes_words=cf.ENCODERS[key].encodes_words)
        else:
            CAPABILITY_CHECKS[cap](encoder)


@pytest.mark.parametrize("key", _params(cf.ENCODERS))
def test_save_load_round_trip(key, built, tmp_path):
    encoder = built(key)
    spec = ec.check_round_trip(encoder, tmp_path / "saved")
    assert str((tmp_path / "saved").resolve()) in spec


# --------------------------------------------------------------------------- store contract
@pytest.fixture(scope="module")
def store_encoder(workshop):
    from textemb import load_encoder

    return load_encoder(f"avg:glove:{workshop.glove()}")


def _docs():
    from textemb.search.documents import Document

    return [Document("frog", "a frog sat on a log", "Frogs", source="frog.txt", source_hash="h1"),
            Document("king", "the king spoke to the queen", "Royalty", source="king.txt", source_hash="h2"),
            Document("paris", "paris is the capital of france", "Paris", source="paris.txt", source_hash="h3")]


@pytest.mark.parametrize("key", list(cf.STORES))
def test_store_contract(key, store_encoder, tmp_path):
    """add, count, search, remove, persist and reopen: every store behaves alike on tiny documents."""
    fx = cf.STORES[key]
    _skip_missing(fx.needs)
    idx = cf.store_create(fx, tmp_path, store_encoder)
    try:
        assert idx.dim == store_encoder.dim and idx.encoder_spec == store_encoder.spec
        assert idx.add(_docs()) >= 3
        cf.store_persist(fx, idx)
        assert sorted(idx.store.document_ids()) == ["frog", "king", "paris"]
        assert cf.store_top(idx, "the queen and the king", 1) == ["king"]
        assert idx.remove(["frog", "nope"]) == 1
        cf.store_persist(fx, idx)
    finally:
        if fx.url is not None:
            idx.close()
    again = cf.store_reopen(fx, tmp_path, store_encoder, idx)
    try:
        assert sorted(again.store.document_ids()) == ["king", "paris"]
        assert cf.store_top(again, "capital of france", 1) == ["paris"]
        assert again.store.indexed_sources() == {"king.txt": "h2", "paris.txt": "h3"}
        assert [h.id for h in again.search("capital of france", k=1, mode="bm25")] == ["paris"]
    finally:
        again.close()


def test_contract_texts_cover_the_edges():
    assert "" in ec.ODD and any(ord(c) > 0xFFFF for t in ec.ODD for c in t)
    assert len(np.unique(ec.TEXTS)) == len(ec.TEXTS)
