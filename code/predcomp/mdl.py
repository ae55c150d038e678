"""Minimum description length: two-part, mixture, NML and prequential code lengths.

Every function here returns a *code length in bits* for data under a model class, so that
models of different complexity can be compared on one scale: the shortest total description
wins (Rissanen 1978). Four ways of paying for not knowing the parameters:

* **Two-part codes** send the model first, then the data with its help. Integers (a model's
  order, a polynomial's degree) cost a universal code: Elias's gamma or delta
  (:mod:`predcomp.coding.prefix`) or Rissanen's ``log*`` (:func:`log_star`). A real parameter is
  sent on a grid: :func:`two_part_bernoulli` does so exactly (a decodable code, grid chosen
  per sequence), and its cost is ``1/2 log2 n`` bits per parameter plus a constant, which is
  the asymptotic form :func:`parameter_cost` that BIC also uses.
* **Bayesian mixture codes** average the model over a prior: :func:`dirichlet_mixture_code_length`
  (the KT estimator *is* the Dirichlet(1/2) mixture, :func:`kt_code_length`).
* **Normalized maximum likelihood** (Shtarkov 1987): the maximized likelihood divided by its
  sum over all sequences of the same length, :func:`shtarkov_sum`, exact for multinomials by the
  linear-time recurrence of Kontkanen and Myllymäki (2007); it has the smallest worst-case
  :func:`regret`.
* **Prequential codes** (Dawid 1984) predict each symbol from the ones before it; the code length
  is the area under the learner's online loss curve. For a counting model it equals the
  mixture code; :func:`prequential_mlp` does it for a small neural network trained online
  (Blier and Ollivier 2018) and :func:`two_part_mlp` gives the same network's two-part code.

Order and degree selection: :func:`markov_code_lengths` (all criteria
for one order, including AIC and BIC in bits) and :func:`polynomial_code_length`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from predcomp.coding.prefix import elias_delta_length, elias_gamma_length
from predcomp.models import counts as counting

__all__ = [
    "CRITERIA",
    "LOG_STAR_CONSTANT",
    "MLPCode",
    "PolynomialCode",
    "aic_bits",
    "bic_bits",
    "dirichlet_mixture_code_length",
    "integer_code_length",
    "kt_code_length",
    "log_star",
    "markov_code_lengths",
    "max_grid_level",
    "ml_code_length",
    "nml_code_length",
    "nml_regret_asymptotic",
    "occam_bound",
    "parameter_cost",
    "polynomial_code_length",
    "prequential_mlp",
    "regret",
    "select_markov_order",
    "shtarkov_sum",
    "two_part_bernoulli",
    "two_part_bernoulli_all",
    "two_part_mlp",
    "two_part_multinomial",
]

LN2 = math.log(2.0)

#: Rissanen's normalizing constant c0 with sum_n 2**-log*(n) = 1 (Rissanen 1983): log2 c0 bits
#: are added to every log* length so that the lengths satisfy Kraft's inequality with equality.
LOG_STAR_CONSTANT = 2.865064


# =========================================================================== integers


def log_star(n: int) -> float:
    """Rissanen's universal code length for the integer ``n >= 1``, in bits.

    ``log2 c0 + log2 n + log2 log2 n + ...``, summing the positive terms only
    (:data:`LOG_STAR_CONSTANT` is ``c0``). It is the ideal length of a prior on the positive
    integers that decreases as slowly as any prior can while still summing to 1.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"log* is defined for integers >= 1, got {n!r}")
    total, x = math.log2(LOG_STAR_CONSTANT), math.log2(int(n))
    while x > 0:
        total += x
        x = math.log2(x)
    return total


def integer_code_length(n: int, code: str = "delta") -> float:
    """Bits to send the integer ``n >= 1`` with a universal code: gamma, delta or logstar."""
    if code == "gamma":
        return float(elias_gamma_length(n))
    if code == "delta":
        return float(elias_delta_length(n))
    if code == "logstar":
        return log_star(n)
    raise ValueError(f"unknown integer code {code!r}; choose gamma, delta or logstar")


def parameter_cost(k: int | float, n: int | float) -> float:
    """``k/2 log2 n``: the asymptotic cost of ``k`` real parameters estimated from ``n`` points.

    Sending a parameter to precision ``1/sqrt(n)`` (the size of its estimation error) costs
    ``1/2 log2 n`` bits; any finer is wasted on noise, any coarser costs more in the data part
    (see :func:`two_part_bernoulli` for the exact trade-off).
    """
    if k < 0 or n < 1:
        raise ValueError(f"need k >= 0 parameters and n >= 1 observations, got k={k}, n={n}")
    return 0.5 * k * math.log2(n)


# =========================================================================== likelihoods


def _counts(counts: ArrayLike) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64)
    if c.size == 0 or not np.all(np.isfinite(c)) or (c < 0).any():
        raise ValueError("counts must be a non-empty array of non-negative numbers")
    if np.any(c != np.round(c)):
        raise ValueError("counts must be whole numbers")
    return c


def ml_code_length(counts: ArrayLike, total: bool = True) -> float | np.ndarray:
    """``-log2`` of the maximized likelihood of data with these symbol counts, in bits.

    For a 2-D array, each row is a context (a Markov model's contexts): the sum over rows of
    ``n_c H(counts_c / n_c)``. It is the code length of the best model in hindsight, which no
    decoder can use because it does not know the counts: every real code pays a
    :func:`regret` on top of it. ``total=False`` returns one length per row instead.
    """
    c = _counts(counts)
    c2 = c.reshape(-1, c.shape[-1]) if c.ndim > 1 else c[None, :]
    n = c2.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(c2 > 0, c2 * np.log2(np.where(c2 > 0, c2, 1.0) / np.maximum(n, 1)), 0.0)
    if not total:
        return -terms.sum(axis=1) + 0.0
    return float(-terms.sum()) + 0.0


def regret(code_length: float, counts: ArrayLike) -> float:
    """Extra bits of a code over the best model in hindsight: ``code_length - ml_code_length``."""
    return float(code_length) - ml_code_length(counts)


# =========================================================================== mixtures


def dirichlet_mixture_code_length(
    counts: ArrayLike, alpha: float = 0.5, total: bool = True
) -> float | np.ndarray:
    """``-log2`` of the Dirichlet(``alpha``) mixture of multinomials at these counts, in bits.

    ``q(x) = Γ(Aα) / Γ(α)^A · Π_a Γ(n_a + α) / Γ(n + Aα)``, which depends on the data only
    through the counts. It is the same number as the product of the sequential add-``alpha``
    predictions ``(n_a + α) / (t + Aα)`` in any order, which is why it is computed by the
    counting models' :func:`~predcomp.models.counts.additive_code_length`: ``alpha = 1/2`` is
    the KT estimator, ``alpha = 1`` Laplace's rule. A 2-D array is one mixture per row (per
    context), lengths added (or, with ``total=False``, one length per row).
    """
    c = _counts(counts)
    rows = counting.additive_code_length(c.reshape(-1, c.shape[-1]) if c.ndim > 1 else c, alpha)
    return rows + 0.0 if not total else float(rows.sum()) + 0.0


def kt_code_length(counts: ArrayLike, total: bool = True) -> float | np.ndarray:
    """The Krichevsky–Trofimov code length: the Dirichlet(1/2) mixture, in bits."""
    return dirichlet_mixture_code_length(counts, 0.5, total=total)


# =========================================================================== NML


def _log_binomial_shtarkov(n: int) -> float:
    """Natural log of the binomial Shtarkov sum ``sum_k C(n,k) (k/n)^k (1-k/n)^(n-k)``."""
    if n == 0:
        return 0.0
    k = np.arange(n + 1, dtype=np.float64)
    # log C(n, k) by a running sum of log((n - k + 1) / k): exact enough, and O(n) numpy
    log_binom = np.concatenate([[0.0], np.cumsum(np.log(n - k[1:] + 1) - np.log(k[1:]))])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_terms = (
            log_binom
            + np.where(k > 0, k * np.log(k / n), 0.0)
            + np.where(k < n, (n - k) * np.log((n - k) / n), 0.0)
        )
    top = log_terms.max()
    return float(top + math.log(np.exp(log_terms - top).sum()))


def shtarkov_sum(n: int, alphabet_size: int = 2, log2: bool = True) -> float:
    """The multinomial Shtarkov sum ``C(n, A) = sum_x max_θ P_θ(x)`` over all ``A**n`` sequences.

    ``log2 C`` (the default) is the regret of the NML code on *every* sequence of length ``n``,
    which is also the smallest worst-case regret any code can have (Shtarkov 1987). Computed
    exactly: the binomial sum term by term, then the recurrence of Kontkanen and Myllymäki
    (2007), ``C(n, K + 2) = C(n, K + 1) + n / K · C(n, K)``, in the log domain.
    """
    for name, v, lo in (("n", n, 0), ("alphabet_size", alphabet_size, 1)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    n, a = int(n), int(alphabet_size)
    if a > 1 << 16:
        raise ValueError(f"alphabet_size must be at most {1 << 16}, got {a}")
    if n == 0 or a == 1:  # one sequence, of likelihood 1
        return 0.0 if log2 else 1.0
    log_c = [0.0, _log_binomial_shtarkov(n)]  # C(n, 1) = 1, C(n, 2)
    for k in range(1, a - 1):  # C(n, k + 2) from C(n, k + 1) and C(n, k)
        log_c.append(float(np.logaddexp(log_c[k], math.log(n / k) + log_c[k - 1])))
    return log_c[a - 1] / LN2 if log2 else math.exp(log_c[a - 1])


@lru_cache(maxsize=4096)
def _shtarkov_cached(n: int, a: int) -> float:
    return shtarkov_sum(n, a)


def nml_code_length(counts: ArrayLike) -> float:
    """The NML code length ``ml_code_length + log2 C(n, A)`` of a multinomial sequence, in bits.

    A 2-D array is one multinomial per row (per context), each normalized separately with its
    own count ``n_c``: the regret charged is the sum of the per-context minimax regrets.
    """
    c = _counts(counts)
    c2 = c.reshape(-1, c.shape[-1]) if c.ndim > 1 else c[None, :]
    a = c2.shape[1]
    penalty = sum(_shtarkov_cached(int(n), a) for n in c2.sum(axis=1))
    return ml_code_length(c2) + penalty


def nml_regret_asymptotic(n: int | float, alphabet_size: int = 2) -> float:
    """``(A-1)/2 log2(n / 2π) + log2(π^(A/2) / Γ(A/2))``: Rissanen's (1996) expansion of
    ``log2 C(n, A)`` (the Fisher-information integral of the multinomial is ``π^(A/2)/Γ(A/2)``).
    """
    a = int(alphabet_size)
    if a < 2 or not n > 0:
        raise ValueError("need alphabet_size >= 2 and n > 0")
    return (a - 1) / 2 * math.log2(n / (2 * math.pi)) + (
        a / 2 * math.log(math.pi) - math.lgamma(a / 2)
    ) / LN2


# =========================================================================== two-part codes


def _two_part_bernoulli_table(n1: np.ndarray, n: np.ndarray, max_level: int) -> np.ndarray:
    """Total two-part length of each (n1, n) pair at each level 0..max_level: (pairs, levels)."""
    n1 = np.asarray(n1, dtype=np.float64)[:, None]
    n = np.asarray(n, dtype=np.float64)[:, None]
    levels = np.arange(max_level + 1)
    ks = (2.0**levels)[None, :]
    # Cell j of K has its midpoint at phi_j = (j + 1/2) pi / (2K), theta_j = sin^2(phi_j);
    # the best cell is one of the two next to the ML estimate's phi.
    ml = np.divide(n1, n, out=np.full_like(n1, 0.5), where=n > 0)
    j0 = np.clip(np.floor(np.arcsin(np.sqrt(ml)) * 2 * ks / math.pi - 0.5), 0, ks - 1)
    data = np.full((n1.shape[0], levels.size), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in (j0, np.minimum(j0 + 1, ks - 1)):
            theta = np.sin((j + 0.5) * math.pi / (2 * ks)) ** 2
            bits = -(
                np.where(n1 > 0, n1 * np.log2(theta), 0.0)
                + np.where(n > n1, (n - n1) * np.log2(1 - theta), 0.0)
            )
            data = np.minimum(data, bits)
    # the level j, one of max_level + 1 (the decoder knows n, hence max_level), then the
    # cell's index among K = 2**j (j bits)
    model = levels + math.log2(max_level + 1)
    return data + model[None, :]


def _two_part_bernoulli_many(
    n1: np.ndarray, n: np.ndarray, max_level: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`two_part_bernoulli` for many (n1, n) pairs at once: (bits, best K) arrays."""
    totals = _two_part_bernoulli_table(n1, n, max_level)
    best = np.argmin(totals, axis=1)
    return totals[np.arange(totals.shape[0]), best], 2**best


def max_grid_level(n: int) -> int:
    """The finest grid :func:`two_part_bernoulli` allows for ``n`` observations: levels
    ``0 .. max_grid_level(n)``, grids of up to ``K = 2**level`` cells, comfortably above
    ``sqrt(n)``. The decoder knows ``n``, hence this list of levels."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    return max(1, int(n).bit_length() // 2 + 3)


_max_level = max_grid_level  # the name the rest of this module uses


def two_part_bernoulli(n1: int, n: int, level: int | None = None) -> tuple[float, int]:
    """A decodable two-part code for a binary sequence with ``n1`` ones in ``n``: (bits, K).

    The encoder chooses a grid of ``K = 2**j`` cells and sends ``j`` (one of the few levels
    allowed for this ``n``, in ``log2`` of their number bits), then the cell nearest the ML
    estimate (``j`` bits), then the data coded with the cell's probability. The cells are equal
    in the Fisher-information metric: ``theta = sin^2(phi)`` with ``phi`` on an equal grid of
    ``[0, pi/2]``, narrow near 0 and 1 where the likelihood is sharp. It returns the shortest
    total over ``j``, and that ``K``. The best ``K`` grows like ``sqrt(n)``, and the total
    exceeds the ML code length by ``1/2 log2 n`` plus a few bits on every sequence: the price
    of one real parameter. (The decoder is assumed to know ``n``, as for every code here.)
    """
    for name, v in (("n1", n1), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {v!r}")
    if not 0 <= n1 <= n:
        raise ValueError(f"need 0 <= n1 <= n, got n1={n1}, n={n}")
    levels = _max_level(n)
    if level is None:
        bits, k = _two_part_bernoulli_many(np.array([n1]), np.array([n]), levels)
        return float(bits[0]), int(k[0])
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= levels:
        raise ValueError(f"level must be an integer in 0..{levels} for n={n}, got {level!r}")
    table = _two_part_bernoulli_table(np.array([n1]), np.array([n]), levels)[0]
    return float(table[level]), 2**level


def two_part_bernoulli_all(n: int, level: int | None = None) -> np.ndarray:
    """:func:`two_part_bernoulli`'s code length for every count of ones ``n1 = 0 .. n``.

    ``level=j`` forces the grid ``K = 2**j`` for all of them, as in :func:`two_part_bernoulli`.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 0 <= n <= 10**7:
        raise ValueError(f"n must be an integer in 0..10**7, got {n!r}")
    levels = _max_level(int(n))
    n1 = np.arange(int(n) + 1)
    if level is None:
        bits, _ = _two_part_bernoulli_many(n1, np.full(n1.shape, int(n)), levels)
        return bits
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= levels:
        raise ValueError(f"level must be an integer in 0..{levels} for n={n}, got {level!r}")
    return _two_part_bernoulli_table(n1, np.full(n1.shape, int(n)), levels)[:, level]


def two_part_multinomial(counts: ArrayLike, unseen_rows: int = 0) -> float:
    """Two-part code length of a multinomial sequence (or one per row of a 2-D array), in bits.

    A distribution over ``A`` symbols is written as ``A - 1`` binary splits (stick-breaking:
    symbol 0 or not, then symbol 1 or not, ...); each split is a Bernoulli parameter sent as in
    :func:`two_part_bernoulli`. The ML likelihood factorizes the same way, so this is an honest,
    decodable code that pays about ``1/2 log2 n`` bits for each of the ``A - 1`` parameters. The
    grid levels allowed are those of the *total* count ``n`` (all rows together), the one
    number the decoder knows before it reads the parameters. ``unseen_rows`` more rows (contexts
    that never occur) cost the coarsest level, one cell, for each of their parameters.
    """
    c = _counts(counts)
    c2 = c.reshape(-1, c.shape[-1]) if c.ndim > 1 else c[None, :]
    if c2.shape[1] < 2:
        return 0.0
    levels = _max_level(int(c2.sum()))
    unseen = unseen_rows * (c2.shape[1] - 1) * math.log2(levels + 1)
    if c2.shape[0] == 0:
        return unseen
    # split a: symbol a against the symbols after it, among those not yet split off
    rest = np.cumsum(c2[:, ::-1], axis=1)[:, ::-1]  # rest[:, a] = counts of symbols >= a
    n1, n = c2[:, :-1].ravel(), rest[:, :-1].ravel()
    bits, _ = _two_part_bernoulli_many(n1, n, levels)
    return float(bits.sum()) + unseen


# =========================================================================== Markov order


def aic_bits(ml_bits: float, k: int) -> float:
    """Akaike's criterion in bits: ``-log2 L + k log2 e`` (AIC / (2 ln 2))."""
    return ml_bits + k / LN2


def bic_bits(ml_bits: float, k: int, n: int) -> float:
    """Schwarz's criterion in bits: ``-log2 L + k/2 log2 n`` (BIC / (2 ln 2))."""
    return ml_bits + parameter_cost(k, n)


#: the criteria :func:`markov_code_lengths` computes, in the order it returns them
CRITERIA = ("two-part", "nml", "bayes", "bic", "aic")


def markov_code_lengths(
    seq: ArrayLike, order: int, alphabet_size: int, start: int | None = None
) -> dict[str, float]:
    """Every criterion of :data:`CRITERIA` for an order-``order`` Markov model, in bits.

    The symbols from ``start`` on (default: ``order``) are coded given the ones before
    (:func:`predcomp.models.counts.count_table`).

    * ``two-part``: the order (Elias delta of ``order + 1``), then every context's parameters
      with :func:`two_part_multinomial` (a context that never occurs still costs a few bits
      per parameter: "one cell");
    * ``nml``: the order, then the exact multinomial NML of each context's counts;
    * ``bayes``: the order, then the KT (Dirichlet 1/2) mixture of each context, which equals
      the prequential code of the adaptive KT model;
    * ``bic`` and ``aic``: the classical penalties on the ML code length, with
      ``k = A**order (A - 1)`` free parameters.
    """
    a = int(alphabet_size)
    counts = counting.count_table(seq, order, a, start=order if start is None else start)
    n = int(counts.sum())
    k = a**order * (a - 1)
    unseen = max(0, a**order - counts.shape[0])
    ml = ml_code_length(counts) if counts.size else 0.0
    l_order = integer_code_length(order + 1)
    return {
        "two-part": l_order + two_part_multinomial(counts.reshape(-1, a), unseen_rows=unseen),
        "nml": l_order + (nml_code_length(counts) if counts.size else 0.0),
        "bayes": l_order + (kt_code_length(counts) if counts.size else 0.0),
        "bic": bic_bits(ml, k, max(n, 1)),
        "aic": aic_bits(ml, k),
    }


def select_markov_order(seq: ArrayLike, alphabet_size: int, max_order: int) -> dict[str, int]:
    """The order in ``0 .. max_order`` each criterion of :data:`CRITERIA` chooses.

    Every order codes the same symbols, those after the first ``max_order``.
    """
    table = [
        markov_code_lengths(seq, k, alphabet_size, start=max_order) for k in range(max_order + 1)
    ]
    return {c: int(np.argmin([row[c] for row in table])) for c in CRITERIA}


# =========================================================================== Occam bound


def occam_bound(bits: float, m: int, delta: float = 0.05) -> float:
    """Blumer et al.'s (1987) Occam bound: ``(bits ln 2 + ln(1/delta)) / m``.

    With probability at least ``1 - delta`` over ``m`` independent labelled examples, every
    classifier that makes no error on them and has a ``bits``-bit codeword in a prefix code
    fixed before the data were seen has true error rate at most this (a union bound over the
    classifiers, each weighted by ``2**-bits``, which sum to at most 1 by Kraft).
    """
    if not (bits >= 0 and math.isfinite(bits)):
        raise ValueError(f"bits must be a finite number >= 0, got {bits!r}")
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    return (bits * LN2 + math.log(1 / delta)) / int(m)


# =========================================================================== polynomials


@dataclass(frozen=True)
class PolynomialCode:
    """A two-part code for ``y`` given ``x`` under a polynomial with Gaussian noise (bits)."""

    degree: int
    model_bits: float  # the degree (Elias delta) and degree + 2 real parameters
    data_bits: float  # the residuals, Gaussian with the ML variance, to ``precision``
    rms: float  # root-mean-square residual of the least-squares fit

    @property
    def total_bits(self) -> float:
        return self.model_bits + self.data_bits


def polynomial_code_length(
    x: ArrayLike, y: ArrayLike, degree: int, precision: float = 1e-3
) -> PolynomialCode:
    """Two-part code length of ``y`` (recorded to ``precision``) under a least-squares polynomial.

    Model: the degree (Elias delta of ``degree + 1``) and ``degree + 2`` real parameters (the
    coefficients and the noise variance) at ``1/2 log2 n`` bits each. Data: each residual
    coded with the Gaussian density of the ML variance times ``precision``. The variance is
    floored at ``precision**2 / 12``, the variance of rounding to ``precision``: a polynomial
    through every point cannot code the data in fewer bits than it takes to say where they are.
    """
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.ndim != 1 or xs.shape != ys.shape or xs.size < 1:
        raise ValueError("x and y must be 1-D arrays of the same, non-zero length")
    if isinstance(degree, bool) or not isinstance(degree, int) or not 0 <= degree < xs.size:
        raise ValueError(f"degree must be an integer in 0..{xs.size - 1}, got {degree!r}")
    if not precision > 0:
        raise ValueError("precision must be positive")
    n = xs.size
    # A Chebyshev basis on the data's range keeps high-degree fits well conditioned.
    fit = np.polynomial.Chebyshev.fit(xs, ys, degree)
    resid = ys - fit(xs)
    var = max(float(np.mean(resid**2)), precision**2 / 12)
    data_bits = n / 2 * math.log2(2 * math.pi * math.e * var) - n * math.log2(precision)
    model_bits = integer_code_length(degree + 1) + parameter_cost(degree + 2, n)
    return PolynomialCode(degree, model_bits, data_bits, math.sqrt(float(np.mean(resid**2))))


# =========================================================================== neural networks


@dataclass
class MLPCode:
    """Code lengths of a small network on a symbol sequence (bits), and what produced them."""

    bits: np.ndarray  # per-symbol -log2 q(x_t | ...) (prequential: before training on x_t)
    n_params: int
    model: object  # the trained torch module

    @property
    def total_bits(self) -> float:
        return float(self.bits.sum())


def _mlp(vocab: int, context: int, embed: int, hidden: int, seed: int):  # -> torch.nn.Module
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Embedding(vocab + 1, embed),  # id ``vocab`` marks "before the start"
        nn.Flatten(),
        nn.Linear(context * embed, hidden),
        nn.Tanh(),
        nn.Linear(hidden, vocab),
    )


def _windows(seq: np.ndarray, context: int, vocab: int):  # -> torch.Tensor (n, context)
    import torch

    padded = np.concatenate([np.full(context, vocab, dtype=np.int64), seq])
    idx = np.arange(seq.size)[:, None] + np.arange(context)[None, :]
    return torch.from_numpy(padded[idx])


def _check_symbols(seq: ArrayLike, vocab: int) -> np.ndarray:
    s = np.asarray(seq, dtype=np.int64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError("the sequence must be a non-empty 1-D array of symbols")
    if s.min() < 0 or s.max() >= vocab:
        raise ValueError(f"symbols must lie in 0..{vocab - 1}")
    return s


def prequential_mlp(
    seq: ArrayLike,
    vocab: int,
    context: int = 3,
    embed: int = 8,
    hidden: int = 64,
    block: int = 128,
    steps_per_block: int = 20,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
) -> MLPCode:
    """The prequential code length of a small MLP that predicts each symbol from the last few.

    The sequence is cut into blocks of ``block`` symbols. Each block is coded with the network
    as it is *before* seeing the block (the first block with an untrained network), then the
    network takes ``steps_per_block`` Adam steps on mini-batches drawn from everything coded so
    far. A decoder can repeat exactly the same training, so ``bits.sum()`` is a real code length
    with no parameters sent: the area under the online loss curve (Blier and Ollivier 2018).
    Deterministic for a given ``seed`` on one machine (one thread, fixed order of operations).
    """
    import torch
    import torch.nn.functional as F

    s = _check_symbols(seq, vocab)
    if block < 1 or steps_per_block < 0 or batch_size < 1:
        raise ValueError("block and batch_size must be positive, steps_per_block >= 0")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        net = _mlp(vocab, context, embed, hidden, seed)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        x_all, y_all = _windows(s, context, vocab), torch.from_numpy(s)
        bits = np.empty(s.size)
        for start in range(0, s.size, block):
            stop = min(start + block, s.size)
            with torch.no_grad():
                logp = F.log_softmax(net(x_all[start:stop]), dim=-1)
                picked = logp.gather(1, y_all[start:stop, None])[:, 0]
            bits[start:stop] = (-picked / LN2).numpy()
            for _ in range(steps_per_block):  # learn from everything coded so far
                i = torch.randint(stop, (batch_size,), generator=gen)
                loss = F.cross_entropy(net(x_all[i]), y_all[i])
                opt.zero_grad()
                loss.backward()
                opt.step()
    finally:
        torch.set_num_threads(threads)
    n_params = sum(p.numel() for p in net.parameters())
    return MLPCode(bits, n_params, net)


def two_part_mlp(
    seq: ArrayLike,
    vocab: int,
    steps: int,
    context: int = 3,
    embed: int = 8,
    hidden: int = 64,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
) -> MLPCode:
    """The same MLP as :func:`prequential_mlp`, trained for ``steps`` on the whole sequence.

    ``bits`` is the data part of a two-part code: each symbol coded with the *final* network.
    The parameter part is the caller's choice of precision, e.g. ``32 * n_params`` bits (the
    float32 weights as stored) or ``parameter_cost(n_params, n)`` (the asymptotic optimum for
    a regular model, which a neural network is not).
    """
    import torch
    import torch.nn.functional as F

    s = _check_symbols(seq, vocab)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        net = _mlp(vocab, context, embed, hidden, seed)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        x_all, y_all = _windows(s, context, vocab), torch.from_numpy(s)
        for _ in range(steps):
            i = torch.randint(s.size, (batch_size,), generator=gen)
            loss = F.cross_entropy(net(x_all[i]), y_all[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            logp = F.log_softmax(net(x_all), dim=-1)
            bits = (-logp.gather(1, y_all[:, None])[:, 0] / LN2).numpy()
    finally:
        torch.set_num_threads(threads)
    return MLPCode(bits.astype(np.float64), sum(p.numel() for p in net.parameters()), net)
