"""Tests of predcomp.coding.bitio: bit order, padding, reading past the end."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.bitio import BitReader, BitWriter, bits_to_string, pack_bits


def test_msb_first_and_zero_padding() -> None:
    w = BitWriter()
    w.write_string("1011")
    assert w.getvalue() == bytes([0b10110000])
    w.write_string("0001" + "1")
    assert w.getvalue() == bytes([0b10110001, 0b10000000])
    assert w.bits_written == 9


def test_write_bits_and_read_bits() -> None:
    w = BitWriter()
    w.write_bits(0xABC, 12)
    w.write_bits(5, 3)
    data = w.getvalue()
    assert data == bytes([0xAB, 0b11001010])
    r = BitReader(data)
    assert r.read_bits(12) == 0xABC
    assert r.read_bits(3) == 5
    assert r.bits_past_end == 0


def test_reading_past_the_end_gives_counted_zeros() -> None:
    r = BitReader(b"\xff")
    assert [r.read() for _ in range(8)] == [1] * 8
    assert r.bits_past_end == 0
    assert [r.read() for _ in range(5)] == [0] * 5
    assert r.bits_past_end == 5
    assert r.bits_read == 13


def test_invalid_input_raises() -> None:
    w = BitWriter()
    with pytest.raises(ValueError):
        w.write(2)
    with pytest.raises(ValueError):
        w.write_bits(8, 3)
    with pytest.raises(ValueError):
        w.write_string("10a")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 1), max_size=200))
def test_bits_round_trip(bits: list[int]) -> None:
    data = pack_bits(bits)
    assert len(data) == (len(bits) + 7) // 8
    r = BitReader(data)
    assert [r.read() for _ in bits] == bits
    assert bits_to_string(data, len(bits)) == "".join(map(str, bits))
    # what remains is the zero padding of the last byte, then made-up zeros
    rest = [r.read() for _ in range(8)]
    assert rest == [0] * 8
    assert r.bits_past_end == 8 - (-len(bits) % 8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 70), st.integers(0, 2**70 - 1)), max_size=30))
def test_multi_bit_fields_round_trip(fields: list[tuple[int, int]]) -> None:
    """write_bits/read_bits (whole-byte fast path and past-the-end path) agree with write/read."""
    fields = [(w, v & ((1 << w) - 1)) for w, v in fields]
    w_fast, w_slow = BitWriter(), BitWriter()
    for width, value in fields:
        w_fast.write_bits(value, width)
        for shift in range(width - 1, -1, -1):
            w_slow.write((value >> shift) & 1)
    data = w_fast.getvalue()
    assert data == w_slow.getvalue()
    assert w_fast.bits_written == sum(w for w, _ in fields)
    r = BitReader(data)
    assert [r.read_bits(w) for w, _ in fields] == [v for _, v in fields]
    assert r.bits_past_end == 0
    assert r.read_bits(20) == 0  # padding, then made-up zeros, counted
    assert r.bits_past_end == 20 - (-w_fast.bits_written % 8)
