"""MDL code lengths against closed forms, brute-force sums and independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp import data, mdl
from predcomp.coding.prefix import elias_delta_length
from predcomp.models import counts as counting


def brute_ml_bits(seq: list[int], a: int) -> float:
    counts = [seq.count(s) for s in range(a)]
    n = len(seq)
    return -sum(c * math.log2(c / n) for c in counts if c)


# --------------------------------------------------------------------------- integers


def test_log_star_values_by_hand():
    c = math.log2(mdl.LOG_STAR_CONSTANT)
    assert mdl.log_star(1) == pytest.approx(c)
    assert mdl.log_star(2) == pytest.approx(c + 1)
    assert mdl.log_star(4) == pytest.approx(c + 2 + 1)
    assert mdl.log_star(16) == pytest.approx(c + 4 + 2 + 1)
    assert mdl.log_star(2**16) == pytest.approx(c + 16 + 4 + 2 + 1)


def test_log_star_kraft_partial_sums_stay_below_one_and_grow():
    # sum_n 2**-log*(n) = 1 only in the limit (the tail is very heavy); partial sums increase
    # towards it and never exceed it.
    sums = np.cumsum([2.0 ** -mdl.log_star(n) for n in range(1, 200_001)])
    assert np.all(np.diff(sums) > 0)
    assert sums[-1] < 1.0
    assert sums[-1] > 0.6


def test_integer_codes_dispatch_and_reject():
    assert mdl.integer_code_length(5, "gamma") == 5
    assert mdl.integer_code_length(5, "delta") == elias_delta_length(5)
    assert mdl.integer_code_length(5, "logstar") == pytest.approx(mdl.log_star(5))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError):
            mdl.log_star(bad)
    with pytest.raises(ValueError, match="unknown integer code"):
        mdl.integer_code_length(3, "unary")


def test_parameter_cost():
    assert mdl.parameter_cost(3, 1024) == pytest.approx(15.0)
    with pytest.raises(ValueError):
        mdl.parameter_cost(-1, 10)


# --------------------------------------------------------------------------- ML and mixtures


@given(st.lists(st.integers(0, 2), min_size=1, max_size=30))
@settings(max_examples=60, deadline=None)
def test_ml_code_length_matches_brute_force(seq):
    counts = [seq.count(s) for s in range(3)]
    assert mdl.ml_code_length(counts) == pytest.approx(brute_ml_bits(seq, 3), abs=1e-9)


def test_ml_code_length_is_the_best_fixed_distribution_by_search():
    counts = np.array([7, 2, 1])
    grid = np.linspace(0.01, 0.98, 98)
    best = min(
        -(counts * np.log2([p, q, 1 - p - q])).sum() for p in grid for q in grid if p + q < 0.995
    )
    assert mdl.ml_code_length(counts) <= best + 1e-12
    assert best - mdl.ml_code_length(counts) < 0.05


@given(st.lists(st.integers(0, 3), max_size=40), st.sampled_from([0.5, 1.0, 2.0]))
@settings(max_examples=60, deadline=None)
def test_dirichlet_mixture_equals_the_sequential_product(seq, alpha):
    counts = [seq.count(s) for s in range(4)]
    s = np.array(seq, dtype=np.int64)
    sequential = counting.sequential_code_length(s, 0, 4, alpha=alpha) if seq else 0.0
    assert mdl.dirichlet_mixture_code_length(counts, alpha) == pytest.approx(sequential, abs=1e-9)


@pytest.mark.parametrize(("n0", "n1"), [(0, 0), (3, 0), (5, 2), (12, 17), (40, 9)])
def test_kt_is_the_dirichlet_half_mixture_by_quadrature(n0, n1):
    # integral of theta^n1 (1 - theta)^n0 against Beta(1/2, 1/2); with theta = sin^2(phi) the
    # density becomes (2/pi) dphi and the integrand smooth: Gauss-Legendre is then exact
    # to rounding for these degrees.
    nodes, weights = np.polynomial.legendre.leggauss(200)
    phi = (nodes + 1) * math.pi / 4  # [-1, 1] -> [0, pi/2]
    integrand = np.sin(phi) ** (2 * n1) * np.cos(phi) ** (2 * n0) * (2 / math.pi)
    mixture = float(weights @ integrand) * math.pi / 4
    assert mdl.kt_code_length([n0, n1]) == pytest.approx(-math.log2(mixture), abs=1e-9)


def test_kt_closed_form_of_the_previous_chapter():
    n0, n1 = 30, 11
    closed = (
        math.lgamma(n0 + 0.5) + math.lgamma(n1 + 0.5) - math.log(math.pi) - math.lgamma(n0 + n1 + 1)
    ) / math.log(2)
    assert mdl.kt_code_length([n0, n1]) == pytest.approx(-closed)


def test_mixture_rows_add_and_bad_counts_raise():
    rows = np.array([[3, 1], [0, 5]])
    np.testing.assert_allclose(
        mdl.kt_code_length(rows, total=False),
        [mdl.kt_code_length([3, 1]), mdl.kt_code_length([0, 5])],
    )
    np.testing.assert_allclose(
        mdl.ml_code_length(rows, total=False),
        [mdl.ml_code_length([3, 1]), mdl.ml_code_length([0, 5])],
    )
    assert mdl.kt_code_length(rows) == pytest.approx(
        mdl.kt_code_length([3, 1]) + mdl.kt_code_length([0, 5])
    )
    for bad in ([-1, 2], [1.5, 2], [np.nan, 1], []):
        with pytest.raises(ValueError):
            mdl.kt_code_length(bad)
    with pytest.raises(ValueError):
        mdl.dirichlet_mixture_code_length([1, 2], alpha=0.0)


# --------------------------------------------------------------------------- NML


@pytest.mark.parametrize("n", [0, 1, 2, 5, 10, 14])
def test_binomial_shtarkov_sum_equals_the_sum_over_all_sequences(n):
    total = 0.0
    for seq in itertools.product([0, 1], repeat=n):
        total += 2.0 ** -brute_ml_bits(list(seq), 2) if n else 1.0
    assert mdl.shtarkov_sum(n, 2, log2=False) == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize(("n", "a"), [(1, 3), (4, 3), (7, 3), (5, 4), (6, 5), (3, 1), (0, 4)])
def test_multinomial_shtarkov_recurrence_against_brute_force(n, a):
    total = 0.0
    for seq in itertools.product(range(a), repeat=n):
        total += 2.0 ** -brute_ml_bits(list(seq), a) if n else 1.0
    assert mdl.shtarkov_sum(n, a, log2=False) == pytest.approx(total, rel=1e-12)


def test_shtarkov_sum_approaches_rissanens_asymptotic_expansion():
    for a in (2, 3, 10):
        gaps = [
            abs(mdl.shtarkov_sum(n, a) - mdl.nml_regret_asymptotic(n, a)) for n in (10**3, 10**5)
        ]
        assert gaps[1] < gaps[0]
        assert gaps[1] < 0.02 * a
    # the binomial case: 1/2 log2(n pi / 2)
    assert mdl.nml_regret_asymptotic(1000, 2) == pytest.approx(0.5 * math.log2(1000 * math.pi / 2))


def test_nml_regret_is_the_same_for_every_sequence_and_minimax():
    n = 12
    log_c = mdl.shtarkov_sum(n, 2)
    nml_total = 0.0
    worst_kt = 0.0
    for n1 in range(n + 1):
        counts = [n - n1, n1]
        assert mdl.regret(mdl.nml_code_length(counts), counts) == pytest.approx(log_c)
        nml_total += math.comb(n, n1) * 2.0 ** -mdl.nml_code_length(counts)
        worst_kt = max(worst_kt, mdl.regret(mdl.kt_code_length(counts), counts))
    assert nml_total == pytest.approx(1.0)  # a complete code: Kraft with equality
    assert worst_kt > log_c  # any other code has a larger worst-case regret


def test_shtarkov_rejects_bad_arguments():
    for n, a in ((-1, 2), (3, 0), (2.5, 2), (True, 2), (3, 1 << 20)):
        with pytest.raises(ValueError):
            mdl.shtarkov_sum(n, a)


# --------------------------------------------------------------------------- two-part codes


def brute_two_part_bernoulli(n1: int, n: int, levels: int | None = None) -> float:
    """The same code, by looping over every level and every cell."""
    levels = mdl._max_level(n) if levels is None else levels
    best = math.inf
    for j in range(levels + 1):
        k = 2**j
        for cell in range(k):
            theta = math.sin((cell + 0.5) * math.pi / (2 * k)) ** 2
            bits = math.log2(levels + 1) + j
            if n1:
                bits -= n1 * math.log2(theta)
            if n - n1:
                bits -= (n - n1) * math.log2(1 - theta)
            best = min(best, bits)
    return best


@given(st.integers(0, 300), st.data())
@settings(max_examples=50, deadline=None)
def test_two_part_bernoulli_is_the_best_cell_of_every_grid(n, draw):
    n1 = draw.draw(st.integers(0, n))
    bits, k = mdl.two_part_bernoulli(n1, n)
    assert bits == pytest.approx(brute_two_part_bernoulli(n1, n), abs=1e-9)
    assert bits >= mdl.ml_code_length([n - n1, n1]) - 1e-9  # no code beats the ML length
    assert k & (k - 1) == 0
    # forcing a level never beats the best one, and forcing the best one gives it back
    level = k.bit_length() - 1
    assert mdl.two_part_bernoulli(n1, n, level=level) == (pytest.approx(bits), k)
    assert mdl.two_part_bernoulli(n1, n, level=0)[0] >= bits - 1e-9


def test_max_grid_level_reaches_beyond_sqrt_n():
    # the best grid has about sqrt(n) cells; the finest one allowed must be finer than that
    for n in (0, 1, 10, 1000, 10**6, 10**9):
        assert 2 ** mdl.max_grid_level(n) >= 4 * math.sqrt(n)
        assert mdl.max_grid_level(n) == mdl._max_level(n)
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError):
            mdl.max_grid_level(bad)


def test_two_part_bernoulli_all_is_the_scalar_function_for_every_count():
    n = 57
    every = mdl.two_part_bernoulli_all(n)
    assert every.shape == (n + 1,)
    forced = mdl.two_part_bernoulli_all(n, level=2)
    for n1 in range(n + 1):
        assert every[n1] == pytest.approx(mdl.two_part_bernoulli(n1, n)[0])
        assert forced[n1] == pytest.approx(mdl.two_part_bernoulli(n1, n, level=2)[0])
    with pytest.raises(ValueError):
        mdl.two_part_bernoulli_all(-1)
    with pytest.raises(ValueError):
        mdl.two_part_bernoulli_all(n, level=99)


def test_two_part_regret_follows_half_log_n():
    # regret - 1/2 log2 n stays within a few bits over three decades, for typical and extreme
    # sequences alike (the Fisher-metric grid), and the best grid grows like sqrt(n)
    for frac in (0.0, 0.1, 0.37):
        excess = []
        for n in (10**3, 10**4, 10**5, 10**6):
            n1 = int(frac * n)
            bits, k = mdl.two_part_bernoulli(n1, n)
            excess.append(mdl.regret(bits, [n - n1, n1]) - 0.5 * math.log2(n))
            assert 0.1 * math.sqrt(n) <= k <= 10 * math.sqrt(n)
        assert max(excess) < 5.5 and min(excess) > 0
        assert max(excess) - min(excess) < 2.0


def test_two_part_multinomial_is_stick_breaking():
    counts = [5, 0, 9, 3]
    expected = (
        mdl.two_part_bernoulli(5, 17)[0]
        + mdl.two_part_bernoulli(0, 12)[0]
        + mdl.two_part_bernoulli(9, 12)[0]
    )
    levels = mdl._max_level(17)  # every split uses the grid levels of the total count
    own = sum(math.log2(mdl._max_level(n) + 1) for n in (17, 12, 12))
    assert mdl.two_part_multinomial(counts) == pytest.approx(
        expected - own + 3 * math.log2(levels + 1)
    )
    # rows together: the levels of the grand total; unseen rows cost the one-cell grid
    rows = np.array([[5, 0, 9, 3], [1, 1, 1, 1]])
    total_levels = mdl._max_level(21)
    by_hand = 0.0
    for row in rows:
        rest = int(row.sum())
        for a in range(3):
            by_hand += brute_two_part_bernoulli(int(row[a]), rest, total_levels)
            rest -= int(row[a])
    assert mdl.two_part_multinomial(rows) == pytest.approx(by_hand)
    assert mdl.two_part_multinomial(rows, unseen_rows=2) == pytest.approx(
        by_hand + 2 * 3 * math.log2(total_levels + 1)
    )
    with pytest.raises(ValueError):
        mdl.two_part_bernoulli(5, 3)
    with pytest.raises(ValueError):
        mdl.two_part_bernoulli(5, 30, level=99)


# --------------------------------------------------------------------------- Markov order


def test_markov_bayes_criterion_is_the_prequential_kt_code():
    rng = np.random.default_rng(2)
    seq = rng.integers(0, 2, size=300)
    for order in range(4):
        lengths = mdl.markov_code_lengths(seq, order, 2, start=order)
        # the KT mixture per context = the adaptive order-k KT model's prequential length on
        # the symbols from position `order` on (their contexts are complete)
        p = counting.sequential_probabilities(seq, order, 2, alpha=0.5)
        # the first `order` symbols are counted under shorter contexts, which never recur
        # as full contexts, so their predictions do not affect the later ones
        prequential = float(-np.log2(p[order:]).sum())
        assert lengths["bayes"] - mdl.integer_code_length(order + 1) == pytest.approx(prequential)


def test_markov_criteria_against_their_definitions():
    rng = np.random.default_rng(3)
    seq = rng.integers(0, 3, size=500)
    lengths = mdl.markov_code_lengths(seq, 1, 3, start=2)
    counts = counting.count_table(seq, 1, 3, start=2)
    ml, n, k = mdl.ml_code_length(counts), 498, 3 * 2
    assert lengths["bic"] == pytest.approx(ml + k / 2 * math.log2(n))
    assert lengths["aic"] == pytest.approx(ml + k / math.log(2))
    nml = sum(mdl.shtarkov_sum(int(r.sum()), 3) for r in counts)
    assert lengths["nml"] == pytest.approx(mdl.integer_code_length(2) + ml + nml)
    assert set(lengths) == set(mdl.CRITERIA)


def test_mdl_finds_the_order_of_a_markov_source():
    P = data.random_transition_matrix(2, order=2, concentration=0.5, seed=1)
    seq = data.MarkovSource(P, order=2).sample(5000, seed=7)
    chosen = mdl.select_markov_order(seq, 2, 5)
    for criterion in ("two-part", "nml", "bayes", "bic"):
        assert chosen[criterion] == 2, chosen


def test_memorizing_orders_cost_more_in_total():
    seq = data.MarkovSource(data.random_transition_matrix(2, 1, 0.5, seed=4)).sample(2000, seed=0)
    lengths = [mdl.markov_code_lengths(seq, k, 2, start=10)["two-part"] for k in range(11)]
    ml = [mdl.ml_code_length(counting.count_table(seq, k, 2, start=10)) for k in range(11)]
    assert int(np.argmin(lengths)) == 1
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(ml))  # the fit only improves
    assert lengths[10] > lengths[1] + 500  # but the description grows


# --------------------------------------------------------------------------- Occam bound


def test_occam_bound_by_hand_and_bad_input():
    assert mdl.occam_bound(500, 20_000, delta=0.01) == pytest.approx(
        (500 * math.log(2) + math.log(100)) / 20_000
    )
    assert mdl.occam_bound(0, 10, delta=math.exp(-1)) == pytest.approx(0.1)
    for bits, m, delta in ((-1, 10, 0.1), (math.inf, 10, 0.1), (3, 0, 0.1), (3, 10, 0.0)):
        with pytest.raises(ValueError):
            mdl.occam_bound(bits, m, delta)


def test_occam_bound_holds_for_threshold_classifiers():
    # 2**L threshold classifiers on [0, 1), each with an L-bit code; the target is one of
    # them. Over many samples of m points, the worst consistent classifier's true error
    # (the distance between its threshold and the target's) exceeds the bound in at most a
    # fraction delta of the samples, and the bound is not vacuous (it sits within a small
    # factor of the worst error actually seen).
    rng = np.random.default_rng(0)
    bits, m, delta, trials = 10, 300, 0.1, 400
    thresholds = np.arange(2**bits) / 2**bits
    target = thresholds[613]
    bound = mdl.occam_bound(bits, m, delta)
    worst = np.empty(trials)
    for i in range(trials):
        x = rng.uniform(0, 1, m)
        y = x >= target
        consistent = [t for t in thresholds if np.array_equal(x >= t, y)]
        worst[i] = max(abs(t - target) for t in consistent)
    assert np.mean(worst > bound) <= delta
    assert np.quantile(worst, 1 - delta) > bound / 10


# --------------------------------------------------------------------------- polynomials


def test_polynomial_code_prefers_the_true_degree():
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 200)
    y = 1 - 2 * x + 3 * x**3 + rng.normal(0, 0.2, x.size)
    codes = [mdl.polynomial_code_length(x, y, d) for d in range(12)]
    totals = [c.total_bits for c in codes]
    assert int(np.argmin(totals)) == 3
    rms = [c.rms for c in codes]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(rms))


def test_polynomial_code_parts_by_hand():
    x = np.arange(8.0)
    y = 2.0 + 0.5 * x + np.array([0.1, -0.1, 0.2, -0.2, 0.0, 0.1, -0.1, 0.0])
    code = mdl.polynomial_code_length(x, y, 1, precision=0.01)
    fit = np.polyfit(x, y, 1)
    var = np.mean((y - np.polyval(fit, x)) ** 2)
    assert code.data_bits == pytest.approx(
        4 * math.log2(2 * math.pi * math.e * var) + 8 * math.log2(100)
    )
    assert code.model_bits == pytest.approx(elias_delta_length(2) + 1.5 * math.log2(8))
    # interpolation cannot beat the rounding floor
    exact = mdl.polynomial_code_length(x, y, 7, precision=0.01)
    assert exact.data_bits == pytest.approx(
        4 * math.log2(2 * math.pi * math.e * 1e-4 / 12) + 8 * math.log2(100)
    )
    with pytest.raises(ValueError):
        mdl.polynomial_code_length(x, y, 8)


# --------------------------------------------------------------------------- neural networks


def test_prequential_mlp_codes_each_block_before_learning_it():
    rng = np.random.default_rng(0)
    seq = rng.integers(0, 4, size=300)
    code = mdl.prequential_mlp(seq, 4, block=100, steps_per_block=5, hidden=8)
    # the first block is coded by the untrained network: close to uniform, 2 bits each
    assert abs(code.bits[:100].mean() - 2.0) < 0.2
    assert code.bits.shape == (300,) and np.all(code.bits > 0)
    # deterministic: the decoder can repeat it
    again = mdl.prequential_mlp(seq, 4, block=100, steps_per_block=5, hidden=8)
    np.testing.assert_array_equal(code.bits, again.bits)
    assert code.n_params == 5 * 8 + (3 * 8 * 8 + 8) + (8 * 4 + 4)


def test_prequential_mlp_never_sees_a_block_before_coding_it():
    # What makes the prequential length a code length: the network that codes block j was
    # trained on blocks < j only. Change the data from the middle of block 2 (symbols 160..239)
    # on: every bit before the change must stay exactly as it was, including the first half of
    # block 2, which a network trained on block 2 before coding it would code differently.
    rng = np.random.default_rng(5)
    seq = rng.integers(0, 4, size=400)
    other = seq.copy()
    other[200:] = (seq[200:] + 1 + rng.integers(0, 3, size=200)) % 4  # every symbol differs
    a = mdl.prequential_mlp(seq, 4, block=80, steps_per_block=10, hidden=8)
    b = mdl.prequential_mlp(other, 4, block=80, steps_per_block=10, hidden=8)
    np.testing.assert_array_equal(a.bits[:200], b.bits[:200])
    assert not np.array_equal(a.bits[200:], b.bits[200:])


def test_prequential_mlp_learns_a_deterministic_pattern():
    seq = np.tile(np.array([0, 1, 2, 3, 2, 1]), 200)
    code = mdl.prequential_mlp(seq, 4, block=60, steps_per_block=30, lr=1e-2)
    assert code.bits[-300:].mean() < 0.1  # it has learned to predict the cycle
    two_part = mdl.two_part_mlp(seq, 4, steps=600, lr=1e-2)
    assert two_part.bits.mean() < 0.1
    assert two_part.n_params == code.n_params


def test_mlp_rejects_bad_symbols():
    with pytest.raises(ValueError):
        mdl.prequential_mlp([0, 5], 4)
    with pytest.raises(ValueError):
        mdl.two_part_mlp([], 4, steps=1)
