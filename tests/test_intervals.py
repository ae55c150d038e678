"""Tests of predcomp.coding.intervals: exact interval narrowing and the shortest codeword."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from predcomp.coding.arithmetic import ArithmeticDecoder, ArithmeticEncoder
from predcomp.coding.intervals import exact_intervals, shortest_binary_fraction


def test_short_message_matches_exact_interval() -> None:
    """With dyadic frequencies the integer coder reproduces the exact binary expansion."""
    probs = [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]
    cum = np.array([0, 2, 3, 4])
    message = [0, 1, 0, 2, 2]
    enc = ArithmeticEncoder()
    for s in message:
        enc.encode(cum, s)
    data = enc.finish()
    low, high = exact_intervals(message, probs)[-1]
    bits = "".join(f"{b:08b}" for b in data).rstrip("0")
    value = Fraction(int(bits, 2), 2 ** len(bits))
    assert low <= value < high
    assert high - low == Fraction(1, 2**8)  # -log2 width = 1+2+1+2+2 = 8 bits
    dec = ArithmeticDecoder(data)
    assert [dec.decode(cum) for _ in message] == message


def test_shortest_binary_fraction() -> None:
    assert shortest_binary_fraction(Fraction(0), Fraction(1)) == ""
    assert shortest_binary_fraction(Fraction(1, 4), Fraction(1, 2)) == "01"
    assert shortest_binary_fraction(Fraction(1, 3), Fraction(2, 3)) == "011"  # [3/8, 1/2)
    low, high = Fraction(3, 10), Fraction(31, 100)
    bits = shortest_binary_fraction(low, high)
    v = Fraction(int(bits, 2), 2 ** len(bits))
    assert low <= v and v + Fraction(1, 2 ** len(bits)) <= high
    assert len(bits) <= math.ceil(-math.log2(high - low)) + 1
