"""Tests of predcomp.models.smoothing against plain dictionary implementations, closed forms
and the normalization of every predicted distribution."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.models import smoothing
from predcomp.models.counts import heldout_log_loss


def _context(seq, t, k):
    return tuple(seq[max(0, t - k) : t])


def naive_smoothed(train, test, order, a, method, discount=0.75):
    """Interpolated Witten–Bell / Kneser–Ney written with dictionaries, one position at a time."""
    train, test = list(train), list(test)
    raw = [defaultdict(Counter) for _ in range(order + 1)]
    for t, x in enumerate(train):
        for k in range(order + 1):
            raw[k][_context(train, t, k)][x] += 1
    cont = [defaultdict(Counter) for _ in range(order + 1)]
    for k in range(order):  # distinct longer contexts in which x followed the shorter one
        seen = set()
        for t, x in enumerate(train):
            long, short = _context(train, t, k + 1), _context(train, t, k)
            if (long, x) not in seen:
                seen.add((long, x))
                cont[k][short][x] += 1
    out = []
    for t, x in enumerate(test):
        p = 1.0 / a
        for k in range(order + 1):
            use_cont = method == "kneser-ney" and k < order
            table = (cont if use_cont else raw)[k].get(_context(test, t, k))
            if not table:
                continue
            n, d, c = sum(table.values()), len(table), table[x]
            if method == "witten-bell":
                p = (c + d * p) / (n + d)
            else:
                p = (max(c - discount, 0) + discount * d * p) / n
        out.append(p)
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(
    train=st.lists(st.integers(0, 3), min_size=1, max_size=60),
    test=st.lists(st.integers(0, 3), min_size=1, max_size=30),
    order=st.integers(0, 3),
    method=st.sampled_from(smoothing.SMOOTHING_METHODS),
)
def test_vectorized_matches_the_dictionary_version(train, test, order, method):
    got = smoothing.smoothed_probabilities(np.array(train), np.array(test), order, 4, method)
    np.testing.assert_allclose(got, naive_smoothed(train, test, order, 4, method), rtol=1e-12)


@pytest.mark.parametrize("method", smoothing.SMOOTHING_METHODS)
def test_every_predicted_distribution_sums_to_one(method):
    rng = np.random.default_rng(0)
    a, order = 6, 3
    train = rng.integers(0, a, 400)
    for ctx in (train[:3].tolist(), train[100:103].tolist(), [5, 5, 5], [0, 1]):
        # the last position of ctx + [x] is predicted from the context ctx
        p = [
            smoothing.smoothed_probabilities(train, np.array([*ctx, x]), order, a, method)[-1]
            for x in range(a)
        ]
        assert sum(p) == pytest.approx(1.0, abs=1e-12)
        assert min(p) > 0


def test_smoothing_beats_add_alpha_at_high_orders_on_a_markov_text():
    from predcomp import data

    src = data.MarkovSource(data.random_transition_matrix(8, order=2, concentration=0.2, seed=1), 2)
    train, test = src.sample(20_000, seed=2), src.sample(5_000, seed=3)
    add = heldout_log_loss(train, test, 5, 8, alpha=0.5)
    wb = smoothing.smoothed_log_loss(train, test, 5, 8, "witten-bell")
    kn = smoothing.smoothed_log_loss(train, test, 5, 8, "kneser-ney")
    assert kn < add and wb < add
    # and neither falls below what the source itself pays (with a margin for the sample)
    assert min(kn, wb) > src.entropy_rate() - 0.05


def test_good_turing_by_hand():
    # species counts 3, 1, 1, 2, 1: N = 8, N1 = 3, N2 = 1, N3 = 1
    unseen, adjusted = smoothing.good_turing([3, 1, 1, 2, 1, 0])
    assert unseen == pytest.approx(3 / 8)
    assert adjusted[1] == pytest.approx(2 * 1 / 3)
    assert adjusted[2] == pytest.approx(3 * 1 / 1)
    assert adjusted[3] == 0.0
    with pytest.raises(ValueError):
        smoothing.good_turing([0, 0])


def test_escape_probabilities_by_hand():
    n, d = np.array([0, 1, 4, 10]), np.array([0, 1, 2, 5])
    np.testing.assert_allclose(smoothing.escape_probability(n, d, "A"), [1, 1 / 2, 1 / 5, 1 / 11])
    np.testing.assert_allclose(smoothing.escape_probability(n, d, "C"), [1, 1 / 2, 2 / 6, 5 / 15])
    np.testing.assert_allclose(smoothing.escape_probability(n, d, "D"), [1, 1 / 2, 2 / 8, 5 / 20])
    with pytest.raises(ValueError):
        smoothing.escape_probability(n, d, "Z")


def test_witten_bell_gives_novel_symbols_the_method_c_escape():
    # after a context seen n times with d distinct followers, Witten–Bell leaves exactly the
    # method-C escape d / (n + d) times the shorter context's mass for the symbols not seen
    train = np.array([0, 1, 0, 1, 0, 2, 0, 1, 3, 3, 1, 2])
    a = 4
    stats = smoothing.novelty_statistics(train, np.array([0, 3]), 1, a)
    n, d = stats["n"][1], stats["d"][1]  # the context "0"
    p_all = [
        smoothing.smoothed_probabilities(train, np.array([0, x]), 1, a, "witten-bell")[1]
        for x in range(a)
    ]
    p_low = [
        smoothing.smoothed_probabilities(train, np.array([x]), 0, a, "witten-bell")[0]
        for x in range(a)
    ]
    unseen = [x for x in range(a) if x not in {1, 2}]  # "0" was followed by 1 and 2 only
    assert (n, d) == (4, 2)
    want = smoothing.escape_probability(n, d, "C") * sum(p_low[x] for x in unseen)
    assert sum(p_all[x] for x in unseen) == pytest.approx(want)


def test_bad_arguments_raise():
    x = np.array([0, 1, 1])
    with pytest.raises(ValueError):
        smoothing.smoothed_probabilities(x, x, 1, 2, method="laplace")
    with pytest.raises(ValueError):
        smoothing.smoothed_probabilities(x, x, 1, 2, discount=1.5)
    with pytest.raises(ValueError):
        smoothing.smoothed_probabilities(x, np.array([], dtype=int), 1, 2)
    with pytest.raises(ValueError):
        smoothing.smoothed_probabilities(np.array([0, 5]), x, 1, 2)


@pytest.mark.parametrize("method", smoothing.SMOOTHING_METHODS)
def test_all_orders_in_one_pass_match_each_order_alone(method):
    rng = np.random.default_rng(3)
    train, test = rng.integers(0, 5, 800), rng.integers(0, 5, 200)
    together = smoothing.smoothed_log_losses(train, test, 4, 5, method)
    alone = [smoothing.smoothed_log_loss(train, test, k, 5, method) for k in range(5)]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    naive = [-np.log2(naive_smoothed(train, test, k, 5, method)).mean() for k in range(5)]
    np.testing.assert_allclose(together, naive, rtol=1e-12)
