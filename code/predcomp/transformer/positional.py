"""Positional information: sinusoidal, learned and rotary (RoPE) encodings.

Self-attention is permutation-equivariant: shuffle the input tokens and the outputs shuffle
the same way. Word order reaches the model only through one of these modules.

* :class:`SinusoidalPositionalEncoding` adds the fixed table of Vaswani et al. (2017),
  ``PE[t, 2i] = sin(t / base^(2i/d))`` and ``PE[t, 2i+1] = cos(t / base^(2i/d))``.
* :class:`LearnedPositionalEmbedding` adds a trained vector per position (GPT-2).
* :class:`RotaryEmbedding` rotates queries and keys instead of adding anything (Su et al.,
  RoFormer): the score between positions ``m`` and ``n`` then depends only on ``m - n``.

Shapes: ``B`` batch, ``T`` time, ``C`` model width, ``H`` heads, ``D`` head width.
"""

from __future__ import annotations

import torch
from torch import nn


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The table ``PE`` of shape ``(max_len, d_model)``: sines in even, cosines in odd columns."""
    if d_model % 2 != 0:
        raise ValueError(f"d_model must be even for a sinusoidal encoding, got {d_model}")
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (T, 1)
    inv_freq = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (C/2,)
    angle = position * inv_freq  # (T, C/2)
    pe = torch.empty(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.to(torch.get_default_dtype())


class SinusoidalPositionalEncoding(nn.Module):
    """Add the fixed sinusoidal table: ``x + PE[offset : offset + T]``."""

    def __init__(self, d_model: int, max_len: int = 5000, base: float = 10000.0) -> None:
        super().__init__()
        self.max_len = max_len
        # A buffer, not a parameter: it moves with .to(device) but is never trained.
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model, base), persistent=False)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        T = x.size(1)  # x: (B, T, C)
        if offset + T > self.max_len:
            raise ValueError(f"sequence of length {offset + T} exceeds max_len={self.max_len}")
        return x + self.pe[offset : offset + T]


class LearnedPositionalEmbedding(nn.Module):
    """Add a trained vector per position: ``x + P[offset : offset + T]``."""

    def __init__(self, d_model: int, max_len: int) -> None:
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.zeros(max_len, d_model))
        nn.init.normal_(self.weight, mean=0.0, std=0.02)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        T = x.size(1)  # x: (B, T, C)
        if offset + T > self.max_len:
            raise ValueError(f"sequence of length {offset + T} exceeds max_len={self.max_len}")
        return x + self.weight[offset : offset + T]


def rotary_angles(
    max_len: int, head_dim: int, base: float = 10000.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosines and sines of the RoPE angles ``t * base^(-2i/D)``, each of shape ``(T, D/2)``."""
    if head_dim % 2 != 0:
        raise ValueError(f"head_dim must be even for rotary embeddings, got {head_dim}")
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angle = torch.arange(max_len, dtype=torch.float64).unsqueeze(1) * inv_freq  # (T, D/2)
    dtype = torch.get_default_dtype()
    return torch.cos(angle).to(dtype), torch.sin(angle).to(dtype)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate each consecutive pair ``(x[2i], x[2i+1])`` by its angle; ``x`` is ``(..., T, D)``.

    ``cos`` and ``sin`` are ``(T, D/2)``; pair ``i`` at position ``t`` turns by ``t * theta_i``,
    exactly the block-diagonal rotation matrix of Su et al.
    """
    x1, x2 = x[..., 0::2], x[..., 1::2]  # (..., T, D/2) each
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)  # (..., T, D/2, 2)
    return out.flatten(-2)  # (..., T, D)


class RotaryEmbedding(nn.Module):
    """Rotary position embedding: rotate queries and keys by position-dependent angles."""

    def __init__(self, head_dim: int, max_len: int = 4096, base: float = 10000.0) -> None:
        super().__init__()
        self.max_len = max_len
        cos, sin = rotary_angles(max_len, head_dim, base)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, offset: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotate ``q`` and ``k``, both ``(B, H, T, D)``, sitting at positions ``offset ..``."""
        T = q.size(-2)
        if offset + T > self.max_len:
            raise ValueError(f"sequence of length {offset + T} exceeds max_len={self.max_len}")
        cos, sin = self.cos[offset : offset + T], self.sin[offset : offset + T]
        return apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
