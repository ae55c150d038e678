"""Adaptive probability maps (secondary symbol estimation): refine a probability in a context.

A mixer's output is a good probability on average, but it may be systematically off in some
situations: 0.9 may mean 0.97 after a space and 0.8 inside a word. An APM learns the
correction. For each small context it keeps a curve over the stretched input probability,
33 knots from -8 to 8 in log-odds, starting as the identity; the output is interpolated
between the two knots around the input, and both knots move towards the bit that occurred,
each in proportion to its share of the interpolation: quickly at first, then at a rate of
about 1/256 (a count per knot, as in a :class:`~predcomp.models.cm.counter.StateMap`, counting
the updates where the knot was the nearer one). Chained APMs with different contexts refine
in turn.
"""

from __future__ import annotations

from array import array

from predcomp.models.cm.counter import RATES
from predcomp.models.cm.logistic import squash, stretch

__all__ = ["APM", "KNOTS"]

#: a knot's first count, and its last (after which it moves 1/256 of the way)
START_COUNT, LIMIT = 6, 255
_RATES = RATES.tolist()
#: a fresh curve: the identity, ``squash`` at the 33 knots, in units of ``2**-16``
KNOTS = [squash((k - 16) * 128) * 16 for k in range(33)]


class APM:
    """A learned map ``(context, p) -> p'`` as ``contexts`` curves of 33 knots."""

    def __init__(self, contexts: int, limit: int = LIMIT) -> None:
        self.t = array("i", KNOTS) * contexts
        # updates per knot, starting at 6 so that one surprise does not undo the identity
        self.n = array("i", [START_COUNT]) * (33 * contexts)
        self.limit = limit  # a knot's last count: it then moves 1/(limit + 1.5) of the way
        self.k, self.w = 0, 0  # the knot below the last input, and the weight of the one above

    def predict(self, p: int, cx: int) -> int:
        """The refined P(1) (units of ``2**-12``) of ``p`` in context ``cx``."""
        s = stretch(p) + 2048  # 1 .. 4095: 32 intervals of 128 between the knots
        lo, w = s >> 7, s & 127
        i = cx * 33 + lo
        self.k, self.w = i, w
        return (self.t[i] * (128 - w) + self.t[i + 1] * w) >> 11

    def update(self, bit: int) -> None:
        """Move the two knots around the last input towards ``bit``, each by its weight."""
        for k, weight in ((self.k, 128 - self.w), (self.k + 1, self.w)):
            v, n = self.t[k], self.n[k]
            self.t[k] = v + ((((bit << 16) - v) * _RATES[n] * weight) >> 23)
            if weight >= 64 and n < self.limit:
                self.n[k] = n + 1
