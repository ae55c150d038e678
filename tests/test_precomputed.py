"""Tests of predcomp.models.precomputed: replaying distributions computed in advance."""

from __future__ import annotations

import numpy as np
import pytest
from predcomp.models.base import Model
from predcomp.models.precomputed import Precomputed


def test_replays_one_row_per_step_then_stops():
    d = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    m = Precomputed(d)
    assert isinstance(m, Model) and m.alphabet_size == 2
    for t, symbol in enumerate([1, 0, 1]):
        np.testing.assert_array_equal(m.predict(), d[t])
        m.update(symbol)
    with pytest.raises(ValueError, match="no precomputed distribution left"):
        m.predict()
    assert m.params() == {"steps": 3, "alphabet_size": 2}


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 0)), np.zeros((2, 2, 2))])
def test_refuses_arrays_that_are_not_steps_by_symbols(bad):
    with pytest.raises(ValueError, match="shape"):
        Precomputed(bad)
