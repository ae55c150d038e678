"""Attention: scaled dot-product attention, masks, multi-head self- and cross-attention.

The one equation of the Transformer (Vaswani et al., 2017, eq. 1):

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

Each query row of ``Q`` is compared with every key row of ``K``; the softmax turns the scores
into weights that sum to 1 over the keys; the output is the weighted average of the value rows.

Mask convention (the same as :func:`torch.nn.functional.scaled_dot_product_attention`): a
boolean mask is ``True`` where a query **may** attend to a key. (``nn.MultiheadAttention``
uses the opposite convention for boolean masks: ``True`` means *blocked*.)

Shapes: ``B`` batch, ``H`` heads, ``T`` query positions, ``S`` key positions, ``C`` model
width, ``D = C / H`` head width.

:func:`blockwise_attention` computes the same function as :func:`scaled_dot_product_attention`
one block of keys at a time, with an online softmax (Milakov & Gimelshein, 2018), so that the
``T x S`` score matrix is never held: the idea behind FlashAttention (Dao et al., 2022).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from predcomp.transformer.positional import RotaryEmbedding

__all__ = [
    "KVCache",
    "MultiHeadAttention",
    "blockwise_attention",
    "causal_mask",
    "combine_masks",
    "padding_mask",
    "scaled_dot_product_attention",
]


def causal_mask(T: int, S: int | None = None, device: torch.device | None = None) -> torch.Tensor:
    """Boolean ``(T, S)`` mask letting the ``T`` newest positions see only themselves and the past.

    With ``S = T`` (the default) this is the lower-triangular matrix. With ``S > T`` the
    queries are the last ``T`` of ``S`` positions (the first ``S - T`` keys come from a cache),
    so query ``i`` sees keys ``0 .. S - T + i``.
    """
    S = T if S is None else S
    if S < T:
        raise ValueError(f"need at least as many keys as queries, got T={T}, S={S}")
    return torch.ones(T, S, dtype=torch.bool, device=device).tril(diagonal=S - T)


def padding_mask(idx: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Boolean ``(B, 1, 1, S)`` mask that hides the padding tokens of a batch of key sequences."""
    return (idx != pad_id)[:, None, None, :]


def combine_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Logical AND of boolean masks (broadcast); ``None`` entries are ignored."""
    out = None
    for m in masks:
        if m is not None:
            out = m if out is None else out & m
    return out


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(q k^T / sqrt(d)) v``, written out; returns ``(output, attention weights)``."""
    d = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, H, T, S)
    if mask is not None:
        # exp(-inf) = 0: a blocked key gets exactly zero weight.
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (B, H, T, S), rows sum to 1
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights  # (B, H, T, D), (B, H, T, S)


class KVCache:
    """Keys and values of the positions seen so far, for one attention layer.

    Incremental decoding feeds one new token at a time; its query must attend to the keys
    and values of all earlier tokens, which are stored here instead of being recomputed.
    """

    def __init__(self) -> None:
        self.k: torch.Tensor | None = None  # (B, H, S, D)
        self.v: torch.Tensor | None = None

    @property
    def length(self) -> int:
        """Number of cached positions."""
        return 0 if self.k is None else self.k.size(-2)

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store the new keys and values; return all keys and values so far."""
        if self.k is None or self.v is None:
            self.k, self.v = k, v
        else:
            self.k = torch.cat((self.k, k), dim=-2)
            self.v = torch.cat((self.v, v), dim=-2)
        return self.k, self.v


class MultiHeadAttention(nn.Module):
    """``H`` attention heads in parallel on ``C/H``-dimensional projections, then mixed.

    ``MultiHead(X, M) = Concat(head_1, ..., head_H) W_O`` with
    ``head_h = Attention(X W_Q^h, M W_K^h, M W_V^h)``; ``M = X`` for self-attention and the
    encoder output for cross-attention. ``W_Q, W_K, W_V`` are stored stacked in one matrix
    ``in_proj`` (the layout of ``nn.MultiheadAttention``), so that self-attention needs a
    single matrix product.

    With ``n_kv_heads < n_heads``, groups of ``n_heads / n_kv_heads`` query heads share one key
    head and one value head: grouped-query attention (Ainslie et al., 2023), multi-query
    attention (Shazeer, 2019) when ``n_kv_heads = 1``. ``W_K`` and ``W_V`` then have
    ``n_kv_heads * D`` rows instead of ``C``, and a KV cache holds that many numbers per token.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        use_sdpa: bool = True,
        rotary: RotaryEmbedding | None = None,
        n_kv_heads: int | None = None,
    ) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        if n_kv_heads < 1 or n_heads % n_kv_heads != 0:
            raise ValueError(f"n_kv_heads={n_kv_heads} must divide n_heads={n_heads}")
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        self.n_kv_heads = n_kv_heads
        self.kv_dim = n_kv_heads * self.head_dim  # width of the keys (and of the values)
        # [W_Q; W_K; W_V]: (C + 2 kv_dim, C); 3C rows for ordinary multi-head attention
        self.in_proj = nn.Linear(d_model, d_model + 2 * self.kv_dim, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)  # W_O
        self.dropout = dropout
        self.use_sdpa = use_sdpa
        self.rotary = rotary

    def _heads(self, proj: torch.Tensor, *widths: int) -> list[torch.Tensor]:
        """Cut a projection (B, T, sum(widths)) into parts, each (B, heads, T, D)."""
        B, T, _ = proj.shape
        return [
            p.view(B, T, p.size(-1) // self.head_dim, self.head_dim).transpose(1, 2)
            for p in proj.split(widths, dim=-1)
        ]

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``x`` (B, T, C) to itself or to ``memory`` (B, S, C).

        ``mask`` is a boolean mask broadcastable to ``(B, H, T, S)`` (``True`` = may attend);
        ``is_causal`` adds the causal mask (self-attention only). With a ``cache``,
        self-attention appends the new keys/values to it, and cross-attention computes the
        memory's keys/values once and reuses them. Returns ``(output (B, T, C), weights)``,
        where ``weights`` (B, H, T, S) is ``None`` unless ``need_weights``.
        """
        C = self.d_model
        w, b = self.in_proj.weight, self.in_proj.bias
        if memory is None:  # self-attention: one product gives q, k and v
            q, k, v = self._heads(self.in_proj(x), C, self.kv_dim, self.kv_dim)
            offset = cache.length if cache is not None else 0
            if self.rotary is not None:
                q, k = self.rotary(q, k, offset=offset)
            if cache is not None:
                k, v = cache.append(k, v)
        else:  # cross-attention: queries from x, keys and values from memory
            if is_causal:
                raise ValueError("is_causal applies to self-attention only")
            (q,) = self._heads(F.linear(x, w[:C], None if b is None else b[:C]), C)
            if cache is not None and cache.k is not None and cache.v is not None:
                k, v = cache.k, cache.v
            else:
                kv = F.linear(memory, w[C:], None if b is None else b[C:])  # (B, S, 2 kv_dim)
                k, v = self._heads(kv, self.kv_dim, self.kv_dim)
                if cache is not None:
                    cache.append(k, v)
        if self.n_kv_heads != self.n_heads:  # each key/value head serves a group of queries
            group = self.n_heads // self.n_kv_heads
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        T, S = q.size(-2), k.size(-2)
        # A single new query (T == 1) may see every cached key: no causal mask needed.
        causal = is_causal and T > 1
        dropout_p = self.dropout if self.training else 0.0
        if self.use_sdpa and not need_weights:
            if causal and (mask is not None or T != S):
                mask, causal = combine_masks(mask, causal_mask(T, S, q.device)), False
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=dropout_p, is_causal=causal
            )
            weights = None
        else:
            if causal:
                mask = combine_masks(mask, causal_mask(T, S, q.device))
            y, weights = scaled_dot_product_attention(q, k, v, mask, dropout_p)
        y = y.transpose(1, 2).contiguous().view(x.size(0), T, C)  # (B, T, C): heads side by side
        return self.out_proj(y), (weights if need_weights else None)


def blockwise_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    block_size: int = 64,
    is_causal: bool = False,
) -> torch.Tensor:
    """Exact ``softmax(q k^T / sqrt(d)) v``, visiting the keys ``block_size`` at a time.

    For every query it keeps a running maximum ``m``, a running normalizer ``l`` and a running
    weighted sum of values ``acc``. A new block of scores ``s`` updates them as

        m' = max(m, max s),  l' = l e^(m - m') + sum e^(s - m'),
        acc' = acc e^(m - m') + e^(s - m') v_block,

    and the answer is ``acc / l``. Memory for scores is ``T x block_size`` instead of ``T x S``.
    Shapes: ``q`` (..., T, D), ``k`` and ``v`` (..., S, D); with ``is_causal`` query ``i`` sees
    keys ``0..i`` (requires ``T == S``).
    """
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    T, S = q.size(-2), k.size(-2)
    if is_causal and T != S:
        raise ValueError(f"is_causal needs as many queries as keys, got T={T}, S={S}")
    scale = 1.0 / math.sqrt(q.size(-1))
    m = torch.full((*q.shape[:-1], 1), float("-inf"), dtype=q.dtype, device=q.device)
    l = torch.zeros_like(m)  # (..., T, 1)
    acc = torch.zeros((*q.shape[:-1], v.size(-1)), dtype=q.dtype, device=q.device)
    rows = torch.arange(T, device=q.device).unsqueeze(-1)  # (T, 1)
    for start in range(0, S, block_size):
        kb, vb = k[..., start : start + block_size, :], v[..., start : start + block_size, :]
        s = (q @ kb.transpose(-2, -1)) * scale  # (..., T, b): the only score memory
        if is_causal:
            cols = torch.arange(start, start + kb.size(-2), device=q.device)
            s = s.masked_fill(cols > rows, float("-inf"))
        m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))
        # A row whose keys so far are all masked has m_new = -inf; keep its terms at 0.
        safe = torch.where(torch.isinf(m_new), torch.zeros_like(m_new), m_new)
        correction = torch.exp(m - safe)  # rescales what was accumulated with the old maximum
        e = torch.exp(s - safe)  # (..., T, b)
        l = l * correction + e.sum(dim=-1, keepdim=True)
        acc = acc * correction + e @ vb
        m = m_new
    return acc / l
