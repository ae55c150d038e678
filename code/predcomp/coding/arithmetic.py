"""Arithmetic coding with finite precision: an integer coder and its frequency tables.

The integer coder is layered like Nayuki's *Reference arithmetic coding*:

1. **Frequencies.** :func:`quantize` is the *one* function that turns a model's floating-point
   probabilities into integer cumulative frequencies. Encoder and decoder both call it, so they
   see bit-identical intervals. :class:`StaticFrequencies` and :class:`AdaptiveFrequencies` are
   integer frequency models for the classic static and adaptive order-0 coders.
2. **The coder.** :class:`ArithmeticEncoder` / :class:`ArithmeticDecoder` narrow an interval of
   ``STATE_BITS``-bit integers, sharing one update rule (:meth:`ArithmeticCoderBase.update`).
3. **Bits.** :mod:`predcomp.coding.bitio` reads and writes the bit stream.

:func:`encode_symbols` / :func:`decode_symbols` drive the coder with an integer frequency
table; :mod:`predcomp.coding.model_coding` drives it with any predictive model, and
:mod:`predcomp.coding.intervals` shows the same coding with exact fractions.

Precision. The state is ``STATE_BITS = 32`` bits, so after renormalization the interval
spans more than a quarter of the state range, ``R > 2**30``. Frequencies total ``T = 2**24``
by default. Two small losses follow, and this choice keeps both negligible:

* integer division shortens each sub-interval by less than one unit, which costs a symbol of
  frequency ``f`` at most ``-log2(1 - T / (f R)) <= -log2(1 - 2**-6) ~ 0.023`` bits, and on average
  about ``n / (R ln 2)`` bits, ``~3e-7`` bits for ``n = 256`` symbols;
* every symbol gets frequency at least 1 (so a symbol the model calls impossible can still be
  coded), which takes at most ``n / T`` of the probability mass from the others: at most
  ``n / (T ln 2) ~ 2.2e-5`` bits per symbol for ``n = 256``, even for ``p = 1 - 1e-9``.

A larger ``T`` shrinks the second loss but grows the first; ``total_bits`` may go up to
``STATE_BITS - 2 = 30`` (the total must not exceed the smallest possible range).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np

from predcomp.coding.bitio import BitReader, BitWriter

STATE_BITS = 32
FULL_RANGE = 1 << STATE_BITS
HALF_RANGE = FULL_RANGE >> 1
QUARTER_RANGE = HALF_RANGE >> 1
THREE_QUARTERS = HALF_RANGE + QUARTER_RANGE
#: after renormalization, ``high - low + 1`` is never below this
MINIMUM_RANGE = QUARTER_RANGE + 2
STATE_MASK = FULL_RANGE - 1
DEFAULT_TOTAL_BITS = 24
MAX_TOTAL_BITS = STATE_BITS - 2
#: frequency totals may not exceed this (every symbol must keep a non-empty interval)
MAX_TOTAL = 1 << MAX_TOTAL_BITS

__all__ = [
    "DEFAULT_TOTAL_BITS",
    "STATE_BITS",
    "AdaptiveFrequencies",
    "ArithmeticCoderBase",
    "ArithmeticDecoder",
    "ArithmeticEncoder",
    "StaticFrequencies",
    "decode_symbols",
    "encode_symbols",
    "frequency_ceiling",
    "quantize",
]


# --------------------------------------------------------------------------------------------
# 1. Frequencies
# --------------------------------------------------------------------------------------------


_ARANGES: dict[int, np.ndarray] = {}


def _arange(n: int) -> np.ndarray:
    """``1, 2, ..., n`` (cached: :func:`quantize` is called once per coded symbol)."""
    a = _ARANGES.get(n)
    if a is None:
        a = _ARANGES[n] = np.arange(1, n + 1, dtype=np.int64)
        a.flags.writeable = False
    return a


def frequency_ceiling(min_bits: float, total_bits: int = DEFAULT_TOTAL_BITS) -> int:
    """The largest frequency ``f`` out of ``2**total_bits`` whose symbol costs ``>= min_bits``.

    That is the largest integer ``f`` with ``-log2(f / 2**total_bits) >= min_bits``. For
    ``min_bits = a / b`` (a dyadic or small fraction) it is computed exactly with integers:
    ``f**b * 2**a <= 2**(total_bits * b)``.
    """
    if not 1 <= total_bits <= MAX_TOTAL_BITS:
        raise ValueError(f"total_bits must be in 1..{MAX_TOTAL_BITS}, got {total_bits}")
    ratio = Fraction(min_bits).limit_denominator(1 << 12)
    if not 0 < ratio <= total_bits or ratio != Fraction(min_bits):
        raise ValueError(f"min_bits must be a fraction a/b with b <= 4096 in (0, {total_bits}]")
    a, b = ratio.numerator, ratio.denominator
    limit = 1 << (total_bits * b - a)  # f**b <= 2**(total_bits * b - a)
    lo, hi = 1, 1 << total_bits  # lo satisfies it, hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if mid**b <= limit else (lo, mid)
    return lo


def quantize(
    probs: Sequence[float] | np.ndarray,
    total_bits: int = DEFAULT_TOTAL_BITS,
    ceiling: int | None = None,
) -> np.ndarray:
    """Turn probabilities into int64 cumulative frequencies ``cum`` of length ``n + 1``.

    ``cum[0] = 0``, ``cum[n] = 2**total_bits`` and every symbol's frequency
    ``cum[i + 1] - cum[i]`` is at least 1, whatever the model says. ``probs`` may be any
    non-negative finite weights (they are normalized). The result depends only on the float
    values, not on the platform: one element-wise float-to-int step, then integer arithmetic.

    ``ceiling``, when given, is the largest frequency one symbol may get, at least half the
    total (see :func:`frequency_ceiling`): what a more confident model would give above it is
    shared equally by the other symbols. The compressor uses it so that every coded symbol costs at
    least a known number of bits, which bounds how many symbols a payload can decode.
    """
    if not 1 <= total_bits <= MAX_TOTAL_BITS:
        raise ValueError(f"total_bits must be in 1..{MAX_TOTAL_BITS}, got {total_bits}")
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"probabilities must be a non-empty 1-D array, got shape {p.shape}")
    n = p.size
    total = 1 << total_bits
    if n > total:
        raise ValueError(f"{n} symbols do not fit in a frequency total of 2**{total_bits}")
    top = p.max()  # NaN propagates through max, so this also rejects NaN
    if not (0 < top < np.inf and p.min() >= 0):
        raise ValueError("probabilities must be finite, non-negative and not all zero")
    # The only floating-point step: each weight relative to the largest, as an integer of
    # `scale_bits` bits. Every operation here is one exactly rounded IEEE operation per element,
    # so encoder and decoder get the same integers on any machine; no float is ever summed.
    scale_bits = 62 - total_bits - (n - 1).bit_length()  # keeps cw * spare below 2**62
    weights = p / top  # in [0, 1]: no overflow even for tiny or huge inputs
    weights *= float(1 << scale_bits)  # a power of two: exact
    cw = np.cumsum(weights.astype(np.int64))  # exact integer sums
    # Cumulative rounding: cum[i] = i + floor(spare * cw[i] / cw[n]). The floors telescope, so
    # cum[n] = n + spare = total exactly, and each frequency is 1 + (a non-negative integer).
    spare = total - n
    cum = np.empty(n + 1, dtype=np.int64)
    cum[0] = 0
    np.floor_divide(cw * spare, cw[-1], out=cum[1:])
    cum[1:] += _arange(n)
    if ceiling is not None and n > 1:  # (one symbol has nothing to share its excess with)
        if not total // 2 <= ceiling <= total:  # so only one symbol can be above it
            raise ValueError(f"ceiling must be in {total // 2}..{total}, got {ceiling}")
        # The largest frequency is at most 2 + spare * 2**scale_bits // cw[n] (the largest
        # weight is exactly 2**scale_bits): a cheap test before looking at the frequencies.
        if 2 + (spare << scale_bits) // cw.item(-1) > ceiling:
            _apply_ceiling(cum, ceiling)
    return cum


def _apply_ceiling(cum: np.ndarray, ceiling: int) -> None:
    """Cut the largest frequency of ``cum`` (in place) to ``ceiling``; share the excess equally."""
    freq = cum[1:] - cum[:-1]
    top = int(freq.argmax())
    excess = freq.item(top) - ceiling
    if excess <= 0:
        return
    share, rest = divmod(excess, freq.size - 1)
    freq += share
    freq[top] = ceiling
    if rest:  # one more for each of the first `rest` other symbols
        k = rest + (top < rest)
        freq[:k] += 1
        if top < k:
            freq[top] -= 1
    np.cumsum(freq, out=cum[1:])


class StaticFrequencies:
    """Fixed integer frequencies (a static model): the same interval for every symbol."""

    def __init__(self, frequencies: Sequence[int] | np.ndarray) -> None:
        freq = np.asarray(frequencies)
        if freq.ndim != 1 or freq.size == 0 or not np.issubdtype(freq.dtype, np.integer):
            raise ValueError("frequencies must be a non-empty 1-D array of integers")
        if (freq < 0).any():
            raise ValueError("frequencies must be non-negative")
        cum = np.zeros(freq.size + 1, dtype=np.int64)
        np.cumsum(freq, out=cum[1:])
        if not 0 < cum[-1] <= MAX_TOTAL:
            raise ValueError(f"the frequency total must be in 1..2**{MAX_TOTAL_BITS}")
        self.alphabet_size = int(freq.size)
        self._cum = cum

    @classmethod
    def from_probabilities(
        cls, probs: Sequence[float] | np.ndarray, total_bits: int = DEFAULT_TOTAL_BITS
    ) -> StaticFrequencies:
        """Quantize a fixed distribution with :func:`quantize`."""
        return cls(np.diff(quantize(probs, total_bits)))

    def cumulative(self) -> np.ndarray:
        """Cumulative frequencies, ``cum[0] = 0``."""
        return self._cum

    def update(self, symbol: int) -> None:
        """A static model learns nothing."""


class AdaptiveFrequencies:
    """Order-0 adaptive integer frequencies: every count starts at 1 and grows by ``increment``.

    When the total would exceed ``limit`` all counts are halved (rounding up, so none reaches 0),
    which also lets the model follow a drifting source.
    """

    def __init__(self, alphabet_size: int, increment: int = 1, limit: int = 1 << 16) -> None:
        if alphabet_size < 1:
            raise ValueError("alphabet_size must be at least 1")
        if increment < 1 or not alphabet_size + increment <= limit <= MAX_TOTAL:
            raise ValueError("need increment >= 1 and alphabet_size + increment <= limit <= 2**30")
        self.alphabet_size = alphabet_size
        self.increment = increment
        self.limit = limit
        self._freq = np.ones(alphabet_size, dtype=np.int64)
        self._total = alphabet_size
        self._cum: np.ndarray | None = None

    def cumulative(self) -> np.ndarray:
        """Cumulative frequencies of the counts so far."""
        if self._cum is None:
            cum = np.zeros(self.alphabet_size + 1, dtype=np.int64)
            np.cumsum(self._freq, out=cum[1:])
            self._cum = cum
        return self._cum

    def update(self, symbol: int) -> None:
        """Count one more occurrence of ``symbol``."""
        if not 0 <= symbol < self.alphabet_size:
            raise ValueError(f"symbol {symbol} outside 0..{self.alphabet_size - 1}")
        self._freq[symbol] += self.increment
        self._total += self.increment
        if self._total > self.limit:
            self._freq = (self._freq + 1) // 2
            self._total = int(self._freq.sum())
            self._cum = None
        elif self._cum is not None:
            # a new array (callers may still hold the old one), updated without a full cumsum
            self._cum = self._cum.copy()
            self._cum[symbol + 1 :] += self.increment


# --------------------------------------------------------------------------------------------
# 2. The coder
# --------------------------------------------------------------------------------------------


def _symbol_interval(cum: np.ndarray, symbol: int) -> tuple[int, int, int]:
    """``(cum[symbol], cum[symbol + 1], total)`` as Python ints, checking the caller's input."""
    n = len(cum) - 1
    if not 0 <= symbol < n:
        raise ValueError(f"symbol {symbol} outside 0..{n - 1}")
    # .item() gives Python ints: the coder's arithmetic must never overflow int64
    low, high, total = cum.item(symbol), cum.item(symbol + 1), cum.item(n)
    if cum.item(0) != 0 or not 0 < total <= MAX_TOTAL:
        raise ValueError(f"cumulative frequencies must start at 0 and total 1..2**{MAX_TOTAL_BITS}")
    if not low < high:
        raise ValueError(f"symbol {symbol} has frequency {high - low}; it cannot be coded")
    return low, high, total


def _bad_binary(p1: int, total_bits: int) -> ValueError:
    """The error for a bit probability ``p1 / 2**total_bits`` that cannot be coded."""
    if not 1 <= total_bits <= MAX_TOTAL_BITS:
        return ValueError(f"total_bits must be in 1..{MAX_TOTAL_BITS}, got {total_bits}")
    top = (1 << total_bits) - 1
    return ValueError(f"p1 must be in 1..{top} so that both bits can be coded, got {p1}")


class ArithmeticCoderBase:
    """The interval arithmetic shared, operation for operation, by encoder and decoder."""

    def __init__(self) -> None:
        self.low = 0
        self.high = STATE_MASK

    def update(self, low_count: int, high_count: int, total: int) -> None:
        """Narrow ``[low, high]`` to the symbol's share ``[low_count, high_count) / total``."""
        low, high = self.low, self.high
        # Invariants, true before and after every update:
        #   0 <= low < high <= STATE_MASK                      (a non-empty interval of state ints)
        #   low < HALF_RANGE <= high                           (renormalized: top bits differ)
        #   not (QUARTER_RANGE <= low and high < THREE_QUARTERS)  (no underflow left to expand)
        # so range = high - low + 1 >= QUARTER_RANGE + 2 = MINIMUM_RANGE >= total, and each
        # symbol with count >= 1 gets a non-empty sub-interval of at least floor(range/total).
        if not (0 <= low < HALF_RANGE <= high <= STATE_MASK) or (
            QUARTER_RANGE <= low and high < THREE_QUARTERS
        ):
            raise AssertionError(f"broken coder state: low={low}, high={high}")
        range_ = high - low + 1
        if not MINIMUM_RANGE <= range_ <= FULL_RANGE:
            raise AssertionError(f"range {range_} out of bounds")
        if not (0 <= low_count < high_count <= total <= MAX_TOTAL):
            raise ValueError("invalid symbol interval")
        high = low + high_count * range_ // total - 1
        low = low + low_count * range_ // total
        if not low <= high:
            raise AssertionError("empty sub-interval")
        # The leading bits on which low and high agree are final: every number in the interval
        # starts with them. Emit them and shift them out (zeros enter low, ones enter high).
        settled = STATE_BITS - (low ^ high).bit_length()
        if settled:
            self._shift(low >> (STATE_BITS - settled), settled)
            low = (low << settled) & STATE_MASK
            high = ((high << settled) & STATE_MASK) | ((1 << settled) - 1)
        # While low = 01... and high = 10... the interval straddles the middle but is small:
        # expand it around the middle and remember one pending (underflow) bit.
        while low & ~high & QUARTER_RANGE:
            self._underflow()
            low = (low << 1) ^ HALF_RANGE
            high = ((high ^ HALF_RANGE) << 1) | HALF_RANGE | 1
        self.low, self.high = low, high

    def _shift(self, bits: int, count: int) -> None:
        """The top ``count`` bits of low and high, ``bits``, are settled; move past them."""
        raise NotImplementedError

    def _underflow(self) -> None:
        """The interval was expanded around the middle; its next settled bit is pending."""
        raise NotImplementedError


class ArithmeticEncoder(ArithmeticCoderBase):
    """Encode symbols given each step's cumulative frequencies; :meth:`finish` gives the bytes."""

    def __init__(self) -> None:
        super().__init__()
        self._out = BitWriter()
        self._pending = 0  # underflow bits waiting for the next resolved bit
        self._finished = False
        self.symbols_encoded = 0

    def encode(self, cum: np.ndarray, symbol: int) -> None:
        """Encode ``symbol`` with cumulative frequencies ``cum`` (e.g. from :func:`quantize`)."""
        if self._finished:
            raise ValueError("the encoder is finished; create a new one")
        self.update(*_symbol_interval(np.asarray(cum), symbol))
        self.symbols_encoded += 1

    def encode_bit(self, bit: int, p1: int, total_bits: int = 12) -> None:
        """Encode one ``bit`` whose probability of being 1 is ``p1 / 2**total_bits``.

        The binary special case of :meth:`encode` (1 takes ``[0, p1)``, 0 takes
        ``[p1, total)``), without building a frequency array: bitwise models call it eight
        times per byte.
        """
        total = 1 << total_bits if 1 <= total_bits <= MAX_TOTAL_BITS else 0
        if not 0 < p1 < total:  # both bits must keep a non-empty interval
            raise _bad_binary(p1, total_bits)
        if self._finished:
            raise ValueError("the encoder is finished; create a new one")
        if bit == 1:
            self.update(0, p1, total)
        elif bit == 0:
            self.update(p1, total, total)
        else:
            raise ValueError(f"a bit is 0 or 1, got {bit!r}")
        self.symbols_encoded += 1

    @property
    def bits_written(self) -> int:
        """Bits settled so far (written, or pending until the next resolved bit)."""
        return self._out.bits_written + self._pending

    def _shift(self, bits: int, count: int) -> None:
        if self._pending:
            # The first settled bit resolves the pending bits: they are its opposite.
            first, rest = bits >> (count - 1), count - 1
            opposite = 0 if first else (1 << self._pending) - 1
            self._out.write_bits((first << self._pending) | opposite, 1 + self._pending)
            bits, count = bits & ((1 << rest) - 1), rest
            self._pending = 0
        self._out.write_bits(bits, count)

    def _underflow(self) -> None:
        self._pending += 1

    def finish(self) -> bytes:
        """Terminate the stream and return it.

        Since ``low < HALF_RANGE <= high``, the bit 1 followed by zeros (which is what the
        decoder reads after the end) lies in the final interval; the pending bits are written
        explicitly, so the decoder never needs more than ``STATE_BITS - 1`` bits past the end.
        """
        if not self._finished:
            self._shift(1, 1)  # the bit 1, then the pending bits as zeros
            self._finished = True
        return self._out.getvalue()


class ArithmeticDecoder(ArithmeticCoderBase):
    """Decode symbols from bytes, given the same cumulative frequencies the encoder used."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._in = BitReader(data)
        self.code = self._in.read_bits(STATE_BITS)

    def decode(self, cum: np.ndarray) -> int:
        """Return the next symbol.

        Raises :class:`ValueError` when the data ran out before this symbol: a valid stream
        never needs ``STATE_BITS`` bits past its end, so garbage or a truncated stream cannot
        make the decoder run on forever producing symbols from nothing.
        """
        cum = np.asarray(cum)
        total = cum.item(-1)
        if cum.item(0) != 0 or not 0 < total <= MAX_TOTAL:
            raise ValueError("cumulative frequencies must start at 0 and total at most 2**30")
        value = self._value(total)
        symbol = int(cum.searchsorted(value, side="right")) - 1
        low_count, high_count = cum.item(symbol), cum.item(symbol + 1)
        if not low_count <= value < high_count:
            raise ValueError("cumulative frequencies are not increasing")
        self.update(low_count, high_count, total)
        self._check_position()
        return symbol

    def decode_bit(self, p1: int, total_bits: int = 12) -> int:
        """Return the next bit, coded by :meth:`ArithmeticEncoder.encode_bit` with ``p1``."""
        total = 1 << total_bits if 1 <= total_bits <= MAX_TOTAL_BITS else 0
        if not 0 < p1 < total:
            raise _bad_binary(p1, total_bits)
        if self._value(total) < p1:
            self.update(0, p1, total)
            bit = 1
        else:
            self.update(p1, total, total)
            bit = 0
        self._check_position()
        return bit

    def _value(self, total: int) -> int:
        """Where the code value lies in the current interval, scaled to ``0 .. total - 1``."""
        range_ = self.high - self.low + 1
        value = ((self.code - self.low + 1) * total - 1) // range_
        if not 0 <= value < total:
            raise AssertionError("code value outside the interval")
        return value

    def _check_position(self) -> None:
        if not self.low <= self.code <= self.high:
            raise AssertionError("code value left the interval")
        if self._in.bits_past_end >= STATE_BITS:
            raise ValueError("the compressed data ended early: it is truncated or corrupted")

    def _shift(self, bits: int, count: int) -> None:
        self.code = ((self.code << count) & STATE_MASK) | self._in.read_bits(count)

    def _underflow(self) -> None:
        self.code = (
            (self.code & HALF_RANGE) | ((self.code << 1) & (STATE_MASK >> 1)) | self._in.read()
        )


# --------------------------------------------------------------------------------------------
# Driving the coder with an integer frequency model
# --------------------------------------------------------------------------------------------


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"the number of symbols must be a non-negative integer, got {n!r}")
    return int(n)


def encode_symbols(symbols: Iterable[int], table: StaticFrequencies | AdaptiveFrequencies) -> bytes:
    """Encode with an integer frequency model (static or adaptive)."""
    encoder = ArithmeticEncoder()
    for symbol in symbols:
        symbol = int(symbol)
        encoder.encode(table.cumulative(), symbol)
        table.update(symbol)
    return encoder.finish()


def decode_symbols(
    data: bytes, table: StaticFrequencies | AdaptiveFrequencies, n: int
) -> list[int]:
    """Decode exactly ``n`` symbols encoded by :func:`encode_symbols` with a fresh ``table``."""
    n = _check_count(n)
    decoder = ArithmeticDecoder(data)
    out: list[int] = []
    for _ in range(n):
        symbol = decoder.decode(table.cumulative())
        table.update(symbol)
        out.append(symbol)
    return out
