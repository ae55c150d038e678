"""Tests of predcomp.viz (figures are drawn off-screen)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from predcomp.viz import attention_heatmap, mask_heatmap


def test_attention_heatmap_draws_the_weights():
    w = torch.softmax(torch.randn(3, 4), -1)
    fig, ax = plt.subplots()
    im = attention_heatmap(ax, w, rows=list("abc"), cols=list("wxyz"), title="t", colorbar=True)
    np.testing.assert_allclose(im.get_array(), w.numpy(), rtol=1e-6)
    assert im.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("wxyz")
    assert ax.get_title() == "t"
    plt.close(fig)


def test_attention_heatmap_rejects_bad_input():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError):
        attention_heatmap(ax, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError):
        attention_heatmap(ax, np.full((2, 2), 2.0))
    with pytest.raises(ValueError):
        attention_heatmap(ax, np.eye(2), rows=["a"])
    plt.close(fig)


def test_mask_heatmap():
    m = torch.ones(4, 4, dtype=torch.bool).tril()
    fig, ax = plt.subplots()
    im = mask_heatmap(ax, m)
    np.testing.assert_array_equal(im.get_array(), m.numpy().astype(float))
    with pytest.raises(ValueError):
        mask_heatmap(ax, np.full((2, 2), 0.5))
    plt.close(fig)
