"""Toy sequence tasks: targets, padding, teacher-forcing shift, disjoint held-out set."""

from __future__ import annotations

import pytest
import torch
from predcomp.tasks import BOS, EOS, FIRST_SYMBOL, PAD, SequenceTask


def test_targets():
    s = [5, 3, 9, 2]
    assert SequenceTask("copy", n_heldout=1).target(s) == s
    assert SequenceTask("reverse", n_heldout=1).target(s) == [2, 9, 3, 5]
    assert SequenceTask("sort", n_heldout=1).target(s) == [2, 3, 5, 9]


def test_batch_layout():
    task = SequenceTask("reverse", n_symbols=6, min_len=2, max_len=5, n_heldout=1)
    b = task.make_batch([[3, 4, 5], [8, 7, 6, 5, 4]])
    assert b.src.tolist() == [[3, 4, 5, PAD, PAD], [8, 7, 6, 5, 4]]
    # every target ends with EOS, so the decoder must find the length itself
    assert b.tgt_out.tolist() == [[5, 4, 3, EOS, PAD, PAD], [4, 5, 6, 7, 8, EOS]]
    assert b.tgt_in.tolist() == [[BOS, 5, 4, 3, EOS, PAD], [BOS, 4, 5, 6, 7, 8]]
    assert task.vocab_size == FIRST_SYMBOL + 6 and task.target_len == 6
    assert len({PAD, BOS, EOS, FIRST_SYMBOL}) == 4


def test_random_sources_in_range_and_heldout_disjoint():
    task = SequenceTask("sort", n_symbols=3, min_len=2, max_len=4, n_heldout=50, seed=1)
    assert len(set(task.heldout_sources)) == 50
    held = set(task.heldout_sources)
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        b = task.train_batch(32, gen)
        for row in b.src.tolist():
            s = tuple(x for x in row if x != PAD)
            assert 2 <= len(s) <= 4
            assert all(FIRST_SYMBOL <= x < FIRST_SYMBOL + 3 for x in s)
            assert s not in held
        assert ((b.tgt_out == EOS).sum(1) == 1).all()
    hb = task.heldout_batch()
    assert hb.src.shape == (50, 4)


def test_reproducible():
    a = SequenceTask("reverse", n_heldout=20, seed=3).heldout_sources
    b = SequenceTask("reverse", n_heldout=20, seed=3).heldout_sources
    assert a == b


def test_bad_arguments():
    with pytest.raises(ValueError):
        SequenceTask("shuffle")
    with pytest.raises(ValueError):
        SequenceTask(min_len=5, max_len=3)
    with pytest.raises(ValueError):
        SequenceTask(n_symbols=1)
