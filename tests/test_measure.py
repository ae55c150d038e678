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
