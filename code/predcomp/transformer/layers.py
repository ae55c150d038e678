"""The blocks around attention: feed-forward, residual + LayerNorm, encoder and decoder layers.

A Transformer layer is two (encoder) or three (decoder) *sublayers*, each wrapped in a
residual connection and a layer normalization. Where the normalization sits matters:

* **post-norm** (Vaswani et al., 2017): ``x = LayerNorm(x + Sublayer(x))``;
* **pre-norm** (GPT-2; analysed by Xiong et al., 2020): ``x = x + Sublayer(LayerNorm(x))``,
  which keeps an un-normalized residual path from input to output and trains stably without
  a learning-rate warm-up; a pre-norm stack ends with one final LayerNorm.

The classes mirror ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` (same
sublayer order, same dropout placement, ``norm_first`` selects pre-norm), so weights copied
from those modules give the same outputs; the tests check this.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from predcomp.transformer.attention import KVCache, MultiHeadAttention
from predcomp.transformer.positional import RotaryEmbedding

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "gelu": F.gelu,
}


class LayerNorm(nn.Module):
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` over the last dimension (optional beta)."""

    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class FeedForward(nn.Module):
    """Position-wise ``FFN(x) = W_2 act(W_1 x + b_1) + b_2``, applied to each position alone."""

    def __init__(
        self,
        d_model: int,
        d_ff: int,
        dropout: float = 0.0,
        activation: str = "gelu",
        bias: bool = True,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.linear1 = nn.Linear(d_model, d_ff, bias=bias)  # (C -> 4C typically)
        self.linear2 = nn.Linear(d_ff, d_model, bias=bias)
        self.activation = ACTIVATIONS[activation]
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))  # (B, T, C)


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each with a residual connection and a LayerNorm.

    With ``is_causal=True`` and ``norm_first=True`` this is exactly a GPT block.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        activation: str = "gelu",
        norm_first: bool = True,
        bias: bool = True,
        use_sdpa: bool = True,
        rotary: RotaryEmbedding | None = None,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout, bias, use_sdpa, rotary)
        self.ff = FeedForward(d_model, d_ff, dropout, activation, bias)
        self.norm1 = LayerNorm(d_model, eps, bias)
        self.norm2 = LayerNorm(d_model, eps, bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.attn_weights: torch.Tensor | None = None  # filled when need_weights=True

    def _sa(self, x: torch.Tensor, mask, is_causal, cache, need_weights) -> torch.Tensor:
        y, self.attn_weights = self.self_attn(
            x, mask=mask, is_causal=is_causal, cache=cache, need_weights=need_weights
        )
        return self.dropout1(y)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        """``x`` (B, T, C) -> (B, T, C); ``mask`` as in :class:`MultiHeadAttention`."""
        if self.norm_first:
            x = x + self._sa(self.norm1(x), mask, is_causal, cache, need_weights)
            x = x + self.dropout2(self.ff(self.norm2(x)))
        else:
            x = self.norm1(x + self._sa(x, mask, is_causal, cache, need_weights))
            x = self.norm2(x + self.dropout2(self.ff(x)))
        return x


class DecoderLayer(nn.Module):
    """Causal self-attention, cross-attention to the encoder output, then feed-forward."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        activation: str = "gelu",
        norm_first: bool = True,
        bias: bool = True,
        use_sdpa: bool = True,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout, bias, use_sdpa)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout, bias, use_sdpa)
        self.ff = FeedForward(d_model, d_ff, dropout, activation, bias)
        self.norm1 = LayerNorm(d_model, eps, bias)
        self.norm2 = LayerNorm(d_model, eps, bias)
        self.norm3 = LayerNorm(d_model, eps, bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.attn_weights: torch.Tensor | None = None  # self-attention, when need_weights
        self.cross_weights: torch.Tensor | None = None  # cross-attention, when need_weights

    def _sa(self, x, mask, is_causal, cache, need_weights) -> torch.Tensor:
        y, self.attn_weights = self.self_attn(
            x, mask=mask, is_causal=is_causal, cache=cache, need_weights=need_weights
        )
        return self.dropout1(y)

    def _ca(self, x, memory, memory_mask, cache, need_weights) -> torch.Tensor:
        y, self.cross_weights = self.cross_attn(
            x, memory, mask=memory_mask, cache=cache, need_weights=need_weights
        )
        return self.dropout2(y)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
        is_causal: bool = True,
        cache: tuple[KVCache, KVCache] | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        """``x`` (B, T, C) attends to itself (causally) and to ``memory`` (B, S, C)."""
        self_cache, cross_cache = cache if cache is not None else (None, None)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), mask, is_causal, self_cache, need_weights)
            x = x + self._ca(self.norm2(x), memory, memory_mask, cross_cache, need_weights)
            x = x + self.dropout3(self.ff(self.norm3(x)))
        else:
            x = self.norm1(x + self._sa(x, mask, is_causal, self_cache, need_weights))
            x = self.norm2(x + self._ca(x, memory, memory_mask, cross_cache, need_weights))
            x = self.norm3(x + self.dropout3(self.ff(x)))
        return x


class Encoder(nn.Module):
    """A stack of ``n_layers`` encoder layers (plus a final LayerNorm when pre-norm)."""

    def __init__(self, n_layers: int, d_model: int, norm_first: bool = True, **layer_kw) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, norm_first=norm_first, **layer_kw) for _ in range(n_layers)
        )
        bias = layer_kw.get("bias", True)
        self.norm = LayerNorm(d_model, bias=bias) if norm_first else nn.Identity()

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, is_causal: bool = False
    ) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask=mask, is_causal=is_causal)
        return self.norm(x)


class Decoder(nn.Module):
    """A stack of ``n_layers`` decoder layers (plus a final LayerNorm when pre-norm)."""

    def __init__(self, n_layers: int, d_model: int, norm_first: bool = True, **layer_kw) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            DecoderLayer(d_model, norm_first=norm_first, **layer_kw) for _ in range(n_layers)
        )
        bias = layer_kw.get("bias", True)
        self.norm = LayerNorm(d_model, bias=bias) if norm_first else nn.Identity()

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
        cache: list[tuple[KVCache, KVCache]] | None = None,
    ) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            layer_cache = cache[i] if cache is not None else None
            x = layer(x, memory, mask, memory_mask, is_causal=True, cache=layer_cache)
        return self.norm(x)
