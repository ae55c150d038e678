"""The GPT: shapes, causality, KV cache, weight tying, initialization, sampling."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from predcomp.transformer.gpt import GPT, GPTConfig

ATOL = 1e-5


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def tiny(**kw) -> GPT:
    base = dict(vocab_size=11, block_size=12, n_layer=2, n_head=2, n_embd=16)
    return GPT(GPTConfig(**(base | kw))).eval()


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "rotary"])
def test_logits_at_every_position_and_loss(position):
    m = tiny(position=position)
    idx = torch.randint(0, 11, (3, 12))
    tgt = torch.randint(0, 11, (3, 12))
    logits, loss = m(idx, tgt)
    assert logits.shape == (3, 12, 11)
    expect = F.cross_entropy(logits.reshape(-1, 11), tgt.reshape(-1))
    assert loss.item() == pytest.approx(expect.item(), rel=1e-6)
    assert m(idx)[1] is None
    # at initialization the predictions are nearly uniform: loss close to ln V
    assert abs(loss.item() - math.log(11)) < 0.1


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "rotary"])
@pytest.mark.parametrize("use_sdpa", [False, True])
def test_causal_mask_does_not_leak(position, use_sdpa):
    m = tiny(position=position, use_sdpa=use_sdpa)
    idx = torch.randint(0, 11, (2, 12))
    base, _ = m(idx)
    for t in range(12):
        changed = idx.clone()
        changed[:, t] = (changed[:, t] + 1) % 11
        logits, _ = m(changed)
        # positions before t are untouched (bit for bit); position t itself changes
        assert torch.equal(logits[:, :t], base[:, :t])
        assert not torch.allclose(logits[:, t], base[:, t])


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "rotary"])
def test_kv_cache_matches_full_forward(position):
    m = tiny(position=position)
    idx = torch.randint(0, 11, (2, 12))
    full, _ = m(idx)
    cache = m.new_cache()
    first, _ = m(idx[:, :5], cache=cache)  # a prompt, then one token at a time
    steps = [m(idx[:, t : t + 1], cache=cache)[0] for t in range(5, 12)]
    assert torch.allclose(torch.cat([first, *steps], dim=1), full, atol=ATOL)
    with pytest.raises(ValueError):
        m(idx[:, :1], cache=cache)  # the cache is full: block_size reached


@pytest.mark.parametrize("n_kv_head", [1, 2])
def test_grouped_query_gpt_cache(n_kv_head):
    m = tiny(n_kv_head=n_kv_head, position="rotary")
    idx = torch.randint(0, 11, (2, 12))
    full, _ = m(idx)
    cache = m.new_cache()
    steps = [m(idx[:, t : t + 1], cache=cache)[0] for t in range(12)]
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=ATOL)
    D = 16 // 2
    assert all(c.k.shape == (2, n_kv_head, 12, D) for c in cache)
    with pytest.raises(ValueError, match="n_kv_head"):
        GPTConfig(n_head=4, n_kv_head=3)


def test_sinusoidal_positions_do_not_drown_the_tokens():
    # The fixed table has unit amplitude; the embeddings are scaled by sqrt(C) (Vaswani et
    # al.), learned positions start as small as the embeddings and need no scaling.
    m = tiny(position="sinusoidal", n_embd=64)
    assert m.tok_emb.scale == pytest.approx(math.sqrt(64))
    idx = torch.arange(11)[None]
    tokens = m.tok_emb(idx).pow(2).mean().sqrt()
    positions = m.pos_emb.pe[:11].pow(2).mean().sqrt()
    assert tokens > 0.1 * positions
    assert tiny(position="learned").tok_emb.scale == 1.0


def test_explicit_and_sdpa_paths_agree():
    a, b = tiny(use_sdpa=True), tiny(use_sdpa=False)
    b.load_state_dict(a.state_dict())
    idx = torch.randint(0, 11, (2, 12))
    assert torch.allclose(a(idx)[0], b(idx)[0], atol=ATOL)


def test_weight_tying_and_init():
    m = GPT(GPTConfig(vocab_size=50, n_layer=3, n_embd=64, n_head=4, block_size=16))
    assert m.lm_head.weight is m.tok_emb.weight
    names = [n for n, _ in m.named_parameters()]
    assert "lm_head.weight" not in names  # counted once
    std_res = m.blocks[0].ff.linear2.weight.std().item()
    assert std_res == pytest.approx(0.02 / math.sqrt(6), rel=0.1)
    assert m.blocks[0].ff.linear1.weight.std().item() == pytest.approx(0.02, rel=0.1)
    assert (m.blocks[0].norm1.weight == 1).all() and (m.blocks[0].self_attn.in_proj.bias == 0).all()
    # a gradient step on the head moves the embedding too
    idx = torch.randint(0, 50, (1, 8))
    m(idx, idx)[1].backward()
    assert m.tok_emb.weight.grad is not None


def test_generate_shapes_and_determinism():
    m = tiny()
    idx = torch.randint(0, 11, (2, 3))
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = m.generate(idx, 20, temperature=0.9, top_k=4, generator=g1)  # beyond block_size
    b = m.generate(idx, 20, temperature=0.9, top_k=4, generator=g2)
    assert a.shape == (2, 23) and torch.equal(a, b) and torch.equal(a[:, :3], idx)
    greedy = m.generate(idx, 5, temperature=0)
    # greedy decoding picks the argmax of the full forward pass at every step
    for t in range(3, 8):
        assert torch.equal(greedy[:, t], m(greedy[:, :t])[0][:, -1].argmax(-1))
    with pytest.raises(ValueError):
        m.generate(idx, 1, temperature=-1)


def test_top_k_one_is_greedy():
    m = tiny()
    idx = torch.randint(0, 11, (1, 4))
    g = torch.Generator().manual_seed(0)
    assert torch.equal(m.generate(idx, 6, top_k=1, generator=g), m.generate(idx, 6, temperature=0))


def test_attention_maps():
    m = tiny()
    idx = torch.randint(0, 11, (1, 7))
    maps = m.attention_maps(idx)
    assert len(maps) == 2 and maps[0].shape == (1, 2, 7, 7)
    assert torch.allclose(maps[1].sum(-1), torch.ones(1, 2, 7), atol=1e-6)
    assert (maps[0][0, :, 2, 3:] == 0).all()
    # The first layer's map is the softmax of its own queries and keys, recomputed by hand:
    # embeddings plus positions, LayerNorm, the Q and K rows of in_proj, the causal mask.
    block = m.blocks[0]
    with torch.no_grad():
        h = block.norm1(m.tok_emb(idx) + m.pos_emb.weight[:7])  # (1, 7, 16)
        q, k, _ = block.self_attn.in_proj(h).split(16, dim=-1)
        q, k = (t.view(1, 7, 2, 8).transpose(1, 2) for t in (q, k))  # (1, H, T, D)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(8)
        causal = torch.ones(7, 7, dtype=torch.bool).tril()
        expect = scores.masked_fill(~causal, float("-inf")).softmax(-1)
    assert torch.allclose(maps[0], expect, atol=1e-6)


def test_bad_config():
    with pytest.raises(ValueError):
        GPTConfig(position="alibi")
    with pytest.raises(ValueError):
        GPTConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError):
        tiny()(torch.zeros(1, 13, dtype=torch.long))
