"""Hashed context tables: checksummed rows, bounded memory, weak rows replaced."""

from __future__ import annotations

import pytest
from predcomp.models.cm.hashtable import ROW, HashTable, hash_step


def test_a_context_finds_its_row_again():
    t = HashTable(8)
    h = hash_step(hash_step(0, 7), 42)
    row = t.find(h)
    t.t[row + 3] = 99
    assert t.find(h) == row and t.t[row + 3] == 99
    assert t.peek(h) == row


def seen(t: HashTable, h: int, priority: int) -> int:
    """Find the row of ``h`` and give its first node a history (a replacement priority)."""
    row = t.find(h)
    t.t[row + 1] = priority
    return row


def test_colliding_contexts_are_told_apart_by_the_checksum():
    t = HashTable(4)
    a, b = 0x0000_0105, 0x0000_0106  # the same row index (bits 8..), different checksums
    ra, rb = seen(t, a, 1), seen(t, b, 1)
    assert ra != rb  # the second took a neighbouring row
    assert t.find(a) == ra and t.find(b) == rb
    assert t.peek(0x0000_0107) == -1  # never mistaken for a different checksum


def test_the_weakest_row_is_replaced_and_memory_is_bounded():
    t = HashTable(4)
    size = len(t.t)
    rows = [seen(t, 0x100 | c, p) for c, p in ((1, 200), (2, 3), (3, 150))]
    assert len(set(rows)) == 3  # the three candidate rows
    new = t.find(0x100 | 4)  # a fourth context evicts the least-seen one
    assert new == rows[1] and t.t[new] == 4 and t.t[new + 1] == 0
    assert t.peek(0x100 | 2) == -1 and t.peek(0x100 | 1) == rows[0]
    assert len(t.t) == size == ROW << 4


def test_hash_step_stays_in_32_bits():
    h = 0
    for x in range(1000):
        h = hash_step(h, x * 7919)
        assert 0 <= h < 1 << 32


def test_bad_size():
    with pytest.raises(ValueError):
        HashTable(40)
