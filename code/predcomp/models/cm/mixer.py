"""The logistic mixer: a weighted sum of log-odds, trained online to shorten the code.

Given the stretched predictions ``x_i`` of the models, the mixer predicts

.. math:: p = \\mathrm{squash}\\Big(\\sum_i w_i x_i\\Big),

and after the bit ``y`` moves each weight down the gradient of the code length
``-log2 p(y)``, which for this output is simply ``-(y - p) x_i`` (up to a constant):
``w_i += lr (y - p) x_i``. The rate may be raised by a ``boost`` (in sixteenths) that the
caller lets decay: fresh weights need large steps, settled ones small. A *weight set* is
chosen per prediction by a small context (the bits of the current byte, the match state,
...): different situations learn different trust. Weights are 16.16 fixed-point integers,
so every machine computes the same sums.

It is the rule of :class:`~predcomp.models.mix.GeometricMixer` for a two-symbol alphabet (the
softmax of weighted log-probabilities becomes the squash of weighted log-odds, and the integer
rate ``lr`` is the float rate ``lr / 1024``). It is the only mixer the package's compressors
use: ``cm`` mixes its context models with it, and ``mix``
(:class:`predcomp.models.mix.Mixer`) its byte models' predictions of each bit.
"""

from __future__ import annotations

from array import array

from predcomp.models.cm.logistic import PROB_BITS, squash

__all__ = ["Mixer", "dot", "train"]

#: weights are fixed point with this many fractional bits
WEIGHT_BITS = 16


def dot(w: array, base: int, x: list[int]) -> int:
    """``sum_i w[base + i] * x[i]``, scaled back to the stretch domain and clamped to ±2047."""
    s = 0
    for i, xi in enumerate(x):
        s += w[base + i] * xi
    s >>= WEIGHT_BITS
    return 2047 if s > 2047 else -2047 if s < -2047 else s


def train(w: array, base: int, x: list[int], err: int) -> None:
    """``w[base + i] += x[i] * err / 2**14``: ``err`` is the learning rate times ``(y - p)``."""
    for i, xi in enumerate(x):
        w[base + i] += (xi * err + 8192) >> 14


class Mixer:
    """``sets`` weight vectors over ``n`` inputs; :meth:`predict` mixes with the chosen one."""

    def __init__(self, n: int, sets: int, lr: int, init: int) -> None:
        self.n, self.sets, self.lr = n, sets, lr
        self.w = array("q", [init]) * (n * sets)
        self.base = 0
        self.x: list[int] = []
        self.dot = 0  # the last output in the stretch domain
        self.pr = 1 << (PROB_BITS - 1)  # ... and as a probability

    def predict(self, x: list[int], select: int) -> int:
        """P(1) in units of ``2**-12`` from stretched inputs ``x``, with weight set ``select``."""
        self.x, self.base = x, select * self.n
        self.dot = dot(self.w, self.base, x)
        self.pr = squash(self.dot)
        return self.pr

    def update(self, bit: int, boost: int = 0) -> None:
        """One gradient step on the code length of ``bit`` for the weight set just used, at
        the rate ``lr + boost / 16``."""
        err = (((bit << PROB_BITS) - self.pr) * (16 * self.lr + boost)) >> 4
        train(self.w, self.base, self.x, err)
