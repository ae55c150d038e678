"""The softmax inside attention: why its scores are scaled, and how to compute it in blocks.

Attention turns scores ``s_j = q . k_j`` into weights ``softmax(s)_j``. Two facts about that
softmax shape the Transformer:

* **Scale.** If the ``d`` components of ``q`` and ``k`` are independent with mean 0 and
  variances ``var_q`` and ``var_k``, the score ``q . k`` has mean 0 and variance
  ``d * var_q * var_k`` (:func:`dot_product_variance`). Unscaled scores therefore spread out
  like ``sqrt(d)``; the softmax saturates (one weight near 1, the others near 0, entropy near
  0: :func:`softmax_entropy`) and its Jacobian ``diag(p) - p p^T`` (:func:`softmax_jacobian`)
  vanishes, so almost no gradient flows. Dividing by ``sqrt(d)`` restores unit variance.
* **Streaming.** The softmax normalizer can be accumulated one block of keys at a time,
  rescaling the running sum whenever the running maximum grows (Milakov & Gimelshein, 2018).
  :func:`blockwise_attention` uses this to compute exact attention without ever holding the
  full ``T x S`` score matrix, the idea behind FlashAttention (Dao et al., 2022).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "blockwise_attention",
    "dot_product_variance",
    "softmax_entropy",
    "softmax_jacobian",
]


def dot_product_variance(d: int, var_q: float = 1.0, var_k: float = 1.0) -> float:
    """Variance of ``q . k`` for independent zero-mean components: ``d * var_q * var_k``.

    Each term ``q_i k_i`` has mean 0 and variance ``E[q_i^2] E[k_i^2] = var_q var_k``; the
    ``d`` terms are uncorrelated, so their variances add.
    """
    if d < 1:
        raise ValueError(f"dimension d must be a positive integer, got {d}")
    if var_q < 0 or var_k < 0:
        raise ValueError("variances must be non-negative")
    return d * var_q * var_k


def softmax_entropy(scores: torch.Tensor, dim: int = -1, base: float = 2.0) -> torch.Tensor:
    """Entropy of ``softmax(scores)`` along ``dim`` (bits by default), computed stably.

    ``H = logsumexp(s) - sum_j p_j s_j`` (in nats), which avoids ``0 * log 0``.
    """
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, got {base}")
    logp = torch.log_softmax(scores, dim=dim)
    p = logp.exp()
    # p * logp is 0 where p underflows to 0 (its limit), never nan.
    h_nats = -(p * logp.masked_fill(p == 0, 0.0)).sum(dim=dim)
    return h_nats / math.log(base)


def softmax_jacobian(p: torch.Tensor) -> torch.Tensor:
    """Jacobian ``d softmax(s) / d s = diag(p) - p p^T`` at the point where ``softmax(s) = p``.

    ``p`` has shape ``(..., n)``; the result has shape ``(..., n, n)``.
    """
    return torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)


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
