"""Decoding: the filters against their definitions, the costs a decoder reports against a
teacher-forced pass of the model, beam search against exhaustive search."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from predcomp.decoding import beam_search, decode, filter_logits
from predcomp.transformer.gpt import GPT, GPTConfig


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def tiny(vocab: int = 11, block: int = 12) -> GPT:
    cfg = GPTConfig(vocab_size=vocab, block_size=block, n_layer=2, n_head=2, n_embd=16)
    m = GPT(cfg).eval()
    with torch.no_grad():  # sharper than at initialization, so that choices matter
        m.tok_emb.weight.mul_(20)
    return m


def kept(logits: torch.Tensor) -> set[int]:
    return set(torch.nonzero(torch.isfinite(logits)).flatten().tolist())


def test_filters_by_definition():
    probs = torch.tensor([0.05, 0.5, 0.15, 0.3])
    logits = probs.log()
    assert kept(filter_logits(logits, temperature=0)) == {1}
    assert kept(filter_logits(logits, top_k=2)) == {1, 3}
    assert kept(filter_logits(logits, top_k=10)) == {0, 1, 2, 3}
    # nucleus: the smallest set of most probable tokens holding at least p
    assert kept(filter_logits(logits, top_p=0.5)) == {1}
    assert kept(filter_logits(logits, top_p=0.79)) == {1, 3}
    assert kept(filter_logits(logits, top_p=0.81)) == {1, 2, 3}
    assert kept(filter_logits(logits, top_p=1.0)) == {0, 1, 2, 3}
    assert kept(filter_logits(logits, top_p=0.01)) == {1}  # never empty
    # temperature scales the kept logits; a batch is filtered row by row
    t = filter_logits(logits, temperature=0.5)
    assert torch.allclose(t, logits / 0.5)
    batch = torch.stack((logits, logits.flip(0)))
    out = filter_logits(batch, top_p=0.79)
    assert kept(out[0]) == {1, 3} and kept(out[1]) == {0, 2}


def test_top_p_against_brute_force():
    g = torch.Generator().manual_seed(3)
    for _ in range(50):
        logits = torch.randn(7, generator=g) * 2
        p = float(torch.rand(1, generator=g))
        probs = logits.softmax(-1)
        order = probs.argsort(descending=True).tolist()
        # the shortest prefix of the sorted tokens whose mass reaches p
        n = next(i for i in range(1, 8) if probs[order[:i]].sum() >= p - 1e-7)
        assert kept(filter_logits(logits, top_p=p)) == set(order[:n])


def test_filters_reject_bad_arguments():
    x = torch.zeros(3)
    for kw in ({"temperature": -1.0}, {"top_k": 0}, {"top_p": 0.0}, {"top_p": 1.5}):
        with pytest.raises(ValueError):
            filter_logits(x, **kw)


def teacher_forced(m: GPT, tokens: torch.Tensor, t0: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Bits and entropy (bits) of tokens[:, t0:] from one full pass of the model."""
    logp = m(tokens[:, :-1])[0].log_softmax(-1)
    nll = -logp.gather(-1, tokens[:, 1:, None])[..., 0] / math.log(2)
    ent = -(logp.exp() * logp).sum(-1) / math.log(2)
    return nll[:, t0 - 1 :], ent[:, t0 - 1 :]


@torch.no_grad()
def test_decode_reports_the_models_costs():
    m = tiny()
    idx = torch.randint(0, 11, (3, 4))
    g = torch.Generator().manual_seed(1)
    out = decode(m, idx, 8, generator=g)  # 4 + 8 = block_size: one window, cached
    assert out.tokens.shape == (3, 12) and torch.equal(out.tokens[:, :4], idx)
    bits, ent = teacher_forced(m, out.tokens, 4)
    assert torch.allclose(out.bits, bits, atol=1e-4)
    assert torch.allclose(out.entropy, ent, atol=1e-4)  # temperature 1: the model's own
    # greedy: zero entropy, and each token is the most probable one
    greedy = decode(m, idx, 8, temperature=0)
    bits, _ = teacher_forced(m, greedy.tokens, 4)
    assert torch.allclose(greedy.bits, bits, atol=1e-4) and (greedy.entropy == 0).all()
    top = m(greedy.tokens[:, :-1])[0].argmax(-1)[:, 3:]
    assert torch.equal(top, greedy.tokens[:, 4:])
    # truncation lowers the entropy of what is sampled
    trunc = decode(m, idx, 8, top_k=2, generator=torch.Generator().manual_seed(1))
    assert (trunc.entropy <= 1.0 + 1e-6).all()  # at most 2 tokens: at most 1 bit


@torch.no_grad()
def test_decode_slides_past_the_window_and_is_reproducible():
    m = tiny()
    idx = torch.randint(0, 11, (2, 3))
    a = decode(m, idx, 20, top_p=0.9, generator=torch.Generator().manual_seed(5))
    b = decode(m, idx, 20, top_p=0.9, generator=torch.Generator().manual_seed(5))
    assert a.tokens.shape == (2, 23) and torch.equal(a.tokens, b.tokens)
    assert a.bits.shape == a.entropy.shape == (2, 20)
    # the last token's cost is that of a full window of 12 tokens before it
    window = a.tokens[:, -13:]
    bits, _ = teacher_forced(m, window, 12)
    assert torch.allclose(a.bits[:, -1:], bits, atol=1e-4)
    assert torch.equal(
        m.generate(idx, 20, top_p=0.9, generator=torch.Generator().manual_seed(5)), a.tokens
    )
    assert decode(m, idx, 0).bits.shape == (2, 0)


@torch.no_grad()
def test_beam_search_is_exact_with_a_wide_beam():
    m = tiny(vocab=3, block=8)
    idx = torch.tensor([[0, 2]])
    # exhaustive search over the 27 continuations of 3 tokens
    best_score, best_seq = -math.inf, None
    for cont in itertools.product(range(3), repeat=3):
        seq = torch.cat((idx, torch.tensor([cont])), dim=1)
        score = -teacher_forced(m, seq, 2)[0].sum().item()
        if score > best_score:
            best_score, best_seq = score, seq
    out = beam_search(m, idx, 3, beam_width=9)  # 9 = 3^2 beams: nothing is ever pruned
    assert torch.equal(out.tokens, best_seq)
    assert -out.bits.sum().item() == pytest.approx(best_score, abs=1e-4)
    # width 1 is greedy decoding
    assert torch.equal(beam_search(m, idx, 5, 1).tokens, decode(m, idx, 5, temperature=0).tokens)
    with pytest.raises(ValueError):
        beam_search(m, torch.zeros(2, 2, dtype=torch.long), 3, 2)
    with pytest.raises(ValueError):
        beam_search(m, idx, 3, 0)
