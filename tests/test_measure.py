"""Tests of predcomp.measure."""

from __future__ import annotations

import time

import pytest
import torch
import torch.nn.functional as F
from predcomp.measure import OpSizes, largest_intermediate, time_call


def test_largest_intermediate_finds_the_score_matrix():
    B, H, T, S, D = 1, 2, 96, 80, 8
    q, k, v = torch.randn(B, H, T, D), torch.randn(B, H, S, D), torch.randn(B, H, S, D)

    def explicit(q, k, v):
        return torch.softmax(q @ k.transpose(-2, -1), -1) @ v

    nbytes, _ = largest_intermediate(explicit, q, k, v)
    assert nbytes == B * H * T * S * 4  # float32 scores, counted exactly


def test_views_are_not_counted():
    x = torch.randn(1000)
    with OpSizes() as mode:
        x.view(10, 100).transpose(0, 1)
    assert mode.records and all(n == 0 for _, n in mode.records)
    nbytes, name = largest_intermediate(lambda t: t * 2, x)
    assert nbytes == 4000 and name == "mul"


def test_sdpa_memory_is_linear_in_length():
    sizes = []
    for T in (256, 512):
        q = torch.randn(1, 1, T, 16)
        sizes.append(largest_intermediate(F.scaled_dot_product_attention, q, q, q)[0])
    # Whatever PyTorch's CPU kernel allocates, it is far below the T x T score matrix.
    assert sizes[1] < 256 * 512 * 4
    assert sizes[1] <= 2.5 * sizes[0]


def test_time_call_median():
    calls = []

    def f():
        calls.append(1)
        time.sleep(0.002)

    t = time_call(f, repeats=3, warmup=2)
    assert len(calls) == 5
    assert 0.0015 < t < 0.5
    with pytest.raises(ValueError):
        time_call(f, repeats=0)


@pytest.mark.parametrize(("n", "C", "H"), [(16, 32, 4), (40, 64, 8)])
def test_attention_flops_formula(n, C, H):
    # Chapter "Attention": one self-attention layer over n tokens costs 4 n^2 C FLOPs for the
    # scores and the weighted sum plus 8 n C^2 for the four projections.
    from predcomp.transformer.attention import MultiHeadAttention
    from torch.utils.flop_counter import FlopCounterMode

    mha = MultiHeadAttention(C, H, use_sdpa=False)
    x = torch.randn(1, n, C)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        mha(x, need_weights=True)
    assert counter.get_total_flops() == 4 * n * n * C + 8 * n * C * C


def test_score_matrix_bytes_formula():
    # Chapter "Attention": the written-out scores take H * n^2 * 4 bytes in float32.
    from predcomp.transformer.attention import scaled_dot_product_attention

    H, n = 3, 64
    q = torch.randn(1, H, n, 16)
    nbytes, _ = largest_intermediate(lambda a: scaled_dot_product_attention(a, a, a)[0], q)
    assert nbytes == H * n * n * 4
