"""Kolmogorov complexity: upper bounds, Berry's program, and the finite Solomonoff mixture."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from predcomp import kolmogorov as K
from predcomp import mdl
from predcomp.coding.prefix import is_prefix_free, kraft_sum


def test_pi_digits_known_prefix_and_length():
    assert K.pi_digits(1) == b"3"
    assert K.pi_digits(50) == b"31415926535897932384626433832795028841971693993751"
    assert len(K.pi_digits(2000)) == 2000
    for bad in (0, -1, 10**6, 2.0):
        with pytest.raises(ValueError):
            K.pi_digits(bad)


def test_pi_digits_against_mpmath():
    import mpmath

    with mpmath.workdps(6010):  # a local precision: the global one is shared with sympy
        want = mpmath.nstr(mpmath.pi, 6005, strip_zeros=False).replace(".", "")[:6000]
    assert K.pi_digits(6000) == want.encode()  # beyond Python's 4300-digit str() limit
    assert K.pi_digits(1000) == want[:1000].encode()


def test_upper_bounds_include_our_models_and_the_standard_tools():
    data = b"to be or not to be, that is the question. " * 4
    bounds = K.upper_bounds(data, models=["order0", "ppm"])
    assert {"predcomp order0", "predcomp ppm", "gzip -9", "bzip2 -9", "xz -9e"} <= set(bounds)
    assert all(isinstance(v, int) and v > 0 for v in bounds.values())
    assert bounds["predcomp ppm"] < 8 * len(data)
    few = K.upper_bounds(data, models=["order0"], tools=["gzip -9"])
    assert set(few) == {"predcomp order0", "gzip -9"} and few["gzip -9"] == bounds["gzip -9"]
    with pytest.raises(TypeError):
        K.upper_bounds("text")  # type: ignore[arg-type]


def test_shortlex_order():
    first = list(itertools.islice(K.shortlex(b"ab"), 7))
    assert first == [b"", b"a", b"b", b"aa", b"ab", b"ba", b"bb"]
    with pytest.raises(ValueError):
        next(K.shortlex(b""))


def kt_bits(s: bytes) -> float:
    return mdl.kt_code_length([s.count(b"0"[0]), s.count(b"1"[0])])


@pytest.mark.parametrize("bound", [2, 5, 9, 13])
def test_berry_returns_the_first_string_above_the_bound(bound):
    s = K.berry(bound, kt_bits)
    assert kt_bits(s) > bound
    for earlier in itertools.takewhile(lambda t: t != s, K.shortlex(b"01")):
        assert kt_bits(earlier) <= bound


def test_berry_gives_up_cleanly():
    with pytest.raises(ValueError, match="candidates"):
        K.berry(100, kt_bits, max_candidates=1000)


def test_program_space_is_prefix_free_with_kraft_sum_at_most_one():
    programs = K.program_space(8)
    codes = [p.code for p in programs] + [K.LITERAL_CODE]
    assert is_prefix_free(codes)
    assert kraft_sum(len(c) for c in codes) <= Fraction(1)
    assert len(programs) == sum(2**m for m in range(1, 9)) + 7
    for bad in (0, 17, 2.5):
        with pytest.raises(ValueError):
            K.program_space(bad)


def test_named_sequences_first_terms():
    seqs = K.named_sequences()
    assert seqs["Thue-Morse"](8).tolist() == [0, 1, 1, 0, 1, 0, 0, 1]
    assert seqs["Fibonacci word"](8).tolist() == [0, 1, 0, 0, 1, 0, 1, 0]
    assert seqs["primes (1 at prime positions)"](8).tolist() == [0, 1, 1, 0, 1, 0, 1, 0]
    assert seqs["squares (1 at square positions)"](9).tolist() == [1, 0, 0, 1, 0, 0, 0, 0, 1]
    assert seqs["binary counting 1 10 11 100 ..."](9).tolist() == [1, 1, 0, 1, 1, 1, 0, 0, 1]


def brute_force_m(programs, x: list[int]) -> float:
    """M(x) summed program by program, with the fallback's KT probability."""
    total = sum(2.0**-p.length for p in programs if p.generate(len(x)).tolist() == x)
    ones = sum(x)
    kt = 2.0 ** -mdl.kt_code_length([len(x) - ones, ones]) if x else 1.0
    return total + 2.0 ** -len(K.LITERAL_CODE) * kt


def test_mixture_probabilities_match_brute_force_and_the_solomonoff_bound():
    programs = K.program_space(6)
    for name, truth in (("Thue-Morse", K.named_sequences()["Thue-Morse"](40)), ("period", None)):
        x = truth.tolist() if name != "period" else [1, 1, 0] * 13
        mix = K.SolomonoffMixture(programs)
        code = 0.0
        for t, bit in enumerate(x):
            p = mix.predict()
            assert math.isclose(p.sum(), 1.0)
            want = brute_force_m(programs, [*x[:t], bit]) / brute_force_m(programs, x[:t])
            assert p[bit] == pytest.approx(want, rel=1e-9)
            code -= math.log2(p[bit])
            mix.update(bit)
        # the predictions multiply to M(x) / M(empty): the prior's Kraft sum is below 1
        m_empty = brute_force_m(programs, [])
        assert m_empty <= 1.0
        assert code == pytest.approx(-math.log2(brute_force_m(programs, x) / m_empty), rel=1e-9)
        # hence -log2 M(x) / M(empty) <= |p| for every program that prints x
        shortest = min(p.length for p in programs if p.generate(len(x)).tolist() == x)
        assert code <= shortest + 1e-9
        assert mix.posterior().sum() <= 1.0 + 1e-12


def test_mixture_falls_back_on_sequences_no_program_prints():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=64).tolist()
    mix = K.SolomonoffMixture(K.program_space(4))
    code = 0.0
    for bit in x:
        code -= math.log2(mix.predict()[bit])
        mix.update(bit)
    ones = sum(x)
    m_empty = brute_force_m(K.program_space(4), [])
    want = 4 + mdl.kt_code_length([len(x) - ones, ones]) + math.log2(m_empty)
    assert code == pytest.approx(want, abs=1e-6)


def test_mixture_rejects_bad_input():
    programs = K.program_space(2)
    with pytest.raises(ValueError):
        K.SolomonoffMixture([])
    with pytest.raises(ValueError, match="prefix-free"):
        K.SolomonoffMixture([*programs, K.Program("clash", "11", lambda n: np.zeros(n, int))])
    mix = K.SolomonoffMixture(programs, horizon=2)
    with pytest.raises(ValueError):
        mix.update(2)
    mix.update(0)
    mix.update(0)
    with pytest.raises(ValueError, match="first 2 bits"):
        mix.predict()
