"""squash and stretch: integer logistic tables, inverse of each other, monotone."""

from __future__ import annotations

import math

from predcomp.models.cm.logistic import ONE, SQUASH, STRETCH, squash, stretch


def test_squash_is_the_logistic_function_within_rounding():
    for d in range(-2047, 2048, 7):
        exact = ONE / (1 + math.exp(-d / 256))
        assert abs(squash(d) - exact) <= 16  # 33 knots, linear between them (chords)


def test_squash_is_monotone_and_clamped():
    assert all(SQUASH[1:] >= SQUASH[:-1])
    assert squash(-(10**6)) == squash(-2047) >= 1 and squash(10**6) == squash(2047) <= ONE - 1


def test_stretch_inverts_squash():
    assert all(STRETCH[1:] >= STRETCH[:-1])
    for d in range(-2047, 2048):
        assert squash(stretch(squash(d))) == squash(d)  # exact on squash's range
    assert stretch(ONE // 2) in range(-16, 17)  # log-odds 0 at p = 1/2
