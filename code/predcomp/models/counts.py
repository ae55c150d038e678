"""Counting models: the uniform code, adaptive order-0 estimators, and order-k context models.

All three follow :class:`predcomp.models.base.Model`. They are the simplest predictors that
learn: each keeps counts of what it has seen and turns them into probabilities with an
*additive* (pseudo-count) estimator,

.. math:: p(x) = \\frac{n_x + \\alpha}{N + \\alpha A},

where :math:`n_x` is how often :math:`x` occurred, :math:`N = \\sum_x n_x`, :math:`A` the
alphabet size, and :math:`\\alpha = 1` (Laplace's rule of succession) or :math:`\\alpha = 1/2`
(the Krichevsky–Trofimov estimator, whose regret is within a constant of the best possible).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PRIORS", "Adaptive", "ContextModel", "Uniform"]

#: the largest alphabet a counting model accepts (a guard against absurd parameters)
MAX_ALPHABET = 1 << 16
#: the longest context a :class:`ContextModel` accepts
MAX_ORDER = 64

#: pseudo-count added to every symbol, by the name of the estimator
PRIORS = {"laplace": 1.0, "kt": 0.5}


def _check_alphabet(alphabet_size: int) -> int:
    if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, int | np.integer):
        raise ValueError(f"alphabet_size must be an integer, got {alphabet_size!r}")
    if not 1 <= alphabet_size <= MAX_ALPHABET:
        raise ValueError(f"alphabet_size must be in 1..{MAX_ALPHABET}, got {alphabet_size}")
    return int(alphabet_size)


def _pseudo_count(prior: str) -> float:
    if prior not in PRIORS:
        raise ValueError(f"unknown prior {prior!r}; choose one of {sorted(PRIORS)}")
    return PRIORS[prior]


def _check_symbol(symbol: int, alphabet_size: int) -> int:
    if not 0 <= symbol < alphabet_size:
        raise ValueError(f"symbol {symbol} outside 0..{alphabet_size - 1}")
    return int(symbol)


class Uniform:
    """Every symbol equally likely, always: ``log2(A)`` bits per symbol, learns nothing."""

    def __init__(self, alphabet_size: int = 256) -> None:
        self.alphabet_size = _check_alphabet(alphabet_size)
        self._p = np.full(self.alphabet_size, 1.0 / self.alphabet_size)

    def predict(self) -> np.ndarray:
        return self._p.copy()

    def update(self, symbol: int) -> None:
        _check_symbol(symbol, self.alphabet_size)

    def params(self) -> dict[str, Any]:
        return {"alphabet_size": self.alphabet_size}


class Adaptive:
    """Order 0: ``p(x) = (n_x + a) / (N + a A)`` with ``a = 1`` (Laplace) or ``1/2`` (KT)."""

    def __init__(self, alphabet_size: int = 256, prior: str = "kt") -> None:
        self.alphabet_size = _check_alphabet(alphabet_size)
        self.prior = prior
        self.alpha = _pseudo_count(prior)
        self.counts = np.zeros(self.alphabet_size)

    def predict(self) -> np.ndarray:
        weights = self.counts + self.alpha
        return weights / weights.sum()

    def update(self, symbol: int) -> None:
        self.counts[_check_symbol(symbol, self.alphabet_size)] += 1

    def params(self) -> dict[str, Any]:
        return {"alphabet_size": self.alphabet_size, "prior": self.prior}


class ContextModel:
    """Order k: a separate additive estimator for every context of the ``k`` previous symbols.

    At the start, before ``k`` symbols are known, the context is the shorter history seen so
    far (so the first symbols get their own, separate counts).
    """

    def __init__(self, order: int = 2, alphabet_size: int = 256, prior: str = "kt") -> None:
        if isinstance(order, bool) or not isinstance(order, int | np.integer):
            raise ValueError(f"order must be an integer, got {order!r}")
        if not 0 <= order <= MAX_ORDER:
            raise ValueError(f"order must be in 0..{MAX_ORDER}, got {order}")
        self.order = int(order)
        self.alphabet_size = _check_alphabet(alphabet_size)
        self.prior = prior
        self.alpha = _pseudo_count(prior)
        self.counts: dict[tuple[int, ...], np.ndarray] = {}  # context -> counts of what followed
        self.history: tuple[int, ...] = ()

    def _context(self) -> tuple[int, ...]:
        return self.history[max(0, len(self.history) - self.order) :] if self.order else ()

    def predict(self) -> np.ndarray:
        counts = self.counts.get(self._context())
        if counts is None:  # a context never seen: the prior alone, i.e. uniform
            return np.full(self.alphabet_size, 1.0 / self.alphabet_size)
        weights = counts + self.alpha
        return weights / weights.sum()

    def update(self, symbol: int) -> None:
        symbol = _check_symbol(symbol, self.alphabet_size)
        context = self._context()
        counts = self.counts.get(context)
        if counts is None:
            counts = self.counts[context] = np.zeros(self.alphabet_size)
        counts[symbol] += 1
        self.history = (*self._context(), symbol)

    def params(self) -> dict[str, Any]:
        return {"order": self.order, "alphabet_size": self.alphabet_size, "prior": self.prior}
