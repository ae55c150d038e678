"""Tests of predcomp.ngram against slow, independent implementations and closed forms."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp import ngram


def _naive_sequential(seq, order, a, alpha):
    """One symbol at a time with dictionaries: the definition, written plainly."""
    joint: dict[tuple, Counter] = defaultdict(Counter)
    out = []
    for t, x in enumerate(seq):
        ctx = tuple(seq[max(0, t - order) : t])
        counts = joint[ctx]
        out.append((counts[x] + alpha) / (sum(counts.values()) + alpha * a))
        counts[x] += 1
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(
    seq=st.lists(st.integers(0, 3), max_size=60),
    order=st.integers(0, 3),
    alpha=st.sampled_from([0.5, 1.0, 0.1]),
)
def test_sequential_matches_naive(seq, order, alpha):
    got = ngram.sequential_probabilities(np.array(seq, dtype=int), order, 4, alpha)
    assert np.allclose(got, _naive_sequential(seq, order, 4, alpha))


def test_kt_closed_form_binary():
    # KT probability of a binary sequence with n0 zeros and n1 ones (order 0):
    # Γ(n0 + 1/2) Γ(n1 + 1/2) / (π Γ(n + 1)), independent of the order of the symbols.
    rng = np.random.default_rng(1)
    seq = (rng.random(500) < 0.2).astype(int)
    n1 = int(seq.sum())
    n0 = seq.size - n1
    log_p = math.lgamma(n0 + 0.5) + math.lgamma(n1 + 0.5) - math.log(math.pi)
    log_p -= math.lgamma(seq.size + 1)
    expected_bits = -log_p / math.log(2)
    assert ngram.sequential_code_length(seq, 0, 2, 0.5) == pytest.approx(expected_bits)
    shuffled = rng.permutation(seq)
    assert ngram.sequential_code_length(shuffled, 0, 2, 0.5) == pytest.approx(expected_bits)


def test_laplace_closed_form():
    # Laplace (alpha = 1) over A symbols: P = Π n_a! (A-1)! / (n + A - 1)!
    seq = np.array([0, 1, 2, 2, 2, 1, 0, 2, 2])
    a = 3
    counts = np.bincount(seq, minlength=a)
    log_p = sum(math.lgamma(c + 1) for c in counts) + math.lgamma(a)
    log_p -= math.lgamma(seq.size + a)
    assert ngram.sequential_code_length(seq, 0, a, 1.0) == pytest.approx(-log_p / math.log(2))


def test_heldout_ml_on_training_data_is_empirical_conditional_entropy():
    rng = np.random.default_rng(2)
    seq = rng.integers(0, 3, 2000)
    order = 2
    pairs = Counter()
    ctxs = Counter()
    for t in range(seq.size):
        c = tuple(seq[max(0, t - order) : t])
        pairs[c, seq[t]] += 1
        ctxs[c] += 1
    h = -sum(n * math.log2(n / ctxs[c]) for (c, _), n in pairs.items()) / seq.size
    assert ngram.heldout_log_loss(seq, seq, order, 3, alpha=0.0) == pytest.approx(h)


def test_heldout_uses_only_training_counts():
    train = np.array([0, 0, 0, 0])  # order 0, alpha = 1: p(0) = 5/6, p(1) = 1/6
    test = np.array([0, 1])
    expected = -(math.log2(5 / 6) + math.log2(1 / 6)) / 2
    assert ngram.heldout_log_loss(train, test, 0, 2, alpha=1.0) == pytest.approx(expected)
    assert ngram.heldout_log_loss(train, test, 0, 2, alpha=0.0) == math.inf


def test_context_ids_agree_with_tuples_including_hashing_path():
    rng = np.random.default_rng(3)
    seq = rng.integers(0, 256, 400)
    for order, a in [(2, 256), (9, 256)]:  # (257)**9 overflows int64 -> unique-rows path
        ids = ngram.context_ids(seq, order, a)
        tuples = [tuple(seq[max(0, t - order) : t]) for t in range(seq.size)]
        for i in range(0, 400, 7):
            for j in range(0, 400, 11):
                assert (ids[i] == ids[j]) == (tuples[i] == tuples[j])


def test_bad_input():
    with pytest.raises(ValueError):
        ngram.sequential_probabilities(np.array([0, 5]), 1, 3)
    with pytest.raises(ValueError):
        ngram.sequential_probabilities(np.array([0, 1]), -1, 3)
    with pytest.raises(ValueError):
        ngram.sequential_probabilities(np.array([0, 1]), 1, 3, alpha=0.0)
    with pytest.raises(ValueError):
        ngram.heldout_log_loss(np.array([0]), np.array([], dtype=int), 1, 2)


def test_kt_and_laplace_regret_bounds():
    # Regret against the best fixed coin in hindsight, for every count pair up to n = 300:
    # KT <= 1/2 log2 n + 1 (Willems et al. 1995); Laplace <= log2(n + 1), attained at n1 = 0.
    for n in [1, 2, 3, 10, 57, 300]:
        for n1 in range(n + 1):
            seq = np.array([1] * n1 + [0] * (n - n1))
            ml = -sum(c * math.log2(c / n) for c in (n1, n - n1) if c)
            kt = ngram.sequential_code_length(seq, 0, 2, alpha=0.5) - ml
            lap = ngram.sequential_code_length(seq, 0, 2, alpha=1.0) - ml
            assert 0 <= kt <= 0.5 * math.log2(n) + 1 + 1e-9, (n, n1, kt)
            assert 0 <= lap <= math.log2(n + 1) + 1e-9, (n, n1, lap)
        zeros = np.zeros(n, dtype=int)
        assert ngram.sequential_code_length(zeros, 0, 2, alpha=1.0) == pytest.approx(
            math.log2(n + 1)
        )
