"""Adaptive probability maps: identity at first, then a learned correction per context."""

from __future__ import annotations

from predcomp.models.cm.apm import APM


def test_a_fresh_map_is_close_to_the_identity():
    a = APM(4)
    for p in (100, 1000, 2048, 3000, 4000):
        assert abs(a.predict(p, 2) - p) <= p // 50 + 8


def test_it_learns_that_a_context_is_overconfident():
    a = APM(2)
    for i in range(3000):  # in context 1, a claimed 0.9 comes true only half of the time
        a.predict(3686, 1)
        a.update(i % 2)
    assert a.predict(3686, 1) < 3000  # the nearer knot learned it (the other did not)
    assert abs(a.predict(3686, 0) - 3686) < 80  # context 0 is untouched
