"""Head scores on attention maps whose answer is known."""

from __future__ import annotations

import pytest
import torch
from predcomp.transformer.attention import causal_mask
from predcomp.transformer.heads import induction_score, match_score, offset_score


def uniform_causal(T: int) -> torch.Tensor:
    m = causal_mask(T).float()
    return m / m.sum(-1, keepdim=True)


def shifted(T: int, offset: int) -> torch.Tensor:
    """Each query i >= offset puts all its weight on key i - offset (others on themselves)."""
    w = torch.zeros(T, T)
    for i in range(T):
        w[i, i - offset if i >= offset else i] = 1.0
    return w


def test_offset_score():
    assert offset_score(shifted(8, 1), 1).item() == 1.0
    assert offset_score(shifted(8, 1), 2).item() == 0.0
    assert offset_score(shifted(8, 3), 3).item() == 1.0
    # uniform causal attention: query i sees i + 1 keys, so 1/(i+1) on the previous one
    expect = sum(1 / (i + 1) for i in range(1, 8)) / 7
    assert offset_score(uniform_causal(8), 1).item() == pytest.approx(expect)
    # batched: one score per map
    maps = torch.stack((shifted(6, 1), uniform_causal(6)))[None]  # (1, 2, T, T)
    assert offset_score(maps).shape == (1, 2)
    with pytest.raises(ValueError):
        offset_score(shifted(4, 1), 4)
    with pytest.raises(ValueError):
        offset_score(torch.zeros(3, 4))


def test_match_score():
    tokens = torch.tensor([5, 6, 5, 7, 6, 5])
    w = torch.zeros(6, 6)
    w[0, 0] = w[1, 1] = w[3, 3] = 1.0  # no earlier copy: these queries do not count
    w[2, 0] = 1.0  # 5 -> the earlier 5
    w[4, 1] = 0.5  # 6 -> half on the earlier 6
    w[4, 4] = 0.5
    w[5, 0] = w[5, 2] = 0.5  # 5 -> both earlier 5s
    assert match_score(w, tokens).item() == pytest.approx((1.0 + 0.5 + 1.0) / 3)
    # counting the query itself as a match
    assert match_score(w, tokens, exclude_self=False).item() == pytest.approx(
        (1 + 1 + 1 + 1 + 1 + 1) / 6
    )


def test_induction_score():
    period, T = 5, 10  # tokens 5.. repeat tokens 0..
    w = torch.zeros(T, T)
    for i in range(T):
        w[i, i - period + 1 if i >= period else i] = 1.0
    assert induction_score(w, period).item() == 1.0
    assert induction_score(shifted(T, 1), period).item() == 0.0
    # a previous-token head is an induction head of period 2 by this definition
    assert induction_score(shifted(T, 1), 2).item() == 1.0
    with pytest.raises(ValueError):
        induction_score(w, T)
