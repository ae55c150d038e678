"""A model that replays distributions computed in advance.

The "per-step distribution supplied by the caller" form of a model: e.g. all the softmax
outputs of a language model over a text, computed in one batch, then fed to the coder
(:mod:`predcomp.coding.model_coding`) one row per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Precomputed"]


class Precomputed:
    """A :class:`~predcomp.models.Model` that replays a precomputed ``(steps, n)`` array.

    Row ``t`` is the distribution for step ``t`` (the "per-step distribution supplied by the
    caller" form: e.g. all the softmax outputs of a language model, computed in advance).
    """

    def __init__(self, distributions: np.ndarray) -> None:
        d = np.asarray(distributions, dtype=np.float64)
        if d.ndim != 2 or d.shape[1] < 1:
            raise ValueError("distributions must have shape (steps, alphabet_size)")
        self.distributions = d
        self.alphabet_size = int(d.shape[1])
        self._t = 0

    def predict(self) -> np.ndarray:
        if self._t >= len(self.distributions):
            raise ValueError("no precomputed distribution left")
        return self.distributions[self._t]

    def update(self, symbol: int) -> None:
        self._t += 1

    def params(self) -> dict[str, Any]:
        return {"steps": len(self.distributions), "alphabet_size": self.alphabet_size}
