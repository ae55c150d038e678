"""Token embedding: a lookup equals a one-hot vector times the table."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from predcomp.transformer.embedding import TokenEmbedding


def test_lookup_is_one_hot_times_table():
    torch.manual_seed(0)
    emb = TokenEmbedding(7, 5)
    idx = torch.tensor([[0, 3, 6], [2, 2, 1]])
    one_hot = F.one_hot(idx, 7).float()
    assert torch.allclose(emb(idx), one_hot @ emb.weight)
    assert emb(idx).shape == (2, 3, 5)


def test_scaled_embedding_and_init():
    torch.manual_seed(0)
    emb = TokenEmbedding(1000, 64, scale=True)
    idx = torch.tensor([[1, 2]])
    assert torch.allclose(emb(idx), emb.weight[[1, 2]].unsqueeze(0) * math.sqrt(64))
    assert emb.weight.std().item() == pytest.approx(0.02, rel=0.05)


def test_gradient_reaches_only_used_rows():
    emb = TokenEmbedding(6, 3)
    emb(torch.tensor([[1, 4, 4]])).sum().backward()
    used = emb.weight.grad.abs().sum(dim=1) > 0
    assert used.tolist() == [False, True, False, False, True, False]
    assert torch.allclose(emb.weight.grad[4], torch.full((3,), 2.0))


def test_rejects_float_ids():
    with pytest.raises(ValueError):
        TokenEmbedding(4, 2)(torch.tensor([[0.0, 1.0]]))
