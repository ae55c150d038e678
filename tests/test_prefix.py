"""Tests of predcomp.coding.prefix: Kraft, Huffman optimality (against brute force), bounds."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.prefix import (
    HuffmanCode,
    PrefixCode,
    canonical_codewords,
    elias_delta,
    elias_delta_decode,
    elias_delta_length,
    elias_gamma,
    elias_gamma_decode,
    elias_gamma_length,
    expected_length,
    gallager_bound,
    huffman_code_lengths,
    huffman_tree,
    is_prefix_free,
    kraft_sum,
    shannon_code_lengths,
    shannon_fano_elias_code,
)


def entropy_bits(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


@st.composite
def distributions(draw, min_size: int = 1, max_size: int = 12, smallest: float = 0.0):
    n = draw(st.integers(min_size, max_size))
    w = np.array(draw(st.lists(st.floats(smallest, 1.0), min_size=n, max_size=n)))
    if w.sum() <= 0:
        w[0] = 1.0
    return w / w.sum()


def brute_force_optimum(p: np.ndarray) -> float:
    """Smallest sum p_i l_i over all lengths obeying Kraft (= over all prefix codes)."""
    n = len(p)
    grid = np.array(list(itertools.product(range(1, n), repeat=n)), dtype=np.float64)
    kraft = (2.0**-grid).sum(axis=1)  # sums of a few powers of two: exact in floating point
    return float((grid[kraft <= 1] @ p).min())


# ---------------------------------------------------------------------------- known values


def test_textbook_example() -> None:
    # Cover & Thomas, Example 5.6.1: p = (.25, .25, .2, .15, .15) has Huffman lengths 2,2,2,3,3
    p = [0.25, 0.25, 0.2, 0.15, 0.15]
    assert sorted(huffman_code_lengths(p)) == [2, 2, 2, 3, 3]
    assert expected_length(p, huffman_code_lengths(p)) == pytest.approx(2.3)


def test_dyadic_source_meets_entropy_exactly() -> None:
    p = np.array([0.5, 0.25, 0.125, 0.125])
    code = HuffmanCode(p)
    assert code.lengths == [1, 2, 3, 3]
    assert code.expected_length(p) == pytest.approx(entropy_bits(p), abs=1e-12)
    assert shannon_code_lengths(p) == [1, 2, 3, 3]


def test_canonical_codewords_known() -> None:
    assert canonical_codewords([2, 1, 3, 3]) == ["10", "0", "110", "111"]
    assert canonical_codewords([0]) == [""]
    with pytest.raises(ValueError):
        canonical_codewords([1, 1, 1])


def test_kraft_and_prefix_free() -> None:
    assert kraft_sum([1, 2, 3, 3]) == 1
    assert kraft_sum([1, 1], radix=3) == Fraction(2, 3)
    assert is_prefix_free(["0", "10", "110", "111"])
    assert not is_prefix_free(["0", "01", "11"])
    assert not is_prefix_free(["1", "1"])
    # {0, 01, 011} is not prefix-free but uniquely decodable (a suffix code):
    # McMillan says its Kraft sum is still at most 1.
    assert not is_prefix_free(["0", "01", "011"])
    assert kraft_sum([1, 2, 3]) <= 1


def test_huffman_tree_merges_smallest_first() -> None:
    # weights exact in binary, so ties are real ties
    merges = huffman_tree([0.375, 0.25, 0.25, 0.125])
    assert merges[0] == (3, 1)  # 0.125 and the first 0.25
    assert merges[1] == (2, 0)  # 0.25 with 0.375: symbol 0 is older than the new node 4
    assert merges[2] == (4, 5)
    assert huffman_code_lengths([0.375, 0.25, 0.25, 0.125]) == [2, 2, 2, 2]


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError):
        huffman_code_lengths([0.5, 0.6])
    with pytest.raises(ValueError):
        huffman_code_lengths([])
    with pytest.raises(ValueError):
        PrefixCode(["0", "01"])
    code = HuffmanCode([0.5, 0.25, 0.25])
    with pytest.raises(ValueError):
        code.encode_bits([3])
    with pytest.raises(ValueError):
        code.decode_bits("1")  # ends inside a codeword
    with pytest.raises(ValueError):
        code.decode(b"", 1)  # no data for one symbol


# ---------------------------------------------------------------------------- properties


@settings(max_examples=100, deadline=None)
@given(distributions(min_size=2, max_size=6))
def test_huffman_is_optimal_against_brute_force(p: np.ndarray) -> None:
    lengths = huffman_code_lengths(p)
    assert expected_length(p, lengths) == pytest.approx(brute_force_optimum(p), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(distributions(min_size=2, max_size=40))
def test_huffman_code_is_complete_and_within_one_bit(p: np.ndarray) -> None:
    code = HuffmanCode(p)
    assert code.kraft_sum() == 1  # a full binary tree: Kraft with equality
    assert is_prefix_free(code.codewords)
    h, length = entropy_bits(p), code.expected_length(p)
    assert h - 1e-9 <= length <= h + 1
    if p.min() > 1e-6:  # strict when every symbol has a (representably) positive probability
        assert length < h + 1
    # a source with a certain outcome reaches the upper bound: the other symbols still need codes
    assert HuffmanCode([1.0, 0.0]).expected_length([1.0, 0.0]) == 1.0


@settings(max_examples=150, deadline=None)
@given(distributions(min_size=1, max_size=30, smallest=1e-3))
def test_shannon_code_satisfies_kraft_and_bounds(p: np.ndarray) -> None:
    lengths = shannon_code_lengths(p)
    assert kraft_sum(lengths) <= 1
    h = entropy_bits(p)
    assert h - 1e-9 <= expected_length(p, lengths) < h + 1
    # Huffman is never worse than Shannon
    assert expected_length(p, huffman_code_lengths(p)) <= expected_length(p, lengths) + 1e-12


@settings(max_examples=300, deadline=None)
@given(distributions(min_size=1, max_size=20), st.data())
def test_round_trip(p: np.ndarray, data: st.DataObject) -> None:
    code = HuffmanCode(p)
    symbols = data.draw(st.lists(st.integers(0, len(p) - 1), max_size=60))
    bits = code.encode_bits(symbols)
    assert len(bits) == sum(code.lengths[s] for s in symbols)
    assert code.decode_bits(bits, len(symbols)) == symbols
    assert code.decode(code.encode(symbols), len(symbols)) == symbols


def test_from_counts_matches_empirical_distribution() -> None:
    text = b"abracadabra"
    counts = np.bincount(np.frombuffer(text, dtype=np.uint8), minlength=256)
    code = HuffmanCode.from_counts(counts[counts > 0])
    # a:5 b:2 r:2 c:1 d:1 -> 23 bits in total for "abracadabra" (a classic exercise)
    lengths = dict(zip(b"abcdr", code.lengths, strict=True))
    assert sum(lengths[c] for c in text) == 23


# --- Elias codes -----------------------------------------------------------------------------


def test_elias_codewords_of_small_integers():
    # Elias (1975), table of the gamma and delta codes
    assert [elias_gamma(n) for n in (1, 2, 3, 4, 5, 9)] == [
        "1", "010", "011", "00100", "00101", "0001001"
    ]  # fmt: skip
    assert [elias_delta(n) for n in (1, 2, 3, 4, 9, 17)] == [
        "1", "0100", "0101", "01100", "00100001", "001010001"
    ]  # fmt: skip


@given(st.lists(st.integers(1, 10**12), max_size=30))
def test_elias_round_trip_and_lengths(ns):
    gamma = "".join(elias_gamma(n) for n in ns)
    delta = "".join(elias_delta(n) for n in ns)
    assert elias_gamma_decode(gamma) == ns
    assert elias_delta_decode(delta) == ns
    for n in ns:
        assert len(elias_gamma(n)) == elias_gamma_length(n) == 2 * math.floor(math.log2(n)) + 1
        b = math.floor(math.log2(n))
        assert (
            len(elias_delta(n)) == elias_delta_length(n) == b + 2 * math.floor(math.log2(b + 1)) + 1
        )


def test_elias_codes_are_prefix_free_and_complete():
    # Kraft sums over 1..2**10 - 1: gamma's is exactly 1 - 2**-10 (each bit length k adds
    # 2**-k); delta's is sum_{L=1..10} 2**-len(gamma(L)) and tends to 1 more slowly
    for code in (elias_gamma, elias_delta):
        assert is_prefix_free([code(n) for n in range(1, 1 << 10)])
    assert kraft_sum(elias_gamma_length(n) for n in range(1, 1 << 10)) == 1 - Fraction(1, 1 << 10)
    delta = sum(Fraction(1, 1 << elias_gamma_length(b)) for b in range(1, 11))
    assert kraft_sum(elias_delta_length(n) for n in range(1, 1 << 10)) == delta < 1


def test_elias_rejects_bad_input():
    for bad in (0, -3, True, 2.0):
        with pytest.raises(ValueError):
            elias_gamma(bad)
        with pytest.raises(ValueError):
            elias_delta_length(bad)
    with pytest.raises(ValueError):
        elias_gamma_decode("001")
    with pytest.raises(ValueError):
        elias_delta_decode("0110")
    with pytest.raises(ValueError):
        elias_gamma_decode("012")


# ----------------------------------------------------------------- Shannon–Fano–Elias, Gallager


def test_shannon_fano_elias_matches_cover_and_thomas():
    # Cover & Thomas, Elements of Information Theory, 2nd ed., Section 5.9, first example
    assert shannon_fano_elias_code([0.25, 0.5, 0.125, 0.125]) == ["001", "10", "1101", "1111"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=40))
def test_shannon_fano_elias_is_prefix_free_within_two_bits(weights):
    p = np.array(weights) / sum(weights)
    words = shannon_fano_elias_code(p)
    lengths = [len(w) for w in words]
    assert len(words) == 1 or is_prefix_free(words)
    # the length is ceil(log2 1/p) + 1, computed without rounding trouble at powers of two
    for w, q in zip(words, p, strict=True):
        assert len(w) in (math.ceil(-math.log2(q)) + 1, math.ceil(-math.log2(q) - 1e-12) + 1)
    h = float(-(p * np.log2(p)).sum())
    assert h <= expected_length(p, lengths) < h + 2 + 1e-9
    # every codeword's dyadic interval lies inside its symbol's slice of [0, 1)
    edges = np.concatenate([[0.0], np.cumsum(p)])
    for i, w in enumerate(words):
        low = int(w, 2) / 2 ** len(w)
        assert edges[i] - 1e-12 <= low and low + 2.0 ** -len(w) <= edges[i + 1] + 1e-12


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(1e-4, 1.0), min_size=2, max_size=30))
def test_huffman_redundancy_is_within_gallager_bound(weights):
    p = np.array(weights) / sum(weights)
    h = float(-(p * np.log2(p)).sum())
    redundancy = expected_length(p, huffman_code_lengths(p)) - h
    assert -1e-9 <= redundancy <= min(1.0, gallager_bound(p)) + 1e-9


def test_gallager_bound_is_nearly_tight_for_a_skewed_coin():
    # (1 - e, e): Huffman spends one bit, the entropy tends to 0, the bound to 1 + 0.086
    p = [0.999, 0.001]
    h = -sum(q * math.log2(q) for q in p)
    assert 1 - h == pytest.approx(0.9886, abs=1e-3)
    assert gallager_bound(p) == pytest.approx(0.999 + 0.0861, abs=1e-4)


def test_shannon_fano_elias_is_exact_with_fractions():
    p = [Fraction(1, 3), Fraction(1, 3), Fraction(1, 6), Fraction(1, 6)]
    words = shannon_fano_elias_code(p)
    low = Fraction(0)
    for w, q in zip(words, p, strict=True):
        start = Fraction(int(w, 2), 2 ** len(w))
        assert low <= start and start + Fraction(1, 2 ** len(w)) <= low + q
        low += q
