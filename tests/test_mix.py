"""Mixing: the geometric rule, that it is cm's integer mixer for two symbols, and the byte mix."""

from __future__ import annotations

import math
from array import array

import numpy as np
import pytest
from predcomp.coding.container import unpack
from predcomp.coding.model_coding import ideal_code_length
from predcomp.compress import compress, decompress
from predcomp.models.base import BitModel
from predcomp.models.cm import mixer as cm_mixer
from predcomp.models.cm.logistic import ONE
from predcomp.models.counts import Adaptive, ContextModel, Uniform
from predcomp.models.mix import GeometricMixer, Mixer
from predcomp.models.registry import make_model


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


def test_two_symbols_is_the_integer_mixer_of_cm():
    # "One rule": for two symbols GeometricMixer predicts and learns as cm's integer mixer,
    # whose weights are in units of 2**-16, inputs 2**-8 and probabilities 2**-12; its
    # integer rate r is the float rate r / 1024
    rng = np.random.default_rng(4)
    for _ in range(50):
        x = [int(v) for v in rng.integers(-1500, 1501, size=3)]  # stretched P(1) of 3 models
        w = [int(v) for v in rng.integers(-(1 << 16), 1 << 17, size=3)]
        bit, lr = int(rng.integers(0, 2)), int(rng.integers(1, 33))
        exact = cm_mixer.Mixer(3, 1, lr, 0)
        exact.w[:] = array("q", w)
        p_int = exact.predict(x, 0)
        p1 = np.array([1 / (1 + math.exp(-xi / 256)) for xi in x])  # stretch(p1) = x / 256
        geo = GeometricMixer(3, lr=lr / 1024)
        geo.weights[0] = np.array(w) / 65536
        q = geo.mix(np.stack([1 - p1, p1], axis=1))[1]
        assert abs(p_int / ONE - q) < 16 / ONE  # squash is interpolated between 33 knots
        exact.update(bit)
        geo.learn(bit)
        step_int = (np.array(exact.w) - w) / 65536
        step = geo.weights[0] - np.array(w) / 65536
        # the same step, up to the rounding of each weight and of the prediction
        assert np.all(np.abs(step_int - step) <= 1 / 65536 + lr / 1024 * np.abs(x) / 256 * 16 / ONE)
        assert np.all(np.sign(step_int) * np.sign(step) >= 0)


def test_one_model_at_weight_one_is_that_model():
    model, ref = Mixer([Adaptive()], lr=0), Adaptive()
    for s in b"abracadabra":
        np.testing.assert_allclose(model.predict(), ref.predict(), atol=0.002)
        model.update(s)
        ref.update(s)


def test_round_trips_coded_bit_by_bit():
    model = make_model("mix")
    assert isinstance(model, BitModel) and isinstance(model, Mixer)
    text = b"It is a truth universally acknowledged, that a single man " * 8
    for data in (b"", b"x", b"\x00\xff", text):
        assert decompress(compress(data, "mix")) == data
    params = {"models": [["order0", {}], ["context", {"order": 2}]], "by_previous": False}
    assert decompress(compress(text, "mix", lr=30, **params)) == text
    # the payload is the code length of the model's integer bit probabilities (a few bytes over)
    bits = ideal_code_length(text, make_model("mix"))  # a BitModel's: from p_bit()
    payload = unpack(compress(text, "mix"))[1]
    assert bits <= len(payload) * 8 <= bits + 32


def test_predict_is_the_bit_tree_and_learns_nothing():
    model = Mixer([ContextModel(1), ContextModel(3)], lr=16, by_previous=True)
    for s in b"she sells sea shells":
        p = model.predict()
        assert p.shape == (256,) and p.sum() == pytest.approx(1.0) and p.min() > 0
        assert p[128:].sum() == pytest.approx(model.p_bit() / ONE, rel=1e-12)
        np.testing.assert_array_equal(model.predict(), p)  # asking again changes nothing
        model.update(s)
    # predict() between bytes does not change what is coded
    text = b"peter piper picked a peck of pickled peppers"
    asked, plain = (Mixer([ContextModel(1), ContextModel(3)], lr=16) for _ in range(2))
    bits = 0.0
    for s in text:
        asked.predict()
        for j in range(7, -1, -1):
            bit = (s >> j) & 1
            p1 = asked.p_bit() / ONE
            bits -= math.log2(p1 if bit else 1 - p1)
            asked.update_bit(bit)
    assert bits == pytest.approx(ideal_code_length(text, plain), rel=1e-12)


def test_the_mixer_learns_to_trust_the_better_model():
    text = b"abcdefgh" * 300
    model = Mixer([Uniform(), ContextModel(1)], lr=16)
    bits = ideal_code_length(text, model)
    root = list(model.mixer.w[2:4])  # the weight set of the first bit, c0 = 1
    start = (1 << 16) // 2
    assert root[1] > start > root[0]
    # uniform alone: 8 bits a byte; the mixture even beats the order-1 model alone, whose weight
    # grows past 1 and so sharpens its too-cautious counts
    assert bits < ideal_code_length(text, ContextModel(1))


def test_weight_sets_selected_by_the_previous_byte():
    # After "a" the order-1 model knows the next byte ("b"); after "c" the next byte is random:
    # the weight sets used after "a" must learn to trust the order-1 model more
    rng = np.random.default_rng(3)
    text = bytearray()
    for _ in range(600):
        text += b"ab" if rng.random() < 0.5 else bytes([99, int(rng.integers(97, 100))])
    model = Mixer([Uniform(), ContextModel(1)], lr=16, by_previous=True)
    ideal_code_length(bytes(text), model)
    w = model.mixer.w
    assert len(w) == 2 * 256 * 256
    after_a, after_c = (2 * ((prev << 8) | 1) for prev in b"ac")  # root nodes after a, c
    assert w[after_a + 1] - w[after_a] > w[after_c + 1] - w[after_c]
    assert model.params() == {"lr": 16, "by_previous": True}
    assert len(Mixer([Uniform()], by_previous=False).mixer.w) == 256


def test_learn_needs_mix():
    with pytest.raises(ValueError):
        GeometricMixer(2).learn(0)


def test_bad_mixers():
    with pytest.raises(ValueError, match=r"1\.\.16"):
        Mixer([])
    with pytest.raises(ValueError, match=r"1\.\.16"):
        Mixer([Uniform()] * 17)
    with pytest.raises(ValueError, match="alphabet_size 256"):
        Mixer([Uniform(4), Uniform(4)])
    for lr in (-1, 0.5, True, 1001):
        with pytest.raises(ValueError, match="lr"):
            Mixer([Uniform()], lr=lr)
    with pytest.raises(ValueError):
        GeometricMixer(0)
    model = Mixer([Uniform()])
    with pytest.raises(ValueError):
        model.update(256)
    with pytest.raises(ValueError):
        model.update_bit(2)
    model.update_bit(1)
    with pytest.raises(ValueError, match="byte boundaries"):
        model.predict()
