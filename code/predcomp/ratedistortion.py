"""Rate–distortion theory: the fewest bits per symbol for a given average distortion.

Shannon's rate–distortion function of a source ``X`` under a distortion measure ``d`` is

.. math:: R(D) = \\min_{q(\\hat x \\mid x):\\ \\mathbb{E}\\, d(X, \\hat X) \\le D} I(X; \\hat X),

the smallest rate (bits per symbol) of any lossy code whose average distortion is at most ``D``.
Two closed forms, :func:`bernoulli_rate_distortion` (Hamming distortion,
``R(D) = h(p) - h(D)``) and :func:`gaussian_rate_distortion` (squared error,
``R(D) = 1/2 log2(σ²/D)``), and, for any discrete source, the Blahut–Arimoto algorithm
(:func:`blahut_arimoto`, Blahut 1972, Arimoto 1972), which computes the point of the curve where
its slope is ``-beta`` (in nats per unit of distortion).

Scalar quantization is what a single number per sample can do: :func:`lloyd_max_gaussian`
(Lloyd 1982, Max 1960) finds the best quantizer with ``L`` levels for a Gaussian, and
:func:`uniform_quantizer_gaussian` a uniform quantizer whose outputs are entropy coded. Both stay
above ``R(D)``; the gap is the price of coding one sample at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from predcomp import info

__all__ = [
    "Quantizer",
    "RDPoint",
    "bernoulli_rate_distortion",
    "blahut_arimoto",
    "discretized_gaussian",
    "gaussian_distortion_rate",
    "gaussian_rate_distortion",
    "hamming_distortion",
    "lloyd_max_gaussian",
    "rate_distortion_curve",
    "squared_error",
    "uniform_quantizer_gaussian",
]

LN2 = math.log(2.0)


# =========================================================================== closed forms


def bernoulli_rate_distortion(p: float, distortion: ArrayLike) -> np.ndarray | float:
    """``R(D) = h(p) - h(D)`` bits for ``D < min(p, 1 - p)``, else 0 (Hamming distortion)."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    d = np.asarray(distortion, dtype=np.float64)
    if np.isnan(d).any() or (d < 0).any():
        raise ValueError("distortion must be non-negative")
    dmax = min(p, 1 - p)
    inside = np.minimum(d, dmax)
    r = np.where(d < dmax, info.binary_entropy(p) - info.binary_entropy(inside), 0.0)
    return float(r) if r.ndim == 0 else r


def gaussian_rate_distortion(variance: float, distortion: ArrayLike) -> np.ndarray | float:
    """``R(D) = max(0, 1/2 log2(σ²/D))`` bits: a Gaussian source under squared error."""
    if not variance > 0:
        raise ValueError(f"variance must be positive, got {variance!r}")
    d = np.asarray(distortion, dtype=np.float64)
    if np.isnan(d).any() or (d <= 0).any():
        raise ValueError("distortion must be positive")
    r = np.maximum(0.0, 0.5 * np.log2(variance / d))
    return float(r) if r.ndim == 0 else r


def gaussian_distortion_rate(variance: float, rate: ArrayLike) -> np.ndarray | float:
    """``D(R) = σ² 2**(-2R)``: the inverse of :func:`gaussian_rate_distortion`."""
    if not variance > 0:
        raise ValueError(f"variance must be positive, got {variance!r}")
    r = np.asarray(rate, dtype=np.float64)
    if np.isnan(r).any() or (r < 0).any():
        raise ValueError("rate must be non-negative")
    d = variance * np.exp2(-2 * r)
    return float(d) if d.ndim == 0 else d


# =========================================================================== Blahut–Arimoto


def hamming_distortion(alphabet_size: int) -> np.ndarray:
    """``d(x, y) = 0`` if ``x == y`` else 1."""
    if alphabet_size < 1:
        raise ValueError("alphabet_size must be positive")
    return 1.0 - np.eye(alphabet_size)


def squared_error(xs: ArrayLike, ys: ArrayLike | None = None) -> np.ndarray:
    """``d(x, y) = (x - y)**2`` for source values ``xs`` and reproduction values ``ys``."""
    x = np.asarray(xs, dtype=np.float64)
    y = x if ys is None else np.asarray(ys, dtype=np.float64)
    return (x[:, None] - y[None, :]) ** 2


def discretized_gaussian(
    variance: float = 1.0, step: float = 0.1, width: float = 9.0
) -> tuple[np.ndarray, np.ndarray]:
    """Grid points ``x`` (spacing ``step``, out to ``width`` standard deviations) and the
    probabilities of a Gaussian sampled on them (normalized). For ``step`` well below the
    standard deviation its variance equals ``variance`` to many digits (Poisson summation)."""
    if not (variance > 0 and step > 0 and width > 0):
        raise ValueError("variance, step and width must be positive")
    sigma = math.sqrt(variance)
    half = math.ceil(width * sigma / step)
    if half > 5000:
        raise ValueError("the grid would have more than 10001 points; use a larger step")
    x = step * np.arange(-half, half + 1)
    p = np.exp(-(x**2) / (2 * variance))
    return x, p / p.sum()


@dataclass(frozen=True)
class RDPoint:
    """A point of the rate–distortion curve found by :func:`blahut_arimoto`."""

    beta: float  # minus the slope dR/dD, in nats per unit of distortion
    rate: float  # bits per symbol: I(X; X^) of the optimal test channel
    distortion: float  # E d(X, X^)
    channel: np.ndarray  # q(x^ | x), rows index x
    output: np.ndarray  # q(x^)
    gap: float  # bound on rate - R(distortion) in bits when the iterations stopped
    iterations: int


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def blahut_arimoto(
    p: ArrayLike,
    distortion: ArrayLike,
    beta: float,
    tol: float = 1e-9,
    max_iter: int = 10_000,
) -> RDPoint:
    """The point of ``R(D)`` where the slope is ``-beta``, by Blahut–Arimoto iterations.

    Alternate ``q(y | x) ∝ q(y) exp(-beta d(x, y))`` and ``q(y) = sum_x p(x) q(y | x)``, in the
    log domain. Each step lowers ``I(X; Y) + beta E d``; the iterations stop when Blahut's
    bound on the rate's distance to the curve, ``max_y log c(y) - sum_y q(y) log c(y)`` (with
    ``c(y) = sum_x p(x) exp(-beta d(x, y)) / Z(x)``), falls below ``tol`` bits, or after
    ``max_iter`` iterations. The bound is pessimistic: reproduction values of negligible
    probability (a Gaussian's far tails) can keep it large long after rate and distortion have
    converged, so check those directly when it matters.
    """
    px = info.as_distribution(p)
    d = np.asarray(distortion, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != px.size or d.shape[1] < 1:
        raise ValueError(f"distortion must have shape ({px.size}, m), got {d.shape}")
    if not np.all(np.isfinite(d)) or (d < 0).any():
        raise ValueError("distortion must be finite and non-negative")
    if not (beta >= 0 and math.isfinite(beta)):
        raise ValueError(f"beta must be a non-negative number, got {beta!r}")
    if not 1 <= max_iter <= 10_000_000:
        raise ValueError("max_iter must be in 1..10**7")
    keep = px > 0  # symbols of probability 0 change nothing
    px, d = px[keep], d[keep]
    log_px = np.log(px)
    log_q = np.full(d.shape[1], -math.log(d.shape[1]))  # start from the uniform output
    scores = -beta * d
    gap = math.inf
    it = 0
    while it < max_iter:
        it += 1
        log_z = _logsumexp(log_q[None, :] + scores, axis=1)  # (n,) normalizers
        log_c = _logsumexp(log_px[:, None] + scores - log_z[:, None], axis=0)  # (m,)
        q = np.exp(log_q)
        gap = (float(np.max(log_c)) - float(q @ log_c)) / LN2
        log_q = log_q + log_c  # the new output distribution, q(y) c(y)
        log_q -= _logsumexp(log_q, axis=0)
        if gap < tol:
            break
    log_z = _logsumexp(log_q[None, :] + scores, axis=1)
    log_channel = log_q[None, :] + scores - log_z[:, None]
    channel = np.exp(log_channel)
    dist = float(np.sum(px[:, None] * channel * d))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(channel > 0, channel * (log_channel - log_q[None, :]), 0.0)
    rate = max(float(px @ terms.sum(axis=1)) / LN2, 0.0)
    full = np.zeros((keep.size, d.shape[1]))
    full[keep] = channel
    return RDPoint(float(beta), rate, dist, full, np.exp(log_q), gap, it)


def rate_distortion_curve(
    p: ArrayLike,
    distortion: ArrayLike,
    betas: ArrayLike,
    tol: float = 1e-9,
    max_iter: int = 10_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Rates and distortions of :func:`blahut_arimoto` at each slope in ``betas``."""
    points = [
        blahut_arimoto(p, distortion, float(b), tol=tol, max_iter=max_iter)
        for b in np.asarray(betas)
    ]
    return np.array([pt.rate for pt in points]), np.array([pt.distortion for pt in points])


# =========================================================================== scalar quantizers


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)


def _cdf(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf, otypes=[float])
    return 0.5 * (1 + erf(x / math.sqrt(2)))


def _cells(edges: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For N(0, σ²) and cells between ``edges`` (from -inf to inf): probability, mean, and
    second moment of each cell."""
    z = edges / sigma
    with np.errstate(invalid="ignore"):
        pdf = np.where(np.isfinite(z), _phi(np.where(np.isfinite(z), z, 0.0)), 0.0)
        zpdf = np.where(np.isfinite(z), z * pdf, 0.0)
    prob = np.diff(_cdf(z))
    mean = sigma * (pdf[:-1] - pdf[1:])  # integral of x p(x) over the cell
    second = sigma**2 * (prob + zpdf[:-1] - zpdf[1:])  # integral of x^2 p(x)
    return prob, mean, second


@dataclass(frozen=True)
class Quantizer:
    """A scalar quantizer of N(0, σ²): cell edges, reproduction points and its performance."""

    edges: np.ndarray  # L + 1 edges, from -inf to inf
    points: np.ndarray  # L reproduction points
    mse: float  # E (X - Q(X))^2
    entropy: float  # H(Q(X)) in bits: its rate with an entropy code after it

    @property
    def levels(self) -> int:
        return int(self.points.size)


def _quantizer(edges: np.ndarray, points: np.ndarray, sigma: float) -> Quantizer:
    prob, mean, second = _cells(edges, sigma)
    mse = float(np.sum(second - 2 * points * mean + points**2 * prob))
    return Quantizer(edges, points, mse, info.entropy_from_counts(np.maximum(prob, 0.0)))


def lloyd_max_gaussian(
    levels: int, variance: float = 1.0, tol: float = 1e-12, max_iter: int = 100_000
) -> Quantizer:
    """The minimum-mean-squared-error ``levels``-point quantizer of N(0, ``variance``).

    Lloyd's iteration: edges halfway between neighbouring points, each point the mean of its
    cell (computed exactly from the Gaussian's density and distribution function), until the
    points move less than ``tol``. Starts from the ``levels`` equal-probability cells.
    """
    if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 1024:
        raise ValueError(f"levels must be an integer in 1..1024, got {levels!r}")
    if not variance > 0:
        raise ValueError(f"variance must be positive, got {variance!r}")
    sigma = math.sqrt(variance)
    # start: the cells of equal probability (quantiles by bisection on the cdf)
    qs = np.arange(1, levels) / levels
    lo, hi = np.full(qs.shape, -10.0), np.full(qs.shape, 10.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = _cdf(mid) < qs
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    edges = np.concatenate([[-np.inf], sigma * (lo + hi) / 2, [np.inf]])
    points = np.zeros(levels)
    for _ in range(max_iter):
        prob, mean, _ = _cells(edges, sigma)
        new = mean / np.maximum(prob, 1e-300)
        moved = float(np.max(np.abs(new - points)))
        points = new
        edges = np.concatenate([[-np.inf], (points[:-1] + points[1:]) / 2, [np.inf]])
        if moved < tol:
            break
    return _quantizer(edges, points, sigma)


def uniform_quantizer_gaussian(
    step: float, variance: float = 1.0, width: float = 12.0
) -> Quantizer:
    """A uniform quantizer of N(0, ``variance``) with cells of width ``step`` (one centred on 0),
    reproducing each cell by its mean; meant to be followed by an entropy code (rate
    :attr:`Quantizer.entropy`). Cells beyond ``width`` standard deviations are merged into the
    two outermost ones."""
    if not (step > 0 and variance > 0):
        raise ValueError("step and variance must be positive")
    sigma = math.sqrt(variance)
    half = math.ceil(width * sigma / step)
    if half > 100_000:
        raise ValueError("too many cells; use a larger step")
    centres = step * np.arange(-half, half + 1)
    edges = np.concatenate([[-np.inf], centres[:-1] + step / 2, [np.inf]])
    prob, mean, _ = _cells(edges, sigma)
    points = np.where(prob > 0, mean / np.maximum(prob, 1e-300), centres)
    return _quantizer(edges, points, sigma)
