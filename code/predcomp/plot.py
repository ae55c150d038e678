"""One figure style for the whole book, and the book's figures of attention.

Every chapter calls :func:`use_book_style` once before plotting, then makes figures with
:func:`figure` (or plain matplotlib). Colours come from the Okabe–Ito palette, which stays
distinguishable for readers with colour-vision deficiencies and in greyscale print.
:func:`attention_heatmap` and :func:`mask_heatmap` draw attention weights and masks with rows
for queries (the positions that look) and columns for keys (the positions looked at), the
convention of every attention figure since Bahdanau et al. (2015). Nothing here writes files:
a chapter shows its figures inline or hands them to ``glue``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

__all__ = [
    "COLORS",
    "CYCLE",
    "FULL_WIDTH",
    "HALF_WIDTH",
    "annotate_value",
    "attention_heatmap",
    "figure",
    "mask_heatmap",
    "use_book_style",
]

#: The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), by name.
COLORS: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: The order in which lines take colours; yellow last (it is faint on white).
CYCLE: list[str] = [
    COLORS[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky", "black", "yellow")
]

#: Figure widths in inches matching the book's text column (full) and half of it.
FULL_WIDTH = 7.0
HALF_WIDTH = 3.4

_STYLE: dict[str, Any] = {
    "figure.figsize": (FULL_WIDTH, FULL_WIDTH / 1.8),
    "figure.dpi": 110,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.prop_cycle": cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans",
}


def use_book_style() -> None:
    """Apply the book's figure style to matplotlib's global settings (idempotent).

    Inside IPython (a notebook, or the book's build) it also makes figure objects display as
    PNG images whatever the matplotlib backend is. Without this, a figure handed to ``glue``
    under a non-interactive backend (``MPLBACKEND=Agg``, as in the book's build) has no image.
    """
    mpl.rcParams.update(_STYLE)
    _register_ipython_png()


def _register_ipython_png() -> bool:
    """Register a PNG formatter for matplotlib figures in the running IPython shell, if any."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:  # no IPython: nothing to register
        return False
    shell = get_ipython()
    if shell is None:
        return False
    select_figure_formats(shell, {"png"}, bbox_inches="tight")
    return True


def figure(
    nrows: int = 1,
    ncols: int = 1,
    width: str | float = "full",
    aspect: float | None = None,
    **subplots_kw: Any,
) -> tuple[plt.Figure, Any]:
    """A new figure sized for the page: ``width`` is ``"full"``, ``"half"`` or inches.

    ``aspect`` is each panel's width / height (default 1.8 for one column, 1.3 for several);
    the figure is ``width`` wide and ``nrows`` panels tall. Returns ``(fig, axes)`` like
    :func:`matplotlib.pyplot.subplots`.
    """
    if isinstance(width, str):
        if width not in ("full", "half"):
            raise ValueError(f"width must be 'full', 'half' or a number of inches, got {width!r}")
        w = FULL_WIDTH if width == "full" else HALF_WIDTH
    else:
        w = float(width)
        if not w > 0:
            raise ValueError(f"width must be positive, got {width!r}")
    if nrows < 1 or ncols < 1:
        raise ValueError(f"nrows and ncols must be positive, got {nrows}, {ncols}")
    if aspect is None:
        aspect = 1.8 if ncols == 1 else 1.3
    if not aspect > 0:
        raise ValueError(f"aspect must be positive, got {aspect!r}")
    h = nrows * (w / ncols) / aspect
    return plt.subplots(nrows, ncols, figsize=(w, h), **subplots_kw)


def annotate_value(
    ax: Any,
    xy: Sequence[float],
    text: str,
    offset: Sequence[float] = (10, 10),
    **kw: Any,
) -> Any:
    """Mark the point ``xy`` with a dot and a short label offset by ``offset`` points."""
    ax.plot([xy[0]], [xy[1]], "o", color=kw.pop("color", COLORS["black"]), ms=4, zorder=5)
    return ax.annotate(
        text,
        xy=xy,
        xytext=offset,
        textcoords="offset points",
        fontsize=kw.pop("fontsize", 9),
        arrowprops=kw.pop("arrowprops", {"arrowstyle": "-", "color": "#666666", "lw": 0.8}),
        **kw,
    )


# --- figures of attention ---------------------------------------------------------------


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
