"""Smoothing: what a counting model should predict for what it has not seen.

An order-k model counted on text meets two kinds of novelty: a context it has never seen, and a
symbol never seen after a familiar context (the *zero-frequency problem*). The estimators here
are the classic answers, from the text-compression and the language-modelling literatures,
which turn out to be the same answers under different names:

* :func:`good_turing` — Good's estimate of the probability of *something new*: the fraction of
  the sample made of things seen exactly once, ``N1 / N``;
* :func:`escape_probability` — PPM's escape estimates after a context seen ``n`` times with
  ``d`` distinct followers: method A ``1 / (n + 1)``, method C ``d / (n + d)``, method D
  ``d / (2n)``;
* :func:`smoothed_probabilities` — interpolated estimators evaluated on held-out text:
  **Witten–Bell**, whose weight on the shorter context is PPM's method-C escape,
  ``p(x | h) = (c(h, x) + d(h) p(x | h')) / (n(h) + d(h))``; and **Kneser–Ney**, which discounts
  every count by ``D`` (PPM's method D discounts by 1/2) and gives the shorter contexts the
  *continuation* counts, in how many different contexts a symbol has been seen, rather than how
  often:
  ``p(x | h) = (max(c(h, x) - D, 0) + D d(h) p_cont(x | h')) / n(h)``.

Here ``h'`` is ``h`` without its oldest symbol, and the recursion ends with the uniform
distribution. PPM *backs off* (it escapes, then excludes the symbols already offered); these
estimators *interpolate* (every order contributes to every symbol); both are normalized.
Everything is vectorized over the test positions, with the counting of :mod:`.counts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from predcomp.models.counts import _check_sequence, count_lookup, paired_context_ids

__all__ = [
    "ESCAPE_METHODS",
    "SMOOTHING_METHODS",
    "escape_probability",
    "good_turing",
    "novelty_statistics",
    "smoothed_log_loss",
    "smoothed_log_losses",
    "smoothed_probabilities",
]

#: PPM's escape estimates, by the letter of Cleary and Witten (A), Moffat (C) and Howard (D)
ESCAPE_METHODS = ("A", "C", "D")
SMOOTHING_METHODS = ("witten-bell", "kneser-ney")


def good_turing(counts: Sequence[int] | np.ndarray) -> tuple[float, dict[int, float]]:
    """Good's estimates from the counts of the observed species (zeros are ignored).

    Returns the probability that the next observation is a species not seen so far, ``N1 / N``,
    and the adjusted counts ``r* = (r + 1) N_{r+1} / N_r`` for every ``r`` with ``N_r > 0``,
    where ``N_r`` is the number of species seen exactly ``r`` times.
    """
    c = np.asarray(counts)
    if c.ndim != 1 or (c.size and (c.dtype.kind not in "iu" or (c < 0).any())):
        raise ValueError("counts must be a 1-D array of non-negative integers")
    c = c[c > 0]
    if c.size == 0:
        raise ValueError("good_turing needs at least one observation")
    n_r = np.bincount(c)
    adjusted = {
        int(r): (r + 1) * (n_r[r + 1] if r + 1 < n_r.size else 0) / n_r[r]
        for r in np.flatnonzero(n_r)
    }
    return float(n_r[1] / c.sum()) if n_r.size > 1 else 0.0, adjusted


def escape_probability(n: np.ndarray, d: np.ndarray, method: str) -> np.ndarray:
    """PPM's estimate that the next symbol is new after a context seen ``n`` times, ``d`` distinct.

    An unseen context (``n = 0``) always escapes.
    """
    if method not in ESCAPE_METHODS:
        raise ValueError(f"unknown escape method {method!r}; choose one of {ESCAPE_METHODS}")
    n = np.asarray(n, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "A":
            e = 1 / (n + 1)
        elif method == "C":
            e = d / (n + d)
        else:
            e = d / (2 * n)
    return np.where(n > 0, e, 1.0)


def _joint_tables(ctx: np.ndarray, x: np.ndarray, a: int):
    """Distinct (context, symbol) keys with their counts, and per context: total and distinct."""
    keys, key_counts = np.unique(ctx * a + x, return_counts=True)
    key_ctx = keys // a
    starts = np.flatnonzero(np.r_[True, key_ctx[1:] != key_ctx[:-1]])
    contexts = key_ctx[starts]
    totals = np.add.reduceat(key_counts, starts) if keys.size else key_counts
    distinct = np.diff(np.r_[starts, keys.size])
    return keys, key_counts, contexts, totals, distinct


def novelty_statistics(
    train: np.ndarray, test: np.ndarray, order: int, alphabet_size: int
) -> dict[str, np.ndarray]:
    """For each test position, what the order-``order`` counts of ``train`` say about it.

    ``n``: how often its context occurred in training; ``d``: how many distinct symbols followed
    it; ``c``: how often the actual symbol followed it (``c == 0`` means the symbol is *novel*
    in this context, the event PPM codes with an escape).
    """
    a = alphabet_size
    tr = _check_sequence(train, order, a, 0.0)
    te = _check_sequence(test, order, a, 0.0)
    if tr.size == 0:
        raise ValueError("the training sequence is empty")
    ctx_tr, ctx_te = paired_context_ids(tr, te, order, a)
    keys, key_counts, contexts, totals, distinct = _joint_tables(ctx_tr, tr, a)
    return {
        "n": count_lookup(contexts, totals, ctx_te),
        "d": count_lookup(contexts, distinct, ctx_te),
        "c": count_lookup(keys, key_counts, ctx_te * a + te),
    }


def _continuation_tables(ctx_short: np.ndarray, ctx_long: np.ndarray, x: np.ndarray, a: int):
    """Kneser–Ney's counts for the shorter context: ``c(h', x)`` = the number of distinct longer
    contexts ``h`` (``h'`` plus one older symbol) in which ``x`` followed."""
    _, first = np.unique(ctx_long * a + x, return_index=True)  # one position per distinct (h, x)
    return _joint_tables(ctx_short[first], x[first], a)


def _interpolate(
    tables: tuple,
    ctx_te: np.ndarray,
    te: np.ndarray,
    a: int,
    below: np.ndarray,
    method: str,
    discount: float,
) -> np.ndarray:
    """One level of the recursion: this order's counts, interpolated with ``below``."""
    keys, key_counts, contexts, totals, distinct = tables
    n = count_lookup(contexts, totals, ctx_te).astype(np.float64)
    d = count_lookup(contexts, distinct, ctx_te).astype(np.float64)
    c = count_lookup(keys, key_counts, ctx_te * a + te).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "witten-bell":
            q = (c + d * below) / (n + d)
        else:
            q = (np.maximum(c - discount, 0.0) + discount * d * below) / n
    return np.where(n > 0, q, below)  # an unseen context passes the one below on


def _by_order(
    train: np.ndarray, test: np.ndarray, order: int, a: int, method: str, discount: float
) -> Iterator[np.ndarray]:
    """The test probabilities of the smoothed model of each order ``0 .. order``, in turn.

    One pass shares the counting between orders: the order-``k`` model combines the counts of
    length-``k`` contexts with the smoothed order-``k - 1`` distribution below them, which for
    Kneser–Ney is built from continuation counts (only the top order uses raw counts).
    """
    tr = _check_sequence(train, order, a, 0.0)
    te = _check_sequence(test, order, a, 0.0)
    if method not in SMOOTHING_METHODS:
        raise ValueError(f"unknown smoothing {method!r}; choose one of {SMOOTHING_METHODS}")
    if not 0 < discount <= 1:
        raise ValueError(f"the discount must be in (0, 1], got {discount!r}")
    if te.size == 0 or tr.size == 0:
        raise ValueError("the training and the test sequence must not be empty")
    lower = np.full(te.size, 1.0 / a)  # below order 0: the uniform distribution
    ids = paired_context_ids(tr, te, 0, a)
    for k in range(order + 1):
        ctx_tr, ctx_te = ids
        raw = _joint_tables(ctx_tr, tr, a)
        top = _interpolate(raw, ctx_te, te, a, lower, method, discount)  # the order-k model
        yield top
        if k == order:
            return
        longer = paired_context_ids(tr, te, k + 1, a)
        if method == "kneser-ney":  # what order k + 1 interpolates with: continuation counts
            cont = _continuation_tables(ctx_tr, longer[0], tr, a)
            lower = _interpolate(cont, ctx_te, te, a, lower, method, discount)
        else:
            lower = top
        ids = longer


def smoothed_probabilities(
    train: np.ndarray,
    test: np.ndarray,
    order: int,
    alphabet_size: int,
    method: str = "kneser-ney",
    discount: float = 0.75,
) -> np.ndarray:
    """The probability an interpolated order-``order`` model counted on ``train`` gives each
    symbol of ``test`` (``method`` is ``"witten-bell"`` or ``"kneser-ney"``; ``discount`` is
    Kneser–Ney's ``D``, in ``(0, 1]``)."""
    *_, p = _by_order(train, test, order, alphabet_size, method, discount)
    return p


def smoothed_log_losses(
    train: np.ndarray,
    test: np.ndarray,
    max_order: int,
    alphabet_size: int,
    method: str = "kneser-ney",
    discount: float = 0.75,
) -> np.ndarray:
    """Bits per symbol on ``test`` of the smoothed models of orders ``0 .. max_order``."""
    gen = _by_order(train, test, max_order, alphabet_size, method, discount)
    return np.array([float(-np.log2(p).mean()) for p in gen])


def smoothed_log_loss(
    train: np.ndarray,
    test: np.ndarray,
    order: int,
    alphabet_size: int,
    method: str = "kneser-ney",
    discount: float = 0.75,
) -> float:
    """Bits per symbol on ``test`` of :func:`smoothed_probabilities`."""
    return float(smoothed_log_losses(train, test, order, alphabet_size, method, discount)[-1])
