"""Typical sets of a coin (an i.i.d. binary source), computed exactly.

The asymptotic equipartition property (AEP) says that ``n`` tosses of a coin with heads
probability ``p`` almost surely have probability close to ``2**(-n H)``, ``H = h(p)``. Its
consequences are statements about *sets* of sequences, and for a coin they can be computed
exactly, because all ``C(n, k)`` sequences with ``k`` heads have the same probability
``p**k (1 - p)**(n - k)``: a set is a union of such classes (plus, for the best sets, part of one).

* :func:`typical_set` — the ε-typical set ``A``: its size and probability, next to the bounds
  of the AEP theorem, ``|A| <= 2**(n(H + ε))``, ``P(A) > 1 - ε`` for large ``n``, and then
  ``|A| >= (1 - ε) 2**(n(H - ε))``.
* :func:`most_probable_mass` — the largest probability that ``2**(nR)`` sequences can have: an
  upper bound on the probability that *any* code with ``nR`` bits per block decodes correctly.
  It tends to 0 below ``R = H`` and to 1 above (the converse of the source coding theorem).
* :func:`smallest_set_size` — ``log2`` of the size of the smallest set of probability at least
  ``1 - δ``: ``(1/n)`` of it tends to ``H`` for every ``δ``.

Everything is in ``log2`` space (``n`` may be thousands), with :func:`math.lgamma`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TypicalSet", "most_probable_mass", "smallest_set_size", "typical_set"]

#: the longest sequences the exact sums handle (a guard against absurd arguments)
MAX_LENGTH = 1 << 20


def _check(p: float, n: int) -> tuple[float, int]:
    if not 0 < p < 1:
        raise ValueError(f"the heads probability must be in (0, 1), got {p!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_LENGTH:
        raise ValueError(f"the sequence length must be an integer in 1..{MAX_LENGTH}, got {n!r}")
    return float(p), int(n)


def _classes(p: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``k = 0..n`` heads: ``log2 C(n, k)``, ``log2`` of one sequence's probability, and
    the per-toss surprisal ``-(1/n) log2 P`` of such a sequence."""
    k = np.arange(n + 1)
    lg = np.vectorize(math.lgamma)
    log2_count = (math.lgamma(n + 1) - lg(k + 1) - lg(n - k + 1)) / math.log(2)
    log2_prob = k * math.log2(p) + (n - k) * math.log2(1 - p)
    return log2_count, log2_prob, -log2_prob / n


def _log2_sum(log2_terms: np.ndarray) -> float:
    """``log2(sum(2**t))`` without overflow; ``-inf`` for no terms."""
    if log2_terms.size == 0:
        return -math.inf
    top = float(log2_terms.max())
    return top + math.log2(float(np.exp2(log2_terms - top).sum()))


@dataclass(frozen=True)
class TypicalSet:
    """The ε-typical set of ``n`` tosses, and the bounds the AEP theorem puts on it."""

    p: float
    n: int
    eps: float
    entropy: float  #: ``H = h(p)`` in bits
    log2_size: float  #: ``log2 |A|`` (``-inf`` when no sequence is typical)
    probability: float  #: ``P(A)``

    @property
    def upper_bound(self) -> float:
        """``n (H + ε)``: ``log2 |A|`` never exceeds it."""
        return self.n * (self.entropy + self.eps)

    @property
    def lower_bound(self) -> float:
        """``log2(1 - ε) + n (H - ε)``: ``log2 |A|`` is at least this once ``P(A) > 1 - ε``."""
        return math.log2(1 - self.eps) + self.n * (self.entropy - self.eps)


def typical_set(p: float, n: int, eps: float) -> TypicalSet:
    """The sequences whose per-toss surprisal is within ``eps`` bits of the entropy.

    ``A = {x : |-(1/n) log2 P(x) - H| <= eps}`` for ``n`` tosses of a ``p``-coin.
    """
    p, n = _check(p, n)
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}")
    h = -p * math.log2(p) - (1 - p) * math.log2(1 - p)
    log2_count, log2_prob, surprisal = _classes(p, n)
    typical = np.abs(surprisal - h) <= eps
    probability = 2.0 ** _log2_sum(log2_count[typical] + log2_prob[typical])
    return TypicalSet(p, n, eps, h, _log2_sum(log2_count[typical]), min(1.0, probability))


def _most_probable_first(p: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The classes in order of decreasing sequence probability: (log2 counts, log2 probs)."""
    log2_count, log2_prob, _ = _classes(p, n)
    order = np.argsort(-log2_prob, kind="stable")
    return log2_count[order], log2_prob[order]


def most_probable_mass(p: float, n: int, rate: float) -> float:
    """The probability of the ``2**(n * rate)`` most probable sequences of ``n`` tosses.

    No set of that many sequences has more probability, so no code that describes blocks of
    ``n`` tosses with ``n * rate`` bits can be right more often than this.
    """
    p, n = _check(p, n)
    if not rate >= 0:
        raise ValueError(f"rate must be >= 0, got {rate!r}")
    budget = n * rate  # log2 of the number of sequences we may take
    log2_count, log2_prob = _most_probable_first(p, n)
    cum_log2_count = np.logaddexp.accumulate(log2_count * math.log(2)) / math.log(2)
    full = int(np.searchsorted(cum_log2_count, budget, side="right"))  # classes taken whole
    total = 2.0 ** _log2_sum(log2_count[:full] + log2_prob[:full]) if full else 0.0
    if full <= n:
        # part of the next class fills the rest of the budget: (2**budget - taken) sequences
        taken = cum_log2_count[full - 1] if full else -math.inf
        total += 2.0 ** (budget + log2_prob[full]) * (1 - 2.0 ** (taken - budget))
    return min(1.0, total)


def smallest_set_size(p: float, n: int, delta: float) -> float:
    """``log2`` of the size of the smallest set of ``n`` tosses with probability ``>= 1 - delta``.

    (Up to the rounding of the last, partly taken class to a whole number of sequences.)
    """
    p, n = _check(p, n)
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    target = 1 - delta
    log2_count, log2_prob = _most_probable_first(p, n)
    class_mass = np.exp2(log2_count + log2_prob)
    mass_before = np.concatenate([[0.0], np.cumsum(class_mass)[:-1]])
    last = int(np.searchsorted(mass_before + class_mass, target))  # the class that reaches it
    last = min(last, n)
    # all earlier classes, and enough sequences of this one: (target - mass) / one's probability
    missing = max(target - mass_before[last], 0.0)
    partial = math.log2(missing) - log2_prob[last] if missing > 0 else -math.inf
    return _log2_sum(np.append(log2_count[:last], partial))
