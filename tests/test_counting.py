"""Closed-form parameter and FLOP counts against the real modules."""

from __future__ import annotations

import pytest
import torch
from predcomp.transformer.attention import MultiHeadAttention
from predcomp.transformer.counting import (
    attention_params,
    decoder_layer_params,
    encoder_decoder_params,
    encoder_layer_params,
    feedforward_params,
    gpt_forward_flops_per_token,
    gpt_params,
    gpt_train_flops_per_token,
    kaplan_forward_flops_per_token,
    kv_cache_bytes_per_token,
    layernorm_params,
)
from predcomp.transformer.encoder_decoder import EncoderDecoder, Seq2SeqConfig
from predcomp.transformer.gpt import GPT, GPTConfig
from predcomp.transformer.layers import DecoderLayer, EncoderLayer, FeedForward
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("bias", [True, False])
def test_module_counts(bias):
    C, F = 24, 56
    assert n_params(MultiHeadAttention(C, 4, bias=bias)) == attention_params(C, bias)
    assert n_params(FeedForward(C, F, bias=bias)) == feedforward_params(C, F, bias)
    assert n_params(nn.LayerNorm(C, bias=bias)) == layernorm_params(C, bias)
    assert n_params(EncoderLayer(C, 4, F, bias=bias)) == encoder_layer_params(C, F, bias)
    assert n_params(DecoderLayer(C, 4, F, bias=bias)) == decoder_layer_params(C, F, bias)
    # the same numbers for PyTorch's own layers
    if bias:
        ref = torch.nn.TransformerEncoderLayer(C, 4, F, batch_first=True)
        assert n_params(ref) == encoder_layer_params(C, F)
        ref = torch.nn.TransformerDecoderLayer(C, 4, F, batch_first=True)
        assert n_params(ref) == decoder_layer_params(C, F)


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "rotary"])
@pytest.mark.parametrize("bias", [True, False])
def test_gpt_params(position, bias):
    c = GPTConfig(
        vocab_size=37, block_size=20, n_layer=3, n_head=2, n_embd=32, bias=bias, position=position
    )
    m = GPT(c)
    assert m.num_params() == gpt_params(c)
    C, L = 32, 3
    # the closed form of the chapter, with biases: 12 L C^2 + 13 L C + 2C + V C (+ T C)
    if bias:
        expect = (
            12 * L * C**2 + 13 * L * C + 2 * C + 37 * C + (20 * C if position == "learned" else 0)
        )
        assert gpt_params(c) == expect
    # one flag, one count: Kaplan et al.'s N, without the token and position tables
    n = gpt_params(c, non_embedding=True)
    assert m.num_params(non_embedding=True) == n
    assert n == m.num_params() - 37 * C - (20 * C if position == "learned" else 0)


def test_default_gpt_size():
    c = GPTConfig()
    assert GPT(c).num_params() == gpt_params(c)


@pytest.mark.parametrize("norm_first", [True, False])
def test_encoder_decoder_params(norm_first):
    c = Seq2SeqConfig(
        src_vocab_size=13, tgt_vocab_size=9, d_model=32, d_ff=48, n_layers=2, norm_first=norm_first
    )
    assert n_params(EncoderDecoder(c)) == encoder_decoder_params(13, 9, 32, 48, 2, norm_first)


def test_flops_against_torch_counter():
    torch.set_num_threads(1)
    c = GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=4, n_embd=32, use_sdpa=False)
    m = GPT(c)
    B, T = 3, 16
    idx = torch.randint(0, 11, (B, T))
    with FlopCounterMode(display=False) as counter:
        m(idx)
    assert counter.get_total_flops() == B * T * gpt_forward_flops_per_token(c)
    with FlopCounterMode(display=False) as counter:
        m(idx, idx)[1].backward()
    assert counter.get_total_flops() == B * T * gpt_train_flops_per_token(c)
    # a shorter context costs less attention
    with FlopCounterMode(display=False) as counter:
        m(idx[:, :8])
    assert counter.get_total_flops() == B * 8 * gpt_forward_flops_per_token(c, context=8)


@pytest.mark.parametrize("n_kv_head", [None, 1, 2])
def test_grouped_query_counts_and_cache_bytes(n_kv_head):
    c = GPTConfig(
        vocab_size=11,
        block_size=16,
        n_layer=2,
        n_head=4,
        n_embd=32,
        use_sdpa=False,
        n_kv_head=n_kv_head,
    )
    m = GPT(c)
    assert m.num_params() == gpt_params(c)
    idx = torch.randint(0, 11, (1, 16))
    with FlopCounterMode(display=False) as counter:
        m(idx)
    assert counter.get_total_flops() == 16 * gpt_forward_flops_per_token(c)
    # the cache of a full window holds kv_cache_bytes_per_token per token, measured
    cache = m.new_cache()
    m(idx, cache=cache)
    nbytes = sum(t.nbytes for layer in cache for t in (layer.k, layer.v))
    assert nbytes == 16 * kv_cache_bytes_per_token(c)
    assert kv_cache_bytes_per_token(c, bytes_per_value=2) * 2 == kv_cache_bytes_per_token(c)
    kv_heads = 4 if n_kv_head is None else n_kv_head
    assert kv_cache_bytes_per_token(c) == 2 * 2 * kv_heads * 8 * 4  # 2 L H_kv D bytes


def test_kaplan_estimate_is_close_for_wide_models():
    c = GPTConfig(vocab_size=65, block_size=64, n_layer=12, n_embd=768, n_head=12)
    exact = gpt_forward_flops_per_token(c)
    kaplan = kaplan_forward_flops_per_token(c)
    # Kaplan et al. leave out the head, count attention once: within 5% here
    assert abs(exact - kaplan) / exact < 0.05
    assert kaplan == 2 * 12 * 12 * 768**2 + 2 * 12 * 64 * 768
