"""The logistic domain in integers: ``squash`` (the logistic function) and its inverse ``stretch``.

A binary model's prediction is a probability ``p`` of a 1, in units of ``1/4096``; in the
*stretch* domain it is the log-odds ``ln(p / (1 - p))``, in units of ``1/256``. Mixing adds
log-odds, so every component speaks this language. Both maps are integer tables built with
exact integer arithmetic (the logistic curve is interpolated between 33 knots, as in PAQ), so
the reference model and the compiled engine read identical numbers on every machine.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ONE", "PROB_BITS", "SQUASH", "STRETCH", "squash", "stretch"]

#: probabilities are integers in ``0 .. 2**PROB_BITS - 1``, in units of ``2**-PROB_BITS``
PROB_BITS = 12
ONE = 1 << PROB_BITS

# 4096 / (1 + exp(-x)) at x = -8, -7.5, ..., 8, rounded: the knots between which squash is
# linear. Integers written out, so no floating-point exp decides a table entry.
_KNOTS = (1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549,
          2994, 3348, 3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093,
          4094)  # fmt: skip


def _squash_exact(d: int) -> int:
    """``4096 / (1 + e^(-d/256))`` by linear interpolation between the knots (``d`` in ±2047)."""
    w, i = d & 127, (d >> 7) + 16
    return (_KNOTS[i] * (128 - w) + _KNOTS[i + 1] * w + 64) >> 7


def _tables() -> tuple[np.ndarray, np.ndarray]:
    squash_t = np.array([_squash_exact(d) for d in range(-2047, 2048)], dtype=np.int32)
    # stretch(p) = the smallest d whose squash reaches p: an exact inverse on squash's range
    stretch_t = np.full(ONE, 2047, dtype=np.int32)
    filled = 0
    for d in range(-2047, 2048):
        v = int(squash_t[d + 2047])
        stretch_t[filled : v + 1] = d
        filled = max(filled, v + 1)
    return squash_t, stretch_t


#: ``SQUASH[d + 2047]`` for ``d`` in -2047..2047
SQUASH, STRETCH = _tables()
_SQUASH_LIST, _STRETCH_LIST = SQUASH.tolist(), STRETCH.tolist()


def squash(d: int) -> int:
    """``4096 / (1 + e^(-d/256))`` as an integer in 1..4095 (``d`` is clamped to ±2047)."""
    return _SQUASH_LIST[(2047 if d > 2047 else -2047 if d < -2047 else d) + 2047]


def stretch(p: int) -> int:
    """``256 ln(p / (4096 - p))`` as an integer in -2047..2047: the inverse of :func:`squash`."""
    return _STRETCH_LIST[p]
