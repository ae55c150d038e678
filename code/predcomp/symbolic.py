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
    "entropy_maximum_derivation",
    "entropy_maximum_explicit",
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
