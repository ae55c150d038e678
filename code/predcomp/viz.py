"""Figures of attention: weight matrices and masks drawn as heatmaps.

Rows are queries (the positions that look), columns are keys (the positions looked at), the
convention of every attention figure since Bahdanau et al. (2015). Nothing here writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["attention_heatmap", "mask_heatmap"]


def _as_matrix(a: Any) -> np.ndarray:
    """A 2-D float array from a numpy array or a (detached, CPU) torch tensor."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    m = np.asarray(a, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D matrix (queries x keys), got shape {m.shape}")
    return m


def _label(ax: Any, rows: Sequence[str] | None, cols: Sequence[str] | None, shape) -> None:
    if cols is not None:
        if len(cols) != shape[1]:
            raise ValueError(f"{len(cols)} key labels for {shape[1]} columns")
        ax.set_xticks(range(shape[1]), list(cols))
    if rows is not None:
        if len(rows) != shape[0]:
            raise ValueError(f"{len(rows)} query labels for {shape[0]} rows")
        ax.set_yticks(range(shape[0]), list(rows))
    ax.set_xlabel("key position")
    ax.set_ylabel("query position")
    ax.grid(False)


def attention_heatmap(
    ax: Any,
    weights: Any,
    rows: Sequence[str] | None = None,
    cols: Sequence[str] | None = None,
    title: str | None = None,
    cmap: str = "Blues",
    colorbar: bool = False,
) -> Any:
    """Draw attention weights (queries x keys, each row summing to 1) on ``ax``; return the image.

    The colour scale runs from 0 to 1, so maps drawn side by side can be compared.
    """
    m = _as_matrix(weights)
    if (m < -1e-6).any() or (m > 1 + 1e-6).any():
        raise ValueError("attention weights must lie in [0, 1]")
    im = ax.imshow(m, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    _label(ax, rows, cols, m.shape)
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return im


def mask_heatmap(
    ax: Any,
    mask: Any,
    rows: Sequence[str] | None = None,
    cols: Sequence[str] | None = None,
    title: str | None = None,
) -> Any:
    """Draw a boolean mask (``True`` = may attend) as dark cells; return the image."""
    m = _as_matrix(mask)
    if not np.isin(m, (0.0, 1.0)).all():
        raise ValueError("a mask holds only True/False (1/0) entries")
    # Blocked cells light grey, allowed cells dark grey: both visible against the white grid.
    im = ax.imshow(m, cmap="Greys", vmin=-0.3, vmax=1.3, aspect="equal", interpolation="nearest")
    # Cell borders make the allowed/blocked pattern readable at a glance.
    ax.set_xticks(np.arange(-0.5, m.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, m.shape[0], 1), minor=True)
    ax.tick_params(which="minor", length=0)
    _label(ax, rows, cols, m.shape)
    ax.grid(which="minor", color="white", linewidth=1.0)
    if title is not None:
        ax.set_title(title)
    return im
