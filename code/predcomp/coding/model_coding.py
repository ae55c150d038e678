"""Coding with a model: the one loop that drives the arithmetic coder with any predictive model.

Before each symbol the model predicts, the prediction becomes integer frequencies, the coder
narrows its interval, and the model learns the symbol: :func:`encode_with_model` and
:func:`decoded_symbols` (and :func:`decode_with_model`, its list) run that loop on the two sides,
and :func:`ideal_code_length` adds up the ``-log2 p`` the coder approaches. The compressor
(:mod:`predcomp.compress`) and the book's chapters all use these three.

A model comes in one of two forms (:mod:`predcomp.models.base`):

* a byte (or any-alphabet) :class:`~predcomp.models.base.Model` states a distribution, which
  :func:`~predcomp.coding.arithmetic.quantize` turns into cumulative frequencies;
* a :class:`~predcomp.models.base.BitModel` is coded bit by bit, most significant bit first,
  each bit with the integer probability the model gives it, without building a distribution.

``min_bits``, when given, is the least any symbol may cost in bits, however sure the model is:
the compressor sets it so that a payload byte can only decode to a bounded number of bytes
(for a bitwise model each of a byte's eight bits costs at least ``min_bits / 8``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from predcomp.coding.arithmetic import (
    DEFAULT_TOTAL_BITS,
    ArithmeticDecoder,
    ArithmeticEncoder,
    _check_count,
    frequency_ceiling,
    quantize,
)
from predcomp.models.base import BitModel, Model

__all__ = [
    "bit_range",
    "decode_with_model",
    "decoded_symbols",
    "encode_with_model",
    "ideal_code_length",
]

#: the bits of a byte, most significant first (the order bitwise models code them in)
_BIT_SHIFTS = (7, 6, 5, 4, 3, 2, 1, 0)


def _ceiling(min_bits: float | None, total_bits: int) -> int | None:
    """The largest frequency a symbol may get so that it costs ``>= min_bits`` (None: no cap)."""
    return None if min_bits is None else frequency_ceiling(min_bits, total_bits)


def bit_range(min_bits: float | None, prob_bits: int) -> tuple[int, int]:
    """The clamp ``lo, hi`` of a bit probability, so that a byte costs ``>= min_bits``."""
    hi = (1 << prob_bits) - 1 if min_bits is None else frequency_ceiling(min_bits / 8, prob_bits)
    return (1 << prob_bits) - hi, hi


def encode_with_model(
    symbols: Iterable[int],
    model: Model,
    total_bits: int = DEFAULT_TOTAL_BITS,
    *,
    min_bits: float | None = None,
) -> bytes:
    """Encode ``symbols`` with a predictive model: predict, quantize, encode, update."""
    encoder = ArithmeticEncoder()
    if isinstance(model, BitModel):
        _encode_bits(encoder, symbols, model, min_bits)
        return encoder.finish()
    ceiling = _ceiling(min_bits, total_bits)
    for symbol in symbols:
        symbol = int(symbol)
        encoder.encode(quantize(model.predict(), total_bits, ceiling), symbol)
        model.update(symbol)
    return encoder.finish()


def _encode_bits(
    encoder: ArithmeticEncoder, symbols: Iterable[int], m: BitModel, min_bits: float | None
) -> None:
    """Eight binary codings per byte, most significant bit first (the hot loop: names bound)."""
    p_bit, update_bit, encode_bit, bits = m.p_bit, m.update_bit, encoder.encode_bit, m.prob_bits
    lo, hi = bit_range(min_bits, bits)
    for symbol in symbols:
        if not 0 <= symbol < 256:
            raise ValueError(f"a bitwise model codes bytes, got the symbol {symbol!r}")
        for j in _BIT_SHIFTS:
            bit = (symbol >> j) & 1
            p = p_bit()
            encode_bit(bit, lo if p < lo else hi if p > hi else p, bits)
            update_bit(bit)


def decoded_symbols(
    data: bytes,
    model: Model,
    n: int,
    total_bits: int = DEFAULT_TOTAL_BITS,
    *,
    min_bits: float | None = None,
) -> Iterator[int]:
    """The ``n`` symbols :func:`encode_with_model` coded, one at a time, with a fresh ``model``.

    Always stops after ``n`` steps, and earlier (with :class:`ValueError`) when the data runs
    out, so neither garbage nor a forged ``n`` can make it loop for ever.
    """
    n = _check_count(n)
    decoder = ArithmeticDecoder(data)
    if isinstance(model, BitModel):
        yield from _decode_bits(decoder, model, n, min_bits)
        return
    ceiling = _ceiling(min_bits, total_bits)
    for _ in range(n):
        symbol = decoder.decode(quantize(model.predict(), total_bits, ceiling))
        model.update(symbol)
        yield symbol


def _decode_bits(
    decoder: ArithmeticDecoder, m: BitModel, n: int, min_bits: float | None
) -> Iterator[int]:
    """The inverse of :func:`_encode_bits`: eight binary decodings per byte."""
    p_bit, update_bit, decode_bit, bits = m.p_bit, m.update_bit, decoder.decode_bit, m.prob_bits
    lo, hi = bit_range(min_bits, bits)
    for _ in range(n):
        symbol = 0
        for _ in _BIT_SHIFTS:
            p = p_bit()
            bit = decode_bit(lo if p < lo else hi if p > hi else p, bits)
            update_bit(bit)
            symbol = (symbol << 1) | bit
        yield symbol


def decode_with_model(
    data: bytes,
    model: Model,
    n: int,
    total_bits: int = DEFAULT_TOTAL_BITS,
    *,
    min_bits: float | None = None,
) -> list[int]:
    """Decode exactly ``n`` symbols with a fresh copy of the model the encoder used."""
    return list(decoded_symbols(data, model, n, total_bits, min_bits=min_bits))


def ideal_code_length(symbols: Iterable[int], model: Model) -> float:
    """``sum(-log2 p(x_i | x_<i))`` in bits, with the model's own float probabilities.

    Drives ``model`` through the sequence (pass a fresh one). This is the length the coder
    approaches; an occurring symbol with probability 0 makes it infinite. A bitwise model's
    length is the sum over the eight bits of each byte, the same number by the chain rule.
    """
    if isinstance(model, BitModel):
        return _bits_code_length(symbols, model)
    bits = 0.0
    for symbol in symbols:
        symbol = int(symbol)
        p = np.asarray(model.predict(), dtype=np.float64)
        if not 0 <= symbol < p.size:
            raise ValueError(f"symbol {symbol} outside 0..{p.size - 1}")
        ps = float(p[symbol]) / float(p.sum())
        bits += -math.log2(ps) if ps > 0 else math.inf
        model.update(symbol)
    return bits


def _bits_code_length(symbols: Iterable[int], m: BitModel) -> float:
    """:func:`ideal_code_length` of a bitwise model, from its integer bit probabilities."""
    one = 1 << m.prob_bits
    log2, p_bit, update_bit = math.log2, m.p_bit, m.update_bit
    bits, n = 0.0, 0
    for symbol in symbols:
        if not 0 <= symbol < 256:
            raise ValueError(f"a bitwise model codes bytes, got the symbol {symbol!r}")
        for j in _BIT_SHIFTS:
            bit = (symbol >> j) & 1
            p = p_bit()
            bits -= log2(p if bit else one - p)
            update_bit(bit)
        n += 1
    return bits + n * 8 * m.prob_bits
