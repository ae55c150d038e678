"""Tests of predcomp.coding.ans: exact round trips, lengths against the ideal and against the
arithmetic coder on the same quantized probabilities, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from predcomp.coding import ans
from predcomp.coding import arithmetic as ac
from predcomp.coding.model_coding import encode_with_model
from predcomp.models.counts import Adaptive, ContextModel

SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ideal_bits(symbols, cums) -> float:
    """``sum -log2(f / M)`` of the quantized intervals the coder actually uses."""
    return sum(-math.log2((c[s + 1] - c[s]) / c[-1]) for s, c in zip(symbols, cums, strict=True))


def model_cums(symbols, model, total_bits):
    cums = []
    for s in symbols:
        cums.append(ac.quantize(model.predict(), total_bits))
        model.update(s)
    return cums


def content_bits(encoder: ans.RansEncoder) -> float:
    """What the stream holds: the words written plus the information in the final state."""
    return encoder.bits_written - ans.STATE_BITS + math.log2(encoder.state)


def test_push_and_pop_are_inverse_on_small_states():
    cum = np.array([0, 3, 4, 9, 16])  # frequencies 3, 1, 5, 7 out of 16
    for x in range(1, 2000):
        for s in range(4):
            enc = ans.RansEncoder()
            enc.state = x
            start, freq = int(cum[s]), int(cum[s + 1] - cum[s])
            enc.push(start, freq, 4)
            dec = ans.RansDecoder(enc.finish())
            assert dec.decode(cum) == s
            assert dec.state == x


@SLOW_OK
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12).filter(lambda w: max(w) > 0),
    picks=st.lists(st.integers(0, 10**6), max_size=300),
    total_bits=st.sampled_from([8, 12, 16, 24, 30]),
)
def test_static_round_trip_and_length(weights, picks, total_bits):
    cum = ac.quantize(weights, total_bits)
    n = len(weights)
    symbols = [p % n for p in picks]
    data = ans.encode_symbols(symbols, cum)
    assert ans.decode_symbols(data, cum, len(symbols)) == symbols
    # the stream is the ideal length of the quantized model plus at most the final state
    ideal = ideal_bits(symbols, [cum] * len(symbols))
    assert 8 * len(data) <= ideal + total_bits + 2 + 1e-4 * len(symbols) + ans.STATE_BITS


@SLOW_OK
@given(data=st.binary(max_size=2000), order=st.integers(0, 2))
def test_model_round_trip_bytes(data, order):
    blob = ans.encode_with_model(data, ContextModel(order))
    assert bytes(ans.decode_with_model(blob, ContextModel(order), len(data))) == data


def test_length_matches_the_ideal_and_the_arithmetic_coder():
    rng = np.random.default_rng(0)
    for trial, (a, n, tb) in enumerate([(2, 50_000, 12), (16, 20_000, 24), (256, 20_000, 24)]):
        p = rng.dirichlet(np.full(a, 0.3))
        symbols = rng.choice(a, size=n, p=p).tolist()
        cums = model_cums(symbols, Adaptive(a), tb)
        ideal = ideal_bits(symbols, cums)
        # the state's content tracks the ideal length, up to the start-up cost (at most about
        # total_bits, either way) and a division loss far below a bit per thousand symbols
        enc = ans.RansEncoder()
        for s, c in reversed(list(zip(symbols, cums, strict=True))):
            enc.push(int(c[s]), int(c[s + 1] - c[s]), tb)
        loss = content_bits(enc) - ideal
        assert abs(loss) <= tb + 2 + 1e-4 * n, (trial, loss)
        # and the finished stream adds at most one word (the final state is written whole)
        data = ans.encode_with_model(symbols, Adaptive(a), tb)
        assert data == enc.finish()
        assert 8 * len(data) <= ideal + loss + ans.WORD_BITS + 1e-9
        # against the arithmetic coder driven by the same model and the same quantization
        arith = encode_with_model(symbols, Adaptive(a), tb)
        assert abs(len(data) - len(arith)) <= ans.WORD_BITS // 8 + 2, (len(data), len(arith))
        assert ans.decode_with_model(data, Adaptive(a), n, tb) == symbols


def test_empty_and_one_symbol_messages():
    cum = ac.quantize([0.5, 0.5])
    assert ans.decode_symbols(ans.encode_symbols([], cum), cum, 0) == []
    for s in (0, 1):
        assert ans.decode_symbols(ans.encode_symbols([s], cum), cum, 1) == [s]


def test_corrupted_truncated_and_foreign_streams_raise():
    rng = np.random.default_rng(1)
    symbols = rng.integers(0, 256, 3000).tolist()
    blob = ans.encode_with_model(symbols, Adaptive(256))
    with pytest.raises(ValueError, match="not an rANS stream"):
        ans.decode_with_model(blob[:-1], Adaptive(256), len(symbols))
    with pytest.raises(ValueError, match="initial state"):
        ans.decode_with_model(blob[:-4], Adaptive(256), len(symbols))
    with pytest.raises(ValueError, match="initial state"):
        ans.decode_with_model(blob, Adaptive(256), len(symbols) - 1)
    for pos in rng.choice(len(blob), size=40, replace=False):
        bad = bytearray(blob)
        bad[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(ValueError):
            ans.decode_with_model(bytes(bad), Adaptive(256), len(symbols))
    with pytest.raises(ValueError):
        ans.RansDecoder(b"\x00" * 8)  # state 0 never occurs


def test_bad_tables_and_symbols_raise():
    with pytest.raises(ValueError, match="power of two"):
        ans.encode_symbols([0], np.array([0, 3, 6]))
    with pytest.raises(ValueError, match="frequency 0"):
        ans.encode_symbols([1], np.array([0, 4, 4, 8]))
    with pytest.raises(ValueError, match="outside"):
        ans.encode_symbols([5], ac.quantize([0.5, 0.5]))
    with pytest.raises(ValueError):
        ans.decode_symbols(b"", ac.quantize([0.5, 0.5]), 1)
    with pytest.raises(ValueError, match="non-negative"):
        ans.decode_symbols(ans.encode_symbols([0], ac.quantize([0.5, 0.5])), [0, 1, 2], -1)
