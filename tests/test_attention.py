"""Attention against PyTorch: the written-out formula, SDPA, nn.MultiheadAttention, masks, cache.

Tolerances: float32 throughout; the two implementations sum in different orders, so outputs
agree to ``atol=1e-5`` (about 100 float32 ulps at these magnitudes), not bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from predcomp.transformer.attention import (
    KVCache,
    MultiHeadAttention,
    blockwise_attention,
    causal_mask,
    combine_masks,
    padding_mask,
    scaled_dot_product_attention,
)
from torch import nn

ATOL = 1e-5


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def qkv(B=2, H=3, T=5, S=7, D=8):
    return torch.randn(B, H, T, D), torch.randn(B, H, S, D), torch.randn(B, H, S, D)


def test_formula_by_hand():
    # One query, two keys: weights are the softmax of the scaled dot products.
    q = torch.tensor([[[[1.0, 0.0]]]])
    k = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    v = torch.tensor([[[[10.0, 0.0], [0.0, 20.0]]]])
    out, w = scaled_dot_product_attention(q, k, v)
    e = math.exp(1 / math.sqrt(2))
    p = e / (e + 1)
    assert torch.allclose(w, torch.tensor([[[[p, 1 - p]]]]), atol=1e-7)
    assert torch.allclose(out, torch.tensor([[[[10 * p, 20 * (1 - p)]]]]), atol=1e-5)


def test_weights_are_distributions():
    q, k, v = qkv()
    _, w = scaled_dot_product_attention(q, k, v)
    assert (w >= 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(2, 3, 5), atol=1e-6)


@pytest.mark.parametrize("masked", ["none", "bool", "causal", "padding"])
def test_explicit_matches_sdpa(masked):
    T = S = 6
    q, k, v = qkv(T=T, S=S)
    kwargs = {}
    mask = None
    if masked == "bool":
        mask = torch.rand(T, S) > 0.3
        mask[:, 0] = True  # every query sees at least one key
        kwargs = {"attn_mask": mask}
    elif masked == "causal":
        mask = causal_mask(T)
        kwargs = {"is_causal": True}
    elif masked == "padding":
        ids = torch.tensor([[5, 6, 7, 0, 0, 0], [5, 6, 7, 8, 9, 0]])
        mask = padding_mask(ids, pad_id=0)
        kwargs = {"attn_mask": mask}
    ours, _ = scaled_dot_product_attention(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, **kwargs)
    assert torch.allclose(ours, ref, atol=ATOL)


def test_masked_keys_get_zero_weight():
    q, k, v = qkv(T=4, S=4)
    _, w = scaled_dot_product_attention(q, k, v, causal_mask(4))
    assert (w.masked_select(~causal_mask(4)) == 0).all()
    ids = torch.tensor([[3, 4, 0, 0], [3, 4, 5, 0]])
    _, w = scaled_dot_product_attention(q, k, v, padding_mask(ids, 0))
    assert (w[0, :, :, 2:] == 0).all() and (w[1, :, :, 3] == 0).all()


def test_causal_mask_shapes():
    assert causal_mask(3).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    # Two cached keys, two new queries: query i sees keys 0..2+i.
    assert causal_mask(2, 4).tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    with pytest.raises(ValueError):
        causal_mask(4, 2)
    assert combine_masks(None, None) is None
    m = combine_masks(causal_mask(3), torch.tensor([True, False, True]))
    assert m.tolist() == [[1, 0, 0], [1, 0, 0], [1, 0, 1]]


def copy_from_torch(ours: MultiHeadAttention, ref: nn.MultiheadAttention) -> None:
    with torch.no_grad():
        ours.in_proj.weight.copy_(ref.in_proj_weight)
        ours.in_proj.bias.copy_(ref.in_proj_bias)
        ours.out_proj.weight.copy_(ref.out_proj.weight)
        ours.out_proj.bias.copy_(ref.out_proj.bias)


@pytest.mark.parametrize("use_sdpa", [False, True])
@pytest.mark.parametrize("kind", ["self", "causal", "padding", "cross"])
def test_multihead_matches_torch(use_sdpa, kind):
    C, H, B, T, S = 16, 4, 2, 5, 7
    ref = nn.MultiheadAttention(C, H, batch_first=True)
    ours = MultiHeadAttention(C, H, use_sdpa=use_sdpa)
    copy_from_torch(ours, ref)
    x, mem = torch.randn(B, T, C), torch.randn(B, S, C)
    if kind == "self":
        expect, w_ref = ref(x, x, x)
        got, w = ours(x, need_weights=True)
    elif kind == "causal":
        # nn.MultiheadAttention's boolean mask means "blocked": the negation of ours.
        expect, w_ref = ref(x, x, x, attn_mask=~causal_mask(T))
        got, w = ours(x, is_causal=True, need_weights=True)
    elif kind == "padding":
        ids = torch.tensor([[4, 5, 6, 0, 0], [4, 5, 6, 7, 0]])
        expect, w_ref = ref(x, x, x, key_padding_mask=ids == 0)
        got, w = ours(x, mask=padding_mask(ids, 0), need_weights=True)
    else:
        expect, w_ref = ref(x, mem, mem)
        got, w = ours(x, mem, need_weights=True)
    assert torch.allclose(got, expect, atol=ATOL)
    assert torch.allclose(w.mean(1), w_ref, atol=ATOL)  # torch averages over heads
    fast, none = ours(x) if kind != "cross" else ours(x, mem)
    assert none is None and fast.shape == (B, T, C)


def test_sdpa_and_explicit_paths_agree_with_dropout_off():
    m = MultiHeadAttention(16, 4, dropout=0.5).eval()
    x = torch.randn(2, 6, 16)
    a, _ = m(x, is_causal=True)
    m.use_sdpa = False
    b, _ = m(x, is_causal=True)
    assert torch.allclose(a, b, atol=ATOL)


@pytest.mark.parametrize("use_sdpa", [False, True])
def test_kv_cache_matches_full_pass(use_sdpa):
    m = MultiHeadAttention(16, 4, use_sdpa=use_sdpa)
    x = torch.randn(2, 9, 16)
    full, _ = m(x, is_causal=True)
    cache = KVCache()
    parts = [m(x[:, :4], is_causal=True, cache=cache)[0]]  # a prompt of 4, then one at a time
    parts += [m(x[:, t : t + 1], is_causal=True, cache=cache)[0] for t in range(4, 9)]
    assert cache.length == 9
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=ATOL)
    # and a chunk of 3 new tokens after a cached prefix needs the offset causal mask
    cache = KVCache()
    a = m(x[:, :6], is_causal=True, cache=cache)[0]
    b = m(x[:, 6:], is_causal=True, cache=cache)[0]
    assert torch.allclose(torch.cat((a, b), dim=1), full, atol=ATOL)


def test_cross_attention_cache_reuses_memory():
    m = MultiHeadAttention(8, 2)
    x, mem = torch.randn(1, 3, 8), torch.randn(1, 5, 8)
    cache = KVCache()
    a, _ = m(x, mem, cache=cache)
    b, _ = m(x, torch.zeros_like(mem), cache=cache)  # memory ignored once cached
    assert cache.length == 5 and torch.equal(a, b)


@pytest.mark.parametrize("n_kv_heads", [1, 2, 4])
@pytest.mark.parametrize("use_sdpa", [False, True])
def test_grouped_query_attention_matches_torch(n_kv_heads, use_sdpa):
    # Against PyTorch's own grouped-query attention (enable_gqa), from the same projections.
    C, H, D = 32, 4, 8
    m = MultiHeadAttention(C, H, n_kv_heads=n_kv_heads, use_sdpa=use_sdpa)
    assert m.in_proj.weight.shape == (C + 2 * n_kv_heads * D, C)
    x = torch.randn(2, 7, C)
    y, _ = m(x, is_causal=True)
    q, k, v = m.in_proj(x).split([C, n_kv_heads * D, n_kv_heads * D], dim=-1)
    q, k, v = (t.view(2, 7, -1, D).transpose(1, 2) for t in (q, k, v))
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    ref = m.out_proj(ref.transpose(1, 2).reshape(2, 7, C))
    assert torch.allclose(y, ref, atol=ATOL)
    # the KV cache stores n_kv_heads heads only, and still matches the full pass
    cache = KVCache()
    steps = [m(x[:, t : t + 1], is_causal=True, cache=cache)[0] for t in range(7)]
    assert cache.k.shape == cache.v.shape == (2, n_kv_heads, 7, D)
    assert torch.allclose(torch.cat(steps, dim=1), y, atol=ATOL)


def test_grouped_query_cross_attention():
    m = MultiHeadAttention(16, 4, n_kv_heads=2)
    x, mem = torch.randn(1, 3, 16), torch.randn(1, 5, 16)
    y, w = m(x, mem, need_weights=True)
    assert y.shape == (1, 3, 16) and w.shape == (1, 4, 3, 5)
    # heads of one group share keys: with equal queries they would attend alike
    cache = KVCache()
    assert torch.allclose(m(x, mem, cache=cache)[0], y, atol=ATOL)
    assert cache.k.shape == (1, 2, 5, 4)


def test_bad_arguments():
    with pytest.raises(ValueError):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="n_kv_heads"):
        MultiHeadAttention(16, 4, n_kv_heads=3)
    m = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError):
        m(torch.randn(1, 2, 8), torch.randn(1, 3, 8), is_causal=True)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("block", [1, 7, 64, 1000])
def test_blockwise_attention_equals_sdpa(causal, block):
    g = torch.Generator().manual_seed(block)
    q, k, v = (torch.randn(2, 3, 50, 16, generator=g, dtype=torch.float64) for _ in range(3))
    ours = blockwise_attention(q, k, v, block_size=block, is_causal=causal)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    assert torch.allclose(ours, ref, atol=1e-12)


def test_blockwise_attention_cross_and_large_scores():
    g = torch.Generator().manual_seed(3)
    q = torch.randn(1, 5, 8, generator=g, dtype=torch.float64) * 30  # large scores: stability
    k = torch.randn(1, 23, 8, generator=g, dtype=torch.float64) * 30
    v = torch.randn(1, 23, 4, generator=g, dtype=torch.float64)
    ours = blockwise_attention(q, k, v, block_size=5)
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(8), -1)
    assert torch.isfinite(ours).all()
    assert torch.allclose(ours, w @ v, atol=1e-10)
    np.testing.assert_allclose(w.sum(-1).numpy(), 1.0)


def test_blockwise_attention_rejects_bad_input():
    q = torch.zeros(1, 4, 8)
    with pytest.raises(ValueError):
        blockwise_attention(q, q, q, block_size=0)
    with pytest.raises(ValueError):
        blockwise_attention(q, torch.zeros(1, 5, 8), torch.zeros(1, 5, 8), is_causal=True)
