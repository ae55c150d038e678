"""The model registry: names, descriptions, and rebuilding a model from its parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from predcomp.models.base import Model
from predcomp.models.registry import DEFAULT_MODEL, MODELS, make_model, name_of


def test_every_model_is_listed_with_a_description():
    assert {"uniform", "order0", "context", "ppm", "mix"} <= set(MODELS)
    assert DEFAULT_MODEL in MODELS
    for description in MODELS.values():
        assert description and "\n" not in description


@pytest.mark.parametrize("name", list(MODELS))
def test_params_rebuild_an_identical_model(name):
    model = make_model(name)
    assert isinstance(model, Model) and model.alphabet_size == 256
    assert name_of(model) == name
    params = json.loads(json.dumps(model.params()))  # what a container stores
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
