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
  :func:`predcomp.transformer.attention.blockwise_attention` uses this to compute exact
  attention without ever holding the full ``T x S`` score matrix, the idea behind
  FlashAttention (Dao et al., 2022).
"""

from __future__ import annotations

import math

import torch

__all__ = [
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

    ``H = -sum_j p_j log p_j`` from ``log_softmax`` (no overflow for large scores), with
    ``0 log 0 = 0``: a score of ``-inf`` (a masked or truncated token) contributes nothing.
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
