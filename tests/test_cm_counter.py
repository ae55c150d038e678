"""Bit histories (nonstationary counts) and state maps."""

from __future__ import annotations

import numpy as np
import pytest
from predcomp.models.cm.counter import (
    DETERMINISTIC,
    MAX_COUNT,
    N0,
    N1,
    N_STATES,
    NEXT,
    StateMap,
    initial_probabilities,
    next_state,
)


def test_states_fit_in_a_byte_and_start_empty():
    assert N_STATES <= 256 and N0[0] == N1[0] == 0
    assert NEXT.min() >= 0 and NEXT.max() < N_STATES
    totals = N0 + N1
    assert all(totals[1:] >= totals[:-1])  # numbered by total count: a replacement priority


def test_histories_count_and_forget_the_opposite_bit():
    s = 0
    for _ in range(10):
        s = next_state(s, 1)
    assert (N0[s], N1[s]) == (0, 10)
    s = next_state(s, 0)  # a surprise halves the evidence against it
    assert (N0[s], N1[s]) == (1, 6)
    for _ in range(100):
        s = next_state(s, 1)
    assert N1[s] == MAX_COUNT and N0[s] == 1  # counts of 2 or less are kept


def test_initial_probabilities_are_kt_like():
    p = initial_probabilities()
    assert p[0] == 1 << 15
    s = next_state(0, 1)
    assert p[s] == (3 << 16) // 4  # (1 + 1/2) / 2


def test_state_map_learns_a_biased_source_and_keeps_adapting():
    sm = StateMap(2, limit=255)
    rng = np.random.default_rng(0)
    for bit in rng.random(3000) < 0.9:
        sm.update(0, int(bit))
    assert abs(sm.predict(0) / 4096 - 0.9) < 0.05
    for _ in range(600):  # the source changes: a limited count keeps tracking it
        sm.update(0, 0)
    assert sm.predict(0) < 1000
    assert sm.predict(1) == 2048  # untouched context


def test_state_map_refuses_a_bad_limit():
    with pytest.raises(ValueError, match="limit"):
        StateMap(4, limit=0)


def test_deterministic_histories_saw_one_kind_of_bit():
    s = 0
    for _ in range(5):
        s = next_state(s, 1)
        assert DETERMINISTIC[s] == 1
    assert DETERMINISTIC[0] == 0 and DETERMINISTIC[next_state(s, 0)] == 0
    assert int(DETERMINISTIC.sum()) == 2 * MAX_COUNT
