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


def test_a_lower_count_limit_keeps_learning_faster():
    fast, slow = APM(1, limit=20), APM(1)
    for apm in (fast, slow):  # long agreement, then the context changes its habit
        for _ in range(400):
            apm.predict(2048, 0)
            apm.update(1)
        for _ in range(30):
            apm.predict(2048, 0)
            apm.update(0)
    assert fast.predict(2048, 0) < slow.predict(2048, 0)  # it follows the change sooner
