"""Arithmetic coding with infinite precision: interval narrowing in exact fractions.

The chapter's demonstration of what the integer coder (:mod:`predcomp.coding.arithmetic`)
approximates: coding a message narrows ``[0, 1)`` to a sub-interval whose width is the
product of the symbols' probabilities (:func:`exact_intervals`), and the codeword is the
shortest binary fraction whose whole cell lies inside it (:func:`shortest_binary_fraction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

__all__ = ["exact_intervals", "shortest_binary_fraction"]


def exact_intervals(
    symbols: Sequence[int], probs: Sequence[Fraction | float | int]
) -> list[tuple[Fraction, Fraction]]:
    """The nested intervals ``[low, high)`` after 0, 1, ..., len(symbols) symbols (i.i.d. model).

    Exact rational arithmetic: the width after ``k`` symbols is the product of their
    probabilities, so ``-log2(width)`` is their ideal code length.
    """
    p = [
        Fraction(x).limit_denominator(10**12) if isinstance(x, float) else Fraction(x)
        for x in probs
    ]
    if any(x < 0 for x in p) or sum(p) != 1:
        raise ValueError("probabilities must be non-negative and sum to 1")
    starts = [sum(p[:i], Fraction(0)) for i in range(len(p))]
    low, width = Fraction(0), Fraction(1)
    out = [(low, low + width)]
    for s in symbols:
        if not 0 <= s < len(p) or p[s] == 0:
            raise ValueError(f"symbol {s} has no probability")
        low, width = low + width * starts[s], width * p[s]
        out.append((low, low + width))
    return out


def shortest_binary_fraction(low: Fraction, high: Fraction) -> str:
    """The shortest bit string ``b`` such that all numbers starting ``0.b`` lie in ``[low, high)``.

    Its length is at most ``ceil(-log2(high - low)) + 1``: the classic bound on arithmetic
    coding's overhead.
    """
    if not 0 <= low < high <= 1:
        raise ValueError("need 0 <= low < high <= 1")
    k = 0
    while True:
        scale = 1 << k
        # smallest k-bit dyadic m/2^k >= low whose whole cell [m, m+1)/2^k fits below high
        m = -((-low.numerator * scale) // low.denominator)  # ceil(low * 2^k)
        if Fraction(m + 1, scale) <= high:
            return format(m, f"0{k}b") if k else ""
        k += 1
