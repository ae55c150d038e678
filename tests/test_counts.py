"""Counting models: closed-form sequence probabilities and naive recounts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.models.base import Model
from predcomp.models.counts import Adaptive, ContextModel, Uniform


def sequence_bits(model, symbols) -> float:
    bits = 0.0
    for s in symbols:
        p = model.predict()
        assert p.shape == (model.alphabet_size,)
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-12)
        bits -= math.log2(p[s])
        model.update(s)
    return bits


def additive_bits(counts: list[int], alpha: float) -> float:
    """-log2 of the sequence probability of an additive estimator (order independent)."""
    a, n = len(counts), sum(counts)
    log_p = (
        sum(math.lgamma(c + alpha) - math.lgamma(alpha) for c in counts)
        - math.lgamma(n + a * alpha)
        + math.lgamma(a * alpha)
    )
    return -log_p / math.log(2)


def test_models_follow_the_protocol():
    for m in (Uniform(), Adaptive(), ContextModel(2)):
        assert isinstance(m, Model)


def test_uniform_costs_log2_alphabet_per_symbol():
    assert sequence_bits(Uniform(5), [0, 4, 4, 1]) == pytest.approx(4 * math.log2(5))


@given(st.lists(st.integers(0, 3), max_size=40), st.sampled_from(["laplace", "kt"]))
@settings(max_examples=40, deadline=None)
def test_adaptive_matches_the_closed_form(symbols, prior):
    alpha = {"laplace": 1.0, "kt": 0.5}[prior]
    counts = [symbols.count(s) for s in range(4)]
    got = sequence_bits(Adaptive(4, prior=prior), symbols)
    assert got == pytest.approx(additive_bits(counts, alpha), abs=1e-9)


def test_kt_binary_value_by_hand():
    # KT on "0 0 1": 1/2 * 3/4 * 1/6 = 1/16
    assert sequence_bits(Adaptive(2, prior="kt"), [0, 0, 1]) == pytest.approx(4.0)
    # Laplace on "0 0 1": 1/2 * 2/3 * 1/4 = 1/12
    assert sequence_bits(Adaptive(2, prior="laplace"), [0, 0, 1]) == pytest.approx(math.log2(12))


@given(st.lists(st.integers(0, 2), max_size=60), st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_context_model_is_one_estimator_per_context(symbols, order):
    # Independent computation: group the symbols by their context, apply the closed form.
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(symbols):
        groups.setdefault(tuple(symbols[max(0, i - order) : i]), []).append(s)
    expected = sum(additive_bits([g.count(s) for s in range(3)], 0.5) for g in groups.values())
    got = sequence_bits(ContextModel(order, alphabet_size=3, prior="kt"), symbols)
    assert got == pytest.approx(expected, abs=1e-9)


def test_context_model_learns_a_deterministic_pattern():
    seq = [0, 1, 2] * 200
    bits = sequence_bits(ContextModel(1, alphabet_size=3), seq)
    assert bits < 0.1 * len(seq)  # order 1 sees the cycle; order 0 would need log2(3) each
    assert sequence_bits(Adaptive(3), seq) > 0.9 * len(seq) * math.log2(3)


def test_params_rebuild_an_identical_model():
    for m in (Uniform(7), Adaptive(7, "laplace"), ContextModel(2, 7, "kt")):
        clone = type(m)(**m.params())
        for s in [1, 2, 3, 1, 2]:
            np.testing.assert_array_equal(m.predict(), clone.predict())
            m.update(s)
            clone.update(s)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Uniform(0),
        lambda: Adaptive(4, prior="dirichlet"),
        lambda: ContextModel(-1),
        lambda: ContextModel(1.5),
        lambda: Adaptive(True),
    ],
)
def test_bad_parameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_symbols_outside_the_alphabet_raise():
    for m in (Uniform(4), Adaptive(4), ContextModel(1, 4)):
        with pytest.raises(ValueError):
            m.update(4)
