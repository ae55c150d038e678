"""Bit-level adaptive probabilities: bit histories and the maps that turn them into predictions.

A context's past in one node of the bit tree is summarized by a *bit history*: how many 0s
and 1s followed it, ``(n0, n1)``. It is *nonstationary*: when a bit arrives, a large count of
the opposite bit is halved, so that a context that changed its habits is believed to have
changed (English after "th" was "e" for a page, now it is "a"). The reachable pairs, with
counts capped at :data:`MAX_COUNT`, are few (216), so a history fits in one byte, and the
table of successors :data:`NEXT` is built once by walking them.

What a history *means* is learned, not assumed: a :class:`StateMap` holds an adaptive
probability for each history (and any small context), moved towards each observed bit by
``1 / (n + 1.5)`` for the first ``limit`` observations and then at that fixed rate. This
indirection (PAQ's) learns, for instance, that in this file "seen once, a 1" predicts a 1
with probability 0.8 rather than the 0.75 a count would say.
"""

from __future__ import annotations

import numpy as np

from predcomp.models.cm.logistic import PROB_BITS

__all__ = ["DETERMINISTIC", "MAX_COUNT", "N0", "N1", "NEXT", "RATES", "StateMap", "next_state"]

#: the largest count of one bit a history holds
MAX_COUNT = 30


def _successor(n0: int, n1: int, bit: int) -> tuple[int, int]:
    """The history after ``bit``: its count grows, a large opposite count is halved."""
    if bit:
        n1 = min(n1 + 1, MAX_COUNT)
        if n0 > 2:
            n0 = n0 // 2 + 1
    else:
        n0 = min(n0 + 1, MAX_COUNT)
        if n1 > 2:
            n1 = n1 // 2 + 1
    return n0, n1


def _state_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All histories reachable from ``(0, 0)``, numbered by total count (a replacement priority)."""
    seen, frontier = {(0, 0)}, [(0, 0)]
    while frontier:
        pair = frontier.pop()
        for bit in (0, 1):
            after = _successor(*pair, bit)
            if after not in seen:
                seen.add(after)
                frontier.append(after)
    pairs = sorted(seen, key=lambda p: (p[0] + p[1], p[1]))
    index = {p: i for i, p in enumerate(pairs)}
    nxt = np.array([[index[_successor(*p, b)] for b in (0, 1)] for p in pairs], dtype=np.int32)
    n0 = np.array([p[0] for p in pairs], dtype=np.int32)
    n1 = np.array([p[1] for p in pairs], dtype=np.int32)
    return nxt, n0, n1


#: ``NEXT[s, bit]``: the history after ``bit``; ``N0[s]``, ``N1[s]``: its counts
NEXT, N0, N1 = _state_table()
#: number of histories (they fit in a byte; state 0 is "nothing seen")
N_STATES = len(NEXT)
_NEXT_LIST = NEXT.tolist()
#: ``DETERMINISTIC[s]``: 1 if history ``s`` has seen bits, and all of them alike
DETERMINISTIC = ((N0 == 0) != (N1 == 0)).astype(np.int32)
#: ``RATES[n] = 2**16 / (n + 1.5)``: the step of a map entry after ``n`` observations
RATES = np.array([(1 << 17) // (2 * n + 3) for n in range(1024)], dtype=np.int32)
_RATES_LIST = RATES.tolist()


def next_state(state: int, bit: int) -> int:
    """The bit history that follows ``state`` when ``bit`` is observed."""
    return _NEXT_LIST[state][bit]


def initial_probabilities() -> np.ndarray:
    """Each history's starting estimate, ``(n1 + 1/2) / (n + 1)``, in units of ``2**-16``."""
    return (((2 * N1 + 1) << 16) // (2 * (N0 + N1) + 2)).astype(np.int32)


class StateMap:
    """An adaptive probability for each of ``n`` contexts, learned at rate ``1 / (count + 1.5)``."""

    def __init__(self, n: int, limit: int = 1023, init: np.ndarray | None = None) -> None:
        if not 1 <= limit <= 1023:
            raise ValueError(f"limit must be in 1..1023, got {limit}")
        # probabilities in units of 2**-16 (finer than the 2**-12 they are read at, so small
        # steps accumulate), and how many times each was updated, up to `limit`
        self.p = [1 << 15] * n if init is None else [int(v) for v in init]
        self.n = [0] * n
        self.limit = limit

    def predict(self, cx: int) -> int:
        """P(1) in context ``cx``, in units of ``2**-12``."""
        return self.p[cx] >> (16 - PROB_BITS)

    def update(self, cx: int, bit: int) -> None:
        """Move context ``cx``'s probability towards ``bit``."""
        n, p = self.n[cx], self.p[cx]
        self.p[cx] = p + ((((bit << 16) - p) * _RATES_LIST[n]) >> 16)
        if n < self.limit:
            self.n[cx] = n + 1
