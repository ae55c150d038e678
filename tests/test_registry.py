"""The model registry: names, descriptions, and rebuilding a model from its parameters."""

from __future__ import annotations

import gc
import json
import tracemalloc

import numpy as np
import pytest
from predcomp.models.base import BitModel, Model
from predcomp.models.counts import Uniform
from predcomp.models.registry import (
    DEFAULT_MODEL,
    MODELS,
    RESERVED,
    SPECS,
    LimitExceededError,
    ModelSpec,
    make_model,
    model_memory,
    model_params,
    name_of,
    validate,
)


def test_every_model_is_listed_with_a_description():
    assert {"uniform", "order0", "context", "ppm", "mix"} <= set(MODELS)
    assert DEFAULT_MODEL in MODELS
    for description in MODELS.values():
        assert description and "\n" not in description


#: the models that build from their parameters alone (gpt-static needs a checkpoint file too;
#: tests/test_neural.py checks it with one)
SELF_CONTAINED = [name for name, spec in SPECS.items() if spec.needs is None]


@pytest.mark.parametrize("name", SELF_CONTAINED)
def test_params_rebuild_an_identical_model(name):
    model = make_model(name)
    assert isinstance(model, Model) and model.alphabet_size == 256
    assert name_of(model) == name
    params = json.loads(json.dumps(model_params(model)))  # what a container stores
    clone = make_model(name, **params)
    for s in b"abracadabra":
        np.testing.assert_array_equal(model.predict(), clone.predict())
        model.update(s)
        clone.update(s)


def test_unknown_model_and_bad_parameters():
    with pytest.raises(ValueError, match="unknown model"):
        make_model("gpt-5")
    with pytest.raises(ValueError, match="bad parameters"):
        make_model("ppm", depth=3)
    with pytest.raises(ValueError):
        make_model("mix", models=[["mix", {}]])
    with pytest.raises(ValueError):
        make_model("mix", models=7)


# ----------------------------------------------------------------------- declarations


@pytest.mark.parametrize("name", SELF_CONTAINED)
def test_every_model_declares_what_validation_needs(name):
    spec = SPECS[name]
    assert isinstance(spec, ModelSpec) and callable(spec.memory)
    params = spec.parameters()
    assert params, f"{name}: build() must take its hyper-parameters as keywords"
    assert not set(params) & RESERVED, f"{name}: a parameter is named like an API argument"
    model = make_model(name, input_length=1000)
    assert isinstance(model, BitModel) == spec.bitwise
    params = model_params(model)
    assert validate(name, params) == model_memory(name, params)


def _allocated(build) -> int:
    """Peak bytes allocated while ``build()`` runs (Python objects and NumPy arrays)."""
    gc.collect()
    tracemalloc.start()
    try:
        keep = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del keep
    return peak


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("uniform", {}),
        ("order0", {}),
        ("context", {"order": 3}),
        ("ppm", {"order": 8}),
        ("mix", {}),
        ("mix", {"models": [["ppm", {"order": 16}]] * 16, "by_previous": False}),
        ("cm", {"table_bits": 16}),
        ("cm", {"table_bits": 20, "contexts": ["o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7"]}),
        ("cm-max", {"table_bits": 18, "match_bits": 16}),
        ("ctw", {"depth": 64, "max_nodes": 1 << 21}),
        ("lz78", {"max_nodes": 1 << 21}),
    ],
)
def test_declared_memory_bounds_what_building_allocates(name, params):
    declared = model_memory(name, params)
    used = _allocated(lambda: make_model(name, **params))
    assert used <= declared, f"{name}{params}: allocated {used:,} > declared {declared:,}"


# ----------------------------------------------------------------------- validation


def test_validate_accepts_the_defaults_and_returns_the_memory_bound():
    for name in SELF_CONTAINED:
        assert validate(name, {}) == model_memory(name, {}) > 0
    assert set(SPECS) - set(SELF_CONTAINED) == {"gpt-static", "cm+gpt-static"}
    with pytest.raises(ValueError, match="needs a checkpoint"):
        validate("gpt-static", {})


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("gpt-5", {}, "unknown model"),
        ("ppm", {"name": "x"}, "reserved"),
        ("ppm", {"input_length": 5}, "reserved"),
        ("cm", {"model": "x"}, "reserved"),
        ("ppm", {"depth": 3}, "no parameter 'depth'"),
        ("ppm", {"alphabet_size": 65536}, "alphabet_size 256"),
        ("mix", {"models": [["context", {"alphabet_size": 65536}]]}, "alphabet_size 256"),
        ("mix", {"models": [["ppm", {"order": 3}], ["ppm", {"bogus": 1}]]}, "no parameter"),
        ("mix", {"models": [["mix", {}]]}, "inside another model"),
        ("mix", {"models": [["cm", {}]]}, "predicts bits"),
        ("mix", {"models": [["order0", {}]] * 17}, "1..16 models"),
        ("mix", {"models": 7}, "list of"),
        ("mix", {"models": [["ppm"]]}, "list of"),
        ("ppm", {"order": [[[[[[[[1]]]]]]]]}, "nest"),
    ],
)
def test_validate_refuses_bad_descriptions(name, params, message):
    with pytest.raises(ValueError, match=message):
        validate(name, params, max_memory=None)


def test_validate_bounds_memory_before_building():
    with pytest.raises(LimitExceededError, match="--max-memory"):
        validate("cm", {"table_bits": 24}, max_memory=10 << 20)
    assert validate("cm", {"table_bits": 24}, max_memory=None) > 64 << 20
    # sized to the input, as compress() sizes it: a small input needs a small table
    assert validate("cm", {}, input_length=100) < validate("cm", {}, input_length=10**7)
    with pytest.raises(ValueError, match="table_bits"):
        validate("cm", {"table_bits": 10**9})  # refused without computing 2**(10**9)


def test_a_model_without_its_declaration_cannot_be_registered():
    with pytest.raises(TypeError):
        ModelSpec("no memory declared", Uniform)  # type: ignore[call-arg]
