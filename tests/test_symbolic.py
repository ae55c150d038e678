"""Tests of predcomp.symbolic: the derivations are checked with sympy and numerically."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from predcomp import info, symbolic


def test_general_derivation_gives_uniform_and_log_n():
    d = symbolic.entropy_maximum_derivation()
    n, p, lam = d.n, d.p, d.lam
    # the stationarity condition is -ln p - 1 - lambda = 0
    assert sp.simplify(d.stationarity.lhs - (-sp.log(p) - 1 - lam)) == 0
    assert sp.simplify(d.p_of_lam - sp.exp(-1 - lam)) == 0
    assert sp.simplify(d.lam_value - (sp.log(n) - 1)) == 0
    assert sp.simplify(d.p_optimal - 1 / n) == 0
    assert sp.simplify(d.maximum - sp.log(n)) == 0
    # strictly concave: the second derivative is negative for every p > 0
    assert sp.simplify(d.curvature + 1 / p) == 0
    assert d.curvature.subs(p, sp.Rational(1, 7)).is_negative


def test_lagrangian_term_is_the_pi_dependent_part():
    d = symbolic.entropy_maximum_derivation(3)
    ps = sp.symbols("q1:4", positive=True)
    full = d.lagrangian.doit()
    # substitute the indexed p[i] with explicit symbols and compare with the term sum
    base = next(iter(full.atoms(sp.Indexed))).base
    full = full.subs({base[i + 1]: ps[i] for i in range(3)})
    by_terms = sum(d.term.subs(d.p, q) for q in ps) + d.lam
    assert sp.simplify(full - by_terms) == 0


@pytest.mark.parametrize("n", [2, 3, 5, 26])
def test_concrete_n_matches_numeric_entropy(n):
    d = symbolic.entropy_maximum_derivation(n)
    assert d.p_optimal == sp.Rational(1, n)
    assert float(d.maximum) == pytest.approx(info.entropy(np.full(n, 1 / n), base=math.e))
    assert float(d.maximum / sp.log(2)) == pytest.approx(math.log2(n))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_explicit_system_has_one_uniform_solution(n):
    e = symbolic.entropy_maximum_explicit(n)
    (sol,) = e.solutions
    for p in e.probabilities:
        assert sol[p] == sp.Rational(1, n)
    assert sp.simplify(sol[e.lam] - (sp.log(n) - 1)) == 0
    assert sp.simplify(e.maximum - sp.log(n)) == 0
    # Hessian diag(-1/p_i) is negative definite at the solution
    h = e.hessian.subs(sol)
    assert all(ev < 0 for ev in h.eigenvals())
    assert len(e.equations) == n + 1


def test_no_other_distribution_beats_uniform():
    # numerically: random distributions never exceed log n
    rng = np.random.default_rng(0)
    for n in (2, 5, 10):
        best = float(symbolic.entropy_maximum_derivation(n).maximum)
        for _ in range(200):
            p = rng.dirichlet(np.ones(n))
            assert info.entropy(p, base=math.e) <= best + 1e-12


def test_bad_n():
    with pytest.raises(ValueError):
        symbolic.entropy_maximum_derivation(0)
    with pytest.raises(ValueError):
        symbolic.entropy_maximum_derivation(sp.Rational(1, 2))
    with pytest.raises(ValueError):
        symbolic.entropy_maximum_explicit(0)


def test_mean_constrained_maximum_is_geometric():
    d = symbolic.entropy_maximum_with_mean_derivation()
    lhs = d.stationarity.lhs
    assert sp.simplify(lhs - (-sp.log(d.p) - 1 - d.lam - d.beta * d.i)) == 0
    # substituting the solution satisfies the stationarity condition
    assert sp.simplify(lhs.subs(d.p, d.p_of_multipliers)) == 0
    assert sp.simplify(d.ratio - sp.exp(-d.beta)) == 0


@pytest.mark.parametrize(("n", "mean"), [(4, 1.0), (4, 1.5), (5, 3.5), (3, 0.2)])
def test_gibbs_distribution_has_the_mean_and_beats_random_rivals(n, mean):
    beta, p = symbolic.gibbs_distribution(n, mean)
    p = np.array(p)
    ks = np.arange(n)
    assert p.sum() == pytest.approx(1.0)
    assert p @ ks == pytest.approx(mean, abs=1e-9)
    np.testing.assert_allclose(p[1:] / p[:-1], math.exp(-beta), rtol=1e-9)
    if mean == (n - 1) / 2:
        assert beta == pytest.approx(0.0, abs=1e-9)
    best = info.entropy(p)
    rng = np.random.default_rng(n)
    for _ in range(2000):
        q = rng.dirichlet(np.ones(n))
        # mix q with a point mass at one end so that its mean is exactly `mean`
        m = q @ ks
        end = 0 if m > mean else n - 1
        t = (m - mean) / (m - end)
        q = (1 - t) * q
        q[end] += t
        assert q @ ks == pytest.approx(mean, abs=1e-9)
        assert info.entropy(q) <= best + 1e-9


def test_gibbs_distribution_rejects_impossible_means():
    with pytest.raises(ValueError):
        symbolic.gibbs_distribution(4, 3.0)
    with pytest.raises(ValueError):
        symbolic.gibbs_distribution(1, 0.5)


@pytest.mark.parametrize(("n", "target"), [(2, 0), (3, 1), (5, 4)])
def test_softmax_cross_entropy_gradient_is_p_minus_onehot(n, target):
    d = symbolic.softmax_cross_entropy_gradient(n, target)
    assert all(r == 0 for r in d.residual)
    assert d.hessian_residual == sp.zeros(n, n)
    # the Hessian is a covariance matrix: positive semi-definite at any point
    point = {z: v for z, v in zip(d.logits, np.linspace(-1.0, 2.0, n), strict=True)}
    h = np.array(d.hessian.subs(point).evalf(), dtype=float)
    assert np.linalg.eigvalsh(h).min() > -1e-12


def test_softmax_cross_entropy_gradient_equals_autograd():
    import torch
    import torch.nn.functional as F

    n, target = 6, 2
    d = symbolic.softmax_cross_entropy_gradient(n, target)
    grad_fn = sp.lambdify(d.logits, d.gradient, "math")
    loss_fn = sp.lambdify(d.logits, d.loss, "math")
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        z = (3 * torch.randn(n, generator=gen, dtype=torch.float64)).requires_grad_()
        loss = F.cross_entropy(z[None], torch.tensor([target]))
        loss.backward()
        values = z.detach().tolist()
        assert loss.item() == pytest.approx(loss_fn(*values), rel=1e-12)
        assert z.grad.tolist() == pytest.approx(list(grad_fn(*values)), abs=1e-12)
        onehot = F.one_hot(torch.tensor(target), n).double()
        assert torch.allclose(z.grad, F.softmax(z.detach(), -1) - onehot, atol=1e-14)
    with pytest.raises(ValueError):
        symbolic.softmax_cross_entropy_gradient(1)
    with pytest.raises(ValueError):
        symbolic.softmax_cross_entropy_gradient(3, 3)


def test_maximum_likelihood_is_relative_frequency_and_minimum_kl():
    d = symbolic.maximum_likelihood_categorical(3)
    total = sum(d.counts)
    for k, q in zip(d.counts, d.model, strict=True):
        assert sp.simplify(d.solution[q] - k / total) == 0
    assert d.decomposition_residual == 0
    assert d.kl_at_optimum == 0
    # numerically: code length per symbol = H(phat) + KL(phat || q) for any q
    counts = np.array([5.0, 2.0, 3.0])
    phat = counts / counts.sum()
    q = np.array([0.2, 0.5, 0.3])
    per_symbol = -(counts * np.log2(q)).sum() / counts.sum()
    assert per_symbol == pytest.approx(info.entropy(phat) + info.kl_divergence(phat, q))
    with pytest.raises(ValueError):
        symbolic.maximum_likelihood_categorical(1)


def test_label_smoothing_optimum_and_cost():
    d = symbolic.label_smoothing_cost()
    assert sp.simplify(d.optimum_true - d.target_true) == 0
    cost = float(d.cost_bits.subs({d.eps: sp.Rational(1, 10), d.V: 65}))
    assert cost == pytest.approx(-math.log2(0.9 + 0.1 / 65))
    # numerically: minimize the smoothed loss over distributions for V = 5, eps = 0.2
    V, eps = 5, 0.2
    target = np.full(V, eps / V)
    target[0] += 1 - eps
    grid = np.linspace(0.5, 0.99, 4901)
    loss = -(target[0] * np.log(grid) + (1 - target[0]) * np.log((1 - grid) / (V - 1)))
    assert grid[np.argmin(loss)] == pytest.approx(1 - eps + eps / V, abs=1e-4)
    # the cost is KL(onehot || smoothed optimum)
    onehot = np.eye(V)[0]
    assert info.kl_divergence(onehot, target) == pytest.approx(
        float(d.cost_bits.subs({d.eps: sp.Rational(1, 5), d.V: V}))
    )
