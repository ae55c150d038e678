"""What an attention head does, measured: scores of attention patterns on weight matrices.

Each function takes the attention weights of one or more heads, ``(..., T, T)`` with rows for
queries and columns for keys (each row a distribution), and returns, per head, the average
weight that the queries put on the keys a pattern designates:

* :func:`offset_score` -- the key a fixed number of positions back (``offset = 1``: the
  *previous-token* pattern);
* :func:`match_score` -- the keys that hold the same token as the query (a *same-token* head);
* :func:`induction_score` -- on a sequence whose second half repeats its first, the key just
  after the previous occurrence of the current token, the pattern of the *induction heads*
  of Olsson et al. (2022) that continue a repeated text.

A score is a number between 0 and 1; a head that spreads its weight evenly over ``n`` visible
keys scores about ``1/n`` on any single-key pattern.
"""

from __future__ import annotations

import torch

__all__ = ["induction_score", "match_score", "offset_score"]


def _check(weights: torch.Tensor) -> tuple[int, int]:
    if weights.dim() < 2 or weights.size(-1) != weights.size(-2):
        raise ValueError(f"expected square attention maps (..., T, T), got {tuple(weights.shape)}")
    return weights.size(-2), weights.size(-1)


def offset_score(weights: torch.Tensor, offset: int = 1) -> torch.Tensor:
    """Mean weight a query at position ``i`` puts on key ``i - offset`` (queries ``i >= offset``).

    Returns one score per map, shape ``weights.shape[:-2]`` (the mean over the queries only).
    """
    T, _ = _check(weights)
    if not 0 <= offset < T:
        raise ValueError(f"offset must be in 0..{T - 1}, got {offset}")
    return weights.diagonal(offset=-offset, dim1=-2, dim2=-1).mean(-1)


def match_score(
    weights: torch.Tensor, tokens: torch.Tensor, exclude_self: bool = True
) -> torch.Tensor:
    """Mean total weight a query puts on earlier keys holding its own token.

    ``tokens`` is ``(T,)`` or broadcastable to ``weights.shape[:-1]``. Only queries that have
    at least one such key are averaged (others have nothing to find); with ``exclude_self``
    the query's own position does not count as a match.
    """
    T, _ = _check(weights)
    same = tokens[..., :, None] == tokens[..., None, :]  # (..., T, T)
    allowed = torch.ones(T, T, dtype=torch.bool, device=weights.device).tril(
        -1 if exclude_self else 0
    )
    same = same & allowed
    has = same.any(-1)  # queries with something to find
    mass = (weights * same).sum(-1)
    has = has.expand_as(mass)
    return (mass * has).sum(-1) / has.sum(-1).clamp(min=1)


def induction_score(weights: torch.Tensor, period: int) -> torch.Tensor:
    """Mean weight from query ``i`` to key ``i - period + 1``, over the queries of the repeat.

    For a sequence whose tokens ``period ..`` repeat tokens ``0 ..``, the token at ``i`` last
    occurred at ``i - period``; an induction head looks at what came *next* then, position
    ``i - period + 1``, to predict the token at ``i + 1``. Queries ``i >= period`` count.
    """
    T, _ = _check(weights)
    if not 1 <= period < T:
        raise ValueError(f"period must be in 1..{T - 1}, got {period}")
    diag = weights.diagonal(offset=-(period - 1), dim1=-2, dim2=-1)  # query i, key i-period+1
    return diag[..., 1:].mean(-1)  # queries period .. T-1
