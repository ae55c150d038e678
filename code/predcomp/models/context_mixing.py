"""Bitwise context mixing: a byte as eight yes/no questions, each answered by many models.

The byte models of :mod:`~predcomp.models.ppm` and :mod:`~predcomp.models.mix` predict a
distribution over 256 symbols. The PAQ family of compressors (Mahoney 2005) and its small
relative lpaq predict one *bit* at a time instead: a byte is the path from the root to a leaf
of a binary tree of depth 8, and by the chain rule

.. math:: p(x) = \\prod_{j=1}^{8} p(b_j \\mid b_1 \\ldots b_{j-1}, \\text{earlier bytes}),

so coding the eight bits with their conditional probabilities costs exactly ``-log2 p(x)``. A
two-symbol alphabet makes everything cheap, so many models can be combined at every bit:

* **context models**, one per context (the last 1, 2, 3, 4 and 6 bytes, the current word,
  and no context at all). Each maps the context and the bits of the current byte seen so far
  (``c0``) to a slot of its own region of a hash table, holding an adaptive probability and a
  count ``n``; the probability moves towards each observed bit by ``1 / (n + 1.6)``, a running
  average that later settles to a fixed rate so it keeps tracking a changing text;
* a **match model**: the longest earlier occurrence of the last few bytes predicts that the
  byte which followed it then follows now; how much to believe it is learned per match
  length;
* a **mixer**: the predictions are added in the logistic (stretch) domain,
  ``p = squash(sum_i w_i stretch(p_i))``, with one weight vector per ``c0``, and the weights
  follow the gradient of the code length, ``w_i += lr * (bit - p) * stretch(p_i)`` (this is
  :class:`~predcomp.models.mix.GeometricMixer` for a two-symbol alphabet);
* an **adaptive probability map** (secondary symbol estimation): the mixer's output is
  refined by what actually happened after similar outputs in the same small context (``c0``
  and the previous byte), and averaged with it.

All arithmetic is on integers, probabilities in units of ``1/4096`` as in PAQ, so the encoder
and the decoder compute the same numbers on every machine (no floating point, no ``log``,
once the tables are built with exactly rounded operations).

The model offers two interfaces. :meth:`ContextMixing.p_bit` / :meth:`ContextMixing.update_bit`
is the binary one the compressor uses (eight binary codings per byte).
:meth:`ContextMixing.predict` / :meth:`ContextMixing.update` is the book's byte
:class:`~predcomp.models.base.Model` protocol: it asks the 255 questions of the whole tree to
give the distribution of the next byte, which is exact but 255 times slower than coding.
"""

from __future__ import annotations

from array import array
from collections.abc import Generator, Sequence
from operator import mul
from typing import Any

import numpy as np

__all__ = ["PROB_BITS", "ContextMixing", "squash", "stretch", "table_bits_for"]

#: probabilities are integers in ``1 .. 2**PROB_BITS - 1``, in units of ``2**-PROB_BITS``
PROB_BITS = 12
_ONE = 1 << PROB_BITS

# --- squash and stretch, in integers ------------------------------------------------------------
# squash(d) = 4096 / (1 + exp(-d / 256)) for d in -2047..2047, by linear interpolation in a
# table of 33 values (PAQ's); stretch is its inverse, tabulated. Integers only, so both sides
# of the coder get identical numbers everywhere.
_KNOTS = (1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549,
          2994, 3348, 3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093,
          4094)  # fmt: skip


def _squash(d: int) -> int:
    if d > 2047:
        return 4095
    if d < -2047:
        return 1
    w, i = d & 127, (d >> 7) + 16
    return (_KNOTS[i] * (128 - w) + _KNOTS[i + 1] * w + 64) >> 7


_SQUASH = [_squash(d) for d in range(-2048, 2048)]  # index d + 2048
_STRETCH = [0] * _ONE  # the smallest d with squash(d) >= p, for p = 0 .. 4095
_prev = 0
for _d in range(-2047, 2048):
    _v = _squash(_d)
    for _p in range(_prev, _v + 1):
        _STRETCH[_p] = _d
    _prev = _v + 1
for _p in range(_prev, _ONE):
    _STRETCH[_p] = 2047
del _prev, _d, _v, _p


def squash(d: int) -> int:
    """``4096 / (1 + e^(-d/256))`` as an integer in 1..4095 (the logistic function)."""
    return _SQUASH[max(-2048, min(2047, int(d))) + 2048]


def stretch(p: int) -> int:
    """``256 ln(p / (4096 - p))`` as an integer in -2047..2047: the inverse of :func:`squash`."""
    if not 0 <= p < _ONE:
        raise ValueError(f"p must be in 0..{_ONE - 1}, got {p}")
    return _STRETCH[p]


# --- parameters ---------------------------------------------------------------------------------

_MAX_ORDER = 8  # contexts are read from the last eight bytes
_COUNT_LIMIT = 255  # counts live in 8 bits
# rate for a count n: the probability moves by (bit - p) / (n + 1.6)
_RATES = [int(65536 / (n + 1.6)) for n in range(_COUNT_LIMIT + 1)]
_QUERY = 2  # a message of _QUERY + c to the model's generator asks for node c's prediction
_MATCH_MIN = 6  # a match needs this many equal bytes before it predicts
_MATCH_MAX = 31  # match lengths are bucketed up to here
_HASH_MUL = 0x9E3779B97F4A7C15  # Fibonacci hashing (odd, 64 bits)
_C0_MUL = 0x2F0B3  # spreads the partial byte over the table (odd: a bijection on indexes)
_MASK64 = (1 << 64) - 1
_ORDER0_BASE = 0x5BD1E995  # where order 0 (no context) starts in the table
_APM_RATE = 6  # the adaptive probability map moves 1/2**6 of the way
_MIXER_SKIP = 30  # the mixer does not learn from bits predicted within 30/4096
_MAX_TABLE_BITS = 24  # 2**24 slots of 4 bytes: 64 MB


def table_bits_for(length: int) -> int:
    """Size (log2 of slots) of the shared hash table for ``length`` input bytes: 16 .. 24.

    About two slots for each (byte, bit, context) of the input, so that a small input does not
    allocate the 64 MB a long one needs.
    """
    need = max(1, 2 * 8 * 7 * int(length))
    return max(16, min(_MAX_TABLE_BITS, (need - 1).bit_length()))


class ContextMixing:
    """Bitwise context mixing of order-``k`` contexts, a word context and a match model.

    ``orders`` are the byte contexts (order 0 is always included); ``word`` adds the current
    word (letters since the last non-letter); ``match`` adds the match model; ``apm`` the
    adaptive probability map. All contexts share one hash table of ``2**table_bits`` slots
    of 4 bytes; ``lr`` is the mixer's learning rate and ``limit`` the largest count (so
    ``1 / (limit + 1.6)`` is the slowest adaptation rate).
    """

    alphabet_size = 256
    prob_bits = PROB_BITS

    def __init__(
        self,
        orders: Sequence[int] = (1, 2, 3, 4, 6),
        word: bool = True,
        match: bool = True,
        apm: bool = True,
        table_bits: int = _MAX_TABLE_BITS,
        lr: int = 10,
        limit: int = 60,
    ) -> None:
        orders = list(orders)
        if not all(isinstance(k, int) and not isinstance(k, bool) for k in orders) or not all(
            1 <= k <= _MAX_ORDER for k in orders
        ):
            raise ValueError(f"orders must be integers in 1..{_MAX_ORDER}, got {orders!r}")
        if len(set(orders)) != len(orders):
            raise ValueError(f"orders must be distinct, got {orders!r}")
        for name, value, lo, hi in (
            ("table_bits", table_bits, 10, _MAX_TABLE_BITS),
            ("lr", lr, 0, 1000),
            ("limit", limit, 1, _COUNT_LIMIT),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
        self.orders = sorted(orders)
        self.word, self.match, self.apm = bool(word), bool(match), bool(apm)
        self.table_bits, self.lr, self.limit = table_bits, lr, limit

        # The model's working state lives in the local variables of one generator, `_run`
        # (Python reads locals faster than attributes, and this runs eight times per byte): it
        # yields the probability of the next bit and is sent the bit that occurred (or a node
        # to predict at instead).
        self._run_state = self._run()
        self._p = next(self._run_state)
        self._c0 = 1  # 1 followed by the bits of the current byte seen so far

    # --- the binary interface ---------------------------------------------------------------

    def p_bit(self) -> int:
        """Probability that the next bit is 1, in units of 1/4096 (an integer in 1..4095)."""
        return self._p

    def update_bit(self, bit: int) -> None:
        """Learn that the next bit was ``bit``; the model moves on to the following bit."""
        if bit != 0 and bit != 1:
            raise ValueError(f"a bit is 0 or 1, got {bit!r}")
        self._p = self._run_state.send(bit)
        c0 = (self._c0 << 1) | bit
        self._c0 = 1 if c0 >= 256 else c0

    # --- the byte Model protocol ------------------------------------------------------------

    def predict(self) -> np.ndarray:
        """The distribution of the next byte: the 255 bit probabilities of the whole tree."""
        if self._c0 != 1:
            raise ValueError("predict() is for byte boundaries; the model is inside a byte")
        node = np.zeros(512)  # node[c0] = probability of reaching c0
        node[1] = 1.0
        ask = self._run_state.send
        for c0 in range(1, 256):
            p1 = ask(_QUERY + c0) / _ONE  # predicts at node c0, learns nothing
            node[2 * c0 + 1] = node[c0] * p1
            node[2 * c0] = node[c0] * (1.0 - p1)
        self._p = ask(_QUERY + 1)  # back at the root, ready for the real first bit
        return node[256:]

    def update(self, symbol: int) -> None:
        """Learn the byte ``symbol``: its eight bits, most significant first."""
        if not 0 <= symbol < 256:
            raise ValueError(f"symbol {symbol} outside 0..255")
        if self._c0 != 1:
            raise ValueError("update() is for byte boundaries; the model is inside a byte")
        for j in range(7, -1, -1):
            self.update_bit((symbol >> j) & 1)

    def params(self) -> dict[str, Any]:
        return {
            "orders": list(self.orders),
            "word": self.word,
            "match": self.match,
            "apm": self.apm,
            "table_bits": self.table_bits,
            "lr": self.lr,
            "limit": self.limit,
        }

    # --- the model itself -------------------------------------------------------------------

    def _run(self) -> Generator[int, int, None]:
        """Predict bit after bit: yield ``P(1)`` in units of 1/4096, receive the bit.

        Receiving ``_QUERY + c`` instead of a bit means "predict at node ``c`` of the current
        byte's tree", without learning (:meth:`predict` walks the tree that way).
        """
        squash, stretch = _SQUASH, _STRETCH
        lr, limit, rates = self.lr, self.limit, _RATES
        use_word, use_match, use_apm = self.word, self.match, self.apm
        orders = [(k, (1 << (8 * k)) - 1, k << 64) for k in self.orders]
        # Context models: order 0, the orders asked for, the word. Their slots share one hash
        # table; a slot holds (probability << 8) | count, the probability in units of 2**-16.
        # Each context has its own region of the table, and within a byte the 255 values of
        # c0 pick distinct slots of it (slot = base XOR a bijection of c0): no slot is used
        # twice in a byte, so learning from a byte's first bits never changes the predictions
        # for its later bits, and predict() gives exactly the distribution the coder uses.
        table = array("I", [32768 << 8]) * (1 << self.table_bits)  # probability 1/2, count 0
        bases = [0] * (1 + len(orders) + use_word)  # each context's slot for c0 = 0
        region_bits = self.table_bits - (len(bases) - 1).bit_length()
        mask = (1 << region_bits) - 1  # a region's size - 1
        regions = [j << region_bits for j in range(len(bases))]
        # Mixer: one weight vector (16.16 fixed point) per partial byte c0, one weight per
        # input: the context models, the match model and a constant bias.
        weights = [[16384] * (len(bases) + 2) for _ in range(256)]
        # Match model: the history, where each 6-byte string last ended, the current match,
        # and what a match of each length predicting each bit turned out to be worth.
        buf = bytearray()
        last_seen: dict[int, int] = {}
        match_ptr = match_len = 0
        # (per bit position too, so that no statistic is used twice in a byte)
        match_p = [32768] * (8 * 2 * (_MATCH_MAX + 1))  # units of 2**-16
        # Adaptive probability map: 33 knots over stretch(p) for each context (the partial
        # byte c0 and the previous byte), flattened into one list.
        knots = [_squash((i - 16) * 128) * 16 for i in range(33)]  # units of 2**-16
        apm = knots * (1 << 16)
        hist = word = 0  # the last eight bytes (the latest lowest); a hash of the current word
        c0 = 1
        while True:
            # --- a new byte: hash each context once; the bits of the byte pick slots near it
            bases[0] = _ORDER0_BASE & mask
            for j, (_, low_bytes, tag) in enumerate(orders, start=1):
                bases[j] = regions[j] | (
                    (((((hist & low_bytes) + tag) * _HASH_MUL) & _MASK64) >> 20) & mask
                )
            if use_word:
                bases[-1] = regions[-1] | ((((word * _HASH_MUL) & _MASK64) >> 20) & mask)
            expected = buf[match_ptr] | 256 if match_len else 0  # the byte the match predicts
            prev = (hist & 255) << 8
            while c0 < 256:
                # --- predict: each model's stretched probability, mixed, then refined
                off = (c0 * _C0_MUL) & mask
                slots = [b ^ off for b in bases]
                inputs = [stretch[table[i] >> 12] for i in slots]
                match_slot = -1
                if expected:
                    known = c0.bit_length() - 1  # bits of the byte seen so far
                    if expected >> (8 - known) == c0:  # the byte has not left the match
                        length = known * (_MATCH_MAX + 1) + min(match_len, _MATCH_MAX)
                        match_slot = 2 * length + ((expected >> (7 - known)) & 1)
                        inputs.append(stretch[match_p[match_slot] >> 4])
                    else:
                        inputs.append(0)
                else:
                    inputs.append(0)
                inputs.append(256)  # the bias input
                w = weights[c0]
                dot = sum(map(mul, w, inputs)) >> 16
                p_mix = squash[(2047 if dot > 2047 else -2047 if dot < -2047 else dot) + 2048]
                p = p_mix
                if use_apm:
                    s = stretch[p_mix] + 2048  # 1 .. 4095: 32 intervals of 128 between knots
                    lo, frac = s >> 7, s & 127
                    k = 33 * (c0 | prev) + lo  # the knot below s in this context's map
                    p_apm = (apm[k] * (128 - frac) + apm[k + 1] * frac) >> 11
                    p = (p_mix + 3 * p_apm + 2) >> 2
                    p = 1 if p < 1 else 4095 if p > 4095 else p
                bit = yield p
                if bit >= _QUERY:  # predict at another node instead (see predict())
                    c0 = bit - _QUERY
                    continue
                # --- learn: the mixer, each context slot, the match statistics, the APM
                err = (bit << 12) - p_mix
                if err > _MIXER_SKIP or err < -_MIXER_SKIP:  # else it would learn next to nothing
                    err *= lr
                    weights[c0] = [wi + ((x * err) >> 14) for wi, x in zip(w, inputs, strict=True)]
                target = bit << 16
                for i in slots:
                    v = table[i]
                    n, q = v & 255, v >> 8
                    table[i] = ((q + (((target - q) * rates[n]) >> 16)) << 8) | (n + (n < limit))
                if match_slot >= 0:
                    q = match_p[match_slot]
                    match_p[match_slot] = q + (((target - q) * 1000) >> 16)
                if use_apm:
                    near = frac >> 6  # the knot nearer to s learns
                    apm[k + near] += (target - apm[k + near]) >> _APM_RATE
                c0 = (c0 << 1) | bit
            # --- the byte is complete: history, word, match model
            c = c0 & 255
            c0 = 1
            hist = ((hist << 8) | c) & _MASK64
            if 65 <= c <= 90 or 97 <= c <= 122:  # a letter: extend the word (case-folded)
                word = (word * 263 + (c | 32)) & 0xFFFFFFFF
            else:
                word = 0
            if use_match:
                buf.append(c)
                if match_len:  # the match goes on if it predicted this byte
                    if buf[match_ptr] == c:
                        match_len += 1
                        match_ptr += 1
                    else:
                        match_len = 0
                n = len(buf)
                if n >= _MATCH_MIN:
                    key = hist & ((1 << (8 * _MATCH_MIN)) - 1)
                    if not match_len:
                        ptr = last_seen.get(key)
                        if ptr is not None:  # measure the match backwards
                            longest = min(_MATCH_MAX, ptr)
                            while (
                                match_len < longest
                                and buf[ptr - match_len - 1] == buf[n - match_len - 1]
                            ):
                                match_len += 1
                            match_ptr = ptr
                    last_seen[key] = n
