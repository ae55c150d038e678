"""Representations as codes: PCA, the best linear code under squared error, and autoencoders.

A *representation* maps a data point ``x`` (``d`` numbers) to a code ``z`` (``k < d`` numbers) from
which a decoder rebuilds ``x^``; its quality is the distortion ``E ||x - x^||²``, and the code
is a lossy compression of ``x``.

* :func:`fit_pca`: among all codes made by a linear map and decoded by a linear map, the
  projection on the top ``k`` principal directions has the smallest squared error, and that
  error is the sum of the discarded eigenvalues of the covariance (Eckart and Young 1936). It is
  computed here from the eigenvectors of the covariance matrix, independently of the singular
  value decomposition the tests compare it with.
* :class:`Autoencoder` / :func:`train_autoencoder`: an encoder and a decoder network with a
  ``k``-number bottleneck, trained on the squared error. With linear layers it can do no better
  than PCA (Baldi and Hornik 1989); with non-linear layers it can follow a curved data manifold
  that no ``k``-dimensional subspace holds.
* :func:`bump_images`: small images of a Gaussian bump at a random place, data that are
  ``d``-dimensional as pixels but two-dimensional as a manifold (the bump's position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

__all__ = [
    "PCA",
    "Autoencoder",
    "bump_images",
    "fit_pca",
    "train_autoencoder",
]


def _matrix(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"data must be a non-empty 2-D array (points, features), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("data must be finite")
    return a


@dataclass(frozen=True)
class PCA:
    """A fitted principal component analysis: the linear code of :func:`fit_pca`."""

    mean: np.ndarray  # (d,)
    components: np.ndarray  # (k, d): orthonormal rows, the principal directions
    eigenvalues: np.ndarray  # (d,): all eigenvalues of the covariance, largest first

    @property
    def k(self) -> int:
        return int(self.components.shape[0])

    def encode(self, x: ArrayLike) -> np.ndarray:
        """The code: coordinates of ``x - mean`` along the principal directions, (n, k)."""
        return (_matrix(x) - self.mean) @ self.components.T

    def decode(self, z: ArrayLike) -> np.ndarray:
        """Back to data space: ``mean + z @ components``, (n, d)."""
        return self.mean + np.asarray(z, dtype=np.float64) @ self.components

    def reconstruction_error(self, x: ArrayLike) -> float:
        """Mean over points of ``||x - decode(encode(x))||²``."""
        a = _matrix(x)
        return float(np.mean(np.sum((a - self.decode(self.encode(a))) ** 2, axis=1)))

    def predicted_error(self) -> float:
        """The error on the fitted data by Eckart–Young: the sum of the discarded eigenvalues."""
        return float(self.eigenvalues[self.k :].sum())


def fit_pca(x: ArrayLike, k: int) -> PCA:
    """The ``k`` principal directions of the rows of ``x``, from the covariance's eigenvectors.

    The covariance is ``(x - mean)^T (x - mean) / n`` (dividing by ``n`` makes the discarded
    eigenvalues sum to exactly the mean squared reconstruction error on ``x``).
    """
    a = _matrix(x)
    n, d = a.shape
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= d:
        raise ValueError(f"k must be an integer in 0..{d}, got {k!r}")
    mean = a.mean(axis=0)
    centred = a - mean
    cov = centred.T @ centred / n
    values, vectors = np.linalg.eigh(cov)  # ascending
    order = np.argsort(values)[::-1]
    values, vectors = np.maximum(values[order], 0.0), vectors[:, order]
    return PCA(mean, vectors[:, :k].T.copy(), values)


def bump_images(
    n: int, size: int = 12, width: float = 1.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of ``size`` x ``size`` pixels, each a Gaussian bump of standard deviation
    ``width`` pixels centred at a uniformly random point of the image; returns the images
    flattened to ``(n, size * size)`` and the centres ``(n, 2)`` (row, column)."""
    if n < 1 or not 2 <= size <= 64 or not width > 0:
        raise ValueError("need n >= 1, size in 2..64 and width > 0")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, size - 1, size=(n, 2))
    grid = np.arange(size, dtype=np.float64)
    rows = np.exp(-((grid[None, :] - centres[:, :1]) ** 2) / (2 * width**2))  # (n, size)
    cols = np.exp(-((grid[None, :] - centres[:, 1:]) ** 2) / (2 * width**2))
    images = rows[:, :, None] * cols[:, None, :]  # (n, size, size)
    return images.reshape(n, size * size), centres


class Autoencoder(nn.Module):
    """``d -> hidden -> k -> hidden -> d``; with ``linear=True`` just ``d -> k -> d``."""

    def __init__(self, d: int, k: int, hidden: int = 64, linear: bool = False) -> None:
        super().__init__()
        if d < 1 or k < 1 or hidden < 1:
            raise ValueError("d, k and hidden must be positive")
        self.linear = linear
        if linear:
            self.encoder: nn.Module = nn.Linear(d, k)
            self.decoder: nn.Module = nn.Linear(k, d)
        else:
            self.encoder = nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, k))
            self.decoder = nn.Sequential(nn.Linear(k, hidden), nn.Tanh(), nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))  # (B, d) -> (B, k) -> (B, d)


def train_autoencoder(
    x: ArrayLike,
    k: int,
    hidden: int = 64,
    linear: bool = False,
    steps: int = 2000,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
) -> tuple[Autoencoder, np.ndarray]:
    """Train an :class:`Autoencoder` on the rows of ``x`` with Adam on the squared error.

    Returns the model and the loss (mean over points of ``||x - x^||²``) after each step. A fixed
    number of steps, one thread and a seed: the same result on every run of one machine.
    """
    a = _matrix(x)
    if steps < 0 or batch_size < 1:
        raise ValueError("steps must be >= 0 and batch_size positive")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = Autoencoder(a.shape[1], k, hidden, linear)
        data = torch.tensor(a, dtype=torch.float32)
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
        losses = np.empty(steps)
        for step in range(steps):
            batch = data[torch.randint(len(data), (batch_size,), generator=gen)]
            loss = ((model(batch) - batch) ** 2).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses[step] = loss.item()
    finally:
        torch.set_num_threads(threads)
    return model, losses
