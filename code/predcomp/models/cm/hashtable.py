"""Hashed context tables: bounded memory for an unbounded number of contexts.

A context (the last few bytes, the current word, ...) is hashed to 32 bits. Eight of them are
a *checksum*, the rest choose a row of a fixed-size table. A row holds the bit histories of
one context for the 15 nodes of half a byte's bit tree (1 + 2 + 4 + 8), so one lookup serves
four bits, and two lookups a byte. Where contexts collide, the checksum tells them apart:
a lookup tries three neighbouring rows, and if none carries the checksum it takes the one
whose context was seen least (its first node's history has the smallest total count) and
starts it afresh. Memory is fixed in advance; old, rare contexts are what is forgotten.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ROW", "HashTable", "hash_step"]

#: bytes per row: a checksum and the 15 bit histories of a nibble's tree
ROW = 16
_MASK32 = 0xFFFFFFFF


def hash_step(h: int, x: int) -> int:
    """Fold the value ``x`` (below ``2**32``) into the 32-bit hash ``h``: multiply, xor-shift."""
    h = ((h + x + 1) * 0x2F0B4C27) & _MASK32  # an odd multiplier below 2**31: no overflow in int64
    return h ^ (h >> 15)


class HashTable:
    """``2**bits`` rows of 16 bytes; :meth:`find` gives a context's row, replacing a weak one."""

    def __init__(self, bits: int) -> None:
        if not 4 <= bits <= 30:
            raise ValueError(f"bits must be in 4..30, got {bits}")
        self.bits = bits
        # zeros from the operating system: pages cost memory only once they are written
        self.t = memoryview(np.zeros(ROW << bits, dtype=np.uint8))

    def find(self, h: int) -> int:
        """The offset of the row for the context hashed to ``h`` (a 32-bit integer)."""
        t, check = self.t, h & 255
        i = (h >> 8) & ((1 << self.bits) - 1)
        weakest, weakest_priority = -1, 256
        for probe in (i, i ^ 1, i ^ 2):  # neighbours, so a row and its rivals share a cache line
            row = probe * ROW
            if t[row] == check:
                return row
            if t[row + 1] < weakest_priority:  # the first node's history: the most bits seen
                weakest, weakest_priority = row, t[row + 1]
        t[weakest : weakest + ROW] = bytes(ROW)
        t[weakest] = check
        return weakest

    def peek(self, h: int) -> int:
        """:meth:`find` without changing the table: the row's offset, or -1 if it is not there."""
        t, check = self.t, h & 255
        i = (h >> 8) & ((1 << self.bits) - 1)
        for probe in (i, i ^ 1, i ^ 2):
            if t[probe * ROW] == check:
                return probe * ROW
        return -1
