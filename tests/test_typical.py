"""Tests of predcomp.typical against brute-force enumeration and the AEP theorem's bounds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from predcomp import info
from predcomp.typical import most_probable_mass, smallest_set_size, typical_set


def all_sequences(p: float, n: int) -> np.ndarray:
    """The probability of every one of the 2**n sequences, by enumeration."""
    ones = np.array([sum(s) for s in itertools.product((0, 1), repeat=n)])
    return p**ones * (1 - p) ** (n - ones)


@pytest.mark.parametrize(
    "p,n,eps", [(0.1, 12, 0.1), (0.3, 14, 0.05), (0.5, 10, 0.2), (0.8, 13, 0.15)]
)
def test_typical_set_matches_enumeration(p, n, eps):
    probs = all_sequences(p, n)
    h = info.binary_entropy(p)
    typical = np.abs(-np.log2(probs) / n - h) <= eps
    t = typical_set(p, n, eps)
    assert t.entropy == pytest.approx(h)
    assert typical.any()  # each case has typical sequences
    assert 2.0**t.log2_size == pytest.approx(typical.sum())
    assert t.probability == pytest.approx(probs[typical].sum())


@pytest.mark.parametrize("p", [0.05, 0.2, 0.4])
def test_the_aep_bounds_hold_and_the_probability_tends_to_one(p):
    eps = 0.05
    previous = 0.0
    for n in [100, 1_000, 10_000, 100_000]:
        t = typical_set(p, n, eps)
        assert t.log2_size <= t.upper_bound + 1e-9
        if t.probability > 1 - eps:
            assert t.log2_size >= t.lower_bound - 1e-9
        previous = t.probability
    assert previous > 1 - eps  # by n = 100,000 the typical set holds almost everything


@pytest.mark.parametrize("p,n", [(0.1, 12), (0.3, 10), (0.7, 11)])
def test_most_probable_mass_matches_enumeration(p, n):
    probs = np.sort(all_sequences(p, n))[::-1]
    for bits in range(n + 1):  # 2**bits codewords for blocks of n tosses
        want = probs[: 2**bits].sum()
        assert most_probable_mass(p, n, bits / n) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_the_converse_rates_below_the_entropy_fail():
    p = 0.11
    h = info.binary_entropy(p)
    below = [most_probable_mass(p, n, h - 0.05) for n in (100, 1_000, 10_000)]
    above = [most_probable_mass(p, n, h + 0.05) for n in (100, 1_000, 10_000)]
    assert below[0] > below[1] > below[2] and below[2] < 1e-3
    assert above[0] < above[1] < above[2] and above[2] > 1 - 1e-3


@pytest.mark.parametrize("p,n,delta", [(0.1, 12, 0.1), (0.3, 10, 0.05), (0.8, 11, 0.3)])
def test_smallest_set_size_matches_enumeration(p, n, delta):
    probs = np.sort(all_sequences(p, n))[::-1]
    m = int(np.searchsorted(np.cumsum(probs), 1 - delta - 1e-12)) + 1  # fewest sequences
    got = 2.0 ** smallest_set_size(p, n, delta)
    assert m - 1 < got <= m + 1e-9


def test_smallest_set_rate_tends_to_the_entropy():
    p, delta = 0.2, 0.1
    rates = [smallest_set_size(p, n, delta) / n for n in (100, 1_000, 10_000, 100_000)]
    gaps = [abs(r - info.binary_entropy(p)) for r in rates]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 0.01


def test_bad_arguments_raise():
    for call in (
        lambda: typical_set(0.0, 10, 0.1),
        lambda: typical_set(0.5, 0, 0.1),
        lambda: typical_set(0.5, 10, 1.5),
        lambda: most_probable_mass(0.5, 10, -1),
        lambda: smallest_set_size(0.5, 10, 0),
        lambda: typical_set(0.5, True, 0.1),
    ):
        with pytest.raises(ValueError):
            call()
