"""PCA (Eckart–Young, against the SVD) and autoencoders (linear = PCA, non-linear beats it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from predcomp import representation as rep


def test_pca_matches_numpy_svd():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 10))
    pca = rep.fit_pca(x, 4)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(pca.eigenvalues, s**2 / len(x), rtol=1e-9, atol=1e-12)
    # the same subspace (directions are defined up to sign)
    np.testing.assert_allclose(np.abs(pca.components @ vt[:4].T), np.eye(4), atol=1e-8)
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(4), atol=1e-10)


def test_eckart_young_error_is_the_discarded_eigenvalues_and_optimal():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 8)) * np.array([5, 4, 3, 2, 1, 0.5, 0.2, 0.1])
    for k in range(9):
        pca = rep.fit_pca(x, k)
        assert pca.reconstruction_error(x) == pytest.approx(pca.predicted_error(), abs=1e-9)
        # the SVD's rank-k truncation has the same error (Eckart-Young), and random subspaces
        # of the same dimension do worse
        centred = x - x.mean(axis=0)
        u, s, vt = np.linalg.svd(centred, full_matrices=False)
        truncated = (u[:, :k] * s[:k]) @ vt[:k]
        svd_error = np.mean(np.sum((centred - truncated) ** 2, axis=1))
        assert pca.reconstruction_error(x) == pytest.approx(svd_error, abs=1e-9)
        for _ in range(5):
            q, _ = np.linalg.qr(rng.normal(size=(8, max(k, 1))))
            basis = q[:, :k]
            proj = centred @ basis @ basis.T
            assert np.mean(np.sum((centred - proj) ** 2, axis=1)) >= svd_error - 1e-9


def test_encode_decode_shapes_and_bad_input():
    x = np.arange(30.0).reshape(10, 3) ** 1.5
    pca = rep.fit_pca(x, 2)
    assert pca.encode(x).shape == (10, 2) and pca.decode(pca.encode(x)).shape == (10, 3)
    assert pca.k == 2
    with pytest.raises(ValueError):
        rep.fit_pca(x, 4)
    with pytest.raises(ValueError):
        rep.fit_pca(np.ones(5), 1)
    with pytest.raises(ValueError):
        rep.fit_pca(np.array([[np.nan, 1.0]]), 1)


def test_bump_images():
    images, centres = rep.bump_images(50, size=10, width=1.0, seed=3)
    assert images.shape == (50, 100) and centres.shape == (50, 2)
    peak = images.reshape(50, 10, 10).reshape(50, -1).argmax(axis=1)
    rows, cols = np.divmod(peak, 10)
    assert np.all(np.abs(rows - centres[:, 0]) <= 0.5 + 1e-9)
    assert np.all(np.abs(cols - centres[:, 1]) <= 0.5 + 1e-9)
    again, _ = rep.bump_images(50, size=10, width=1.0, seed=3)
    np.testing.assert_array_equal(images, again)


def _error(model, x: np.ndarray) -> float:
    with torch.no_grad():
        t = torch.tensor(x, dtype=torch.float32)
        return float(((model(t) - t) ** 2).sum(dim=1).mean())


def test_linear_autoencoder_reaches_pca_and_no_further():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1000, 6)) * np.array([3, 2, 1, 0.3, 0.2, 0.1])
    pca_error = rep.fit_pca(x, 2).reconstruction_error(x)
    model, losses = rep.train_autoencoder(x, 2, linear=True, steps=1500, lr=1e-2)
    assert losses[-1] < losses[0]
    err = _error(model, x)
    assert err >= pca_error - 1e-3  # PCA is the best linear code (Baldi and Hornik 1989)
    assert err < 1.05 * pca_error


def test_nonlinear_bottleneck_beats_pca_on_a_curved_manifold():
    x, _ = rep.bump_images(2000, size=8, width=1.2, seed=0)
    pca_error = rep.fit_pca(x, 2).reconstruction_error(x)
    model, _ = rep.train_autoencoder(x, 2, hidden=32, steps=1500, lr=3e-3)
    assert _error(model, x) < 0.5 * pca_error


def test_training_is_deterministic():
    x = np.random.default_rng(0).normal(size=(64, 5))
    _, a = rep.train_autoencoder(x, 2, steps=20, batch_size=16)
    _, b = rep.train_autoencoder(x, 2, steps=20, batch_size=16)
    np.testing.assert_array_equal(a, b)
