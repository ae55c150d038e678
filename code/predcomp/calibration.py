"""Calibration: does a model's confidence match how often it is right?

A predictor is *calibrated* when, among all the predictions it makes with confidence about
``c``, a fraction about ``c`` comes true. A **reliability diagram** bins the predictions by
the probability given to the model's top choice and plots, per bin, the fraction of top
choices that were right against the mean confidence; the **expected calibration error** (ECE)
is the count-weighted mean gap between the two (Naeini et al. 2015; Guo et al. 2017).
**Temperature scaling** (Guo et al. 2017) divides the logits by one number ``tau`` fitted to
minimize the held-out cross-entropy: ``tau > 1`` softens an over-confident model, ``tau < 1``
sharpens an under-confident one.

For a compressor the relevant measure is the cross-entropy itself, which penalizes every
miscalibration, on every symbol, not only the top choice: the best temperature of a model
trained by minimizing cross-entropy is close to 1 on data like its training data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike

__all__ = ["Reliability", "fit_temperature", "reliability", "tempered_bits"]


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram: per confidence bin, the mean confidence and the accuracy."""

    #: bin edges, ``n_bins + 1`` of them from 0 to 1
    edges: np.ndarray
    #: number of predictions whose confidence falls in each bin
    counts: np.ndarray
    #: mean confidence of the predictions in each bin (``nan`` for an empty bin)
    confidence: np.ndarray
    #: fraction of those predictions whose top choice was right (``nan`` for an empty bin)
    accuracy: np.ndarray
    #: expected calibration error: ``sum_b (n_b / n) |accuracy_b - confidence_b|``
    ece: float


def reliability(probs: ArrayLike, targets: ArrayLike, n_bins: int = 10) -> Reliability:
    """The reliability diagram of predictions ``probs`` (N, V) for outcomes ``targets`` (N,).

    The confidence of a prediction is the probability of its most probable outcome; bins
    are equally wide on [0, 1], closed on the right (a confidence of exactly 1 falls in the
    last bin).
    """
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(targets)
    if p.ndim != 2 or y.shape != (p.shape[0],) or p.shape[0] == 0:
        raise ValueError(f"need probs (N, V) and targets (N,), got {p.shape} and {y.shape}")
    if (p < 0).any() or not np.allclose(p.sum(1), 1.0, atol=1e-4):
        raise ValueError("each row of probs must be a probability distribution")
    if not 0 <= y.min() <= y.max() < p.shape[1]:
        raise ValueError(f"targets must lie in 0..{p.shape[1] - 1}")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    conf = p.max(1)
    correct = (p.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, conf, minlength=n_bins) / counts
        accuracy = np.bincount(which, correct, minlength=n_bins) / counts
    filled = counts > 0
    gaps = np.abs(accuracy[filled] - mean_conf[filled])
    ece = float((counts[filled] * gaps).sum() / counts.sum())
    return Reliability(edges, counts, mean_conf, accuracy, ece)


def tempered_bits(logits: torch.Tensor, targets: torch.Tensor, tau: float) -> float:
    """Mean bits per outcome of ``softmax(logits / tau)`` on ``targets`` (logits (N, V))."""
    if not tau > 0:
        raise ValueError(f"temperature must be positive, got {tau!r}")
    nats = F.cross_entropy(logits.double() / tau, targets, reduction="mean")
    return nats.item() / math.log(2)


def fit_temperature(
    logits: torch.Tensor, targets: torch.Tensor, lo: float = 0.05, hi: float = 20.0
) -> float:
    """The temperature in ``[lo, hi]`` that minimizes the mean cross-entropy on ``targets``.

    The cross-entropy is convex in the inverse temperature ``beta = 1 / tau`` (a log-sum-exp
    minus a linear term), so a golden-section search on ``beta`` finds the global minimum.
    """
    if not 0 < lo < hi:
        raise ValueError(f"need 0 < lo < hi, got {lo}, {hi}")
    if logits.ndim != 2 or targets.shape != (logits.shape[0],):
        raise ValueError(f"need logits (N, V) and targets (N,), got {tuple(logits.shape)}")
    z = logits.double()

    def loss(beta: float) -> float:
        return F.cross_entropy(z * beta, targets).item()

    a, b = 1.0 / hi, 1.0 / lo
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = loss(c), loss(d)
    while b - a > 1e-6 * (1.0 + abs(b)):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = loss(d)
    return 1.0 / ((a + b) / 2.0)
