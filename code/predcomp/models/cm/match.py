"""The match model: if the recent past happened before, predict that what followed will follow.

At each byte boundary, a hash of the last :data:`MIN_LEN` bytes looks up where that string
last ended. If it did, the byte after it is the *expected* byte, and its bits are predicted
one by one until one of them is wrong (then the match ends until the next lookup). How far to
trust the expected bit is learned by a :class:`~predcomp.models.cm.counter.StateMap` whose
context is the match length (quantized), the expected bit and the last byte, so long
matches, which are rarely wrong, earn near-certain predictions; without a match, the same
map predicts from the bits of the current byte alone (order 0). This is what lets a
context-mixing model copy a repeated paragraph at a fraction of a bit per byte, far beyond
any fixed context order.
"""

from __future__ import annotations

from array import array

from predcomp.models.cm.counter import StateMap
from predcomp.models.cm.logistic import stretch

__all__ = ["MAX_LEN", "MIN_LEN", "MatchModel"]

#: bytes of context that must agree before a match is followed
MIN_LEN = 8  # 6 and 7 find more matches, but wrong ones: both dev texts lose
#: a match found is checked backwards up to this length
MAX_LEN = 15
#: StateMap contexts for a match: 32 length levels x expected bit x last byte
_MATCHED = 64 * 256


class MatchModel:
    """Predicts the next bit from the longest recent repeat of the last bytes."""

    def __init__(self, bits: int) -> None:
        self.bits = bits  # log2 of the number of remembered positions
        self.last = array("i", bytes(4 << bits))  # hash of MIN_LEN bytes -> where they ended
        self.buf = bytearray()
        self.ptr = self.len = 0  # where the match continues in buf, and its length
        self.expected = 0  # the expected byte with a leading 1 (0: no prediction)
        self.sm = StateMap(_MATCHED + 256)
        self.cx = 0  # the StateMap context of the current prediction
        self.length = 0  # the length of the match that predicts now (0: none)

    def predict(self, c0: int, bitpos: int, c1: int) -> int:
        """The stretched P(1) of the next bit of the byte begun as ``c0``, after the byte ``c1``."""
        self.length = 0
        if self.expected and (self.expected >> (8 - bitpos)) == c0:  # still on the match
            bit = (self.expected >> (7 - bitpos)) & 1
            n = self.len
            level = n if n < 16 else min(16 + ((n - 16) >> 2), 31)
            self.cx = ((level << 1) | bit) * 256 + c1
            self.length = n
        else:
            self.cx = _MATCHED + c0
        return stretch(self.sm.predict(self.cx))

    def update_bit(self, bit: int) -> None:
        """Learn whether the expected bit came."""
        self.sm.update(self.cx, bit)

    def update_byte(self, c: int, h: int) -> None:
        """Append byte ``c``; ``h`` is the hash of the last :data:`MIN_LEN` bytes including it."""
        buf = self.buf
        buf.append(c)
        if self.len and buf[self.ptr] == c:
            self.len += 1
            self.ptr += 1
        else:
            self.len = 0
        slot = h & ((1 << self.bits) - 1)
        if len(buf) >= MIN_LEN:
            if not self.len:
                ptr = self.last[slot]
                if ptr > 0:  # the string ended at ptr before: count how far back it agrees
                    n = len(buf)
                    length = 0
                    while (
                        length < MAX_LEN
                        and length < ptr
                        and buf[ptr - length - 1] == buf[n - length - 1]
                    ):
                        length += 1
                    if length >= MIN_LEN:
                        self.len, self.ptr = length, ptr
            self.last[slot] = len(buf)
        self.expected = (buf[self.ptr] | 256) if self.len else 0
