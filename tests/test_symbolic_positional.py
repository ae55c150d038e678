"""The positional-encoding derivations of predcomp.symbolic, checked with sympy and numerically."""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch
from predcomp import symbolic
from predcomp.transformer.positional import apply_rotary, rotary_angles, sinusoidal_encoding


def test_sinusoidal_offset_is_the_expected_rotation():
    d = symbolic.sinusoidal_offset_rotation()
    k, w, t = d.k, d.omega, d.t
    expected = sp.Matrix([[sp.cos(w * k), sp.sin(w * k)], [-sp.sin(w * k), sp.cos(w * k)]])
    assert (d.rotation - expected).applyfunc(sp.simplify) == sp.zeros(2, 2)
    assert d.residual == sp.zeros(2, 1)
    assert d.determinant == 1
    assert d.gram == sp.eye(2)
    # It is the rotation by -omega k, and it does not depend on t.
    assert (d.rotation - symbolic.rotation_matrix(-w * k)).applyfunc(sp.simplify) == sp.zeros(2, 2)
    assert t not in d.rotation.free_symbols
    # The four equations are linear in the unknown entries and the solution satisfies them.
    sol = dict(zip(d.unknown, d.rotation, strict=True))
    assert all(sp.simplify(eq.subs(sol)) == 0 for eq in d.equations)


def test_a_wrong_matrix_leaves_a_residual():
    d = symbolic.sinusoidal_offset_rotation()
    e = d.encoding
    shifted = e.subs(d.t, d.t + d.k)
    wrong = symbolic.rotation_matrix(d.omega * d.k)  # the opposite direction
    r = (wrong * e - shifted).applyfunc(lambda z: sp.simplify(sp.expand_trig(sp.expand(z))))
    assert r != sp.zeros(2, 1)


def test_offsets_compose():
    d = symbolic.sinusoidal_offset_rotation()
    k1, k2 = sp.symbols("k1 k2", real=True)
    m1, m2 = d.rotation.subs(d.k, k1), d.rotation.subs(d.k, k2)
    composed = (m1 * m2 - d.rotation.subs(d.k, k1 + k2)).applyfunc(
        lambda z: sp.simplify(sp.expand_trig(sp.expand(z)))
    )
    assert composed == sp.zeros(2, 2)


def test_rotation_maps_the_package_table_numerically():
    d = symbolic.sinusoidal_offset_rotation()
    rot = sp.lambdify((d.omega, d.k), d.rotation, "numpy")
    d_model, base = 16, 10000.0
    pe = sinusoidal_encoding(200, d_model, base).double().numpy()
    for i in range(d_model // 2):
        omega = base ** (-2 * i / d_model)
        for t, k in [(0, 1), (3, 17), (50, 101), (120, 7)]:
            m = np.asarray(rot(omega, k), dtype=float)
            got = m @ pe[t, 2 * i : 2 * i + 2]
            np.testing.assert_allclose(got, pe[t + k, 2 * i : 2 * i + 2], atol=1e-6)


def test_rotary_score_depends_on_offset_only():
    r = symbolic.rotary_relative_score()
    assert r.difference == 0
    shift = sp.Symbol("s", real=True)
    moved = r.score.subs({r.m: r.m + shift, r.n: r.n + shift}, simultaneous=True)
    assert sp.simplify(sp.expand_trig(sp.expand(moved - r.score))) == 0
    # And the score genuinely changes with the offset (the test would notice a constant).
    at = {r.theta: 1, r.q[0]: 1, r.q[1]: 0, r.key[0]: 1, r.key[1]: 0, r.m: 0}
    assert r.score.subs({**at, r.n: 0}) != r.score.subs({**at, r.n: 1})


def test_package_rotary_matches_relative_property():
    g = torch.Generator().manual_seed(0)
    head_dim, max_len = 8, 64
    cos, sin = rotary_angles(max_len, head_dim)
    q = torch.randn(head_dim, generator=g, dtype=torch.float64)
    k = torch.randn(head_dim, generator=g, dtype=torch.float64)
    qs = apply_rotary(q.expand(max_len, head_dim), cos.double(), sin.double())  # (T, D)
    ks = apply_rotary(k.expand(max_len, head_dim), cos.double(), sin.double())
    scores = qs @ ks.T  # scores[m, n]
    for m, n, s in [(0, 5, 10), (7, 3, 20), (30, 30, 9)]:
        assert torch.allclose(scores[m, n], scores[m + s, n + s], atol=1e-10)
    assert not torch.allclose(scores[0, 1], scores[0, 5])
    # The numeric rotation equals the sympy matrix R(m theta) pair by pair.
    rot = sp.lambdify(sp.Symbol("a"), symbolic.rotation_matrix(sp.Symbol("a")), "numpy")
    theta0 = 1.0  # the first pair turns by t radians per position (base**0)
    m = 9
    want = np.asarray(rot(m * theta0), dtype=float) @ q[:2].numpy()
    np.testing.assert_allclose(qs[m, :2].numpy(), want, atol=1e-6)
