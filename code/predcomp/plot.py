"""One figure style for the whole book.

Every chapter calls :func:`use_book_style` once before plotting, then makes figures with
:func:`figure` (or plain matplotlib). Colours come from the Okabe–Ito palette, which stays
distinguishable for readers with colour-vision deficiencies and in greyscale print. Nothing
here writes files: a chapter shows its figures inline or hands them to ``glue``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from cycler import cycler

__all__ = [
    "COLORS",
    "CYCLE",
    "FULL_WIDTH",
    "HALF_WIDTH",
    "annotate_value",
    "figure",
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
