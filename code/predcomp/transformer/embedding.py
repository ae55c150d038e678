"""Token embeddings: a lookup table from token ids to vectors.

An embedding is a matrix ``E`` of shape ``(vocab_size, d_model)``; token ``i`` becomes row
``E[i]``, which is the same as multiplying the one-hot vector of ``i`` by ``E``. Vaswani et al.
(2017) multiply the rows by ``sqrt(d_model)`` so that they are not drowned by the positional
encoding added next; GPT-2 does not scale (its embeddings start small and learned positions are
of the same size). Both are available here; the package's GPT scales only when it adds the fixed
sinusoidal table.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class TokenEmbedding(nn.Module):
    """Look up ``E[idx]`` (optionally times ``sqrt(d_model)``): ``(B, T) -> (B, T, C)``."""

    def __init__(self, vocab_size: int, d_model: int, scale: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab_size, d_model))
        nn.init.normal_(self.weight, mean=0.0, std=0.02)
        self.scale = math.sqrt(d_model) if scale else 1.0

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        if idx.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"token ids must be an integer tensor, got {idx.dtype}")
        x = nn.functional.embedding(idx, self.weight)  # (B, T, C)
        return x * self.scale if self.scale != 1.0 else x
