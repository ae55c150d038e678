"""Rate–distortion: Blahut–Arimoto against the closed forms; Lloyd–Max against Max's table."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp import info
from predcomp import ratedistortion as rd


@pytest.mark.parametrize("p", [0.5, 0.3, 0.11])
@pytest.mark.parametrize("beta", [0.8, 1.5, 3.0, 6.0])
def test_blahut_arimoto_matches_bernoulli_closed_form(p, beta):
    pt = rd.blahut_arimoto([1 - p, p], rd.hamming_distortion(2), beta, tol=1e-12)
    assert pt.gap < 1e-12
    assert pt.rate == pytest.approx(rd.bernoulli_rate_distortion(p, pt.distortion), abs=1e-6)
    # the test channel is a binary symmetric channel backwards: at slope beta,
    # D = 1 / (1 + e^beta) whenever D < min(p, 1 - p)
    if 1 / (1 + math.exp(beta)) < min(p, 1 - p):
        assert pt.distortion == pytest.approx(1 / (1 + math.exp(beta)), abs=1e-9)


def test_blahut_arimoto_matches_gaussian_closed_form():
    x, px = rd.discretized_gaussian(1.0, step=0.1, width=9.0)
    assert px @ x**2 == pytest.approx(1.0, abs=1e-12)  # the grid keeps the variance
    d = rd.squared_error(x)
    for beta in (0.7, 1.0, 2.0, 5.0):
        pt = rd.blahut_arimoto(px, d, beta, max_iter=300)
        assert pt.distortion == pytest.approx(1 / (2 * beta), abs=1e-6)  # slope -1/(2D ln 2)
        assert pt.rate == pytest.approx(rd.gaussian_rate_distortion(1.0, pt.distortion), abs=1e-6)


def test_blahut_arimoto_rate_is_the_mutual_information_of_its_channel():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(5))
    d = rng.uniform(0, 1, size=(5, 4))
    pt = rd.blahut_arimoto(p, d, 2.0, tol=1e-11)
    joint = p[:, None] * pt.channel
    assert pt.rate == pytest.approx(info.mutual_information(joint), abs=1e-9)
    assert pt.distortion == pytest.approx(float((joint * d).sum()), abs=1e-12)
    np.testing.assert_allclose(pt.output, joint.sum(axis=0), atol=1e-9)


@given(st.floats(0.05, 0.5), st.floats(0.3, 8.0))
@settings(max_examples=25, deadline=None)
def test_no_channel_beats_the_curve(p, beta):
    # Random test channels with distortion <= D never have less mutual information than R(D)
    pt = rd.blahut_arimoto([1 - p, p], rd.hamming_distortion(2), beta, tol=1e-12)
    rng = np.random.default_rng(int(beta * 1000))
    for _ in range(20):
        a, b = rng.uniform(0, 0.6, size=2)
        channel = np.array([[1 - a, a], [b, 1 - b]])
        joint = np.array([1 - p, p])[:, None] * channel
        dist = joint[0, 1] + joint[1, 0]
        if dist <= pt.distortion:
            assert info.mutual_information(joint) >= pt.rate - 1e-9


def test_curve_is_decreasing_and_convex():
    betas = np.linspace(0.5, 6, 12)
    rates, dists = rd.rate_distortion_curve([0.6, 0.3, 0.1], rd.hamming_distortion(3), betas)
    order = np.argsort(dists)
    r, dd = rates[order], dists[order]
    assert np.all(np.diff(r) <= 1e-9)
    slopes = np.diff(r) / np.diff(dd)
    assert np.all(np.diff(slopes) >= -1e-6)


def test_closed_forms_and_their_limits():
    assert rd.bernoulli_rate_distortion(0.5, 0.0) == pytest.approx(1.0)
    assert rd.bernoulli_rate_distortion(0.2, 0.2) == 0.0
    assert rd.bernoulli_rate_distortion(0.2, [0.05, 0.3]).tolist() == pytest.approx(
        [info.binary_entropy(0.2) - info.binary_entropy(0.05), 0.0]
    )
    assert rd.gaussian_rate_distortion(4.0, 1.0) == pytest.approx(1.0)
    assert rd.gaussian_rate_distortion(1.0, 2.0) == 0.0
    assert rd.gaussian_distortion_rate(1.0, 1.0) == pytest.approx(0.25)
    for bad in (
        lambda: rd.bernoulli_rate_distortion(1.5, 0.1),
        lambda: rd.gaussian_rate_distortion(1, 0),
    ):
        with pytest.raises(ValueError):
            bad()


def test_bad_arguments():
    with pytest.raises(ValueError):
        rd.blahut_arimoto([0.5, 0.5], np.zeros((3, 2)), 1.0)
    with pytest.raises(ValueError):
        rd.blahut_arimoto([0.5, 0.5], -np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError):
        rd.blahut_arimoto([0.5, 0.5], np.ones((2, 2)), -1.0)
    with pytest.raises(ValueError):
        rd.blahut_arimoto([0.7, 0.7], np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError):
        rd.discretized_gaussian(1.0, step=1e-4)


def test_lloyd_max_against_max_1960():
    # Max (1960), Table I: mean squared error of the optimal quantizer of N(0, 1)
    two = rd.lloyd_max_gaussian(2)
    assert two.points == pytest.approx([-math.sqrt(2 / math.pi), math.sqrt(2 / math.pi)])
    assert two.mse == pytest.approx(1 - 2 / math.pi)
    assert rd.lloyd_max_gaussian(4).mse == pytest.approx(0.1175, abs=1e-4)
    assert rd.lloyd_max_gaussian(8).mse == pytest.approx(0.03455, abs=1e-5)
    assert rd.lloyd_max_gaussian(1).mse == pytest.approx(1.0)
    assert rd.lloyd_max_gaussian(4, variance=9.0).mse == pytest.approx(9 * 0.1175, abs=1e-3)


def test_lloyd_max_is_a_fixed_point_and_beats_perturbations():
    q = rd.lloyd_max_gaussian(6)
    np.testing.assert_allclose(q.edges[1:-1], (q.points[:-1] + q.points[1:]) / 2)
    rng = np.random.default_rng(1)
    for _ in range(10):
        pts = np.sort(q.points + rng.normal(0, 0.05, q.points.size))
        edges = np.concatenate([[-np.inf], (pts[:-1] + pts[1:]) / 2, [np.inf]])
        assert rd._quantizer(edges, pts, 1.0).mse >= q.mse - 1e-12


def test_quantizer_mse_by_monte_carlo():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 400_000)
    for q in (rd.lloyd_max_gaussian(4), rd.uniform_quantizer_gaussian(0.7)):
        cells = np.searchsorted(q.edges[1:-1], x)
        assert np.mean((x - q.points[cells]) ** 2) == pytest.approx(q.mse, rel=0.02)
        freq = np.bincount(cells, minlength=q.levels) / x.size
        assert info.entropy_from_counts(freq) == pytest.approx(q.entropy, abs=0.01)


def test_scalar_quantizers_stay_above_the_curve():
    for levels in (2, 4, 8, 16):
        q = rd.lloyd_max_gaussian(levels)
        assert q.entropy <= math.log2(levels) + 1e-12
        assert q.entropy > rd.gaussian_rate_distortion(1.0, q.mse)
    # entropy-coded uniform quantization: the gap tends to 1/2 log2(pi e / 6) at high rate
    gap = [
        rd.uniform_quantizer_gaussian(s).entropy
        - rd.gaussian_rate_distortion(1.0, rd.uniform_quantizer_gaussian(s).mse)
        for s in (0.5, 0.1, 0.02)
    ]
    assert gap[-1] == pytest.approx(0.5 * math.log2(math.pi * math.e / 6), abs=1e-3)
    assert all(g > 0 for g in gap)
