"""The logistic mixer: learns to trust the informative input, per weight set."""

from __future__ import annotations

import numpy as np
from predcomp.models.cm.mixer import Mixer


def test_the_mixer_learns_which_input_to_trust():
    rng = np.random.default_rng(1)
    m = Mixer(n=3, sets=2, lr=4, init=1 << 14)
    for _ in range(4000):
        bit = int(rng.random() < 0.5)
        good = 600 if bit else -600  # an informative input
        noise = int(rng.integers(-600, 601))  # and one that says nothing
        m.predict([good, noise, 256], 0)
        m.update(bit)
    w = m.w
    assert w[0] > 4 * abs(w[1])
    assert list(w[3:6]) == [1 << 14] * 3  # the other weight set was never used
    assert m.predict([600, 0, 256], 0) > 3900


def test_prediction_is_squashed_dot_product():
    m = Mixer(n=2, sets=1, lr=0, init=1 << 16)  # weights 1.0
    assert m.predict([0, 0], 0) == 2047 or m.predict([0, 0], 0) == 2048
    assert m.predict([2047, 2047], 0) == m.predict([3000, 3000], 0)  # clamped
    m.update(1)
    assert list(m.w) == [1 << 16] * 2  # lr = 0 learns nothing


def test_a_boost_raises_the_rate_by_sixteenths():
    plain, boosted, double = (Mixer(n=1, sets=1, lr=lr, init=0) for lr in (2, 2, 4))
    for m, boost in ((plain, 0), (boosted, 32), (double, 0)):
        m.predict([500], 0)
        m.update(1, boost)
    assert boosted.w[0] == double.w[0] > plain.w[0] > 0
