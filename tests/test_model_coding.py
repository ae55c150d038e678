"""Tests of predcomp.coding.model_coding: the model -> coder loop, for byte and bit models."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.model_coding import (
    decode_with_model,
    decoded_symbols,
    encode_with_model,
    ideal_code_length,
)
from predcomp.models.precomputed import Precomputed


class Order0:
    """A small adaptive order-0 model in probability form (the form every model uses)."""

    def __init__(self, alphabet_size: int = 256, alpha: float = 0.5) -> None:
        self.alphabet_size = alphabet_size
        self.alpha = alpha
        self.counts = np.zeros(alphabet_size)

    def predict(self) -> np.ndarray:
        c = self.counts + self.alpha
        return c / c.sum()

    def update(self, symbol: int) -> None:
        self.counts[symbol] += 1

    def params(self) -> dict:
        return {"alphabet_size": self.alphabet_size, "alpha": self.alpha}


def payload_bound_bytes(ideal_bits: float) -> float:
    """The promise of the coder: at most 0.1 % plus 8 bytes above the ideal length."""
    return ideal_bits * 1.001 / 8 + 8


def test_long_run_with_a_float_model() -> None:
    data = b"x" + b"\0" * 10_000 + b"y"
    payload = encode_with_model(data, Order0())
    assert len(payload) <= payload_bound_bytes(ideal_code_length(data, Order0()))
    assert bytes(decode_with_model(payload, Order0(), len(data))) == data


@st.composite
def changing_case(draw):
    """A different distribution at every step, of varying sharpness."""
    n = draw(st.integers(2, 256))
    steps = draw(st.integers(0, 15))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    alphas = 10.0 ** rng.uniform(-3, 1, size=steps)
    d = np.array([rng.dirichlet(np.full(n, a)) for a in alphas]).reshape(steps, n)
    symbols = [int(rng.choice(n, p=row)) for row in d]
    if steps and draw(st.booleans()):  # symbols the model considers nearly impossible
        d[0] = 0.0
        d[0, (symbols[0] + 1) % n] = 1.0
    return d, symbols


@settings(max_examples=2000, deadline=None)
@given(changing_case())
def test_round_trip_changing_distributions(case) -> None:
    d, symbols = case
    payload = encode_with_model(symbols, Precomputed(d))
    assert decode_with_model(payload, Precomputed(d), len(symbols)) == symbols


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=32), st.integers(0, 100))
def test_garbage_decodes_boundedly(garbage: bytes, n: int) -> None:
    """Any bytes decode to n valid symbols or raise ValueError; never more than n steps."""
    try:
        out = decode_with_model(garbage, Order0(), n)
    except ValueError:
        return
    assert len(out) == n and all(0 <= s < 256 for s in out)


def test_near_ideal_on_real_text() -> None:
    """Order-0 adaptive model on real English text: payload <= ideal x 1.001 + 8 bytes."""
    data = pytest.importorskip("predcomp.data")
    try:
        text = data.load_bytes("asyoulik")
    except Exception as exc:  # corpus not in the cache on this machine
        pytest.skip(f"asyoulik not available: {exc}")
    text = text[:20_000]
    payload = encode_with_model(text, Order0())
    ideal = ideal_code_length(text, Order0())
    assert ideal / len(text) == pytest.approx(4.6, abs=0.5)  # order-0 English: ~4.5 bits/char
    assert len(payload) <= payload_bound_bytes(ideal)
    assert len(payload) >= ideal / 8 - 8  # and no better than ideal (up to quantization)
    assert bytes(decode_with_model(payload, Order0(), len(text))) == text


def test_decoder_stops_when_data_runs_out() -> None:
    """A forged, huge symbol count cannot make the decoder run on: the data runs out."""
    text = b"abracadabra " * 50
    payload = encode_with_model(text, Order0())
    assert bytes(decode_with_model(payload, Order0(), len(text))) == text
    with pytest.raises(ValueError, match="ended early"):
        decode_with_model(payload, Order0(), 10**12)


def test_decode_with_model_validates_count() -> None:
    with pytest.raises(ValueError):
        decode_with_model(b"", Order0(), -1)
    assert decode_with_model(b"", Order0(), 0) == []
    assert encode_with_model([], Order0()) == b"\x80"  # just the terminating 1 bit


def test_ideal_code_length_uniform() -> None:
    assert ideal_code_length([1, 2, 3], Precomputed(np.full((3, 8), 1 / 8))) == pytest.approx(9)
    assert ideal_code_length([0], Precomputed(np.array([[0.0, 1.0]]))) == math.inf


def test_decoding_in_a_separate_process() -> None:
    """Encoder and decoder in different processes agree: quantize is deterministic."""
    program = """
import sys
import numpy as np
from predcomp.coding.model_coding import decode_with_model
from predcomp.models.precomputed import Precomputed
rng = np.random.default_rng(11)
d = rng.dirichlet(np.full(256, 0.05), size=1000) ** 1.7  # unnormalized, sharp weights
payload = bytes.fromhex(sys.stdin.read())
print(",".join(map(str, decode_with_model(payload, Precomputed(d), 1000))))
"""
    rng = np.random.default_rng(11)
    d = rng.dirichlet(np.full(256, 0.05), size=1000) ** 1.7
    symbols = [int(rng.choice(256, p=row / row.sum())) for row in d]
    payload = encode_with_model(symbols, Precomputed(d))
    result = subprocess.run(
        [sys.executable, "-c", program],
        input=payload.hex(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert [int(s) for s in result.stdout.strip().split(",")] == symbols


# ---------------------------------------------------------------------------- bitwise models


def test_bit_model_round_trip_and_ideal_length():
    """A bitwise model is coded bit by bit, and its payload is near its ideal length."""
    from predcomp.models.ctw import CTW

    text = b"abracadabra, abracadabra! " * 8
    payload = encode_with_model(text, CTW(depth=8))
    assert bytes(decode_with_model(payload, CTW(depth=8), len(text))) == text
    ideal = ideal_code_length(text, CTW(depth=8))
    assert ideal / 8 - 1 <= len(payload) <= payload_bound_bytes(ideal)


def test_bit_model_refuses_symbols_that_are_not_bytes():
    from predcomp.models.ctw import CTW

    with pytest.raises(ValueError, match="codes bytes"):
        encode_with_model([3, 256], CTW(depth=2))
    with pytest.raises(ValueError, match="codes bytes"):
        ideal_code_length([-1], CTW(depth=2))


@pytest.mark.parametrize("bitwise", [False, True])
def test_min_bits_puts_a_floor_under_every_symbol(bitwise):
    """However sure the model is, a symbol costs at least ``min_bits`` (up to termination)."""
    from predcomp.models.ctw import CTW

    data, floor = bytes(4000), 1 / 2
    fresh = (lambda: CTW(depth=2)) if bitwise else Order0
    free = encode_with_model(data, fresh())
    floored = encode_with_model(data, fresh(), min_bits=floor)
    assert 8 * len(free) < len(data) * floor  # the model alone is surer than the floor
    assert 8 * len(floored) >= len(data) * floor - 2
    assert bytes(decoded_symbols(floored, fresh(), len(data), min_bits=floor)) == data


def test_the_compressor_uses_this_loop():
    """compress() wraps exactly the payload this module's loop writes."""
    from predcomp.coding.container import unpack
    from predcomp.compress import MIN_BITS_PER_BYTE, compress
    from predcomp.models.registry import make_model

    text = b"to be or not to be, that is the question " * 4
    for name in ("ppm", "ctw"):
        _, payload = unpack(compress(text, name, progress=False))
        m = make_model(name, input_length=len(text))
        assert payload == encode_with_model(text, m, min_bits=MIN_BITS_PER_BYTE)
