"""Calibration: reliability bins, ECE, and the fitted temperature."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from predcomp.calibration import fit_temperature, reliability, tempered_bits


def test_reliability_by_hand():
    probs = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.55, 0.45]]
    targets = [0, 1, 1, 0]
    r = reliability(probs, targets, n_bins=2)
    # bin (0.5, 1]: all four (confidences 0.9, 0.8, 0.7, 0.55); right: 3 of 4
    assert r.counts.tolist() == [0, 4]
    assert r.confidence[1] == pytest.approx((0.9 + 0.8 + 0.7 + 0.55) / 4)
    assert r.accuracy[1] == pytest.approx(0.75)
    assert math.isnan(r.accuracy[0])
    assert r.ece == pytest.approx(abs(0.75 - 0.7375))
    r5 = reliability(probs, targets, n_bins=5)  # edges 0, .2, .4, .6, .8, 1 (closed right)
    assert r5.counts.tolist() == [0, 0, 1, 2, 1]
    assert r5.accuracy[3] == pytest.approx(0.5)  # 0.7 right, 0.8 wrong


def test_calibrated_predictions_have_small_ece():
    rng = np.random.default_rng(0)
    n, V = 200_000, 5
    probs = rng.dirichlet(np.ones(V) * 0.5, size=n)
    targets = np.array([rng.choice(V, p=p) for p in probs[:20_000]])
    r = reliability(probs[:20_000], targets, n_bins=10)
    assert r.ece < 0.02
    # the same predictions, made over-confident (squared and renormalized), are not
    sharp = probs[:20_000] ** 3
    sharp /= sharp.sum(1, keepdims=True)
    assert reliability(sharp, targets).ece > 0.05


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        reliability([[0.5, 0.6]], [0])
    with pytest.raises(ValueError):
        reliability([[0.5, 0.5]], [2])
    with pytest.raises(ValueError):
        reliability([[0.5, 0.5]], [0], n_bins=0)
    with pytest.raises(ValueError):
        tempered_bits(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long), 0.0)
    with pytest.raises(ValueError):
        fit_temperature(torch.zeros(3), torch.zeros(3, dtype=torch.long))


def test_fit_temperature_recovers_a_known_temperature():
    torch.manual_seed(0)
    n, V = 20_000, 8
    true_logits = 2.0 * torch.randn(n, V)
    targets = torch.multinomial(F.softmax(true_logits, -1), 1).squeeze(1)
    # a model whose logits are the true ones times 2.5: over-confident, best tau about 2.5
    tau = fit_temperature(2.5 * true_logits, targets)
    assert tau == pytest.approx(2.5, rel=0.05)
    grid = np.linspace(0.5, 5.0, 91)
    best_on_grid = grid[np.argmin([tempered_bits(2.5 * true_logits, targets, t) for t in grid])]
    assert abs(tau - best_on_grid) <= 0.05 + 1e-9
    assert tempered_bits(2.5 * true_logits, targets, tau) <= tempered_bits(
        2.5 * true_logits, targets, 1.0
    )


def test_tempered_bits_in_bits():
    logits = torch.zeros(4, 8)
    assert tempered_bits(logits, torch.tensor([0, 1, 2, 3]), 1.0) == pytest.approx(3.0)
