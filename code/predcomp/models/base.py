"""The protocol every predictive model follows.

A model sees a sequence one symbol at a time. Before each symbol it states a probability
distribution over the whole alphabet (:meth:`Model.predict`); after the symbol is known it
learns from it (:meth:`Model.update`). An encoder and a decoder that drive two fresh copies
of the same model through the same calls see identical distributions, which is what makes
lossless coding possible.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Model(Protocol):
    """Given the past, the next-symbol distribution; then update with the actual symbol."""

    #: number of symbols; symbols are the integers ``0 .. alphabet_size - 1``
    alphabet_size: int

    def predict(self) -> np.ndarray:
        """Return float64 probabilities of shape ``(alphabet_size,)`` summing to 1."""
        ...

    def update(self, symbol: int) -> None:
        """Learn that ``symbol`` came next."""
        ...

    def params(self) -> dict[str, Any]:
        """JSON-serializable hyper-parameters that rebuild an identical fresh model."""
        ...
