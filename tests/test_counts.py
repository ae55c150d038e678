"""Counting models: closed-form sequence probabilities, naive recounts, and the vectorized
functions against the online models and against slow, independent implementations."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.models import counts
from predcomp.models.base import Model
from predcomp.models.counts import PRIORS, Adaptive, ContextModel, Uniform


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


# ------------------------------------------------------------------ vectorized functions


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
    got = counts.sequential_probabilities(np.array(seq, dtype=int), order, 4, alpha)
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
    assert counts.sequential_code_length(seq, 0, 2, 0.5) == pytest.approx(expected_bits)
    shuffled = rng.permutation(seq)
    assert counts.sequential_code_length(shuffled, 0, 2, 0.5) == pytest.approx(expected_bits)


def test_laplace_closed_form():
    # Laplace (alpha = 1) over A symbols: P = Π n_a! (A-1)! / (n + A - 1)!
    seq = np.array([0, 1, 2, 2, 2, 1, 0, 2, 2])
    a = 3
    n_sym = np.bincount(seq, minlength=a)
    log_p = sum(math.lgamma(c + 1) for c in n_sym) + math.lgamma(a)
    log_p -= math.lgamma(seq.size + a)
    assert counts.sequential_code_length(seq, 0, a, 1.0) == pytest.approx(-log_p / math.log(2))


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
    assert counts.heldout_log_loss(seq, seq, order, 3, alpha=0.0) == pytest.approx(h)


def test_heldout_uses_only_training_counts():
    train = np.array([0, 0, 0, 0])  # order 0, alpha = 1: p(0) = 5/6, p(1) = 1/6
    test = np.array([0, 1])
    expected = -(math.log2(5 / 6) + math.log2(1 / 6)) / 2
    assert counts.heldout_log_loss(train, test, 0, 2, alpha=1.0) == pytest.approx(expected)
    assert counts.heldout_log_loss(train, test, 0, 2, alpha=0.0) == math.inf


def test_context_ids_agree_with_tuples_including_hashing_path():
    rng = np.random.default_rng(3)
    seq = rng.integers(0, 256, 400)
    for order, a in [(2, 256), (9, 256)]:  # (257)**9 overflows int64 -> unique-rows path
        ids = counts.context_ids(seq, order, a)
        tuples = [tuple(seq[max(0, t - order) : t]) for t in range(seq.size)]
        for i in range(0, 400, 7):
            for j in range(0, 400, 11):
                assert (ids[i] == ids[j]) == (tuples[i] == tuples[j])


def test_bad_input():
    with pytest.raises(ValueError):
        counts.sequential_probabilities(np.array([0, 5]), 1, 3)
    with pytest.raises(ValueError):
        counts.sequential_probabilities(np.array([0, 1]), -1, 3)
    with pytest.raises(ValueError):
        counts.sequential_probabilities(np.array([0, 1]), 1, 3, alpha=0.0)
    with pytest.raises(ValueError):
        counts.heldout_log_loss(np.array([0]), np.array([], dtype=int), 1, 2)


def test_kt_and_laplace_regret_bounds():
    # Regret against the best fixed coin in hindsight, for every count pair up to n = 300:
    # KT <= 1/2 log2 n + 1 (Willems et al. 1995); Laplace <= log2(n + 1), attained at n1 = 0.
    for n in [1, 2, 3, 10, 57, 300]:
        for n1 in range(n + 1):
            seq = np.array([1] * n1 + [0] * (n - n1))
            ml = -sum(c * math.log2(c / n) for c in (n1, n - n1) if c)
            kt = counts.sequential_code_length(seq, 0, 2, alpha=0.5) - ml
            lap = counts.sequential_code_length(seq, 0, 2, alpha=1.0) - ml
            assert 0 <= kt <= 0.5 * math.log2(n) + 1 + 1e-9, (n, n1, kt)
            assert 0 <= lap <= math.log2(n + 1) + 1e-9, (n, n1, lap)
        zeros = np.zeros(n, dtype=int)
        assert counts.sequential_code_length(zeros, 0, 2, alpha=1.0) == pytest.approx(
            math.log2(n + 1)
        )


@settings(max_examples=40, deadline=None)
@given(
    seq=st.lists(st.integers(0, 4), max_size=80),
    order=st.integers(0, 4),
    prior=st.sampled_from(["kt", "laplace"]),
)
def test_vectorized_model_is_the_context_model(seq, order, prior):
    # the fast path computes exactly what the online ContextModel predicts, symbol by symbol
    model = ContextModel(order, alphabet_size=5, prior=prior)
    online = []
    for s in seq:
        online.append(model.predict()[s])
        model.update(s)
    fast = counts.sequential_probabilities(np.array(seq, dtype=int), order, 5, PRIORS[prior])
    np.testing.assert_allclose(fast, online, rtol=1e-12)


def test_context_ids_renumbering_keeps_train_and_test_comparable():
    # order 12 over 256 symbols overflows int64 digits, so the ids are renumbered on the way;
    # a held-out score must still match a plain dictionary count
    rng = np.random.default_rng(4)
    train = np.tile(rng.integers(0, 256, 50), 8)
    test = np.concatenate([train[:30], rng.integers(0, 256, 20)])
    order, a, alpha = 12, 256, 0.5
    table: dict[tuple, Counter] = defaultdict(Counter)
    for t, x in enumerate(train):
        table[tuple(train[max(0, t - order) : t])][x] += 1
    want = []
    for t, x in enumerate(test):
        c = table[tuple(test[max(0, t - order) : t])]
        want.append(-math.log2((c[x] + alpha) / (sum(c.values()) + alpha * a)))
    got = counts.heldout_log_loss(train, test, order, a, alpha)
    assert got == pytest.approx(np.mean(want))


def test_guess_ranks_match_a_plain_ranking():
    rng = np.random.default_rng(5)
    a, order = 5, 2
    train = rng.integers(0, a, 300)
    test = np.concatenate([train[:40], rng.integers(0, a, 60)])
    tables = [defaultdict(Counter) for _ in range(order + 1)]
    for t, x in enumerate(train):
        for k in range(order + 1):
            tables[k][tuple(train[max(0, t - k) : t])][x] += 1
    want = []
    for t, x in enumerate(test):
        c = [tables[k][tuple(test[max(0, t - k) : t])] for k in range(order + 1)]
        # most frequent after the longest context first, ties by shorter contexts, then index
        ranking = sorted(range(a), key=lambda y: ([-c[k][y] for k in range(order, -1, -1)], y))
        want.append(ranking.index(x) + 1)
    np.testing.assert_array_equal(counts.guess_ranks(train, test, order, a, chunk=7), want)


def test_closed_form_code_length_matches_the_sequential_model():
    rng = np.random.default_rng(6)
    seq = rng.integers(0, 4, 3000)
    for order in (0, 1, 3):
        for alpha in (0.5, 1.0, 0.1):
            table = counts.count_table(seq, order, 4)
            assert table.sum() == seq.size
            total = counts.additive_code_length(table, alpha).sum()
            assert total == pytest.approx(counts.sequential_code_length(seq, order, 4, alpha))


def test_kt_regret_formula_matches_the_exact_regret_for_large_counts():
    rng = np.random.default_rng(7)
    for a in (2, 4, 27):
        for seen in (a, max(1, a - 1)):
            p = rng.dirichlet(np.ones(seen))
            row = np.zeros(a, dtype=np.int64)
            row[:seen] = np.maximum(1000, np.round(p * 10**6)).astype(np.int64)
            n = row.sum()
            ml = -sum(c * math.log2(c / n) for c in row if c)
            exact = counts.additive_code_length(row, 0.5)[0] - ml
            assert counts.kt_regret(n, seen, a) == pytest.approx(exact, abs=0.01)
    # the binary case: 1/2 log2 n + 1/2 log2(pi / 2)
    assert counts.kt_regret(1000, 2, 2) == pytest.approx(
        0.5 * math.log2(1000) + 0.5 * math.log2(math.pi / 2)
    )
    with pytest.raises(ValueError):
        counts.kt_regret(0, 1, 2)


def test_count_table_from_a_start_against_a_loop():
    rng = np.random.default_rng(1)
    seq = rng.integers(0, 3, size=200)
    for order, start in ((0, 0), (1, 1), (2, 4), (3, 3)):
        got = counts.count_table(seq, order, 3, start=start)
        table: dict[tuple, np.ndarray] = {}
        for t in range(start, len(seq)):
            ctx = tuple(seq[t - order : t])
            table.setdefault(ctx, np.zeros(3))[seq[t]] += 1
        want = np.array([table[c] for c in sorted(table)])
        # contexts are in increasing id order; compare as multisets of rows
        assert sorted(map(tuple, got)) == sorted(map(tuple, want))
        assert got.sum() == len(seq) - start
    with pytest.raises(ValueError):
        counts.count_table(seq, 3, 3, start=-1)
    # from the start, the first symbols have their own (shorter) contexts: the KT mixture of
    # all rows is the adaptive model's prequential code length of the whole sequence
    rows = counts.count_table(seq, 2, 3, start=0)
    assert rows.sum() == len(seq)
    assert counts.additive_code_length(rows, 0.5).sum() == pytest.approx(
        counts.sequential_code_length(seq, 2, 3)
    )
