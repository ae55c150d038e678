"""Tests of predcomp.info against hand-computed values, identities and random distributions."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from predcomp import info

# ----------------------------------------------------------------------------- strategies


@st.composite
def distributions(draw, min_size: int = 1, max_size: int = 8, zeros: bool = True):
    """Random probability vectors (optionally with exact zeros)."""
    n = draw(st.integers(min_size, max_size))
    w = draw(
        arrays(
            np.float64, n, elements=st.floats(0.0 if zeros else 0.01, 1.0, allow_subnormal=False)
        )
    )
    if w.sum() == 0:
        w[0] = 1.0
    return w / w.sum()


@st.composite
def joints(draw, max_side: int = 5):
    r = draw(st.integers(1, max_side))
    c = draw(st.integers(1, max_side))
    # exact zeros, or weights large enough that products of marginals do not underflow
    weights = st.one_of(st.just(0.0), st.floats(1e-6, 1.0))
    w = draw(arrays(np.float64, (r, c), elements=weights))
    if w.sum() == 0:
        w[0, 0] = 1.0
    return w / w.sum()


def naive_entropy(p, base=2.0):
    return -sum(x * math.log(x, base) for x in p if x > 0)


# ----------------------------------------------------------------------------- hand values


def test_entropy_hand_values():
    assert info.entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert info.entropy([0.5, 0.25, 0.25]) == pytest.approx(1.5)
    assert info.entropy([1.0]) == 0.0
    assert info.entropy([0.25] * 4) == pytest.approx(2.0)
    assert info.entropy([0.25] * 4, base=math.e) == pytest.approx(math.log(4))
    assert info.entropy([0.1] * 10, base=10) == pytest.approx(1.0)


def test_zero_probabilities_contribute_nothing():
    assert info.entropy([1.0, 0.0, 0.0]) == 0.0
    assert info.entropy([0.5, 0.0, 0.5]) == pytest.approx(1.0)
    assert not math.isnan(info.entropy([0.0, 1.0]))


def test_bits_and_nats_differ_by_ln2():
    p = [0.7, 0.2, 0.1]
    assert info.entropy(p, base=math.e) == pytest.approx(info.entropy(p) * math.log(2))


def test_self_information():
    assert info.self_information(0.5) == pytest.approx(1.0)
    assert info.self_information(1 / 8) == pytest.approx(3.0)
    assert info.self_information(1.0) == 0.0
    assert info.self_information(0.0) == math.inf
    assert info.self_information(math.exp(-2), base=math.e) == pytest.approx(2.0)
    np.testing.assert_allclose(info.self_information([0.5, 0.25]), [1.0, 2.0])
    with pytest.raises(ValueError):
        info.self_information(1.5)
    with pytest.raises(ValueError):
        info.self_information(-0.1)


def test_entropy_is_expected_self_information():
    p = np.array([0.6, 0.3, 0.1])
    assert info.entropy(p) == pytest.approx(float(p @ info.self_information(p)))


def test_binary_entropy():
    assert info.binary_entropy(0.5) == pytest.approx(1.0)
    assert info.binary_entropy(0.0) == 0.0
    assert info.binary_entropy(1.0) == 0.0
    # h(0.11) is a classic value, about 0.5 bit
    h = -0.11 * math.log2(0.11) - 0.89 * math.log2(0.89)
    assert info.binary_entropy(0.11) == pytest.approx(h)
    xs = np.linspace(0, 1, 11)
    np.testing.assert_allclose(info.binary_entropy(xs), info.binary_entropy(1 - xs))
    with pytest.raises(ValueError):
        info.binary_entropy(1.2)


def test_cross_entropy_and_kl_hand_values():
    p = [0.5, 0.5]
    q = [0.25, 0.75]
    ce = -(0.5 * math.log2(0.25) + 0.5 * math.log2(0.75))
    assert info.cross_entropy(p, q) == pytest.approx(ce)
    assert info.kl_divergence(p, q) == pytest.approx(ce - 1.0)
    assert info.kl_divergence(p, p) == 0.0
    # KL is not symmetric
    assert info.kl_divergence(q, p) != pytest.approx(info.kl_divergence(p, q))


def test_kl_infinite_when_support_not_covered():
    assert info.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert info.cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    # the other direction is finite: q puts no mass where p has none
    assert info.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)


def test_joint_conditional_mutual_hand_values():
    # X uniform bit, Y = X: H(X,Y) = 1, H(Y|X) = 0, I = 1
    copy = np.array([[0.5, 0.0], [0.0, 0.5]])
    assert info.joint_entropy(copy) == pytest.approx(1.0)
    assert info.conditional_entropy(copy) == 0.0
    assert info.mutual_information(copy) == pytest.approx(1.0)
    # independent fair bits: H = 2, H(Y|X) = 1, I = 0
    ind = np.full((2, 2), 0.25)
    assert info.joint_entropy(ind) == pytest.approx(2.0)
    assert info.conditional_entropy(ind) == pytest.approx(1.0)
    assert info.mutual_information(ind) == pytest.approx(0.0, abs=1e-12)
    # rows index X: X certain, Y fair given X -> H(Y|X) = 1
    rows = np.array([[0.5, 0.5], [0.0, 0.0]])
    assert info.conditional_entropy(rows) == pytest.approx(1.0)
    # the transpose: Y determined by X (X fair) -> H(Y|X) = 0
    assert info.conditional_entropy(rows.T) == pytest.approx(0.0)


def test_mutual_information_with_tiny_probabilities():
    # p(x) p(y) underflows to 0 for the tiny cells; I must stay finite and tiny.
    t = 6e-292
    pxy = np.array([[1.0, t], [t, t]])
    assert 0.0 <= info.mutual_information(pxy) < 1e-280


def test_binary_symmetric_channel_capacity():
    # X fair, Y = X flipped with prob f: I(X;Y) = 1 - h(f)
    f = 0.1
    pxy = 0.5 * np.array([[1 - f, f], [f, 1 - f]])
    assert info.mutual_information(pxy) == pytest.approx(1 - info.binary_entropy(f))


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "bad",
    [[0.5, 0.6], [1.2, -0.2], [0.5, float("nan")], [], [[0.5, 0.5]], [0.3, 0.3], [np.inf, 0]],
)
def test_invalid_distributions_raise(bad):
    with pytest.raises(ValueError):
        info.entropy(bad)


def test_error_messages_say_why():
    with pytest.raises(ValueError, match="sum to 1"):
        info.entropy([0.2, 0.2])
    with pytest.raises(ValueError, match="negative"):
        info.entropy([1.5, -0.5])
    with pytest.raises(ValueError, match="NaN"):
        info.entropy([float("nan"), 1.0])
    with pytest.raises(ValueError, match="shape"):
        info.kl_divergence([0.5, 0.5], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="2-D"):
        info.mutual_information([0.5, 0.5])
    with pytest.raises(ValueError, match="base"):
        info.entropy([1.0], base=1)


def test_tolerance_on_normalization():
    assert info.entropy([0.5 + 1e-12, 0.5]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        info.entropy([0.5 + 1e-6, 0.5])


# ----------------------------------------------------------------------------- identities


@given(distributions())
def test_entropy_matches_naive_and_bounds(p):
    h = info.entropy(p)
    assert h == pytest.approx(naive_entropy(p), abs=1e-9)
    assert -1e-12 <= h <= math.log2(len(p)) + 1e-9


@given(distributions(min_size=2, zeros=False), distributions(min_size=2, zeros=False))
def test_gibbs_and_cross_entropy_decomposition(p, q):
    if len(p) != len(q):
        q = np.resize(q, len(p))
        q = q / q.sum()
    kl = info.kl_divergence(p, q)
    assert kl >= 0
    assert info.cross_entropy(p, q) == pytest.approx(info.entropy(p) + kl, abs=1e-9)
    assert info.cross_entropy(p, q) >= info.entropy(p) - 1e-9


@given(distributions())
def test_kl_zero_iff_equal(p):
    assert info.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    # perturbing mass between two outcomes that p supports makes KL strictly positive
    idx = np.flatnonzero(p > 0.05)
    if len(idx) >= 2:
        q = p.copy()
        q[idx[0]] -= 0.02
        q[idx[1]] += 0.02
        assert info.kl_divergence(p, q) > 0


@settings(max_examples=200)
@given(joints())
def test_chain_rule_and_mutual_information(pxy):
    px = pxy.sum(axis=1)
    py = pxy.sum(axis=0)
    hxy = info.joint_entropy(pxy)
    # chain rule H(X, Y) = H(X) + H(Y | X)
    assert hxy == pytest.approx(info.entropy(px) + info.conditional_entropy(pxy), abs=1e-9)
    # and the other way round
    assert hxy == pytest.approx(info.entropy(py) + info.conditional_entropy(pxy.T), abs=1e-9)
    i = info.mutual_information(pxy)
    assert i == pytest.approx(info.entropy(px) + info.entropy(py) - hxy, abs=1e-9)
    assert i >= 0
    # conditioning reduces entropy (on average)
    assert info.conditional_entropy(pxy) <= info.entropy(py) + 1e-9
    # I(X;Y) = KL(p(x,y) || p(x)p(y))
    assert i == pytest.approx(info.kl_divergence(pxy.ravel(), np.outer(px, py).ravel()), abs=1e-9)


@given(distributions(min_size=2), distributions(min_size=2), st.floats(0, 1))
def test_entropy_is_concave(p, q, t):
    n = min(len(p), len(q))
    p = p[:n] / p[:n].sum() if p[:n].sum() > 0 else np.full(n, 1 / n)
    q = q[:n] / q[:n].sum() if q[:n].sum() > 0 else np.full(n, 1 / n)
    mix = t * p + (1 - t) * q
    mix = mix / mix.sum()
    assert info.entropy(mix) >= t * info.entropy(p) + (1 - t) * info.entropy(q) - 1e-9


# ----------------------------------------------------------------------------- Markov chains


def test_stationary_distribution_two_state():
    a, b = 0.1, 0.3
    P = [[1 - a, a], [b, 1 - b]]
    np.testing.assert_allclose(info.stationary_distribution(P), [b / (a + b), a / (a + b)])
    rate = (b * info.binary_entropy(a) + a * info.binary_entropy(b)) / (a + b)
    assert info.markov_entropy_rate(P) == pytest.approx(rate)


def test_markov_iid_rows_give_iid_entropy():
    p = [0.2, 0.3, 0.5]
    P = np.tile(p, (3, 1))
    np.testing.assert_allclose(info.stationary_distribution(P), p)
    assert info.markov_entropy_rate(P) == pytest.approx(info.entropy(p))


def test_deterministic_cycle_has_zero_rate():
    P = np.roll(np.eye(3), 1, axis=1)
    np.testing.assert_allclose(info.stationary_distribution(P), [1 / 3] * 3)
    assert info.markov_entropy_rate(P) == 0.0


def test_bad_transition_matrices():
    with pytest.raises(ValueError):
        info.stationary_distribution([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError):
        info.stationary_distribution([[1.0, 0.0]])
    with pytest.raises(ValueError, match="no unique stationary"):
        info.stationary_distribution(np.eye(2))


# ----------------------------------------------------------------------------- estimators


def test_entropy_from_counts():
    assert info.entropy_from_counts([5, 5]) == pytest.approx(1.0)
    assert info.entropy_from_counts([3, 0, 1]) == pytest.approx(naive_entropy([0.75, 0.25]))
    assert info.entropy_from_counts(np.array([7])) == 0.0
    # Miller-Madow adds (K - 1) / (2 N) nats
    mm = info.entropy_from_counts([3, 1], base=math.e, miller_madow=True)
    assert mm == pytest.approx(naive_entropy([0.75, 0.25], math.e) + 1 / 8)
    with pytest.raises(ValueError):
        info.entropy_from_counts([0, 0])
    with pytest.raises(ValueError):
        info.entropy_from_counts([1, -1])


def naive_block_entropy(seq, n):
    grams = Counter(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))
    total = sum(grams.values())
    return naive_entropy([c / total for c in grams.values()])


def naive_conditional(seq, k):
    joint = Counter(tuple(seq[i : i + k + 1]) for i in range(len(seq) - k))
    ctx = Counter()
    for g, c in joint.items():
        ctx[g[:-1]] += c
    total = sum(joint.values())
    return -sum(c / total * math.log2(c / ctx[g[:-1]]) for g, c in joint.items())


def test_block_entropy_small_examples():
    assert info.block_entropy("abab", 1) == pytest.approx(1.0)
    assert info.block_entropy("abab", 2) == pytest.approx(naive_entropy([2 / 3, 1 / 3]))
    assert info.block_entropy("aaaa", 3) == 0.0
    assert info.block_entropy("abc", 0) == 0.0
    assert info.block_entropy(b"\x00\x01", 1) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        info.block_entropy("ab", 3)
    with pytest.raises(ValueError):
        info.block_entropy("ab", -1)


@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=60),
    st.integers(0, 4),
)
def test_estimators_match_naive_counting(seq, k):
    if len(seq) >= k + 1:
        assert info.block_entropy(seq, k + 1) == pytest.approx(
            naive_block_entropy(seq, k + 1), abs=1e-9
        )
        assert info.conditional_entropy_estimate(seq, k) == pytest.approx(
            naive_conditional(seq, k), abs=1e-9
        )
        # same answer whatever the symbol type
        text = "".join("acgt"[x] for x in seq)
        assert info.conditional_entropy_estimate(text, k) == pytest.approx(
            info.conditional_entropy_estimate(np.array(seq), k), abs=1e-12
        )


def test_long_ngrams_do_not_overflow():
    rng = np.random.default_rng(0)
    seq = rng.integers(0, 200, size=500)
    # 200**12 overflows int64: the implementation must renumber, not wrap around
    assert info.block_entropy(seq, 12) == pytest.approx(math.log2(489))
    assert info.block_entropy(seq, 12) == pytest.approx(naive_block_entropy(seq.tolist(), 12))
    small = rng.integers(0, 3, size=300)
    for k in (7, 9, 11):  # 200**(k+1) overflows; contexts must still be grouped correctly
        mixed = np.concatenate([seq[:200], small])
        assert info.conditional_entropy_estimate(mixed, k) == pytest.approx(
            naive_conditional(mixed.tolist(), k), abs=1e-9
        )


def test_conditional_estimate_falls_with_order_on_the_same_positions():
    # Order k + 1 on seq scores positions k + 1 .. n - 1, exactly the positions that order k
    # scores on seq[1:]; on the same positions a longer context (a finer partition of them)
    # cannot raise the in-sample log loss.
    rng = np.random.default_rng(1)
    for _ in range(200):
        seq = rng.integers(0, int(rng.integers(2, 5)), size=int(rng.integers(3, 60)))
        for k in range(min(6, len(seq) - 2)):
            longer = info.conditional_entropy_estimate(seq, k + 1)
            assert longer <= info.conditional_entropy_estimate(seq[1:], k) + 1e-12
    # Across orders on the whole sequence it may rise by the one position dropped: "aab" has
    # H = h(1/3) at order 0 but a -> {a, b}, one bit, at order 1.
    assert info.conditional_entropy_estimate("aab", 0) == pytest.approx(
        naive_entropy([2 / 3, 1 / 3])
    )
    assert info.conditional_entropy_estimate("aab", 1) == pytest.approx(1.0)
    seq = rng.integers(0, 3, size=400)
    h = [info.conditional_entropy_estimate(seq, k) for k in range(8)]
    # a fair 3-sided die has H = log2 3; the plug-in estimate at order 0 is close but below
    assert h[0] <= math.log2(3)
    assert h[0] == pytest.approx(math.log2(3), abs=0.02)
    # with long contexts every context is unique: the estimate collapses to 0
    assert h[-1] < 0.3


def test_miller_madow_reduces_bias_on_average():
    rng = np.random.default_rng(2)
    p = np.array([0.4, 0.3, 0.2, 0.1])
    true = info.entropy(p)
    plug, mm = [], []
    for _ in range(200):
        counts = np.bincount(rng.choice(4, size=20, p=p), minlength=4)
        plug.append(info.entropy_from_counts(counts))
        mm.append(info.entropy_from_counts(counts, miller_madow=True))
    assert np.mean(plug) < true  # the plug-in estimator is biased downwards
    assert abs(np.mean(mm) - true) < abs(np.mean(plug) - true)


def test_conditional_miller_madow_term():
    seq = "abab"  # contexts a -> {b}, b -> {a}: K_c - 1 = 0 for both, no correction
    assert info.conditional_entropy_estimate(seq, 1, miller_madow=True) == pytest.approx(0.0)
    seq = "aab"  # order 0: K = 2 symbols, N = 3 -> + 1/6 nats
    want = naive_entropy([2 / 3, 1 / 3]) + (1 / 6) / math.log(2)
    assert info.conditional_entropy_estimate(seq, 0, miller_madow=True) == pytest.approx(want)


@given(distributions(min_size=2, zeros=False))
def test_grouping_identity(p):
    # H(p1, ..., pn) = h(p1) + (1 - p1) H(p2/(1-p1), ..., pn/(1-p1))  (Chapter 1, exercise)
    rest = p[1:] / p[1:].sum()
    want = info.binary_entropy(p[0]) + (1 - p[0]) * info.entropy(rest)
    assert info.entropy(p) == pytest.approx(want, abs=1e-9)


def test_die_and_parity_chain_rule():
    # X a fair die, Y its parity: H(X|Y) = log2 3 and log2 6 = 1 + log2 3 (Chapter 1)
    pxy = np.zeros((6, 2))
    for face in range(1, 7):
        pxy[face - 1, face % 2] = 1 / 6
    assert info.conditional_entropy(pxy) == 0.0
    assert info.conditional_entropy(pxy.T) == pytest.approx(math.log2(3))
    assert info.joint_entropy(pxy) == pytest.approx(1 + math.log2(3))
    assert info.mutual_information(pxy) == pytest.approx(1.0)


def test_stationary_distribution_with_a_transient_state():
    # state 0 is left forever; the unique stationary distribution lives on {1, 2}
    P = [[0.0, 0.5, 0.5], [0.0, 0.2, 0.8], [0.0, 0.6, 0.4]]
    pi = info.stationary_distribution(P)
    np.testing.assert_allclose(pi, [0.0, 0.6 / 1.4, 0.8 / 1.4], atol=1e-12)
    np.testing.assert_allclose(pi @ np.array(P), pi, atol=1e-12)


def test_markov_entropy_rate_of_an_order_2_table():
    # next symbol = XOR of the previous two, flipped with probability eps: rate h(eps)
    eps = 0.2
    P = np.zeros((4, 2))
    for c in range(4):
        P[c, (c // 2) ^ (c % 2)] = 1 - eps
        P[c, 1 - ((c // 2) ^ (c % 2))] = eps
    assert info.markov_entropy_rate(P, order=2) == pytest.approx(info.binary_entropy(eps))
    T = info.context_transition_matrix(P, order=2)
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="shape"):
        info.markov_entropy_rate(P, order=1)
    with pytest.raises(ValueError, match="order"):
        info.markov_entropy_rate(P, order=0)


def test_as_distribution_is_the_public_validator():
    np.testing.assert_array_equal(info.as_distribution([0.25, 0.75]), [0.25, 0.75])
    for bad in ([0.5, 0.6], [-0.1, 1.1], [np.nan, 1.0], [[0.5, 0.5]]):
        with pytest.raises(ValueError):
            info.as_distribution(bad)


# ------------------------------------------------------------------ Fano and the guessing game


def test_fano_bound_is_below_the_bayes_error_and_tight_for_its_extremal_channel():
    rng = np.random.default_rng(7)
    for _ in range(300):
        a = int(rng.integers(2, 9))
        pxy = rng.dirichlet(np.full(a * 3, 0.4)).reshape(3, a)  # rows: Y (3 values), cols: X
        bayes_error = 1 - pxy.max(axis=1).sum()  # guess the most probable X for each Y
        h = info.conditional_entropy(pxy)  # H(X | Y)
        assert info.fano_error_bound(h, a) <= bayes_error + 1e-9
        assert h <= info.fano_entropy(bayes_error, a) + 1e-9
    # equality: right with probability 1 - e, otherwise uniform over the other a - 1 symbols
    a, e = 5, 0.3
    row = np.full(a, e / (a - 1))
    row[0] = 1 - e
    assert info.entropy(row) == pytest.approx(info.fano_entropy(e, a))
    assert info.fano_error_bound(info.entropy(row), a) == pytest.approx(e)
    assert info.fano_error_bound(0.0, a) == 0.0
    assert info.fano_error_bound(10.0, a) == pytest.approx(1 - 1 / a)
    with pytest.raises(ValueError):
        info.fano_entropy(1.5, 4)
    with pytest.raises(ValueError):
        info.fano_entropy(0.1, 1)


def test_guessing_bounds_bracket_the_entropy_of_an_iid_source():
    rng = np.random.default_rng(8)
    for _ in range(20):
        a = int(rng.integers(2, 12))
        p = rng.dirichlet(np.full(a, 0.7))
        x = rng.choice(a, size=200_000, p=p)
        rank_of = np.empty(a, dtype=int)
        rank_of[np.argsort(-p, kind="stable")] = np.arange(1, a + 1)
        lower, upper = info.guessing_bounds(rank_of[x], a)
        h = info.entropy(p)
        assert lower - 0.01 <= h <= upper + 0.01
        # any other guessing order keeps the upper bound (the ranks recode x one to one)
        shuffled = rng.permutation(a) + 1
        _, upper_any = info.guessing_bounds(shuffled[x], a)
        assert h <= upper_any + 0.01
    assert info.guessing_bounds(np.array([1, 1, 1]), 4) == (0.0, 0.0)
    with pytest.raises(ValueError):
        info.guessing_bounds(np.array([0, 1]), 4)
