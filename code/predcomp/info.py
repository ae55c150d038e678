"""Information measures: entropy, cross-entropy, KL divergence, mutual information.

Conventions used throughout:

* A distribution is a 1-D array of non-negative floats summing to 1 (tolerance
  :data:`ATOL`); a joint distribution ``pxy`` is a 2-D array whose *rows index X* and whose
  columns index Y. Anything else raises :class:`ValueError` with a message saying why.
* ``0 log 0 = 0`` (the limit of ``p log p`` as ``p -> 0``), so zero-probability outcomes
  contribute nothing to an entropy.
* ``base=2`` (the default) gives bits, ``base=math.e`` nats, ``base=10`` hartleys.

The empirical estimators at the end (:func:`entropy_from_counts`, :func:`block_entropy`,
:func:`conditional_entropy_estimate`) are *plug-in* estimators: they compute the entropy of
the observed frequencies. The plug-in estimate is biased *downwards*: for ``K`` outcomes with
non-zero probability and ``N`` samples its expectation is about ``H - (K - 1) / (2 N ln b)``
(Miller 1955), and far worse once ``N`` is not much larger than ``K``, which is what happens
to long n-grams. ``miller_madow=True`` adds that first-order correction back.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: absolute tolerance on "sums to 1"
ATOL = 1e-9
#: the most contexts an exact Markov entropy rate is computed for (a dense a**k x a**k chain)
MAX_CONTEXTS = 4096

__all__ = [
    "ATOL",
    "as_distribution",
    "binary_entropy",
    "block_entropy",
    "conditional_entropy",
    "conditional_entropy_estimate",
    "context_transition_matrix",
    "cross_entropy",
    "entropy",
    "entropy_from_counts",
    "fano_entropy",
    "fano_error_bound",
    "guessing_bounds",
    "joint_entropy",
    "kl_divergence",
    "markov_entropy_rate",
    "mutual_information",
    "self_information",
    "stationary_distribution",
]


# --------------------------------------------------------------------------- validation


def _log(x: np.ndarray, base: float) -> np.ndarray:
    return np.log(x) / math.log(base)


def _check_base(base: float) -> float:
    base = float(base)
    if not (base > 0 and base != 1 and math.isfinite(base)):
        raise ValueError(f"base must be a positive number other than 1, got {base!r}")
    return base


def as_distribution(p: ArrayLike, name: str = "p", ndim: int = 1) -> np.ndarray:
    """Return ``p`` as a float64 array after checking that it is a probability distribution.

    Negative entries, NaN or infinite values, the wrong number of dimensions, or a sum that is
    not 1 (within :data:`ATOL`) raise :class:`ValueError` with a message saying which.
    """
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != ndim:
        kind = "a 1-D probability vector" if ndim == 1 else "a 2-D joint distribution"
        raise ValueError(f"{name} must be {kind}, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; a distribution needs at least one outcome")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if (arr < 0).any():
        raise ValueError(f"{name} has negative probabilities (min {arr.min():.3g})")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")
    total = float(arr.sum())
    if abs(total - 1.0) > ATOL:
        raise ValueError(f"{name} must sum to 1 (within {ATOL:g}), but sums to {total:.12g}")
    return arr


def _xlogy(x: np.ndarray, y: np.ndarray, base: float) -> np.ndarray:
    """``x * log(y)`` elementwise with ``0 * log(anything) = 0``."""
    out = np.zeros(np.broadcast(x, y).shape)
    mask = x > 0
    out[mask] = x[mask] * _log(y[mask], base)
    return out


# --------------------------------------------------------------------------- distributions


def self_information(p: ArrayLike, base: float = 2.0) -> np.ndarray | float:
    """Surprisal ``-log p`` of an outcome of probability ``p`` (``inf`` for ``p = 0``).

    Accepts a scalar or an array of probabilities (each in ``[0, 1]``; they need not sum to 1).
    """
    base = _check_base(base)
    arr = np.asarray(p, dtype=np.float64)
    if np.isnan(arr).any() or (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"probabilities must lie in [0, 1], got {p!r}")
    with np.errstate(divide="ignore"):
        out = -_log(arr, base)
    return float(out) if out.ndim == 0 else out


def entropy(p: ArrayLike, base: float = 2.0) -> float:
    """Shannon entropy ``H(p) = -sum_x p(x) log p(x)``."""
    base = _check_base(base)
    p = as_distribution(p)
    return float(-_xlogy(p, p, base).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def binary_entropy(p: ArrayLike, base: float = 2.0) -> np.ndarray | float:
    """Entropy ``h(p) = -p log p - (1-p) log(1-p)`` of a coin with bias ``p`` (vectorized)."""
    base = _check_base(base)
    arr = np.asarray(p, dtype=np.float64)
    if np.isnan(arr).any() or (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"binary_entropy needs p in [0, 1], got {p!r}")
    out = -(_xlogy(arr, arr, base) + _xlogy(1 - arr, 1 - arr, base)) + 0.0
    return float(out) if out.ndim == 0 else out


def joint_entropy(pxy: ArrayLike, base: float = 2.0) -> float:
    """Joint entropy ``H(X, Y)`` of a joint distribution (any shape; rows index X)."""
    base = _check_base(base)
    arr = np.asarray(pxy, dtype=np.float64)
    arr = as_distribution(arr, "pxy", ndim=arr.ndim if arr.ndim >= 1 else 1)
    return float(-_xlogy(arr, arr, base).sum()) + 0.0


def conditional_entropy(pxy: ArrayLike, base: float = 2.0) -> float:
    """Conditional entropy ``H(Y | X) = -sum p(x, y) log p(y | x)``; rows of ``pxy`` index X."""
    base = _check_base(base)
    pxy = as_distribution(pxy, "pxy", ndim=2)
    px = pxy.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        py_given_x = np.where(px > 0, pxy / np.where(px > 0, px, 1.0), 0.0)
    return float(-_xlogy(pxy, py_given_x, base).sum()) + 0.0


def _check_pair(p: ArrayLike, q: ArrayLike, base: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Validate a base and two distributions over the same outcomes."""
    base = _check_base(base)
    p = as_distribution(p, "p")
    q = as_distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return base, p, q


def cross_entropy(p: ArrayLike, q: ArrayLike, base: float = 2.0) -> float:
    """Cross-entropy ``H(p, q) = -sum_x p(x) log q(x)``: the mean code length of ``p`` under ``q``.

    It is ``inf`` when ``q`` gives probability 0 to an outcome that ``p`` makes possible.
    """
    base, p, q = _check_pair(p, q, base)
    if ((p > 0) & (q == 0)).any():
        return math.inf
    return float(-_xlogy(p, q, base).sum()) + 0.0


def kl_divergence(p: ArrayLike, q: ArrayLike, base: float = 2.0) -> float:
    """Kullback–Leibler divergence ``KL(p || q) = sum_x p(x) log(p(x) / q(x))`` (>= 0).

    It is ``inf`` when ``q`` gives probability 0 to an outcome that ``p`` makes possible.
    """
    base, p, q = _check_pair(p, q, base)
    if ((p > 0) & (q == 0)).any():
        return math.inf
    mask = p > 0
    d = float(np.sum(p[mask] * (_log(p[mask], base) - _log(q[mask], base))))
    # Gibbs' inequality says d >= 0; rounding can leave a tiny negative number.
    return max(d, 0.0)


def mutual_information(pxy: ArrayLike, base: float = 2.0) -> float:
    """Mutual information ``I(X; Y) = KL(p(x, y) || p(x) p(y))`` (>= 0); rows index X."""
    base = _check_base(base)
    pxy = as_distribution(pxy, "pxy", ndim=2)
    # log p(x) + log p(y) rather than log(p(x) p(y)): the product can underflow to 0.
    rows, cols = np.nonzero(pxy > 0)
    v = pxy[rows, cols]
    log_prod = _log(pxy.sum(axis=1)[rows], base) + _log(pxy.sum(axis=0)[cols], base)
    i = float(np.sum(v * (_log(v, base) - log_prod)))
    return max(i, 0.0)


# --------------------------------------------------------------------------- prediction errors


def fano_entropy(error: float, alphabet_size: int, base: float = 2.0) -> float:
    """Fano's bound ``h(Pe) + Pe log(A - 1)`` on ``H(X | Y)`` for a guess of error ``Pe``.

    Any guess of ``X`` from ``Y`` that is wrong with probability ``Pe`` leaves at most this much
    uncertainty: ``H(X | Y) <= h(Pe) + Pe log(A - 1)`` over an alphabet of ``A`` symbols.
    """
    base = _check_base(base)
    if not 0 <= error <= 1:
        raise ValueError(f"an error probability must be in [0, 1], got {error!r}")
    if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, int | np.integer):
        raise ValueError(f"alphabet_size must be an integer, got {alphabet_size!r}")
    if alphabet_size < 2:
        raise ValueError(f"Fano's inequality needs at least 2 symbols, got {alphabet_size}")
    wrong = error * math.log(alphabet_size - 1) / math.log(base) if error > 0 else 0.0
    return float(binary_entropy(error, base)) + wrong


def fano_error_bound(conditional_entropy: float, alphabet_size: int, base: float = 2.0) -> float:
    """The smallest error probability Fano's inequality allows when ``H(X | Y)`` is given.

    Solves ``h(Pe) + Pe log(A - 1) = H(X | Y)`` for ``Pe`` in ``[0, 1 - 1/A]``, where the left
    side increases from 0 to ``log A``: no predictor of ``X`` from ``Y`` can be wrong less often.
    """
    if not conditional_entropy >= 0:
        raise ValueError(f"an entropy must be >= 0, got {conditional_entropy!r}")
    top = 1 - 1 / alphabet_size
    if conditional_entropy >= fano_entropy(top, alphabet_size, base):
        return top
    if conditional_entropy == 0:
        return 0.0
    low, high = 0.0, top
    for _ in range(100):  # bisection: 100 halvings reach float precision
        mid = (low + high) / 2
        if fano_entropy(mid, alphabet_size, base) < conditional_entropy:
            low = mid
        else:
            high = mid
    return high


def guessing_bounds(ranks: ArrayLike, alphabet_size: int, base: float = 2.0) -> tuple[float, float]:
    """Shannon's (1951) bounds on the entropy from the ranks of guesses.

    ``ranks`` are the positions (1 = first guess) at which a predictor that guesses the next
    symbol in order of decreasing probability found the actual one. With ``q_i`` the frequency
    of rank ``i``, Shannon's bounds on the conditional entropy of the text are

    ``sum_i i (q_i - q_{i+1}) log i  <=  H  <=  -sum_i q_i log q_i``.

    The upper bound holds for *any* guessing order (the ranks are an invertible recoding of the
    text given its context, so they cannot carry less information); the lower bound assumes
    that the guesser ranks by the true conditional probabilities.
    """
    base = _check_base(base)
    r = np.asarray(ranks)
    if r.ndim != 1 or r.size == 0 or r.dtype.kind not in "iu":
        raise ValueError("ranks must be a non-empty 1-D array of integers")
    if r.min() < 1 or r.max() > alphabet_size:
        raise ValueError(f"ranks must lie in 1..{alphabet_size}")
    q = np.bincount(r, minlength=alphabet_size + 2)[1:].astype(np.float64) / r.size  # q_1..q_{A+1}
    upper = float(-_xlogy(q, q, base).sum()) + 0.0
    i = np.arange(1, alphabet_size + 1)
    lower = float(np.sum(i * (q[:-1] - q[1:]) * np.log(i) / math.log(base))) + 0.0
    return lower, upper


# --------------------------------------------------------------------------- Markov chains


def _as_transition_matrix(P: ArrayLike) -> np.ndarray:
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ValueError(f"a transition matrix must be square and non-empty, got shape {P.shape}")
    if np.isnan(P).any() or (P < 0).any():
        raise ValueError("a transition matrix must have non-negative entries (and no NaN)")
    sums = P.sum(axis=1)
    if np.abs(sums - 1.0).max() > ATOL:
        bad = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(
            f"each row of a transition matrix must sum to 1; row {bad} sums to {sums[bad]:.12g}"
        )
    return P


def stationary_distribution(P: ArrayLike) -> np.ndarray:
    """The stationary distribution ``pi`` with ``pi P = pi`` of a transition matrix ``P``.

    ``P[i, j]`` is the probability of moving from state ``i`` to state ``j``. The chain must
    have a unique stationary distribution (e.g. be irreducible); otherwise ``ValueError``.
    """
    P = _as_transition_matrix(P)
    n = P.shape[0]
    # Solve pi (P - I) = 0 together with sum(pi) = 1 as one least-squares system.
    a = np.vstack([(P - np.eye(n)).T, np.ones((1, n))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    if np.linalg.matrix_rank(a) < n:
        raise ValueError(
            "the chain has no unique stationary distribution (it has several closed classes)"
        )
    pi, *_ = np.linalg.lstsq(a, b, rcond=None)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def context_transition_matrix(P: ArrayLike, order: int = 1) -> np.ndarray:
    """The first-order chain on contexts equivalent to an order-``order`` Markov table ``P``.

    ``P`` has shape ``(a**order, a)``: row ``c`` is the distribution of the next symbol after
    the context ``c``, the last ``order`` symbols read as a base-``a`` number with the most
    recent symbol least significant. The result, of shape ``(a**order, a**order)``, moves from
    context ``c`` to context ``(c * a + x) mod a**order`` with probability ``P[c, x]``.
    """
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] < 1:
        raise ValueError(f"P must be a 2-D array of shape (a**order, a), got {P.shape}")
    a = P.shape[1]
    if a**order > MAX_CONTEXTS:
        raise ValueError(f"too many contexts ({a}**{order} > {MAX_CONTEXTS})")
    m = a**order
    if P.shape[0] != m:
        raise ValueError(
            f"an order-{order} source over {a} symbols needs P of shape ({m}, {a}), got {P.shape}"
        )
    for row in range(m):
        as_distribution(P[row], name=f"row {row} of P")
    if order == 1:
        return P.copy()
    T = np.zeros((m, m))
    for c in range(m):
        shifted = (c * a) % m  # drop the oldest symbol, make room for the new one
        T[c, shifted : shifted + a] = P[c]
    return T


def markov_entropy_rate(P: ArrayLike, order: int = 1, base: float = 2.0) -> float:
    """Entropy rate ``H = sum_c pi(c) H(P[c])`` of a stationary order-``order`` Markov source.

    For ``order = 1``, ``P`` is a transition matrix and this is
    ``-sum_i pi_i sum_j P_ij log P_ij``; for higher orders ``P`` is the table of
    :func:`context_transition_matrix` and ``pi`` the stationary distribution of contexts.
    """
    base = _check_base(base)
    P = np.asarray(P, dtype=np.float64)
    pi = stationary_distribution(context_transition_matrix(P, order))
    row_entropies = -_xlogy(P, P, base).sum(axis=1)
    return float(pi @ row_entropies) + 0.0


# --------------------------------------------------------------------------- estimators


def entropy_from_counts(
    counts: ArrayLike | Iterable[int], base: float = 2.0, miller_madow: bool = False
) -> float:
    """Plug-in entropy of observed counts: the entropy of the empirical frequencies.

    With ``miller_madow=True`` the Miller–Madow correction ``(K - 1) / (2 N)`` nats (``K``
    observed outcomes, ``N`` observations) is added, which removes the first-order bias.
    """
    base = _check_base(base)
    c = np.asarray(counts if isinstance(counts, np.ndarray) else list(counts), dtype=np.float64)
    c = c.ravel()
    if np.isnan(c).any() or (c < 0).any():
        raise ValueError("counts must be non-negative numbers")
    n = float(c.sum())
    if n <= 0:
        raise ValueError("counts must contain at least one observation")
    p = c / n
    h = float(-_xlogy(p, p, base).sum()) + 0.0
    if miller_madow:
        k = int((c > 0).sum())
        h += (k - 1) / (2 * n) / math.log(base)
    return h


def _check_length(n: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {n!r}")
    return int(n)


def _symbol_codes(seq: Sequence[Any] | np.ndarray | str | bytes) -> tuple[np.ndarray, int]:
    """Map the symbols of ``seq`` to integer codes ``0 .. a - 1``; return the codes and ``a``."""
    if isinstance(seq, str):
        raw = np.frombuffer(seq.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    elif isinstance(seq, (bytes, bytearray, memoryview)):
        raw = np.frombuffer(bytes(seq), dtype=np.uint8).astype(np.int64)
    else:
        arr = np.asarray(seq)
        if arr.ndim == 1 and arr.dtype.kind in "iub":
            raw = arr.astype(np.int64)
        else:  # any other hashable symbols: number them in order of first appearance
            index: dict[Hashable, int] = {}
            raw = np.fromiter((index.setdefault(x, len(index)) for x in seq), dtype=np.int64)
    if raw.size == 0:
        return raw, 0
    if raw.min() >= 0 and raw.max() < 2**21:  # small non-negative codes: relabel in O(n)
        present = np.zeros(int(raw.max()) + 1, dtype=bool)
        present[raw] = True
        relabel = np.cumsum(present) - 1
        return relabel[raw], int(present.sum())
    alphabet, codes = np.unique(raw, return_inverse=True)
    return codes.astype(np.int64).ravel(), len(alphabet)


def _ngram_ids(codes: np.ndarray, a: int, n: int) -> np.ndarray:
    """One integer per n-gram ``codes[t - n + 1 .. t]``, for ``t = n - 1 .. len - 1``.

    Equal ids iff equal n-grams, and ``id // a`` identifies the first ``n - 1`` symbols (the
    context). The contexts are numbered by the book's one n-gram counter.
    """
    # Imported here: predcomp.models loads every model, which the entropy functions do not need.
    from predcomp.models.counts import context_ids

    ctx = context_ids(codes, n - 1, max(a, 1))[n - 1 :]
    return ctx * a + codes[n - 1 :]


def block_entropy(
    seq: Sequence[Any] | np.ndarray | str | bytes,
    n: int,
    base: float = 2.0,
    miller_madow: bool = False,
) -> float:
    """Empirical (plug-in) entropy ``H_n`` of the overlapping n-grams of ``seq``.

    ``H_n / n`` and the differences ``H_n - H_{n-1}`` both approach the entropy rate of a
    stationary source as ``n`` grows, as long as the sample is long enough (see the module
    docstring about bias). ``block_entropy(seq, 0) == 0``.
    """
    n = _check_length(n, "n-gram length")
    codes, a = _symbol_codes(seq)
    if n == 0:
        return 0.0
    if len(codes) < n:
        raise ValueError(f"a sequence of length {len(codes)} has no {n}-grams")
    _, counts = np.unique(_ngram_ids(codes, a, n), return_counts=True)
    return entropy_from_counts(counts, base=base, miller_madow=miller_madow)


def conditional_entropy_estimate(
    seq: Sequence[Any] | np.ndarray | str | bytes,
    order: int,
    base: float = 2.0,
    miller_madow: bool = False,
) -> float:
    """Empirical ``H(X_t | X_{t-order} .. X_{t-1})``: the plug-in conditional entropy.

    Computed as ``H_{order+1} - H_{order}`` over the same positions (the context counts are
    the marginals of the ``(order+1)``-gram counts), so the estimate is exactly the mean log
    loss, on ``seq`` itself, of the order-``order`` model fitted to ``seq`` by counting.
    On the same positions a longer context can only lower it (the order-``order + 1`` estimate
    of ``seq`` is at most the order-``order`` estimate of ``seq[1:]``, which scores exactly
    those positions), which is why it falls towards zero once contexts become too long to
    repeat: that is overfitting, not information. (Across orders on the same ``seq`` it can
    rise slightly, because order ``order + 1`` scores one position fewer: ``"aab"`` gives
    0.918 bits at order 0 and 1 bit at order 1.)
    ``miller_madow=True`` adds ``sum_c (K_c - 1) / (2 N)`` nats, one correction per context.
    """
    order = _check_length(order, "order")
    codes, a = _symbol_codes(seq)
    positions = len(codes) - order
    if positions < 1:
        raise ValueError(f"a sequence of length {len(codes)} is too short for order {order}")
    # One sort: the context of each distinct (order+1)-gram is its id // a (see _ngram_ids),
    # and sorted ids keep each context's n-grams together.
    uniq, joint_counts = np.unique(_ngram_ids(codes, a, order + 1), return_counts=True)
    ctx = uniq // a
    context_counts = np.add.reduceat(joint_counts, np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]]))
    h_joint = entropy_from_counts(joint_counts, base=base)
    h = h_joint - entropy_from_counts(context_counts, base=base)
    h = max(h, 0.0)
    if miller_madow:
        h += (len(joint_counts) - len(context_counts)) / (2 * positions) / math.log(base)
    return h
