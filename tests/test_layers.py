"""Layers against PyTorch: encoder/decoder layers and stacks, both norm placements.

Weights are copied from ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer``
(dropout 0); outputs must agree to ``atol=1e-5`` in float32.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from predcomp.transformer.attention import MultiHeadAttention, causal_mask, padding_mask
from predcomp.transformer.layers import (
    Decoder,
    DecoderLayer,
    Encoder,
    EncoderLayer,
    FeedForward,
    residual,
)
from torch import nn

ATOL = 1e-5
C, H, FF = 16, 4, 40


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def copy_attn(ours: MultiHeadAttention, ref: nn.MultiheadAttention) -> None:
    ours.in_proj.weight.copy_(ref.in_proj_weight)
    ours.in_proj.bias.copy_(ref.in_proj_bias)
    ours.out_proj.weight.copy_(ref.out_proj.weight)
    ours.out_proj.bias.copy_(ref.out_proj.bias)


def copy_linear(ours: nn.Module, ref: nn.Module) -> None:
    ours.weight.copy_(ref.weight)
    ours.bias.copy_(ref.bias)


@torch.no_grad()
def copy_encoder_layer(ours: EncoderLayer, ref: nn.TransformerEncoderLayer) -> None:
    copy_attn(ours.self_attn, ref.self_attn)
    copy_linear(ours.ff.linear1, ref.linear1)
    copy_linear(ours.ff.linear2, ref.linear2)
    copy_linear(ours.norm1, ref.norm1)
    copy_linear(ours.norm2, ref.norm2)


@torch.no_grad()
def copy_decoder_layer(ours: DecoderLayer, ref: nn.TransformerDecoderLayer) -> None:
    copy_attn(ours.self_attn, ref.self_attn)
    copy_attn(ours.cross_attn, ref.multihead_attn)
    copy_linear(ours.ff.linear1, ref.linear1)
    copy_linear(ours.ff.linear2, ref.linear2)
    for i in (1, 2, 3):
        copy_linear(getattr(ours, f"norm{i}"), getattr(ref, f"norm{i}"))


@pytest.mark.parametrize("bias", [True, False])
def test_layernorm_of_the_layers_is_the_formula(bias):
    # The layers use nn.LayerNorm; check that it computes the equation the book states
    # (biased variance, eps inside the root) and that bias=False drops beta.
    layer = EncoderLayer(6, 2, 12, bias=bias)
    ln = layer.norm1
    assert isinstance(ln, nn.LayerNorm) and (ln.bias is None) != bias
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        if bias:
            ln.bias.uniform_(-1, 1)
    x = torch.randn(3, 4, 6) * 5 + 2
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)  # the biased (population) variance
    expect = (x - mean) / torch.sqrt(var + 1e-5) * ln.weight + (ln.bias if bias else 0.0)
    assert torch.allclose(ln(x), expect, atol=1e-5)


def test_residual_branch_both_placements():
    norm, drop = nn.LayerNorm(C), nn.Identity()
    f = nn.Linear(C, C)
    x = torch.randn(2, 3, C)
    assert torch.allclose(residual(x, f, norm, drop, norm_first=True), x + f(norm(x)))
    assert torch.allclose(residual(x, f, norm, drop, norm_first=False), norm(x + f(x)))


def test_feedforward_formula():
    ff = FeedForward(C, FF, activation="relu")
    x = torch.randn(2, 3, C)
    W1, b1, W2, b2 = ff.linear1.weight, ff.linear1.bias, ff.linear2.weight, ff.linear2.bias
    assert torch.allclose(ff(x), F.relu(x @ W1.T + b1) @ W2.T + b2, atol=1e-6)
    # position-wise: each position is transformed alone
    assert torch.allclose(ff(x)[:, 1], ff(x[:, 1:2])[:, 0], atol=1e-6)
    with pytest.raises(ValueError):
        FeedForward(C, FF, activation="swish")


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("use_sdpa", [False, True])
def test_encoder_layer_matches_torch(norm_first, activation, use_sdpa):
    ref = nn.TransformerEncoderLayer(
        C, H, FF, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first
    )
    ours = EncoderLayer(C, H, FF, activation=activation, norm_first=norm_first, use_sdpa=use_sdpa)
    copy_encoder_layer(ours, ref)
    x = torch.randn(2, 6, C)
    assert torch.allclose(ours(x), ref(x), atol=ATOL)
    causal = ours(x, is_causal=True)
    assert torch.allclose(causal, ref(x, src_mask=~causal_mask(6), is_causal=True), atol=ATOL)
    ids = torch.tensor([[3, 4, 5, 0, 0, 0], [3, 4, 5, 6, 7, 0]])
    got = ours(x, mask=padding_mask(ids, 0))
    expect = ref(x, src_key_padding_mask=ids == 0)
    real = ids != 0  # PyTorch may return anything at padded positions (nested tensors)
    assert torch.allclose(got[real], expect[real], atol=ATOL)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("use_sdpa", [False, True])
def test_decoder_layer_matches_torch(norm_first, use_sdpa):
    ref = nn.TransformerDecoderLayer(
        C, H, FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=norm_first
    )
    ours = DecoderLayer(C, H, FF, activation="gelu", norm_first=norm_first, use_sdpa=use_sdpa)
    copy_decoder_layer(ours, ref)
    x, mem = torch.randn(2, 5, C), torch.randn(2, 7, C)
    expect = ref(x, mem, tgt_mask=~causal_mask(5), tgt_is_causal=True)
    assert torch.allclose(ours(x, mem), expect, atol=ATOL)
    src = torch.tensor([[3, 4, 5, 6, 0, 0, 0], [3, 4, 5, 6, 7, 8, 9]])
    expect = ref(x, mem, tgt_mask=~causal_mask(5), memory_key_padding_mask=src == 0)
    assert torch.allclose(ours(x, mem, memory_mask=padding_mask(src, 0)), expect, atol=ATOL)


@pytest.mark.parametrize("norm_first", [False, True])
def test_stacks_match_torch(norm_first):
    kw = dict(dropout=0.0, activation="relu", batch_first=True, norm_first=norm_first)
    ref_enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(C, H, FF, **kw),
        num_layers=2,
        norm=nn.LayerNorm(C) if norm_first else None,
        enable_nested_tensor=False,
    )
    ref_dec = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(C, H, FF, **kw),
        num_layers=2,
        norm=nn.LayerNorm(C) if norm_first else None,
    )
    lkw = dict(n_heads=H, d_ff=FF, activation="relu")
    enc = Encoder(2, C, norm_first, **lkw)
    dec = Decoder(2, C, norm_first, **lkw)
    with torch.no_grad():
        for o, r in zip(enc.layers, ref_enc.layers, strict=True):
            copy_encoder_layer(o, r)
        for o, r in zip(dec.layers, ref_dec.layers, strict=True):
            copy_decoder_layer(o, r)
        if norm_first:
            copy_linear(enc.norm, ref_enc.norm)
            copy_linear(dec.norm, ref_dec.norm)
    src, tgt = torch.randn(2, 7, C), torch.randn(2, 5, C)
    mem = enc(src)
    assert torch.allclose(mem, ref_enc(src), atol=ATOL)
    expect = ref_dec(tgt, mem, tgt_mask=~causal_mask(5), tgt_is_causal=True)
    assert torch.allclose(dec(tgt, mem), expect, atol=ATOL)


def test_pre_norm_keeps_an_identity_path():
    # With zeroed output projections every sublayer adds 0: a pre-norm layer is the identity,
    # a post-norm layer is not (it still normalizes).
    pre, post = EncoderLayer(C, H, FF, norm_first=True), EncoderLayer(C, H, FF, norm_first=False)
    with torch.no_grad():
        for layer in (pre, post):
            for lin in (layer.self_attn.out_proj, layer.ff.linear2):
                lin.weight.zero_()
                lin.bias.zero_()
    x = torch.randn(2, 4, C) * 3 + 1
    assert torch.allclose(pre(x), x)
    assert not torch.allclose(post(x), x, atol=1e-2)


def test_attention_weights_are_recorded():
    layer = EncoderLayer(C, H, FF)
    layer(torch.randn(1, 4, C), is_causal=True, need_weights=True)
    w = layer.attn_weights
    assert w.shape == (1, H, 4, 4)
    assert torch.allclose(w.sum(-1), torch.ones(1, H, 4), atol=1e-6)
    assert (w[0, :, 0, 1:] == 0).all()
