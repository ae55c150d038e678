"""Prediction by partial matching (PPM): blend contexts of several orders with escapes.

An order-``k`` context model is sharp when its context has been seen often and useless when
it has not. PPM (Cleary and Witten, 1984) uses the *longest* context that has been seen and
*escapes* to shorter ones for symbols that context has never seen. The predicted distribution,
built from the longest context down:

* in a context of order ``k`` that has seen ``n`` distinct symbols ``N`` times in all, a seen
  symbol ``x`` gets ``(n_x - 1/2) / N`` of the probability still to hand out, and the escape
  gets the rest, ``n / (2N)`` (Howard's "method D", used by PPMD);
* **exclusion**: a symbol already given probability by a longer context is left out of the
  shorter ones (its count is removed from their totals): it cannot be the symbol we escaped
  for;
* below order 0, the escape mass is shared equally by the symbols never seen at all.

**Update exclusion** (Moffat, 1990): after the symbol is known, only the contexts from the
longest down to the first one that predicted it count it; shorter contexts are left as they
were, so they keep describing what follows *new* contexts, which is when they are used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PPM"]


class PPM:
    """PPM with method-D escapes, exclusion and update exclusion, contexts up to ``order``."""

    def __init__(self, order: int = 4, alphabet_size: int = 256) -> None:
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 16:
            raise ValueError(f"order must be an integer in 0..16, got {order!r}")
        if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, int):
            raise ValueError(f"alphabet_size must be an integer, got {alphabet_size!r}")
        if not 1 <= alphabet_size <= 256:
            raise ValueError(f"PPM codes bytes: alphabet_size must be 1..256, not {alphabet_size}")
        self.order = order
        self.alphabet_size = alphabet_size
        # contexts[k] maps the last k symbols (as bytes) to {symbol: count}, for k = 1..order
        self.contexts: list[dict[bytes, dict[int, int]]] = [{} for _ in range(order + 1)]
        # Order 0 is kept dense, because it is the context with the most symbols:
        self.counts0 = [0] * alphabet_size  # order-0 counts
        self._share0 = np.zeros(alphabet_size)  # n_x - 1/2 for seen symbols, else 0
        self._unseen = np.ones(alphabet_size)  # 1.0 for symbols never seen at all
        self._total0 = 0
        self._distinct0 = 0
        self.history = b""

    def predict(self) -> np.ndarray:
        h = self.history
        probs: dict[int, float] = {}  # symbol -> probability, filled from the longest context
        remaining = 1.0  # probability of having escaped every context so far
        for k in range(min(self.order, len(h)), 0, -1):
            counts = self.contexts[k].get(h[len(h) - k :])
            if counts is None:
                continue
            fresh = [(s, c) for s, c in counts.items() if s not in probs]  # exclusion
            if not fresh:
                continue
            total = sum(c for _, c in fresh)
            share = remaining / total
            for s, c in fresh:
                probs[s] = share * (c - 0.5)
            remaining *= len(fresh) / (2 * total)  # the escape
        # Order 0, the same rule in vector form. Update exclusion keeps the contexts nested
        # (a symbol counted in a context is counted in every shorter one), so every symbol in
        # `probs` has an order-0 count, and the excluded totals are simple differences.
        total = self._total0 - sum(self.counts0[s] for s in probs)
        distinct = self._distinct0 - len(probs)
        if distinct:
            p = (remaining / total) * self._share0
            remaining *= distinct / (2 * total)
        else:
            p = np.zeros(self.alphabet_size)
        # Order -1: what is left is shared by the symbols never seen.
        unseen = self.alphabet_size - self._distinct0
        if unseen:
            p += (remaining / unseen) * self._unseen
        if probs:
            p[list(probs)] = list(probs.values())
        if not unseen:  # every symbol has been seen: nothing to escape to
            p /= p.sum()
        return p

    def update(self, symbol: int) -> None:
        if not 0 <= symbol < self.alphabet_size:
            raise ValueError(f"symbol {symbol} outside 0..{self.alphabet_size - 1}")
        h = self.history
        for k in range(min(self.order, len(h)), 0, -1):  # longest context first
            table = self.contexts[k]
            key = h[len(h) - k :]
            counts = table.get(key)
            if counts is None:
                table[key] = {symbol: 1}
            elif symbol in counts:
                counts[symbol] += 1
                break  # update exclusion: shorter contexts are not updated
            else:
                counts[symbol] = 1
        else:  # no context of order >= 1 knew the symbol: count it at order 0
            c = self.counts0[symbol] = self.counts0[symbol] + 1
            self._share0[symbol] = c - 0.5
            self._total0 += 1
            if c == 1:
                self._distinct0 += 1
                self._unseen[symbol] = 0.0
        self.history = (h + bytes((symbol,)))[-self.order :] if self.order else b""

    def params(self) -> dict[str, Any]:
        return {"order": self.order, "alphabet_size": self.alphabet_size}
