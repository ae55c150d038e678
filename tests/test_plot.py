"""Tests of predcomp.plot: the book style applies, figures have the promised sizes, attention
heatmaps show the weights they are given (figures are drawn off-screen)."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from predcomp import plot


@pytest.fixture(autouse=True)
def _restore_rcparams():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def test_use_book_style_sets_the_colour_cycle():
    plot.use_book_style()
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.lower() for c in colors] == [c.lower() for c in plot.CYCLE]
    assert colors[0].lower() == plot.COLORS["blue"].lower()
    assert matplotlib.rcParams["axes.spines.top"] is False
    plot.use_book_style()  # idempotent
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == colors


def test_cycle_colours_are_distinct_okabe_ito():
    assert len(set(plot.CYCLE)) == len(plot.CYCLE) == 8
    assert plot.COLORS["vermillion"] == "#D55E00"


def test_lines_take_the_cycle_in_order():
    plot.use_book_style()
    _fig, ax = plot.figure()
    a = ax.plot([0, 1], [0, 1])[0]
    b = ax.plot([0, 1], [1, 0])[0]
    assert matplotlib.colors.to_hex(a.get_color()) == plot.CYCLE[0].lower()
    assert matplotlib.colors.to_hex(b.get_color()) == plot.CYCLE[1].lower()


def test_figure_sizes():
    fig, _ax = plot.figure()
    w, h = fig.get_size_inches()
    assert w == pytest.approx(plot.FULL_WIDTH) and h == pytest.approx(plot.FULL_WIDTH / 1.8)
    fig, axes = plot.figure(1, 2, width="half", aspect=1.0)
    w, h = fig.get_size_inches()
    assert w == pytest.approx(plot.HALF_WIDTH) and h == pytest.approx(plot.HALF_WIDTH / 2)
    assert len(axes) == 2
    fig, axes = plot.figure(2, 1, width=5.0, aspect=2.0)
    assert tuple(fig.get_size_inches()) == pytest.approx((5.0, 5.0))
    with pytest.raises(ValueError):
        plot.figure(width="huge")
    with pytest.raises(ValueError):
        plot.figure(aspect=0)


def test_annotate_value_marks_the_point():
    _fig, ax = plot.figure()
    ann = plot.annotate_value(ax, (0.5, 1.0), "max")
    assert ann.get_text() == "max"
    (dot,) = ax.get_lines()
    assert tuple(dot.get_xydata()[0]) == (0.5, 1.0)


def test_figures_render_as_png_in_ipython_under_agg(monkeypatch):
    # The book builds with MPLBACKEND=Agg; glued figures still need an image/png representation.
    import IPython
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    plot.use_book_style()
    fig, ax = plot.figure()
    ax.plot([0, 1], [1, 0])
    bundle, _ = shell.display_formatter.format(fig)
    png = bundle["image/png"]
    if isinstance(png, str):  # recent IPython returns base64 text
        png = base64.b64decode(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_register_is_a_no_op_outside_ipython(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert plot._register_ipython_png() is False


def test_attention_heatmap_draws_the_weights():
    w = torch.softmax(torch.randn(3, 4), -1)
    fig, ax = plt.subplots()
    im = plot.attention_heatmap(
        ax, w, rows=list("abc"), cols=list("wxyz"), title="t", colorbar=True
    )
    np.testing.assert_allclose(im.get_array(), w.numpy(), rtol=1e-6)
    assert im.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("wxyz")
    assert ax.get_title() == "t"
    plt.close(fig)


def test_attention_heatmap_rejects_bad_input():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError):
        plot.attention_heatmap(ax, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError):
        plot.attention_heatmap(ax, np.full((2, 2), 2.0))
    with pytest.raises(ValueError):
        plot.attention_heatmap(ax, np.eye(2), rows=["a"])
    plt.close(fig)


def test_mask_heatmap():
    m = torch.ones(4, 4, dtype=torch.bool).tril()
    fig, ax = plt.subplots()
    im = plot.mask_heatmap(ax, m)
    np.testing.assert_array_equal(im.get_array(), m.numpy().astype(float))
    with pytest.raises(ValueError):
        plot.mask_heatmap(ax, np.full((2, 2), 0.5))
    plt.close(fig)
