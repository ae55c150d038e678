"""Asymmetric numeral systems: the range variant (rANS) of Duda's entropy coder.

An arithmetic coder narrows an *interval*; ANS keeps a single natural number, its *state*
``x``. To code a symbol ``s`` of integer frequency ``f`` and cumulative frequency ``c`` out of
``M = 2**total_bits`` (the quantized probability ``f / M``, from the same :func:`quantize` the
arithmetic coder uses), the encoder replaces the state by

    ``C(s, x) = (x // f) * M + c + (x mod f)``,

which is about ``x * M / f``: the state grows by ``log2(M / f) = -log2 q(s)`` bits. The decoder
inverts it exactly: ``slot = x mod M`` names the symbol (``c <= slot < c + f``) and
``x = f * (x // M) + slot - c`` gives back the previous state. Because decoding pops symbols in
the reverse order of encoding (the state is a *stack*), the encoder works through the message
backwards, and an adaptive model must first be run forwards to collect its predictions.

Streaming. The state would grow without bound; as in the ANS coders of Giesen and of
``constriction``, this one keeps it below ``2**STATE_BITS`` by moving its low ``WORD_BITS`` bits
to the output whenever the next step could overflow, and the decoder reads a word back when its
state falls below ``LOWER = 2**(STATE_BITS - WORD_BITS)``. Once a word has been written the state
never falls below ``LOWER`` again (encoding never decreases it), which is what makes the
decoder's "read a word when the state is small and words remain" the exact mirror of the
encoder's "write a word when the state is large" (this needs ``total_bits < WORD_BITS``).

Costs. Three small ones, measured in the tests. (1) Start-up: the state starts at 1, and while
it is smaller than the frequencies the map ``C`` is far from ``x * M / f``; the first symbols
pushed (the last of the message) can cost about ``total_bits`` bits more, or less, than their
ideal length. (2) The flush: the final state is written in full (``STATE_BITS`` bits) but holds at
least ``STATE_BITS - WORD_BITS`` bits of message once a word is out, so at most ``WORD_BITS``
bits are padding. (3) The integer division loses at most about ``M / LOWER`` of a symbol's cost,
and on average far less. With this 64-bit state and 32-bit words (the layout of Giesen's
``rans64``) and the arithmetic coder's default ``M = 2**24``, the total is a few bytes per
message. Coders with 32-bit states use 12- to 16-bit frequencies instead.

Decoding must end in the initial state with every word consumed: a free integrity check.

This is the coder of JPEG XL (rANS with 12-bit frequencies); zstd uses the tabled variant
(tANS, "finite state entropy").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from predcomp.coding.arithmetic import DEFAULT_TOTAL_BITS, MAX_TOTAL_BITS, quantize

if TYPE_CHECKING:
    from predcomp.models.base import Model

__all__ = [
    "DEFAULT_TOTAL_BITS",
    "LOWER",
    "STATE_BITS",
    "WORD_BITS",
    "RansDecoder",
    "RansEncoder",
    "decode_symbols",
    "decode_with_model",
    "encode_symbols",
    "encode_with_model",
]

#: the state is below ``2**STATE_BITS``; words of ``WORD_BITS`` bits move it to the stream
STATE_BITS = 64
WORD_BITS = 32
#: once a word has been written, the state stays in ``[LOWER, 2**STATE_BITS)``
LOWER = 1 << (STATE_BITS - WORD_BITS)
_WORD_MASK = (1 << WORD_BITS) - 1
_STATE_BYTES = STATE_BITS // 8
_WORD_BYTES = WORD_BITS // 8


def _check_cum(cum: np.ndarray) -> tuple[np.ndarray, int]:
    """``cum`` as an int64 array, and ``log2`` of its total, which must be a power of two."""
    cum = np.asarray(cum)
    if cum.ndim != 1 or cum.size < 2 or not np.issubdtype(cum.dtype, np.integer):
        raise ValueError("cumulative frequencies must be a 1-D integer array of length >= 2")
    total = int(cum[-1])
    bits = total.bit_length() - 1
    if int(cum[0]) != 0 or total != 1 << bits or not 1 <= bits <= MAX_TOTAL_BITS:
        raise ValueError(
            f"cumulative frequencies must start at 0 and total a power of two up to "
            f"2**{MAX_TOTAL_BITS}"
        )
    if (np.diff(cum) < 0).any():
        raise ValueError("cumulative frequencies must not decrease")
    return cum.astype(np.int64, copy=False), bits


def _interval(cum: np.ndarray, symbol: int) -> tuple[int, int]:
    n = cum.size - 1
    if not 0 <= symbol < n:
        raise ValueError(f"symbol {symbol} outside 0..{n - 1}")
    start, freq = int(cum[symbol]), int(cum[symbol + 1] - cum[symbol])
    if freq < 1:
        raise ValueError(f"symbol {symbol} has frequency 0; it cannot be coded")
    return start, freq


class RansEncoder:
    """Push symbols onto the state, *last symbol first*; :meth:`finish` returns the bytes."""

    def __init__(self) -> None:
        self.state = 1
        self._words: list[int] = []  # in the order written; the decoder reads them backwards

    def push(self, start: int, freq: int, total_bits: int) -> None:
        """Encode the symbol that owns ``[start, start + freq)`` out of ``2**total_bits``."""
        x = self.state
        # Would C(s, x) reach 2**STATE_BITS? Then first move the low word out (once suffices:
        # afterwards x < LOWER, so C(s, x) < LOWER * 2**total_bits < 2**STATE_BITS, and
        # x // freq >= 2**(STATE_BITS - WORD_BITS - total_bits), so C(s, x) >= LOWER).
        if x >> (STATE_BITS - total_bits) >= freq:
            self._words.append(x & _WORD_MASK)
            x >>= WORD_BITS
        self.state = ((x // freq) << total_bits) + start + x % freq
        # invariant: below 2**STATE_BITS, and at least LOWER once a word has been written
        assert self.state < 1 << STATE_BITS and (not self._words or self.state >= LOWER)

    @property
    def bits_written(self) -> int:
        """Bits the finished stream will have: the words so far plus the final state."""
        return WORD_BITS * len(self._words) + STATE_BITS

    def finish(self) -> bytes:
        """The final state (big-endian), then the words, last written first."""
        out = bytearray(self.state.to_bytes(_STATE_BYTES, "big"))
        for word in reversed(self._words):
            out += word.to_bytes(_WORD_BYTES, "big")
        return bytes(out)


class RansDecoder:
    """Pop symbols off the state, first symbol first (the reverse of the encoder's order)."""

    def __init__(self, data: bytes) -> None:
        data = bytes(data)
        if len(data) < _STATE_BYTES or (len(data) - _STATE_BYTES) % _WORD_BYTES:
            raise ValueError(
                f"not an rANS stream: {len(data)} bytes is not {_STATE_BYTES} plus a whole "
                f"number of {_WORD_BYTES}-byte words"
            )
        self.state = int.from_bytes(data[:_STATE_BYTES], "big")
        self._data = data
        self._pos = _STATE_BYTES
        words = (len(data) - _STATE_BYTES) // _WORD_BYTES
        if self.state == 0 or (words and self.state < LOWER):
            raise ValueError("not an rANS stream: its final state is impossible")

    def peek(self, total_bits: int) -> int:
        """The slot ``state mod 2**total_bits`` that names the next symbol."""
        return self.state & ((1 << total_bits) - 1)

    def pop(self, start: int, freq: int, total_bits: int) -> None:
        """Remove the symbol that owns ``[start, start + freq)``; read a word if needed."""
        x = self.state
        self.state = freq * (x >> total_bits) + (x & ((1 << total_bits) - 1)) - start
        if self.state < LOWER and self._pos < len(self._data):
            word = int.from_bytes(self._data[self._pos : self._pos + _WORD_BYTES], "big")
            self._pos += _WORD_BYTES
            self.state = (self.state << WORD_BITS) | word

    def decode(self, cum: np.ndarray) -> int:
        """Decode one symbol with the cumulative frequencies ``cum`` (total a power of two)."""
        cum, bits = _check_cum(cum)
        slot = self.peek(bits)
        symbol = int(np.searchsorted(cum, slot, side="right")) - 1
        start, freq = _interval(cum, symbol)
        self.pop(start, freq, bits)
        return symbol

    def check_end(self) -> None:
        """Raise :class:`ValueError` unless the whole stream was used and the state is back at 1."""
        if self.state != 1 or self._pos != len(self._data):
            raise ValueError(
                "the rANS stream did not decode back to its initial state: it is corrupted, "
                "or it was encoded with another model or length"
            )


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"the number of symbols must be a non-negative integer, got {n!r}")
    return int(n)


def encode_symbols(symbols: Sequence[int], cum: np.ndarray) -> bytes:
    """Encode ``symbols`` with one fixed table of cumulative frequencies (a static model)."""
    cum, bits = _check_cum(cum)
    encoder = RansEncoder()
    for symbol in reversed(list(symbols)):
        start, freq = _interval(cum, int(symbol))
        encoder.push(start, freq, bits)
    return encoder.finish()


def decode_symbols(data: bytes, cum: np.ndarray, n: int) -> list[int]:
    """Decode exactly ``n`` symbols encoded by :func:`encode_symbols` with the same ``cum``."""
    n = _check_count(n)
    decoder = RansDecoder(data)
    out = [decoder.decode(cum) for _ in range(n)]
    decoder.check_end()
    return out


def encode_with_model(
    symbols: Iterable[int], model: Model, total_bits: int = DEFAULT_TOTAL_BITS
) -> bytes:
    """Encode with a predictive model: run it forwards, then push the symbols backwards.

    The forward pass records each symbol's quantized interval (with the arithmetic coder's
    :func:`~predcomp.coding.arithmetic.quantize`), which is all the backward pass needs.
    """
    intervals = []
    for symbol in symbols:
        symbol = int(symbol)
        intervals.append(_interval(quantize(model.predict(), total_bits), symbol))
        model.update(symbol)
    encoder = RansEncoder()
    for start, freq in reversed(intervals):
        encoder.push(start, freq, total_bits)
    return encoder.finish()


def decode_with_model(
    data: bytes, model: Model, n: int, total_bits: int = DEFAULT_TOTAL_BITS
) -> list[int]:
    """Decode ``n`` symbols with a fresh copy of the encoder's model, first symbol first."""
    n = _check_count(n)
    decoder = RansDecoder(data)
    out: list[int] = []
    for _ in range(n):
        symbol = decoder.decode(quantize(model.predict(), total_bits))
        model.update(symbol)
        out.append(symbol)
    decoder.check_end()
    return out
