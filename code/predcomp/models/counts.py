"""Counting models: the uniform code, adaptive order-0 estimators, order-k context models.

This module is the book's one n-gram counter. The classes follow
:class:`predcomp.models.base.Model` (predict, then update: what a coder needs). They are the
simplest predictors that learn: each keeps counts of what it has seen and turns them into
probabilities with an *additive* (pseudo-count) estimator,

.. math:: p(x \\mid c) = \\frac{n(c, x) + \\alpha}{n(c) + \\alpha A},

where :math:`n(c, x)` is how often :math:`x` followed the context :math:`c` (the last ``k``
symbols; empty for order 0), :math:`n(c) = \\sum_x n(c, x)`, :math:`A` the alphabet size, and
:math:`\\alpha = 1` (Laplace's rule of succession) or :math:`\\alpha = 1/2` (the
Krichevsky–Trofimov estimator, whose regret is within a constant of the best possible).

The functions at the end compute the *same* order-k model on a whole sequence at once, in a few
numpy passes, for experiments over many orders and long texts (the tests check them against
:class:`ContextModel`):

* :func:`context_ids` — one integer per position naming the ``k`` symbols before it;
* :func:`sequential_probabilities` / :func:`sequential_code_length` — the adaptive model's
  probability of each symbol having seen only the symbols before it (prequential, as a
  compressor codes it), for any pseudo-count ``alpha``;
* :func:`heldout_log_loss` — bits per symbol of a model counted on a training sequence and
  scored on a separate test sequence (the usual train/test protocol);
* :func:`guess_ranks` — where the actual symbol stands in the counted model's ranking of the
  alphabet: Shannon's guessing game played by the model.

Near the start of a sequence the context is the shorter history seen so far (a start marker
pads it), in both forms.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "PRIORS",
    "Adaptive",
    "ContextModel",
    "Uniform",
    "additive_code_length",
    "context_ids",
    "count_lookup",
    "count_table",
    "guess_ranks",
    "heldout_log_loss",
    "kt_regret",
    "paired_context_ids",
    "sequential_code_length",
    "sequential_probabilities",
]

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


# --------------------------------------------------------------------------------------------
# The same model on a whole sequence at once (vectorized)
# --------------------------------------------------------------------------------------------

#: ids stay below this, so that ``id * alphabet_size + symbol`` fits in an int64
_ID_LIMIT = 1 << 62


def _check_sequence(seq: np.ndarray, order: int, alphabet_size: int, alpha: float) -> np.ndarray:
    s = np.asarray(seq)
    if s.ndim != 1:
        raise ValueError("sequence must be one-dimensional")
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 0:
        raise ValueError(f"order must be a non-negative integer, got {order!r}")
    if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, int | np.integer):
        raise ValueError(f"alphabet_size must be an integer, got {alphabet_size!r}")
    if not 1 <= alphabet_size <= MAX_ALPHABET:
        raise ValueError(f"alphabet_size must be in 1..{MAX_ALPHABET}, got {alphabet_size}")
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    if s.size and (s.dtype.kind not in "iub" or s.min() < 0 or s.max() >= alphabet_size):
        raise ValueError(f"symbols must be integers in 0 .. {alphabet_size - 1}")
    return s.astype(np.int64)


def _renumber(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace ids by their rank among the distinct ids (same equalities, small numbers)."""
    _, ranks = np.unique(ids, return_inverse=True)
    ranks = ranks.astype(np.int64).ravel()
    return ranks, int(ranks.max(initial=0))


def context_ids(seq: np.ndarray, order: int, alphabet_size: int) -> np.ndarray:
    """An integer id for the ``order`` symbols before each position (start-padded).

    Two positions get the same id exactly when their preceding ``order`` symbols agree (with
    positions near the start distinguished by how much history they have). Every id is below
    ``2**62 / alphabet_size``, so ``id * alphabet_size + symbol`` names a (context, symbol) pair.
    """
    s = _check_sequence(seq, order, alphabet_size, 0.0)
    return _context_ids(s, order, alphabet_size)


def _context_ids(s: np.ndarray, order: int, alphabet_size: int, restart: int = 0) -> np.ndarray:
    """:func:`context_ids` of ``s``, where position ``restart`` begins a new sequence."""
    n = s.size
    radix = alphabet_size + 1  # digit 0 means "before the start"
    ids = np.zeros(n, dtype=np.int64)
    top = 0  # an upper bound on the ids
    for lag in range(order, 0, -1):  # the oldest symbol first: the newest is least significant
        if (top + 1) * radix >= _ID_LIMIT // alphabet_size:
            ids, top = _renumber(ids)  # too many digits for an int64: keep only the ranks
        digit = np.zeros(n, dtype=np.int64)
        digit[lag:] = s[: max(n - lag, 0)] + 1
        if restart:
            digit[restart : restart + lag] = 0  # the second sequence has no history yet
        ids = ids * radix + digit
        top = top * radix + alphabet_size
    return ids


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

    Symbol ``t`` is predicted from the counts of symbols ``0 .. t-1`` only, exactly as
    :class:`ContextModel` predicts it, so ``-log2(result).sum()`` is the code length an
    arithmetic coder driven by this model approaches (prequential code length).
    """
    s = _check_sequence(seq, order, alphabet_size, alpha)
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


def count_lookup(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``counts`` of each ``query`` key in the sorted, distinct ``keys`` (0 when absent)."""
    if keys.size == 0:
        return np.zeros(query.size, dtype=np.int64)
    pos = np.clip(np.searchsorted(keys, query), 0, keys.size - 1)
    return np.where(keys[pos] == query, counts[pos], 0)


def _paired_ids(
    tr: np.ndarray, te: np.ndarray, order: int, a: int
) -> tuple[np.ndarray, np.ndarray]:
    # Number the contexts of both sequences together, so that equal contexts get equal ids
    # even when the ids had to be renumbered; the test sequence starts with no history.
    ids = _context_ids(np.concatenate([tr, te]), order, a, restart=tr.size)
    return ids[: tr.size], ids[tr.size :]


def paired_context_ids(
    train: np.ndarray, test: np.ndarray, order: int, alphabet_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`context_ids` of two sequences, comparable: equal contexts get equal ids.

    The test sequence starts afresh (its first symbols see a start-padded context).
    """
    tr = _check_sequence(train, order, alphabet_size, 0.0)
    te = _check_sequence(test, order, alphabet_size, 0.0)
    return _paired_ids(tr, te, order, alphabet_size)


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
    tr = _check_sequence(train, order, alphabet_size, alpha)
    te = _check_sequence(test, order, alphabet_size, alpha)
    if te.size == 0:
        raise ValueError("test sequence is empty")
    a = alphabet_size
    ctx_tr, ctx_te = _paired_ids(tr, te, order, a)
    u_ctx, c_ctx = np.unique(ctx_tr, return_counts=True)
    u_joint, c_joint = np.unique(ctx_tr * a + tr, return_counts=True)
    n_ctx = count_lookup(u_ctx, c_ctx, ctx_te)
    n_joint = count_lookup(u_joint, c_joint, ctx_te * a + te)
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = -np.log2((n_joint + alpha) / (n_ctx + alpha * a))
    bits[np.isnan(bits)] = np.inf  # 0/0: an unseen context with alpha = 0
    return float(bits.mean())


def guess_ranks(
    train: np.ndarray, test: np.ndarray, order: int, alphabet_size: int, chunk: int = 1 << 13
) -> np.ndarray:
    """The rank (1 = first guess) of each test symbol in a counting model's order of guesses.

    After a context the guesser ranks the symbols by how often they followed its last ``order``
    symbols in ``train``; ties (unseen symbols, unseen contexts) are broken by the counts after
    the last ``order - 1`` symbols, and so on down to order 0, and finally by symbol index.
    This is Shannon's guessing game with a backing-off counting model as the player; the ranks
    are an invertible recoding of the text given its contexts. ``chunk`` bounds the memory.
    """
    tr = _check_sequence(train, order, alphabet_size, 0.0)
    te = _check_sequence(test, order, alphabet_size, 0.0)
    a = alphabet_size
    tables = []
    for k in range(order + 1):  # per order: the counts of (context, symbol) in training
        ctx_tr, ctx_te = _paired_ids(tr, te, k, a)
        keys, key_counts = np.unique(ctx_tr * a + tr, return_counts=True)
        tables.append((keys, key_counts, ctx_te))
    ranks = np.empty(te.size, dtype=np.int64)
    symbols = np.arange(a)
    for start in range(0, te.size, chunk):
        stop = min(start + chunk, te.size)
        x = te[start:stop]
        rows = np.arange(x.size)
        ahead = symbols < x[:, None]  # the final tie-break: symbol index
        for keys, key_counts, ctx_te in tables:  # from order 0 up: longer contexts decide first
            ctx = ctx_te[start:stop]
            counts = count_lookup(keys, key_counts, (ctx[:, None] * a + symbols).ravel())
            counts = counts.reshape(-1, a)
            own = counts[rows, x][:, None]
            ahead = (counts > own) | ((counts == own) & ahead)
        ranks[start:stop] = 1 + ahead.sum(axis=1)
    return ranks


# --------------------------------------------------------------------------------------------
# Closed forms: what an additive estimator pays, and its regret
# --------------------------------------------------------------------------------------------


def count_table(seq: np.ndarray, order: int, alphabet_size: int, start: int = 0) -> np.ndarray:
    """The counts of each symbol after each context of ``seq`` that occurs: ``(contexts, A)``.

    Rows are the distinct (start-padded) contexts of :func:`context_ids`, in the order of their
    ids; row ``c``, column ``a`` is how often ``a`` followed context ``c``. Only the positions
    from ``start`` on are counted: with ``start >= order`` every row is a full context, and
    models of several orders can be compared on the same symbols (all conditioned on the first
    ``start``).
    """
    s = _check_sequence(seq, order, alphabet_size, 0.0)
    if isinstance(start, bool) or not isinstance(start, int | np.integer) or start < 0:
        raise ValueError(f"start must be a non-negative integer, got {start!r}")
    ids = context_ids(s, order, alphabet_size)[start:]
    _, row = np.unique(ids, return_inverse=True)
    table = np.zeros((int(row.max(initial=-1)) + 1, alphabet_size), dtype=np.int64)
    np.add.at(table, (row.ravel(), s[start:]), 1)
    return table


def additive_code_length(table: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Bits an adaptive add-``alpha`` estimator pays for each row of counts, in closed form.

    The product of the sequential probabilities depends only on the counts ``n_a`` (not on
    their order): ``Γ(Aα) / Γ(n + Aα) · Π_a Γ(n_a + α) / Γ(α)``. Summed over the rows of
    :func:`count_table`, this is :func:`sequential_code_length` of the sequence.
    """
    t = np.asarray(table, dtype=np.float64)
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or (t < 0).any() or not alpha > 0:
        raise ValueError("need a 2-D table of non-negative counts and alpha > 0")
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    a = t.shape[1]
    log_p = (
        lgamma(t + alpha).sum(axis=1)
        - a * math.lgamma(alpha)
        + math.lgamma(a * alpha)
        - lgamma(t.sum(axis=1) + a * alpha)
    )
    return -log_p / math.log(2)


def kt_regret(n: np.ndarray, seen: np.ndarray, alphabet_size: int) -> np.ndarray:
    """The KT estimator's regret, in bits, for ``n`` symbols of which ``seen`` distinct ones.

    Regret is the excess of the KT code length over that of the best distribution *in
    hindsight* (the maximum-likelihood fit, ``n H(p̂)``). By Stirling's formula, when every
    symbol that occurs occurs often, it is

    ``(A - 1)/2 log2 n + log2 √(2π) - (seen/2) log2 2 - log2 Γ(A/2)``  (bits)

    which for ``seen = A`` is the familiar ``(A - 1)/2 log2(n / 2) + log2(√π / Γ(A/2))``. The
    ``log n`` term does not depend on the probabilities: each of the ``A - 1`` free parameters
    costs half a bit per doubling of the data. (With few counts, use the exact
    :func:`additive_code_length` minus ``n H(p̂)`` instead.)
    """
    n = np.asarray(n, dtype=np.float64)
    seen = np.asarray(seen, dtype=np.float64)
    if (n < 1).any() or (seen < 1).any() or (seen > alphabet_size).any():
        raise ValueError("need n >= 1 and 1 <= seen <= alphabet_size")
    a = alphabet_size
    nats = (a - 1) / 2 * np.log(n) + 0.5 * math.log(2 * math.pi) - seen / 2 * math.log(2)
    return (nats - math.lgamma(a / 2)) / math.log(2)
