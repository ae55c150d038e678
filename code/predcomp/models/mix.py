"""Mixing: combine several models' predictions, learning online whom to trust.

*Geometric* mixing (Mattern 2012) combines ``m`` distributions over ``A`` symbols in the log
domain, a weighted geometric mean:

.. math:: p(x) \\propto \\prod_i p_i(x)^{w_i},

a softmax of ``sum_i w_i log p_i(x)``. The weights move down the gradient of the code length of
the symbol that occurred:

.. math:: -\\frac{\\partial \\log_2 p(x)}{\\partial w_i} \\propto
          -\\Big(\\log p_i(x) - \\sum_y p(y) \\log p_i(y)\\Big),

so a model gains weight when it gave the actual symbol more log-probability than the mixture
expected of it. Because the code length is convex in the weights, this online gradient descent
has low regret: the mixture codes almost as well as the best fixed weighting in hindsight.
:class:`GeometricMixer` writes this rule down for any ``A``; it is the definition, and no model
uses it.

For two symbols it is *logistic* mixing, the core of PAQ and cmix: the weighted sum of the
models' log-odds ``stretch(p) = log(p / (1 - p))``, mapped back with ``squash``, the logistic
function. The package mixes only in this binary case, with the one integer mixer of the
context-mixing model, :class:`predcomp.models.cm.mixer.Mixer`: :class:`Mixer` asks its byte
models for their distributions and mixes, bit by bit, their probabilities of each bit of the
byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from predcomp.coding.arithmetic import quantize
from predcomp.models.base import Model, update_by_bits
from predcomp.models.cm import mixer as cm_mixer
from predcomp.models.cm.logistic import ONE, PROB_BITS, stretch
from predcomp.models.cm.model import table_bit

__all__ = ["MAX_MODELS", "GeometricMixer", "Mixer"]

_FLOOR = 1e-12  # probabilities are clipped here before the logarithm
#: the most models one Mixer combines (a guard against absurd parameters)
MAX_MODELS = 16
#: the largest learning rate a Mixer takes (the bound ``cm`` puts on its own)
MAX_LR = 1000


class GeometricMixer:
    """Online logistic (geometric) mixing of ``m`` distributions over ``A`` symbols.

    ``mix(P, select)`` combines the rows of ``P`` (shape ``(m, A)``) with the weight vector
    chosen by the small integer ``select`` (a *weight set*: different situations can learn
    different trust); ``learn(symbol)`` takes one gradient step for that weight set.
    """

    def __init__(self, m: int, lr: float = 0.02, sets: int = 1, init: float | None = None) -> None:
        if m < 1 or sets < 1 or not lr >= 0:
            raise ValueError("need m >= 1 models, sets >= 1 weight sets and lr >= 0")
        self.lr = lr
        self.weights = np.full((sets, m), 1.0 / m if init is None else init)
        self._last: tuple[np.ndarray, np.ndarray, int] | None = None

    def mix(self, probs: np.ndarray, select: int = 0) -> np.ndarray:
        logp = np.log(np.maximum(probs, _FLOOR))  # (m, A)
        logits = self.weights[select] @ logp  # (A,)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        self._last = (logp, p, select)
        return p

    def learn(self, symbol: int) -> None:
        if self._last is None:
            raise ValueError("learn() needs a mix() first")
        logp, p, select = self._last
        # gradient of ln p(symbol) with respect to the weights
        self.weights[select] += self.lr * (logp[:, symbol] - logp @ p)
        self._last = None


class Mixer:
    """A bit model: logistic mixing of byte models' predictions of each bit (as in ``cm``).

    At each byte boundary every model states its distribution of the next byte, quantized as
    the coder quantizes a byte model's (:func:`~predcomp.coding.arithmetic.quantize`); for each
    bit, a model's probability of a 1 is its mass in the half of the remaining bytes where the
    bit is 1 (:func:`~predcomp.models.cm.model.table_bit`). One
    :class:`~predcomp.models.cm.mixer.Mixer` mixes the stretched probabilities, with a weight
    set per node of the bit tree (``c0``, the bits of the byte so far) and, ``by_previous``,
    per previous byte too. ``lr`` is that mixer's integer learning rate.
    """

    alphabet_size = 256
    prob_bits = PROB_BITS

    def __init__(self, models: Sequence[Model], lr: int = 24, by_previous: bool = False) -> None:
        if not 1 <= len(models) <= MAX_MODELS:
            raise ValueError(f"a Mixer combines 1..{MAX_MODELS} models, not {len(models)}")
        sizes = sorted({m.alphabet_size for m in models})
        if sizes != [256]:
            raise ValueError(f"a Mixer mixes bytes: its models need alphabet_size 256, not {sizes}")
        if isinstance(lr, bool) or not isinstance(lr, int) or not 0 <= lr <= MAX_LR:
            raise ValueError(f"lr must be an integer in 0..{MAX_LR}, got {lr!r}")
        from predcomp.compress import BYTE_CEILING  # here: compress imports the registry

        self.models = list(models)
        self.lr = lr
        # by_previous: one weight set per previous byte and node (PAQ selects weights by context)
        self.by_previous = bool(by_previous)
        sets = 256 * 256 if self.by_previous else 256
        # no bias input: geometric mixing has none; each model starts with weight 1/m
        self.mixer = cm_mixer.Mixer(
            len(models), sets, lr, (1 << cm_mixer.WEIGHT_BITS) // len(models)
        )
        self._ceiling = BYTE_CEILING
        self._prev = 0  # the previous byte (0 before the first)
        self.c0, self.bitpos = 1, 0
        self._tables = self._quantized()
        self._p = self._predict()

    def _quantized(self) -> list[list[int]]:
        """Each model's next-byte distribution as the coder's cumulative frequencies."""
        return [quantize(m.predict(), ceiling=self._ceiling).tolist() for m in self.models]

    def _predict(self) -> int:
        """P(1) of the bit at node ``c0`` with the current weights (the mixer remembers it)."""
        c0, bitpos = self.c0, self.bitpos
        x = [stretch(table_bit(cum, c0, bitpos)) for cum in self._tables]
        p = self.mixer.predict(x, (self._prev << 8 | c0) if self.by_previous else c0)
        return 1 if p < 1 else ONE - 1 if p > ONE - 1 else p

    # --- the binary interface ---------------------------------------------------------------

    def p_bit(self) -> int:
        """Probability that the next bit is 1, in units of 1/4096 (an integer in 1..4095)."""
        return self._p

    def update_bit(self, bit: int) -> None:
        """Learn the bit; after a byte's eighth, the models learn the byte and predict anew."""
        if bit != 0 and bit != 1:
            raise ValueError(f"a bit is 0 or 1, got {bit!r}")
        self.mixer.update(bit)
        self.c0, self.bitpos = (self.c0 << 1) | bit, self.bitpos + 1
        if self.bitpos == 8:
            byte = self.c0 & 255
            for m in self.models:
                m.update(byte)
            self._prev, self.c0, self.bitpos = byte, 1, 0
            self._tables = self._quantized()
        self._p = self._predict()

    # --- the byte Model protocol ------------------------------------------------------------

    def predict(self) -> np.ndarray:
        """The distribution of the next byte: the 255 bit probabilities of its tree.

        Every node is mixed with the weights as they stand at the byte boundary (the coder,
        which learns from each bit before the next, codes slightly different probabilities:
        exactly these for the first bit), as :meth:`ContextMixing.predict
        <predcomp.models.cm.model.ContextMixing.predict>` does.
        """
        if self.bitpos:
            raise ValueError("predict() is for byte boundaries; the model is inside a byte")
        node = np.zeros(512)  # node[c0] = probability of reaching c0
        node[1] = 1.0
        for c0 in range(1, 256):
            self.c0, self.bitpos = c0, c0.bit_length() - 1
            p1 = self._predict() / ONE
            node[2 * c0 + 1] = node[c0] * p1
            node[2 * c0] = node[c0] * (1.0 - p1)
        self.c0, self.bitpos = 1, 0
        self._p = self._predict()  # back at the root, ready for the real first bit
        return node[256:]

    def update(self, symbol: int) -> None:
        """Learn the byte ``symbol``: its eight bits, most significant first."""
        update_by_bits(self, symbol, self.bitpos)

    def params(self) -> dict[str, Any]:
        """The mixer's own hyper-parameters; :func:`predcomp.models.registry.model_params`
        adds the models it mixes, by registry name (the registry owns serialization)."""
        return {"lr": self.lr, "by_previous": self.by_previous}
