"""Symbolic derivations (sympy) that the chapters display and the tests check.

Each function returns sympy objects rather than printing, so a chapter can render them with
``sympy.latex`` and a test can assert them. Other chapters append their own derivations here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = [
    "EntropyMaximum",
    "ExplicitEntropyMaximum",
    "LabelSmoothing",
    "MaximumLikelihood",
    "MeanConstrainedMaximum",
    "RotaryRelative",
    "SinusoidalOffset",
    "SoftmaxCrossEntropyGradient",
    "entropy_maximum_derivation",
    "entropy_maximum_explicit",
    "entropy_maximum_with_mean_derivation",
    "gibbs_distribution",
    "label_smoothing_cost",
    "maximum_likelihood_categorical",
    "rotary_relative_score",
    "rotation_matrix",
    "sinusoidal_offset_rotation",
    "softmax_cross_entropy_gradient",
]


@dataclass(frozen=True)
class EntropyMaximum:
    """The Lagrange-multiplier derivation that the uniform distribution maximizes entropy.

    We maximize ``H = -sum_i p_i ln p_i`` subject to ``sum_i p_i = 1`` over ``n`` outcomes.
    The Lagrangian ``L = H - lam (sum_i p_i - 1)`` is a sum of identical one-variable terms
    ``-p ln p - lam p`` (plus a constant), so one generic term carries the whole argument.
    """

    n: sp.Expr
    #: probability of a generic outcome i
    p: sp.Symbol
    #: the Lagrange multiplier
    lam: sp.Symbol
    #: L = -sum p_i ln p_i - lam (sum p_i - 1), written with a generic summation index
    lagrangian: sp.Expr
    #: the part of L that depends on p_i: -p_i ln p_i - lam p_i
    term: sp.Expr
    #: dL/dp_i = 0
    stationarity: sp.Eq
    #: the stationary p_i as a function of lam (the same for every i)
    p_of_lam: sp.Expr
    #: lam fixed by the constraint n p_i = 1
    lam_value: sp.Expr
    #: p_i at the optimum: 1/n
    p_optimal: sp.Expr
    #: H at the optimum: ln n (nats)
    maximum: sp.Expr
    #: d^2 L / dp_i^2 = -1/p_i < 0, with zero mixed partials: H is strictly concave
    curvature: sp.Expr


def entropy_maximum_derivation(n: int | sp.Expr | None = None) -> EntropyMaximum:
    """Derive, with Lagrange multipliers, that entropy is maximal at the uniform distribution.

    ``n`` is the number of outcomes: a positive integer or a symbol (default: the symbol
    ``n``). Entropies are in nats; divide by ``ln 2`` for bits.
    """
    if n is None:
        n = sp.Symbol("n", positive=True, integer=True)
    n = sp.sympify(n)
    if n.is_number and not (n.is_integer and n.is_positive):
        raise ValueError(f"n must be a positive integer, got {n}")
    p = sp.Symbol("p_i", positive=True)
    lam = sp.Symbol("lambda", real=True)
    i = sp.Symbol("i", integer=True, positive=True)
    pi = sp.Indexed(sp.IndexedBase("p"), i)
    lagrangian = -sp.Sum(pi * sp.log(pi), (i, 1, n)) - lam * (sp.Sum(pi, (i, 1, n)) - 1)
    term = -p * sp.log(p) - lam * p
    d_term = sp.diff(term, p)
    stationarity = sp.Eq(d_term, 0)
    (p_of_lam,) = sp.solve(stationarity, p)
    (lam_value,) = sp.solve(sp.Eq(n * p_of_lam, 1), lam)
    p_optimal = sp.simplify(p_of_lam.subs(lam, lam_value))
    maximum = sp.simplify(sp.expand_log(-n * p_optimal * sp.log(p_optimal), force=True))
    curvature = sp.diff(term, p, 2)
    return EntropyMaximum(
        n=n,
        p=p,
        lam=lam,
        lagrangian=lagrangian,
        term=term,
        stationarity=stationarity,
        p_of_lam=p_of_lam,
        lam_value=lam_value,
        p_optimal=p_optimal,
        maximum=maximum,
        curvature=curvature,
    )


@dataclass(frozen=True)
class ExplicitEntropyMaximum:
    """The same optimization written out for a concrete number of outcomes."""

    probabilities: tuple[sp.Symbol, ...]
    lam: sp.Symbol
    lagrangian: sp.Expr
    #: the n + 1 equations: dL/dp_i = 0 for each i, and the constraint
    equations: tuple[sp.Expr, ...]
    #: every solution of the system (there is exactly one)
    solutions: tuple[dict[sp.Symbol, sp.Expr], ...]
    #: the Hessian of the entropy, diag(-1/p_i)
    hessian: sp.Matrix
    #: the entropy at the solution (nats)
    maximum: sp.Expr


def entropy_maximum_explicit(n: int = 3) -> ExplicitEntropyMaximum:
    """Solve ``max -sum p_i ln p_i s.t. sum p_i = 1`` for ``n`` explicit variables with sympy."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    ps = sp.symbols(f"p_1:{n + 1}", positive=True)
    lam = sp.Symbol("lambda", real=True)
    h = -sum(p * sp.log(p) for p in ps)
    lagrangian = h - lam * (sum(ps) - 1)
    equations = (*(sp.diff(lagrangian, p) for p in ps), sum(ps) - 1)
    solutions = tuple(sp.solve(equations, [*ps, lam], dict=True))
    hessian = sp.hessian(h, ps)
    if len(solutions) != 1:
        raise AssertionError(f"expected one stationary point, sympy found {len(solutions)}")
    maximum = sp.simplify(h.subs(solutions[0]))
    return ExplicitEntropyMaximum(
        probabilities=tuple(ps),
        lam=lam,
        lagrangian=lagrangian,
        equations=equations,
        solutions=solutions,
        hessian=hessian,
        maximum=maximum,
    )


@dataclass(frozen=True)
class SinusoidalOffset:
    """The sinusoidal encoding of position ``t + k`` is a fixed rotation of that of ``t``.

    For one frequency ``omega`` the encoding is the pair ``(sin omega t, cos omega t)``
    (Vaswani et al. 2017). We look for a 2x2 matrix ``M`` with ``M e(t) = e(t + k)`` for every
    ``t``, solve for its entries, and find a rotation by the angle ``-omega k``: it depends on
    the offset ``k`` but not on ``t``.
    """

    t: sp.Symbol
    k: sp.Symbol
    omega: sp.Symbol
    #: e(t) = (sin omega t, cos omega t)
    encoding: sp.Matrix
    #: the unknown matrix [[a, b], [c, d]]
    unknown: sp.Matrix
    #: the four linear equations: coefficients of sin(omega t) and cos(omega t) must match
    equations: tuple[sp.Expr, ...]
    #: the solved matrix M(k)
    rotation: sp.Matrix
    #: M(k) e(t) - e(t + k), simplified (zero)
    residual: sp.Matrix
    #: det M(k) (one) and M(k)^T M(k) (identity): a rotation
    determinant: sp.Expr
    gram: sp.Matrix


def sinusoidal_offset_rotation() -> SinusoidalOffset:
    """Derive with sympy the matrix taking the sinusoidal pair at ``t`` to the pair at ``t + k``."""
    t, k = sp.symbols("t k", real=True)
    omega = sp.Symbol("omega", positive=True)
    a, b, c, d = sp.symbols("a b c d")

    def e(x: sp.Expr) -> sp.Matrix:
        angle = sp.expand(omega * x)  # omega t + omega k, so expand_trig can split it
        return sp.Matrix([sp.sin(angle), sp.cos(angle)])

    unknown = sp.Matrix([[a, b], [c, d]])
    diff = (unknown * e(t) - e(t + k)).applyfunc(lambda z: sp.expand(sp.expand_trig(z)))
    s, co = sp.sin(omega * t), sp.cos(omega * t)
    # Both sides are combinations of sin(omega t) and cos(omega t); for the identity to hold
    # for every t the two coefficients must vanish in each row.
    equations = tuple(sp.expand(row).coeff(f) for row in diff for f in (s, co))
    (sol,) = sp.solve(equations, [a, b, c, d], dict=True)
    rotation = unknown.subs(sol)
    residual = (rotation * e(t) - e(t + k)).applyfunc(lambda z: sp.simplify(sp.expand_trig(z)))
    return SinusoidalOffset(
        t=t,
        k=k,
        omega=omega,
        encoding=e(t),
        unknown=unknown,
        equations=equations,
        rotation=rotation,
        residual=residual,
        determinant=sp.simplify(rotation.det()),
        gram=(rotation.T * rotation).applyfunc(sp.simplify),
    )


@dataclass(frozen=True)
class RotaryRelative:
    """With rotary embeddings (RoPE) the query-key score depends only on the offset.

    Su et al. rotate each pair of query and key coordinates by ``m theta`` at position ``m``.
    Then ``<R(m theta) q, R(n theta) k> = <q, R((n - m) theta) k>``: absolute positions cancel.
    """

    m: sp.Symbol
    n: sp.Symbol
    theta: sp.Symbol
    q: sp.Matrix
    key: sp.Matrix
    #: R(m theta) q . R(n theta) k
    score: sp.Expr
    #: q . R((n - m) theta) k
    relative: sp.Expr
    #: score - relative, simplified (zero)
    difference: sp.Expr


def rotation_matrix(angle: sp.Expr) -> sp.Matrix:
    """The 2x2 counter-clockwise rotation by ``angle``."""
    return sp.Matrix([[sp.cos(angle), -sp.sin(angle)], [sp.sin(angle), sp.cos(angle)]])


def rotary_relative_score() -> RotaryRelative:
    """Show with sympy that a RoPE attention score depends on ``n - m`` only."""
    m, n = sp.symbols("m n", real=True)
    theta = sp.Symbol("theta", positive=True)
    q = sp.Matrix(sp.symbols("q_1 q_2", real=True))
    key = sp.Matrix(sp.symbols("k_1 k_2", real=True))
    score = sp.expand((rotation_matrix(m * theta) * q).dot(rotation_matrix(n * theta) * key))
    relative = sp.expand(q.dot(rotation_matrix((n - m) * theta) * key))
    difference = sp.simplify(sp.expand_trig(score - relative))
    return RotaryRelative(m, n, theta, q, key, score, relative, difference)


@dataclass(frozen=True)
class MeanConstrainedMaximum:
    """Maximum entropy on ``{0, .., n-1}`` with a prescribed mean: a Gibbs distribution."""

    #: outcome index, probability of outcome i, and the two multipliers
    i: sp.Symbol
    p: sp.Symbol
    lam: sp.Symbol
    beta: sp.Symbol
    #: the part of L = -sum p ln p - lam (sum p - 1) - beta (sum i p - mu) that involves p_i
    term: sp.Expr
    #: dL/dp_i = 0
    stationarity: sp.Eq
    #: the stationary p_i: exp(-1 - lam - beta i), i.e. proportional to exp(-beta i)
    p_of_multipliers: sp.Expr
    #: p_{i+1} / p_i = exp(-beta): the ratio that makes the solution geometric
    ratio: sp.Expr


def entropy_maximum_with_mean_derivation() -> MeanConstrainedMaximum:
    """Lagrange conditions for maximum entropy subject to a fixed mean ``sum_i i p_i = mu``."""
    i = sp.Symbol("i", integer=True, nonnegative=True)
    p = sp.Symbol("p_i", positive=True)
    lam = sp.Symbol("lambda", real=True)
    beta = sp.Symbol("beta", real=True)
    term = -p * sp.log(p) - lam * p - beta * i * p
    stationarity = sp.Eq(sp.diff(term, p), 0)
    (p_of_multipliers,) = sp.solve(stationarity, p)
    ratio = sp.simplify(p_of_multipliers.subs(i, i + 1) / p_of_multipliers)
    return MeanConstrainedMaximum(
        i=i,
        p=p,
        lam=lam,
        beta=beta,
        term=term,
        stationarity=stationarity,
        p_of_multipliers=p_of_multipliers,
        ratio=ratio,
    )


def gibbs_distribution(n: int, mean: float) -> tuple[float, list[float]]:
    """The maximum-entropy distribution on ``{0, .., n-1}`` with the given mean.

    Returns ``(beta, p)`` with ``p_i`` proportional to ``exp(-beta i)``; ``beta`` is found
    with sympy's numerical root finder. The mean must lie strictly between 0 and ``n - 1``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not 0 < mean < n - 1:
        raise ValueError(f"the mean must lie strictly between 0 and {n - 1}, got {mean!r}")
    beta = sp.Symbol("beta", real=True)
    weights = [sp.exp(-beta * k) for k in range(n)]
    mean_of_beta = sum(k * w for k, w in enumerate(weights)) / sum(weights)
    # The mean decreases monotonically in beta, so the root is unique; bracket it.
    lo, hi = -1.0, 1.0
    while float(mean_of_beta.subs(beta, lo)) < mean:
        lo *= 2
    while float(mean_of_beta.subs(beta, hi)) > mean:
        hi *= 2
    b = float(sp.nsolve(mean_of_beta - mean, beta, (lo, hi), solver="bisect"))
    w = [float(sp.exp(-b * k)) for k in range(n)]
    total = sum(w)
    return b, [x / total for x in w]


@dataclass(frozen=True)
class SoftmaxCrossEntropyGradient:
    """The gradient of the softmax cross-entropy with respect to the logits is ``p - e_y``.

    For logits ``z_1..z_n`` and the observed class ``y``, the loss (nats) is
    ``L = -ln softmax(z)_y = ln sum_j exp(z_j) - z_y``. Its partial derivatives are
    ``dL/dz_i = softmax(z)_i - [i = y]``: the predicted distribution minus the one-hot target.
    """

    #: the logits z_1..z_n
    logits: tuple[sp.Symbol, ...]
    #: the index of the observed class (0-based)
    target: int
    #: softmax(z): exp(z_i) / sum_j exp(z_j)
    probabilities: tuple[sp.Expr, ...]
    #: L = -ln softmax(z)_target
    loss: sp.Expr
    #: (dL/dz_1, ..., dL/dz_n) as sympy differentiates them
    gradient: tuple[sp.Expr, ...]
    #: gradient - (p - onehot), simplified (all zero)
    residual: tuple[sp.Expr, ...]
    #: the Hessian d^2 L / dz_i dz_j, and Hessian - (diag(p) - p p^T) simplified (zero)
    hessian: sp.Matrix
    hessian_residual: sp.Matrix


def softmax_cross_entropy_gradient(n: int = 3, target: int = 0) -> SoftmaxCrossEntropyGradient:
    """Differentiate the softmax cross-entropy of ``n`` logits, observed class ``target``.

    The Hessian ``diag(p) - p p^T`` is a covariance matrix, positive semi-definite: the loss is
    convex in the logits.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < n:
        raise ValueError(f"target must be an integer in 0..{n - 1}, got {target!r}")
    z = sp.symbols(f"z_1:{n + 1}", real=True)
    norm = sum(sp.exp(zj) for zj in z)
    p = tuple(sp.exp(zi) / norm for zi in z)
    loss = sp.log(norm) - z[target]
    gradient = tuple(sp.diff(loss, zi) for zi in z)
    onehot = [1 if i == target else 0 for i in range(n)]
    residual = tuple(
        sp.simplify(g - (pi - e)) for g, pi, e in zip(gradient, p, onehot, strict=True)
    )
    hessian = sp.hessian(loss, z)
    expected = sp.diag(*p) - sp.Matrix(p) * sp.Matrix(p).T
    hessian_residual = (hessian - expected).applyfunc(sp.simplify)
    return SoftmaxCrossEntropyGradient(
        tuple(z), target, p, loss, gradient, residual, hessian, hessian_residual
    )


@dataclass(frozen=True)
class MaximumLikelihood:
    """Maximum likelihood for a categorical model = minimum code length = minimum KL.

    A sample with counts ``k_1..k_n`` (``N`` in all) has empirical distribution
    ``phat_i = k_i / N``. The negative log-likelihood of a model ``q`` is the code length of
    the sample under ``q``, and per symbol it splits as
    ``-(1/N) sum_i k_i ln q_i = H(phat) + KL(phat || q)``: since ``H(phat)`` does not depend on
    ``q``, maximizing the likelihood is minimizing the code length is minimizing the KL
    divergence from the data, and the optimum ``q_i = k_i / N`` makes the KL zero.
    """

    counts: tuple[sp.Symbol, ...]
    model: tuple[sp.Symbol, ...]
    lam: sp.Symbol
    #: -sum_i k_i ln q_i (nats): the code length of the sample under q
    code_length: sp.Expr
    #: code length + lam (sum_i q_i - 1)
    lagrangian: sp.Expr
    #: the solution of the stationarity conditions and the constraint
    solution: dict[sp.Symbol, sp.Expr]
    #: code_length / N - (H(phat) + KL(phat || q)), simplified (zero)
    decomposition_residual: sp.Expr
    #: KL(phat || q) at the solution (zero)
    kl_at_optimum: sp.Expr


def maximum_likelihood_categorical(n: int = 3) -> MaximumLikelihood:
    """Solve ``min_q -sum_i k_i ln q_i`` s.t. ``sum_i q_i = 1`` with sympy, for ``n`` outcomes."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    k = sp.symbols(f"k_1:{n + 1}", positive=True)
    q = sp.symbols(f"q_1:{n + 1}", positive=True)
    lam = sp.Symbol("lambda", real=True)
    total = sum(k)
    code_length = -sum(ki * sp.log(qi) for ki, qi in zip(k, q, strict=True))
    lagrangian = code_length + lam * (sum(q) - 1)
    equations = [sp.diff(lagrangian, qi) for qi in q] + [sum(q) - 1]
    (solution,) = sp.solve(equations, [*q, lam], dict=True)
    phat = [ki / total for ki in k]
    entropy = -sum(pi * sp.log(pi) for pi in phat)
    kl = sum(pi * sp.log(pi / qi) for pi, qi in zip(phat, q, strict=True))
    residual = sp.simplify(sp.expand_log(code_length / total - entropy - kl, force=True))
    kl_at_optimum = sp.simplify(kl.subs(solution))
    return MaximumLikelihood(
        tuple(k), tuple(q), lam, code_length, lagrangian, solution, residual, kl_at_optimum
    )


@dataclass(frozen=True)
class LabelSmoothing:
    """What label smoothing makes a model predict, and what that costs in bits.

    Label smoothing (Szegedy et al. 2016) trains on the target ``(1 - eps) onehot + eps / V``
    instead of the one-hot. Its expected loss under data from ``p`` is the cross-entropy
    from the smoothed distribution ``t = (1 - eps) p + eps u`` (``u`` uniform over ``V``), which
    is minimal at ``q = t``, not at ``q = p``. Coded with that optimum, data from ``p`` costs
    ``KL(p || t)`` extra per symbol; for a certain outcome (``p`` one-hot) the cost is
    ``-log2(1 - eps + eps / V)`` bits.
    """

    eps: sp.Symbol
    V: sp.Symbol
    #: the smoothed target of the observed class and of each other class
    target_true: sp.Expr
    target_other: sp.Expr
    #: the minimizer of the smoothed loss for one-hot data, probability of the observed class
    optimum_true: sp.Expr
    #: the cost in bits per symbol of coding one-hot data with that minimizer
    cost_bits: sp.Expr


def label_smoothing_cost() -> LabelSmoothing:
    """Derive the optimum of the label-smoothed loss and its cost for one-hot data, with sympy.

    With the probability of the observed class ``a`` and ``(1 - a) / (V - 1)`` for each other
    class (the optimum is symmetric), the smoothed loss is a function of ``a`` alone; setting
    its derivative to zero gives ``a = 1 - eps + eps / V``.
    """
    eps = sp.Symbol("epsilon", positive=True)
    V = sp.Symbol("V", integer=True, positive=True)
    a = sp.Symbol("a", positive=True)
    t_true = 1 - eps + eps / V
    t_other = eps / V
    smoothed_loss = -t_true * sp.log(a) - (V - 1) * t_other * sp.log((1 - a) / (V - 1))
    (optimum,) = sp.solve(sp.Eq(sp.diff(smoothed_loss, a), 0), a)
    optimum = sp.simplify(optimum)
    cost = sp.simplify(-sp.log(optimum) / sp.log(2))
    return LabelSmoothing(eps, V, t_true, t_other, optimum, cost)
