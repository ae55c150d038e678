"""PPM against a slow, direct implementation of its definition."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.models.base import Model
from predcomp.models.ppm import PPM


class ReferencePPM:
    """PPM method D with exclusion and update exclusion, one symbol at a time, no shortcuts."""

    def __init__(self, order: int, alphabet_size: int) -> None:
        self.order, self.a = order, alphabet_size
        self.stats: dict[tuple, Counter] = {}
        self.history: list[int] = []

    def contexts(self):
        """The existing contexts, longest first."""
        n = min(self.order, len(self.history))
        for k in range(n, -1, -1):
            ctx = tuple(self.history[len(self.history) - k :])
            if ctx in self.stats:
                yield ctx

    def prob(self, x: int) -> float:
        p_escape, excluded = 1.0, set()
        for ctx in self.contexts():
            counts = {s: c for s, c in self.stats[ctx].items() if s not in excluded}
            if not counts:
                continue
            total = sum(counts.values())
            if x in counts:
                return p_escape * (counts[x] - 0.5) / total
            p_escape *= len(counts) / (2 * total)
            excluded |= set(counts)
        return p_escape / (self.a - len(excluded))

    def distribution(self) -> np.ndarray:
        p = np.array([self.prob(x) for x in range(self.a)])
        # Sums to 1 unless every symbol has been seen: then the last escape has nowhere to
        # go, and the model renormalizes.
        return p / p.sum()

    def update(self, x: int) -> None:
        n = min(self.order, len(self.history))
        for k in range(n, -1, -1):
            ctx = tuple(self.history[len(self.history) - k :])
            seen = x in self.stats.get(ctx, ())
            self.stats.setdefault(ctx, Counter())[x] += 1
            if seen:
                break  # update exclusion
        self.history.append(x)


@given(st.lists(st.integers(0, 4), max_size=80), st.integers(0, 4))
@settings(max_examples=60, deadline=None)
def test_ppm_matches_the_reference(symbols, order):
    model, ref = PPM(order, alphabet_size=5, see=False, inherit=False), ReferencePPM(order, 5)
    for s in symbols:
        np.testing.assert_allclose(model.predict(), ref.distribution(), rtol=1e-12, atol=1e-15)
        model.update(s)
        ref.update(s)


def test_ppm_by_hand():
    # After "ab" at order 1, context "b" is new, so order 0 {a: 1, b: 1} predicts:
    # p(a) = p(b) = (1 - 1/2) / 2 = 1/4, escape = 2 / (2 * 2) = 1/2 shared by 254 others.
    m = PPM(1, see=False, inherit=False)
    for s in b"ab":
        m.update(s)
    p = m.predict()
    assert p[ord("a")] == pytest.approx(0.25) and p[ord("b")] == pytest.approx(0.25)
    assert p[ord("c")] == pytest.approx(0.5 / 254)
    # Then "a" (found at order 0, so order 1 context "b" gets {a: 1}): after "aba" we are in
    # context "a" = {b: 1}: p(b) = 1/2; escape 1/2 to order 0 {a: 2, b: 1} with b excluded:
    # p(a) = 1/2 * (2 - 1/2) / 2 = 3/8, and 1/2 * 1/4 = 1/8 for the 254 unseen symbols.
    m.update(ord("a"))
    p = m.predict()
    assert p[ord("b")] == pytest.approx(0.5)
    assert p[ord("a")] == pytest.approx(3 / 8)
    assert p[ord("z")] == pytest.approx(1 / 8 / 254)


@given(st.binary(max_size=200), st.integers(0, 6))
@settings(max_examples=30, deadline=None)
def test_distribution_is_valid_on_any_bytes(data, order):
    m = PPM(order)
    assert isinstance(m, Model)
    for s in data:
        p = m.predict()
        assert p.shape == (256,) and (p > 0).all()
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-9)
        m.update(s)


def test_every_symbol_seen_still_sums_to_one():
    m = PPM(2, alphabet_size=3)
    for s in [0, 1, 2, 0, 1, 2, 2]:
        m.update(s)
    p = m.predict()
    assert math.isclose(p.sum(), 1.0) and (p > 0).all()


def test_contexts_stay_nested():
    # Update exclusion must keep every symbol of a context in all its shorter contexts: the
    # dense order-0 shortcut in PPM.predict relies on it.
    rng = np.random.default_rng(0)
    m = PPM(4, alphabet_size=8)
    for s in rng.integers(0, 8, 2000):
        m.update(int(s))
    for k in range(2, 5):
        for ctx, counts in m.contexts[k].items():
            assert set(counts) <= set(m.contexts[k - 1][ctx[1:]])
    for counts in m.contexts[1].values():
        assert all(m.counts0[s] > 0 for s in counts)


def test_higher_order_compresses_english_better():
    text = b"the cat sat on the mat and the cat ate the rat. " * 20
    bits = {}
    for order in (0, 2, 4):
        m, total = PPM(order), 0.0
        for s in text:
            total -= math.log2(m.predict()[s])
            m.update(s)
        bits[order] = total / len(text)
    assert bits[4] < bits[2] < bits[0]
    assert bits[4] < 1.0


def test_inheritance_sets_the_first_count_from_the_prediction():
    m = PPM(2, see=False)
    for s in b"abcabcabx":
        m.predict()
        m.update(s)
    assert b"bx" not in m.contexts[2]
    q = m.predict()[ord("a")]  # the model's probability of "a" after "...bx"
    m.update(ord("a"))  # the order-2 context "bx" is new: it inherits a first count for "a"
    assert m.contexts[2][b"bx"] == {ord("a"): min(8.0, max(1.0, 0.5 / (1 - q)))}
    assert PPM(2, inherit=False).params()["inherit"] is False


def test_see_groups_learn_escape_ratios():
    m = PPM(3)
    for s in b"abcd" * 50 + b"abce" * 50:
        m.predict()
        m.update(s)
    assert m.see_groups
    for escapes, predicted in m.see_groups.values():
        assert escapes >= 0 and predicted > 0


@pytest.mark.parametrize("kwargs", [{"order": -1}, {"order": 17}, {"alphabet_size": 300}])
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        PPM(**kwargs)


def test_bad_symbol():
    with pytest.raises(ValueError):
        PPM(2, alphabet_size=4).update(4)
