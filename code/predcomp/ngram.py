"""Vectorized n-gram (order-k context) predictors for experiments on whole sequences.

The models in :mod:`predcomp.models` predict one symbol at a time, which is what a coder needs.
To *measure* many orders on long texts, this module computes the same kind of add-α context
model in a few numpy passes:

* :func:`sequential_probabilities` — the probability an *adaptive* order-k model gives each
  symbol, having seen only the symbols before it (prequential, as a compressor codes it).
* :func:`heldout_log_loss` — bits per symbol of a model counted on a training sequence and
  scored on a separate test sequence (the usual train/test protocol).

The add-α estimate after context ``c`` is ``(n(c, a) + α) / (n(c) + α·A)``: α = 1 is Laplace's
rule, α = 1/2 the Krichevsky–Trofimov estimator. The first ``order`` symbols of a sequence see a
shorter context, padded with a start marker.
"""

from __future__ import annotations

import numpy as np


def _check(seq: np.ndarray, order: int, alphabet_size: int, alpha: float) -> np.ndarray:
    s = np.asarray(seq)
    if s.ndim != 1:
        raise ValueError("sequence must be one-dimensional")
    if order < 0:
        raise ValueError(f"order must be >= 0, got {order}")
    if alphabet_size < 1:
        raise ValueError("alphabet_size must be positive")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    if s.size and (s.min() < 0 or s.max() >= alphabet_size):
        raise ValueError(f"symbols must lie in 0 .. {alphabet_size - 1}")
    return s.astype(np.int64)


def context_ids(seq: np.ndarray, order: int, alphabet_size: int) -> np.ndarray:
    """An integer id for the ``order`` symbols before each position (start-padded).

    Two positions get the same id exactly when their preceding ``order`` symbols agree (with
    positions near the start distinguished by how much history they have).
    """
    s = _check(seq, order, alphabet_size, 0.0)
    n = s.size
    if order == 0:
        return np.zeros(n, dtype=np.int64)
    # column i holds the symbol i + 1 steps back, shifted by 1 so that 0 means "before start"
    cols = np.zeros((n, order), dtype=np.int64)
    for i in range(order):
        lag = i + 1
        if lag < n:
            cols[lag:, i] = s[: n - lag] + 1
    if (alphabet_size + 1) ** order < 2**62:
        weights = (alphabet_size + 1) ** np.arange(order, dtype=np.int64)
        return cols @ weights
    _, ids = np.unique(cols, axis=0, return_inverse=True)
    return ids.reshape(-1).astype(np.int64)


def _prior_counts(keys: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions carry the same key."""
    n = keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) - group_start
    return out


def sequential_probabilities(
    seq: np.ndarray, order: int, alphabet_size: int, alpha: float = 0.5
) -> np.ndarray:
    """Probability an adaptive add-α order-``order`` model gives each symbol of ``seq``.

    Symbol ``t`` is predicted from the counts of symbols ``0 .. t-1`` only, so
    ``-log2(result).sum()`` is the code length an arithmetic coder driven by this model
    approaches (prequential code length).
    """
    s = _check(seq, order, alphabet_size, alpha)
    if alpha == 0:
        raise ValueError("an adaptive model needs alpha > 0 (the first symbol has no counts)")
    ctx = context_ids(s, order, alphabet_size)
    n_ctx = _prior_counts(ctx)
    n_joint = _prior_counts(ctx * alphabet_size + s)
    return (n_joint + alpha) / (n_ctx + alpha * alphabet_size)


def sequential_code_length(
    seq: np.ndarray, order: int, alphabet_size: int, alpha: float = 0.5
) -> float:
    """Total bits ``-Σ log2 p`` of :func:`sequential_probabilities`."""
    return float(-np.log2(sequential_probabilities(seq, order, alphabet_size, alpha)).sum())


def heldout_log_loss(
    train: np.ndarray,
    test: np.ndarray,
    order: int,
    alphabet_size: int,
    alpha: float = 0.5,
) -> float:
    """Bits per symbol on ``test`` of an add-α order-``order`` model counted on ``train``.

    With ``alpha = 0`` this is the maximum-likelihood model; scored on its own training data
    it gives the empirical conditional entropy, and on new data it can be infinite.
    """
    tr = _check(train, order, alphabet_size, alpha)
    te = _check(test, order, alphabet_size, alpha)
    if te.size == 0:
        raise ValueError("test sequence is empty")
    a = alphabet_size
    ctx_tr = context_ids(tr, order, a)
    ctx_te = context_ids(te, order, a)
    # counts of each (context) and (context, symbol) in the training data
    u_ctx, c_ctx = np.unique(ctx_tr, return_counts=True)
    u_joint, c_joint = np.unique(ctx_tr * a + tr, return_counts=True)
    n_ctx = _lookup(u_ctx, c_ctx, ctx_te)
    n_joint = _lookup(u_joint, c_joint, ctx_te * a + te)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (n_joint + alpha) / (n_ctx + alpha * a)
        bits = -np.log2(p)
    bits[np.isnan(bits)] = np.inf  # 0/0: an unseen context with alpha = 0
    return float(bits.mean())


def _lookup(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``counts`` of each ``query`` key in the sorted ``keys`` (0 when absent)."""
    if keys.size == 0:
        return np.zeros(query.size, dtype=np.int64)
    pos = np.clip(np.searchsorted(keys, query), 0, keys.size - 1)
    return np.where(keys[pos] == query, counts[pos], 0)
