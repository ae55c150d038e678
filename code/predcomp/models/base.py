"""The protocol every predictive model follows (and its bitwise refinement).

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


@runtime_checkable
class BitModel(Model, Protocol):
    """A byte model that can also be asked one bit at a time, most significant bit first.

    By the chain rule the eight bit probabilities multiply to the byte's probability, so a
    coder may code eight binary decisions instead of one 256-way choice, which is much cheaper
    for models that think in bits (:mod:`predcomp.models.cm`).
    """

    #: :meth:`p_bit` is in units of ``2**-prob_bits``
    prob_bits: int

    def p_bit(self) -> int:
        """Probability that the next bit is 1, an integer in ``1 .. 2**prob_bits - 1``."""
        ...

    def update_bit(self, bit: int) -> None:
        """Learn the bit that followed the last :meth:`p_bit`."""
        ...


def update_by_bits(model: BitModel, symbol: int, bitpos: int) -> None:
    """A bit model learns the byte ``symbol``: its eight bits, most significant first.

    ``bitpos`` is how many bits of the current byte the model has seen: it must be 0, for a
    byte is learned from its boundary.
    """
    if not 0 <= symbol < 256:
        raise ValueError(f"symbol {symbol} outside 0..255")
    if bitpos:
        raise ValueError("update() is for byte boundaries; the model is inside a byte")
    for j in range(7, -1, -1):
        model.update_bit((symbol >> j) & 1)
