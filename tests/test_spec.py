"""Spec: one value, parsed and resolved once; its canonical form always loads back; its key says what is comparable."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests import model_fixtures
from textemb import Spec, load_encoder
from textemb.encoders import registry
from textemb.encoders.averaging import AveragingEncoder
from textemb.errors import InputError, UnknownEncoderError


@pytest.mark.parametrize("backend", registry.backends(), ids=lambda b: b.prefix)
def test_every_backend_example_round_trips(backend):
    example = backend.example.split(" or ")[0]  # lsa's example names two forms
    spec = Spec.parse(example)
    assert spec.backend == backend.prefix
    again = Spec.parse(spec.canonical)
    assert again == spec and hash(again) == hash(spec) and str(again) == spec.canonical
    assert Spec.parse(spec.key).key == spec.key
    prefix, arg, options = spec.resolve()
    assert prefix == backend.prefix and isinstance(options, dict) and arg


def test_named_models_resolve_once_and_are_canonical_by_name():
    for typed in ("glove-6b-50d", "glove:glove-6b-50d", "GloVe-6B-50d"):
        assert Spec.parse(typed).canonical == "glove-6b-50d"
        assert Spec.parse(typed).resolve() == ("glove", "glove-6b-50d", {})
    assert Spec.parse("glove:glove-6b-50d?limit=1000") == Spec.parse("glove-6b-50d?limit=1000")
    assert Spec.parse("sbert:all-MiniLM-L6-v2").canonical == "all-MiniLM-L6-v2"
    assert Spec.parse("all-MiniLM-L6-v2").resolve() == ("sbert", "all-MiniLM-L6-v2", {})
    bert = Spec.parse("bert:all-MiniLM-L6-v2")  # the same model on another backend is another spec
    assert bert.canonical == "bert:all-MiniLM-L6-v2" and bert != Spec.parse("all-MiniLM-L6-v2")


def test_option_order_does_not_matter():
    a = Spec.parse("sbert:all-MiniLM-L6-v2?quantize=int8&backend=onnx")
    b = Spec.parse("all-MiniLM-L6-v2?backend=onnx&quantize=int8")
    assert a == b and a.canonical == "all-MiniLM-L6-v2?backend=onnx&quantize=int8"
    assert len({a, b}) == 1


def test_key_leaves_out_runtime_options_but_not_quantize():
    plain = Spec.parse("all-MiniLM-L6-v2").key
    assert Spec.parse("all-MiniLM-L6-v2?backend=onnx&threads=2").key == plain
    assert Spec.parse("sbert:all-MiniLM-L6-v2?backend=torch").key == plain
    assert Spec.parse("all-MiniLM-L6-v2?backend=onnx&quantize=int8").key != plain
    assert Spec.parse("glove-6b-50d?limit=10").key != Spec.parse("glove-6b-50d").key


def test_nested_wrappers_pass_unknown_options_to_the_wrapped_spec():
    spec = Spec.parse("avg-sif:glove-6b-50d?limit=1000")
    assert spec.resolve() == ("avg-sif", "glove-6b-50d?limit=1000", {})
    assert spec.inner == Spec.parse("glove:glove-6b-50d?limit=1000")
    mixed = Spec.parse("avg-sif:glove:glove-6b-50d?pc=0&limit=1000&a=0.01")
    assert mixed.resolve() == ("avg-sif", "glove-6b-50d?limit=1000", {"a": "0.01", "pc": "0"})
    assert mixed.canonical == "avg-sif:glove-6b-50d?a=0.01&limit=1000&pc=0"
    assert Spec.parse(mixed.canonical) == mixed


def test_unknown_names_and_bad_options_are_refused_once_with_a_hint():
    with pytest.raises(UnknownEncoderError, match="did you mean 'glove-6b-50d'"):
        Spec.parse("glove-6b-50")
    with pytest.raises(UnknownEncoderError, match="key=value"):
        Spec.parse("glove:x.txt?limit=1&cache")
    with pytest.raises(UnknownEncoderError, match="empty"):
        Spec.parse("  ")


# ------------------------------------------------------------------------------ canonical always loads back
def test_canonical_loads_back_for_the_tiny_encoders(tmp_path):
    glove = model_fixtures.build_glove(tmp_path)
    vectors = model_fixtures.build_vectors(tmp_path)
    saved = model_fixtures.build_avg_saved(tmp_path)
    for typed in (f"glove:{glove}?limit=5", f"vectors:{vectors}?limit=4", f"avg:glove:{glove}?limit=6",
                  f"avg-sif:glove:{glove}?pc=0&limit=7", f"avg-saved:{saved}"):
        enc = load_encoder(typed)
        assert enc.spec == Spec.parse(typed).canonical
        again = load_encoder(enc.spec)
        assert again.spec == enc.spec and again.dim == enc.dim
        assert (again.encode(["the king sat"]) == enc.encode(["the king sat"])).all()


def test_a_python_built_wrapper_records_a_spec_that_loads_back(tmp_path):
    """AveragingEncoder.mean(load_encoder('glove:FILE?limit=N')) used to record avg:glove:FILE?limit=N, which
    the avg backend refused (unknown option limit)."""
    glove = model_fixtures.build_glove(tmp_path)
    enc = AveragingEncoder.mean(load_encoder(f"glove:{glove}?limit=6"))
    again = load_encoder(enc.spec)
    assert again.spec == enc.spec and len(again.wv) == 6


def test_quick_glove_records_what_the_user_typed():
    enc = load_encoder("glove-6b-50d", limit=1000)
    assert enc.spec == "glove-6b-50d?limit=1000" == load_encoder("glove:glove-6b-50d?limit=1000").spec


def test_keyword_options_are_part_of_the_canonical_spec(tmp_path):
    glove = model_fixtures.build_glove(tmp_path)
    assert load_encoder(f"glove:{glove}", limit=3).spec == f"glove:{glove}?limit=3"


def test_unknown_options_are_refused():
    with pytest.raises(InputError, match="unknown option"):
        load_encoder("glove-6b-50d?limti=10")


# ------------------------------------------------------------------------------ old manifests
def test_an_index_written_with_the_old_spec_strings_still_opens(tmp_path):
    """Manifests written before Spec recorded ``glove:glove-6b-50d?limit=N`` and a key in the long form."""
    from textemb.search import Index

    enc = load_encoder("glove-6b-50d?limit=2000")
    with Index.build(["the king sat on a log", "paris is the capital of france"], enc, path=tmp_path / "idx"):
        pass
    manifest_path = tmp_path / "idx" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["encoder"]["spec"] == "glove-6b-50d?limit=2000"
    manifest["encoder"].update(spec="glove:glove-6b-50d?limit=2000", key="glove:glove-6b-50d?limit=2000")
    manifest_path.write_text(json.dumps(manifest))
    with Index.open(tmp_path / "idx") as idx:
        assert idx.search("capital of france", k=1, mode="dense")[0].id == "1"
        assert idx.encoder.spec == "glove-6b-50d?limit=2000"
        idx.use_encoder(enc)  # the same model under its new canonical name is accepted


@pytest.mark.parametrize("old, new", [
    ("glove:glove-6b-50d", "glove-6b-50d"),
    ("glove:glove-6b-50d?limit=50000", "glove-6b-50d?limit=50000"),
    ("sbert:all-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
    ("sbert:all-MiniLM-L6-v2?backend=onnx", "all-MiniLM-L6-v2?backend=onnx"),
    ("avg-sif:glove:glove-6b-50d", "avg-sif:glove-6b-50d"),
])
def test_old_spec_strings_parse_to_the_new_canonical_form(old, new):
    from textemb.search.compat import encoder_key

    assert Spec.parse(old).canonical == new
    assert encoder_key(old) == encoder_key(new)


# ------------------------------------------------------------------------------ runtimes
def test_runtimes_are_chosen_by_the_encoders_package():
    from textemb.encoders.runtime import runtime_of, runtime_spec

    assert runtime_spec("all-MiniLM-L6-v2", "onnx").canonical == "all-MiniLM-L6-v2?backend=onnx"
    assert runtime_spec("all-MiniLM-L6-v2?backend=onnx", "torch").canonical == "all-MiniLM-L6-v2"
    int8 = runtime_spec("all-MiniLM-L6-v2", "onnx-int8")
    assert runtime_of(int8) == "onnx-int8" and int8.key != Spec.parse("all-MiniLM-L6-v2").key
    assert runtime_spec("glove-6b-50d", "fast") == Spec.parse("glove-6b-50d")  # nothing faster for a lookup table
    assert runtime_of("glove-6b-50d") == "lookup"
    with pytest.raises(InputError, match="runtime"):
        runtime_spec("glove-6b-50d", "onnx")
    with pytest.raises(InputError, match="unknown runtime"):
        runtime_spec("all-MiniLM-L6-v2", "tpu")


# ------------------------------------------------------------------------------ one shape (issue 25)
_ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_cli_commands_share_helpers_through_common_only():
    """A command imports shared helpers from commands.common (or a private _x module of its own family), never
    from another command."""
    for path in sorted((_ROOT / "cli" / "commands").glob("*.py")):
        for module in _imports(path):
            if module.startswith("textemb_cli.commands."):
                name = module.split(".")[2]
                assert name == "common" or name.startswith("_"), f"{path.name} imports {module}"


def test_callers_never_choose_a_runtime_or_read_a_spec_twice():
    """Search, serve and the CLI ask encoders/ for a runtime (load_encoder(runtime=...), prepare_fast); they never
    export or locate an ONNX model, parse a spec by hand, or fall back from spec to name."""
    banned = ("textemb.encoders.onnx_export", "textemb.encoders.onnx_sbert", "textemb.encoders.contextual.locate_model",
              "textemb.encoders.registry.parse_spec")
    for folder in ("textemb/search", "textemb/serve", "cli"):
        for path in sorted((_ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            assert "spec or " not in text, f"{path}: 'spec or name' (Encoder.spec is never empty)"
            for module in _imports(path):
                assert not module.startswith(banned), f"{path} imports {module}"
    for path in sorted((_ROOT / "textemb").rglob("*.py")):
        assert "spec or " not in path.read_text(encoding="utf-8"), path


def test_an_index_stores_the_canonical_spec_of_a_hand_set_one(tmp_path):
    from textemb.search import Index

    enc = load_encoder("glove-6b-50d?limit=500")
    enc.spec = "glove:glove-6b-50d?limit=500"  # a spec set by hand, in the old long form
    with Index.build(["the king sat"], enc, path=tmp_path / "idx") as idx:
        assert idx.encoder_spec == "glove-6b-50d?limit=500"
    assert json.loads((tmp_path / "idx" / "manifest.json").read_text())["encoder"]["spec"] == "glove-6b-50d?limit=500"
