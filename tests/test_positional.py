"""Positional encodings: the sinusoidal table, learned positions and rotary embeddings."""

from __future__ import annotations

import math

import pytest
import torch
from predcomp.transformer.positional import (
    LearnedPositionalEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    apply_rotary,
    rotary_angles,
    sinusoidal_encoding,
)


def test_sinusoidal_table_against_the_formula():
    T, d, base = 11, 6, 10000.0
    pe = sinusoidal_encoding(T, d, base)
    for t in range(T):
        for i in range(d // 2):
            angle = t / base ** (2 * i / d)
            assert pe[t, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[t, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_sinusoidal_offset_is_a_rotation():
    # PE[t + k] = R_k PE[t] with R_k block-diagonal rotations that do not depend on t.
    d, k = 8, 5
    pe = sinusoidal_encoding(40, d).double()
    inv_freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    R = torch.zeros(d, d, dtype=torch.float64)
    for i, w in enumerate(inv_freq):
        c, s = math.cos(k * w), math.sin(k * w)
        R[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = torch.tensor([[c, s], [-s, c]])
    for t in range(30):
        assert torch.allclose(R @ pe[t], pe[t + k], atol=1e-6)


def test_sinusoidal_module_adds_with_offset():
    m = SinusoidalPositionalEncoding(6, max_len=20)
    x = torch.zeros(2, 4, 6)
    assert torch.equal(m(x), sinusoidal_encoding(20, 6)[:4].expand(2, 4, 6))
    assert torch.equal(m(x, offset=3)[0], sinusoidal_encoding(20, 6)[3:7])
    assert len(list(m.parameters())) == 0  # fixed, nothing to train
    with pytest.raises(ValueError):
        m(torch.zeros(1, 21, 6))
    with pytest.raises(ValueError):
        sinusoidal_encoding(4, 5)


def test_learned_positions():
    torch.manual_seed(0)
    m = LearnedPositionalEmbedding(4, max_len=10)
    x = torch.randn(3, 7, 4)
    assert torch.allclose(m(x) - x, m.weight[:7].expand(3, 7, 4), atol=1e-6)
    assert torch.allclose(
        m(x[:, :2], offset=5) - x[:, :2], m.weight[5:7].expand(3, 2, 4), atol=1e-6
    )
    assert m.weight.requires_grad and m.weight.shape == (10, 4)
    with pytest.raises(ValueError):
        m(torch.zeros(1, 11, 4))


def test_rotary_is_the_block_rotation_of_su_et_al():
    D, T = 6, 4
    cos, sin = rotary_angles(T, D)
    x = torch.randn(T, D, dtype=torch.float64)
    y = apply_rotary(x, cos.double(), sin.double())
    for t in range(T):
        for i in range(D // 2):
            theta = t * 10000.0 ** (-2 * i / D)
            rot = torch.tensor(
                [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]],
                dtype=torch.float64,
            )
            assert torch.allclose(y[t, 2 * i : 2 * i + 2], rot @ x[t, 2 * i : 2 * i + 2])
    # a rotation keeps lengths
    assert torch.allclose(y.norm(dim=-1), x.norm(dim=-1))


def test_rotary_scores_depend_only_on_the_offset():
    torch.manual_seed(0)
    rope = RotaryEmbedding(8, max_len=64)
    q0, k0 = torch.randn(8), torch.randn(8)

    def score(m: int, n: int) -> float:
        q = q0.expand(1, 1, 64, 8)
        k = k0.expand(1, 1, 64, 8)
        qr, kr = rope(q, k)
        return float(qr[0, 0, m] @ kr[0, 0, n])

    assert score(10, 3) == pytest.approx(score(27, 20), abs=1e-4)
    assert score(5, 5) == pytest.approx(float(q0 @ k0), abs=1e-4)
    assert score(10, 3) != pytest.approx(score(10, 4), abs=1e-3)


def test_rotary_offset_matches_slice():
    rope = RotaryEmbedding(4, max_len=16)
    q, k = torch.randn(1, 2, 10, 4), torch.randn(1, 2, 10, 4)
    qa, ka = rope(q, k)
    qb, kb = rope(q[:, :, 6:], k[:, :, 6:], offset=6)
    assert torch.allclose(qa[:, :, 6:], qb) and torch.allclose(ka[:, :, 6:], kb)
    with pytest.raises(ValueError):
        rope(q, k, offset=7)
    with pytest.raises(ValueError):
        RotaryEmbedding(5)
