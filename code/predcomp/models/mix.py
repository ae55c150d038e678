"""Mixing: combine several models' predictions, learning online whom to trust.

Logistic mixing, the core of PAQ and cmix, adds the models' predictions in the *stretch*
domain, ``stretch(p) = log(p / (1 - p))``, with weights, and maps the sum back with
``squash``, the logistic function. For a two-symbol alphabet that is exactly

.. math:: p(x) \\propto \\prod_i p_i(x)^{w_i},

a weighted *geometric* mean; for ``A`` symbols the same formula, a softmax of
``sum_i w_i log p_i(x)``, is its natural generalization (Mattern 2012 calls it geometric
mixing). The weights follow the gradient of the code length of the symbol that occurred:

.. math:: -\\frac{\\partial \\log_2 p(x)}{\\partial w_i} \\propto
          -\\Big(\\log p_i(x) - \\sum_y p(y) \\log p_i(y)\\Big),

so a model gains weight when it gave the actual symbol more log-probability than the mixture
expected of it. Because the code length is convex in the weights, this online gradient descent
has low regret: the mixture codes almost as well as the best fixed weighting in hindsight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from predcomp.models.base import Model

__all__ = ["GeometricMixer", "Mixer"]

_FLOOR = 1e-12  # probabilities are clipped here before the logarithm
#: the most models one Mixer combines (a guard against absurd parameters)
MAX_MODELS = 16


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
    """A model that mixes the predictions of other models (see :class:`GeometricMixer`)."""

    def __init__(
        self, models: Sequence[Model], lr: float = 0.02, by_previous: bool = False
    ) -> None:
        if not 1 <= len(models) <= MAX_MODELS:
            raise ValueError(f"a Mixer combines 1..{MAX_MODELS} models, not {len(models)}")
        sizes = {m.alphabet_size for m in models}
        if len(sizes) != 1:
            raise ValueError(f"the models disagree on the alphabet size: {sorted(sizes)}")
        self.models = list(models)
        self.alphabet_size = sizes.pop()
        # by_previous: one weight set per previous symbol (PAQ selects its weights by context)
        self.by_previous = bool(by_previous)
        sets = self.alphabet_size if self.by_previous else 1
        self.mixer = GeometricMixer(len(self.models), lr=lr, sets=sets)
        self._select = 0

    def predict(self) -> np.ndarray:
        return self.mixer.mix(np.stack([m.predict() for m in self.models]), self._select)

    def update(self, symbol: int) -> None:
        if not 0 <= symbol < self.alphabet_size:
            raise ValueError(f"symbol {symbol} outside 0..{self.alphabet_size - 1}")
        if self.mixer._last is None:
            self.predict()
        self.mixer.learn(symbol)
        for m in self.models:
            m.update(symbol)
        if self.by_previous:
            self._select = symbol

    def params(self) -> dict[str, Any]:
        """The mixer's own hyper-parameters; :func:`predcomp.models.registry.model_params`
        adds the models it mixes, by registry name (the registry owns serialization)."""
        return {"lr": self.mixer.lr, "by_previous": self.by_previous}
