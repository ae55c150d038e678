"""The blocks around attention: feed-forward, residual + LayerNorm, encoder and decoder layers.

A Transformer layer is two (encoder) or three (decoder) *sublayers*, each wrapped in a
residual connection and a layer normalization (:func:`residual`, the one place where the
branch is written). Where the normalization sits matters:

* **post-norm** (Vaswani et al., 2017): ``x = LayerNorm(x + Sublayer(x))``;
* **pre-norm** (the tensor2tensor code of the Transformer's authors, Wang et al. 2019, GPT-2;
  analysed by Xiong et al., 2020): ``x = x + Sublayer(LayerNorm(x))``, which keeps an
  un-normalized residual path from input to output and trains stably without a learning-rate
  warm-up; a pre-norm stack ends with one final LayerNorm.

LayerNorm itself is PyTorch's ``nn.LayerNorm`` (with ``bias=False`` where biases are off).

The classes mirror ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` (same
sublayer order, same dropout placement, ``norm_first`` selects pre-norm), so weights copied
from those modules give the same outputs; the tests check this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from predcomp.transformer.attention import KVCache, MultiHeadAttention
from predcomp.transformer.positional import RotaryEmbedding

__all__ = [
    "ACTIVATIONS",
    "Decoder",
    "DecoderLayer",
    "Encoder",
    "EncoderLayer",
    "FeedForward",
    "residual",
]

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "gelu": F.gelu,
}


def residual(
    x: torch.Tensor,
    sublayer: Callable[[torch.Tensor], torch.Tensor],
    norm: nn.Module,
    dropout: nn.Module,
    norm_first: bool,
) -> torch.Tensor:
    """One residual sublayer ``f``: pre-norm ``x + dropout(f(norm(x)))``, post-norm
    ``norm(x + dropout(f(x)))``. Dropout sits where ``nn.TransformerEncoderLayer`` puts it."""
    if norm_first:
        return x + dropout(sublayer(norm(x)))
    return norm(x + dropout(sublayer(x)))


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
        n_kv_heads: int | None = None,
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(
            d_model, n_heads, dropout, bias, use_sdpa, rotary, n_kv_heads
        )
        self.ff = FeedForward(d_model, d_ff, dropout, activation, bias)
        self.norm1 = nn.LayerNorm(d_model, eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.attn_weights: torch.Tensor | None = None  # filled when need_weights=True

    def _self_attention(
        self, mask, is_causal, cache, need_weights
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """The self-attention sublayer as a function of its input (records the weights)."""

        def f(h: torch.Tensor) -> torch.Tensor:
            y, self.attn_weights = self.self_attn(
                h, mask=mask, is_causal=is_causal, cache=cache, need_weights=need_weights
            )
            return y

        return f

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor:
        """``x`` (B, T, C) -> (B, T, C); ``mask`` as in :class:`MultiHeadAttention`."""
        sa = self._self_attention(mask, is_causal, cache, need_weights)
        x = residual(x, sa, self.norm1, self.dropout1, self.norm_first)
        return residual(x, self.ff, self.norm2, self.dropout2, self.norm_first)


class DecoderLayer(EncoderLayer):
    """Causal self-attention, cross-attention to the encoder output, then feed-forward.

    An encoder layer with a third sublayer in the middle; the names follow
    ``nn.TransformerDecoderLayer`` (``norm2`` and ``dropout2`` belong to the cross-attention,
    ``norm3`` and ``dropout3`` to the feed-forward network).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, **layer_kw: Any) -> None:
        """``layer_kw``: the keyword arguments of :class:`EncoderLayer` (dropout, activation,
        norm_first, bias, use_sdpa, eps, n_kv_heads); the new sublayer has the same settings."""
        super().__init__(d_model, n_heads, d_ff, **layer_kw)
        sa = self.self_attn
        self.cross_attn = MultiHeadAttention(
            d_model,
            n_heads,
            sa.dropout,
            sa.in_proj.bias is not None,
            sa.use_sdpa,
            n_kv_heads=sa.n_kv_heads,
        )
        self.norm3 = nn.LayerNorm(d_model, self.norm1.eps, bias=self.norm1.bias is not None)
        self.dropout3 = nn.Dropout(self.dropout1.p)
        self.cross_weights: torch.Tensor | None = None  # cross-attention, when need_weights

    def forward(  # type: ignore[override]
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

        def cross_attention(h: torch.Tensor) -> torch.Tensor:
            y, self.cross_weights = self.cross_attn(
                h, memory, mask=memory_mask, cache=cross_cache, need_weights=need_weights
            )
            return y

        sa = self._self_attention(mask, is_causal, self_cache, need_weights)
        x = residual(x, sa, self.norm1, self.dropout1, self.norm_first)
        x = residual(x, cross_attention, self.norm2, self.dropout2, self.norm_first)
        return residual(x, self.ff, self.norm3, self.dropout3, self.norm_first)


class Encoder(nn.Module):
    """A stack of ``n_layers`` encoder layers (plus a final LayerNorm when pre-norm)."""

    layer_class: type[EncoderLayer] = EncoderLayer

    def __init__(self, n_layers: int, d_model: int, norm_first: bool = True, **layer_kw) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            self.layer_class(d_model, norm_first=norm_first, **layer_kw) for _ in range(n_layers)
        )
        bias = layer_kw.get("bias", True)
        self.norm = nn.LayerNorm(d_model, bias=bias) if norm_first else nn.Identity()

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, is_causal: bool = False
    ) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask=mask, is_causal=is_causal)
        return self.norm(x)


class Decoder(Encoder):
    """A stack of ``n_layers`` decoder layers (plus a final LayerNorm when pre-norm)."""

    layer_class = DecoderLayer

    def forward(  # type: ignore[override]
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
