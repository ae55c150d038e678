"""Tests of predcomp.softmax against independent computations."""

from __future__ import annotations

import math

import pytest
import torch
from predcomp.info import entropy
from predcomp.softmax import (
    dot_product_variance,
    softmax_entropy,
    softmax_jacobian,
)


@pytest.mark.parametrize("d", [1, 16, 256])
@pytest.mark.parametrize(("var_q", "var_k"), [(1.0, 1.0), (0.25, 4.0)])
def test_dot_product_variance_matches_monte_carlo(d, var_q, var_k):
    g = torch.Generator().manual_seed(d)
    n = 50_000
    q = torch.randn(n, d, generator=g, dtype=torch.float64) * math.sqrt(var_q)
    k = torch.randn(n, d, generator=g, dtype=torch.float64) * math.sqrt(var_k)
    s = (q * k).sum(-1)
    expected = dot_product_variance(d, var_q, var_k)
    # The sample variance of n draws has relative standard error sqrt((kurtosis - 1) / n), with
    # kurtosis 3 + 6/d for products of Gaussians: at most 0.013 here, so 5% is over 3.5 errors.
    assert s.var().item() == pytest.approx(expected, rel=0.05)
    assert abs(s.mean().item()) < 5 * math.sqrt(expected / n)
    # Scaling by 1/sqrt(d) gives variance var_q * var_k, whatever d is.
    assert (s / math.sqrt(d)).var().item() == pytest.approx(var_q * var_k, rel=0.05)


def test_dot_product_variance_rejects_bad_input():
    with pytest.raises(ValueError):
        dot_product_variance(0)
    with pytest.raises(ValueError):
        dot_product_variance(4, var_q=-1.0)


def test_softmax_entropy_matches_info_entropy():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(5, 7, generator=g, dtype=torch.float64) * 3
    h = softmax_entropy(s)
    for row, hr in zip(torch.softmax(s, -1), h, strict=True):
        assert hr.item() == pytest.approx(entropy(row.numpy(), base=2.0), abs=1e-12)
    h_nats = softmax_entropy(s, base=math.e)
    assert torch.allclose(h_nats, h * math.log(2.0))


def test_softmax_entropy_limits():
    # Equal scores: uniform weights, log2(n) bits. Huge spread: one-hot, 0 bits, no nan.
    assert softmax_entropy(torch.zeros(8)).item() == pytest.approx(3.0)
    h = softmax_entropy(torch.tensor([0.0, 1e4, -1e4]))
    assert h.item() == pytest.approx(0.0, abs=1e-12)
    assert not torch.isnan(h)
    # Masked (truncated) tokens, scores of -inf, contribute nothing: two equal survivors, 1 bit.
    inf = float("inf")
    assert softmax_entropy(torch.tensor([0.0, -inf, 0.0, -inf])).item() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        softmax_entropy(torch.zeros(3), base=1.0)


def test_softmax_jacobian_matches_autograd():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(6, generator=g, dtype=torch.float64)
    auto = torch.autograd.functional.jacobian(lambda x: torch.softmax(x, -1), s)
    assert torch.allclose(softmax_jacobian(torch.softmax(s, -1)), auto, atol=1e-12)
    # Batched, and rows of the Jacobian sum to 0 (the weights always sum to 1).
    batch = torch.softmax(torch.randn(3, 4, 5, generator=g, dtype=torch.float64), -1)
    J = softmax_jacobian(batch)
    assert J.shape == (3, 4, 5, 5)
    assert torch.allclose(J.sum(-1), torch.zeros(3, 4, 5, dtype=torch.float64), atol=1e-12)


def test_saturated_softmax_has_vanishing_jacobian():
    p = torch.softmax(torch.tensor([0.0, 50.0, 0.0], dtype=torch.float64), -1)
    assert softmax_jacobian(p).abs().max().item() < 1e-20
