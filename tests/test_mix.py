"""Geometric (logistic) mixing: the formula, its gradient, and that it learns whom to trust."""

from __future__ import annotations

import math

import numpy as np
import pytest
from predcomp.models.counts import Adaptive, ContextModel, Uniform
from predcomp.models.mix import GeometricMixer, Mixer


def test_mix_is_a_normalized_weighted_geometric_mean():
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(6), size=3)
    mixer = GeometricMixer(3, sets=2)
    mixer.weights[1] = [0.5, 1.5, -0.25]
    got = mixer.mix(P, select=1)
    expected = np.prod(P ** np.array([0.5, 1.5, -0.25])[:, None], axis=0)
    np.testing.assert_allclose(got, expected / expected.sum(), rtol=1e-12)


def test_two_symbols_is_logistic_mixing_in_the_stretch_domain():
    p = np.array([0.9, 0.3, 0.6])  # each model's probability of symbol 1
    w = np.array([0.7, -0.2, 1.1])
    mixer = GeometricMixer(3)
    mixer.weights[0] = w
    got = mixer.mix(np.stack([1 - p, p], axis=1))[1]
    stretch = np.log(p / (1 - p))
    assert got == pytest.approx(1 / (1 + math.exp(-(w @ stretch))), rel=1e-12)


def test_learning_step_is_the_gradient_of_the_log_loss():
    rng = np.random.default_rng(2)
    P = rng.dirichlet(np.ones(5), size=4)
    w0 = rng.normal(size=4)
    symbol, lr, eps = 3, 0.1, 1e-6

    def log_p(w):
        m = GeometricMixer(4)
        m.weights[0] = w
        return math.log(m.mix(P)[symbol])

    numeric = np.array([(log_p(w0 + eps * e) - log_p(w0 - eps * e)) / (2 * eps) for e in np.eye(4)])
    mixer = GeometricMixer(4, lr=lr)
    mixer.weights[0] = w0
    mixer.mix(P)
    mixer.learn(symbol)
    np.testing.assert_allclose((mixer.weights[0] - w0) / lr, numeric, rtol=1e-5, atol=1e-8)


def test_one_model_with_weight_one_is_that_model():
    m = Mixer([Adaptive(4)], lr=0.0)
    ref = Adaptive(4)
    for s in [0, 1, 1, 3, 1]:
        np.testing.assert_allclose(m.predict(), ref.predict(), rtol=1e-12)
        m.update(s)
        ref.update(s)


def test_mixer_learns_to_trust_the_better_model():
    seq = [0, 1, 2, 3] * 300
    mixer = Mixer([Uniform(4), ContextModel(1, alphabet_size=4)], lr=0.05)
    bits = 0.0
    for s in seq:
        bits -= math.log2(mixer.predict()[s])
        mixer.update(s)
    w = mixer.mixer.weights[0]
    assert w[1] > w[0]
    assert bits / len(seq) < 0.2  # uniform alone: 2 bits; the mixture follows the order-1 model


def test_learn_needs_mix():
    with pytest.raises(ValueError):
        GeometricMixer(2).learn(0)


def test_bad_mixers():
    with pytest.raises(ValueError):
        Mixer([])
    with pytest.raises(ValueError):
        Mixer([Uniform(3), Uniform(4)])
    with pytest.raises(ValueError):
        GeometricMixer(0)


def test_weight_sets_selected_by_the_previous_symbol():
    # After 0 the order-1 model is right, after 1 the uniform one is as good as any: the weight
    # set used after 0 must learn to trust the order-1 model more than the set used after 1.
    rng = np.random.default_rng(3)
    seq = []
    for _ in range(400):
        seq += [0, 2] if rng.random() < 0.5 else [1, int(rng.integers(0, 3))]
    mixer = Mixer([Uniform(3), ContextModel(1, alphabet_size=3)], lr=0.05, by_previous=True)
    for s in seq:
        mixer.predict()
        mixer.update(s)
    w = mixer.mixer.weights
    assert w.shape == (3, 2)
    assert w[0, 1] - w[0, 0] > w[1, 1] - w[1, 0]
    assert mixer.params()["by_previous"] is True
