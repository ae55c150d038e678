"""Tests of predcomp.coding.arithmetic: quantization, the integer coder, near-ideal length."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from predcomp.coding import arithmetic as ac
from predcomp.coding.arithmetic import (
    AdaptiveFrequencies,
    ArithmeticDecoder,
    ArithmeticEncoder,
    StaticFrequencies,
    decode_symbols,
    encode_symbols,
    frequency_ceiling,
    quantize,
)

SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_quantize(p: list[float], total_bits: int) -> list[int]:
    """The specification of :func:`quantize`, written with Python integers and fractions."""
    n, total = len(p), 1 << total_bits
    scale_bits = 62 - total_bits - (n - 1).bit_length()
    top = max(p)
    w = [math.floor(Fraction(x / top) * (1 << scale_bits)) for x in p]
    cw = [sum(w[: i + 1]) for i in range(n)]
    return [0] + [i + 1 + (total - n) * cw[i] // cw[-1] for i in range(n)]


def payload_bound_bytes(ideal_bits: float) -> float:
    """The promise of the coder: at most 0.1 % plus 8 bytes above the ideal length."""
    return ideal_bits * 1.001 / 8 + 8


# ---------------------------------------------------------------------------- quantize


def test_quantize_known_value() -> None:
    # T = 16, n = 3: one count reserved per symbol, 13 shared by cumulative rounding
    assert quantize([0.5, 0.25, 0.25], total_bits=4).tolist() == [0, 7, 11, 16]


@settings(max_examples=250, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e6, allow_subnormal=True), min_size=1, max_size=300).filter(
        lambda w: max(w) > 0
    ),
    st.integers(9, 30),
)
def test_quantize_properties(weights: list[float], total_bits: int) -> None:
    cum = quantize(weights, total_bits)
    n, total = len(weights), 1 << total_bits
    assert cum.dtype == np.int64 and cum.shape == (n + 1,)
    assert cum[0] == 0 and cum[-1] == total
    freq = np.diff(cum)
    assert freq.min() >= 1  # every symbol stays codable, even with weight 0
    assert cum.tolist() == reference_quantize(weights, total_bits)
    p = np.array(weights) / sum(weights)
    assert np.abs(freq - p * total).max() <= n + 2  # close to the model's probabilities


def test_quantize_is_deterministic_and_scale_free() -> None:
    p = np.random.default_rng(1).dirichlet(np.full(256, 0.3))
    a = quantize(p)
    assert np.array_equal(a, quantize(p.copy()))
    assert np.array_equal(a, quantize(p * 4.0))  # scaling by a power of two changes nothing
    assert np.array_equal(a, quantize(list(p)))


@pytest.mark.parametrize(
    "bad",
    [[], [[0.5, 0.5]], [0.0, 0.0], [0.5, -0.1], [0.5, math.nan], [math.inf, 1.0]],
)
def test_quantize_rejects_invalid(bad: list) -> None:
    with pytest.raises(ValueError):
        quantize(bad)


def test_quantize_rejects_bad_total() -> None:
    with pytest.raises(ValueError):
        quantize([0.5, 0.5], total_bits=31)
    with pytest.raises(ValueError):
        quantize(np.ones(5), total_bits=2)  # 5 symbols cannot all get a count out of 4


@pytest.mark.parametrize(
    ("min_bits", "total_bits"), [(1 / 128, 24), (1 / 1024, 12), (1 / 32, 24), (3, 16), (1, 8)]
)
def test_frequency_ceiling_is_the_largest_frequency_that_costs_enough(min_bits, total_bits):
    f, total = frequency_ceiling(min_bits, total_bits), 1 << total_bits
    # exactly: -log2(f / total) >= min_bits, and not for f + 1 (Fractions, no rounding)
    a, b = Fraction(min_bits).numerator, Fraction(min_bits).denominator
    assert f**b * 2**a <= total**b < (f + 1) ** b * 2**a
    assert -math.log2(f / total) >= min_bits - 1e-15


def test_frequency_ceiling_rejects_what_it_cannot_compute_exactly():
    for bad in (0.0, -1.0, 25.0, 0.1):  # 0.1 is not a fraction with a small denominator
        with pytest.raises(ValueError):
            frequency_ceiling(bad)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e6), min_size=1, max_size=300).filter(lambda w: max(w) > 0),
    st.integers(12, 30),
    st.sampled_from([1 / 1024, 1 / 128, 1 / 8, 1.0]),
)
def test_quantize_with_a_ceiling(weights: list[float], total_bits: int, min_bits: float) -> None:
    n, total = len(weights), 1 << total_bits
    ceiling = frequency_ceiling(min_bits, total_bits)
    cum = quantize(weights, total_bits, ceiling=ceiling)
    plain = quantize(weights, total_bits)
    freq, plain_freq = np.diff(cum), np.diff(plain)
    assert cum[0] == 0 and cum[-1] == total and freq.min() >= 1
    assert freq.max() <= ceiling or n == 1  # a lone symbol has all the total
    if plain_freq.max() <= ceiling or n == 1:  # nothing to cut: the plain quantization
        assert np.array_equal(cum, plain)
    else:  # only the top symbol loses, and every other gains the same share (+1 for a few)
        top = int(plain_freq.argmax())
        assert freq[top] == ceiling
        gain = np.delete(freq - plain_freq, top)
        assert gain.min() >= 0 and gain.max() - gain.min() <= 1


def test_quantize_ceiling_bounds_the_cost_of_a_certain_symbol() -> None:
    p = np.zeros(256)
    p[7] = 1.0
    ceiling = frequency_ceiling(1 / 128)
    cum = quantize(p, ceiling=ceiling)
    cost = -math.log2((cum[8] - cum[7]) / cum[-1])
    assert 1 / 128 <= cost < 1 / 128 + 1e-6
    with pytest.raises(ValueError):
        quantize(p, ceiling=(1 << 23) - 1)  # below half the total: two could be above it
    with pytest.raises(ValueError):
        quantize(p, ceiling=(1 << 24) + 1)


# ---------------------------------------------------------------------------- the coder


def test_encoder_rejects_impossible_symbols() -> None:
    enc = ArithmeticEncoder()
    cum = np.array([0, 3, 3, 8])
    with pytest.raises(ValueError):
        enc.encode(cum, 1)  # frequency 0
    with pytest.raises(ValueError):
        enc.encode(cum, 3)  # outside the alphabet
    with pytest.raises(ValueError):
        enc.encode(np.array([0, 1 << 31]), 0)  # total too large for the state
    enc.encode(cum, 2)
    enc.finish()
    with pytest.raises(ValueError):
        enc.encode(cum, 0)


@settings(max_examples=4000, deadline=None)
@given(st.binary(max_size=40))
def test_round_trip_bytes_adaptive_frequencies(data: bytes) -> None:
    payload = encode_symbols(data, AdaptiveFrequencies(256))
    assert bytes(decode_symbols(payload, AdaptiveFrequencies(256), len(data))) == data


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=4), st.integers(0, 255), st.integers(0, 300), st.binary(max_size=4))
def test_round_trip_long_runs(head: bytes, byte: int, run: int, tail: bytes) -> None:
    data = head + bytes([byte]) * run + tail
    payload = encode_symbols(data, AdaptiveFrequencies(256))
    assert bytes(decode_symbols(payload, AdaptiveFrequencies(256), len(data))) == data


@st.composite
def static_case(draw):
    """A fixed distribution (possibly extremely skewed, possibly with zeros) and symbols."""
    n = draw(st.integers(1, 300))
    kind = draw(st.sampled_from(["random", "skewed", "zeros"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(n, draw(st.sampled_from([0.05, 1.0, 20.0]))))
    if kind == "skewed":
        p = np.full(n, 1e-9 / max(n - 1, 1))
        p[rng.integers(n)] = 1 - 1e-9
    elif kind == "zeros":
        p[rng.random(n) < 0.5] = 0.0
        if p.sum() == 0:
            p[0] = 1.0
    # symbols: mostly from the distribution, sometimes any symbol (even probability 0)
    length = draw(st.integers(0, 30))
    symbols = rng.choice(n, size=length, p=p / p.sum())
    if draw(st.booleans()):
        symbols[rng.random(length) < 0.1] = rng.integers(n)
    return p, symbols.tolist()


@settings(max_examples=2500, deadline=None)
@given(static_case())
def test_round_trip_static_distributions(case) -> None:
    p, symbols = case
    table = StaticFrequencies.from_probabilities(p)
    payload = encode_symbols(symbols, table)
    assert decode_symbols(payload, StaticFrequencies.from_probabilities(p), len(symbols)) == symbols


# ---------------------------------------------------------------------------- near-ideal length


def test_extreme_skew_is_near_ideal() -> None:
    n, steps = 256, 100_000
    p = np.full(n, 1e-9 / (n - 1))
    p[0] = 1 - 1e-9
    symbols = np.zeros(steps, dtype=np.int64)
    symbols[[17, 50_000, 90_001]] = [255, 3, 200]  # three "impossible" events
    symbols = symbols.tolist()
    table = StaticFrequencies.from_probabilities(p)
    payload = encode_symbols(symbols, table)
    ideal = float(-np.log2(p[symbols]).sum())  # the model's float probabilities
    assert len(payload) <= payload_bound_bytes(ideal)
    assert decode_symbols(payload, StaticFrequencies.from_probabilities(p), steps) == symbols


def test_integer_adaptive_model_matches_its_own_ideal() -> None:
    """The integer adaptive model costs exactly -log2(f/T) per symbol, plus at most ~2 bytes."""
    rng = np.random.default_rng(3)
    symbols = rng.choice(8, size=20_000, p=[0.5, 0.2, 0.1, 0.1, 0.05, 0.03, 0.01, 0.01])
    table = AdaptiveFrequencies(8, increment=24, limit=1 << 16)
    ideal = 0.0
    for s in symbols:
        cum = table.cumulative()
        ideal -= math.log2((cum[s + 1] - cum[s]) / cum[-1])
        table.update(int(s))
    payload = encode_symbols(symbols, AdaptiveFrequencies(8, increment=24, limit=1 << 16))
    assert ideal / 8 - 1 <= len(payload) <= ideal * 1.0001 / 8 + 4


def test_past_end_reads_stay_below_state_bits() -> None:
    """The analysis behind the check: a valid stream never needs STATE_BITS bits past its end."""
    rng = np.random.default_rng(5)
    worst = 0
    for _ in range(200):
        n = int(rng.integers(2, 50))
        d = rng.dirichlet(np.full(n, 0.2), size=int(rng.integers(1, 80)))
        symbols = [int(rng.choice(n, p=row)) for row in d]
        cums = [quantize(row) for row in d]
        enc = ArithmeticEncoder()
        for c, s in zip(cums, symbols, strict=True):
            enc.encode(c, s)
        dec = ArithmeticDecoder(enc.finish())
        assert [dec.decode(c) for c in cums] == symbols
        worst = max(worst, dec._in.bits_past_end)
    assert worst < ac.STATE_BITS


@pytest.mark.parametrize(("increment", "limit"), [(1, 1 << 16), (2, 1 << 22), (24, 1 << 10)])
def test_adaptive_frequencies_track_their_counts(increment: int, limit: int) -> None:
    """Counts start at 1, grow by `increment`, halve (never to 0) above `limit`."""
    rng = np.random.default_rng(increment)
    table = AdaptiveFrequencies(256, increment=increment, limit=limit)
    counts = np.ones(256, dtype=np.int64)
    for s in rng.integers(0, 256, 3000).tolist():
        held = table.cumulative()
        before = held.copy()
        table.update(s)
        assert np.array_equal(held, before)  # an array handed out is never changed afterwards
        counts[s] += increment
        if counts.sum() > limit:
            counts = (counts + 1) // 2
        assert table.cumulative().tolist() == [0, *np.cumsum(counts).tolist()]
        assert table.cumulative()[-1] <= limit and counts.min() >= 1


# --- binary coding (bitwise models) ------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(1, 4095)), min_size=0, max_size=400))
@SLOW_OK
def test_bits_round_trip_and_cost_what_they_should(case: list[tuple[int, int]]) -> None:
    enc = ArithmeticEncoder()
    for bit, p1 in case:
        enc.encode_bit(bit, p1)
    data = enc.finish()
    dec = ArithmeticDecoder(data)
    assert [dec.decode_bit(p1) for _, p1 in case] == [bit for bit, _ in case]
    ideal = sum(-math.log2(p1 / 4096 if bit else 1 - p1 / 4096) for bit, p1 in case)
    assert 8 * len(data) <= ideal + 0.01 * len(case) + 16


def test_bits_and_symbols_are_the_same_coder() -> None:
    """A bit with P(1) = p1 / 4096 is the two-symbol cum [0, p1, 4096] with 1 first."""
    rng = np.random.default_rng(1)
    a, b = ArithmeticEncoder(), ArithmeticEncoder()
    for _ in range(2000):
        p1, bit = int(rng.integers(1, 4096)), int(rng.integers(0, 2))
        a.encode_bit(bit, p1)
        b.encode(np.array([0, p1, 4096]), 1 - bit)
    assert a.finish() == b.finish()


def test_skewed_bits_are_near_ideal() -> None:
    enc = ArithmeticEncoder()
    for _ in range(100_000):
        enc.encode_bit(0, 1)  # P(0) = 4095/4096
    ideal = 100_000 * -math.log2(4095 / 4096)
    assert 8 * len(enc.finish()) <= ideal + 16


@pytest.mark.parametrize("p1", [0, 4096, -3])
def test_bit_probability_must_leave_room_for_both_bits(p1: int) -> None:
    with pytest.raises(ValueError, match="p1"):
        ArithmeticEncoder().encode_bit(0, p1)
    with pytest.raises(ValueError, match="p1"):
        ArithmeticDecoder(b"\x00" * 8).decode_bit(p1)
    with pytest.raises(ValueError, match="bit"):
        ArithmeticEncoder().encode_bit(2, 100)


def test_bit_decoder_stops_when_data_runs_out() -> None:
    dec = ArithmeticDecoder(b"\x5a")
    with pytest.raises(ValueError, match="ended early"):
        for _ in range(10_000):
            dec.decode_bit(2048)
