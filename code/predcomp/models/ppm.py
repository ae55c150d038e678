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

Two refinements in the spirit of Shkarin's PPMII (the algorithm of 7-Zip's PPMd), both
optional so that the plain method can be shown and tested on its own:

* **secondary escape estimation** (``see=True``): method D's escape ``n / (2N)`` is
  systematically wrong in some kinds of context (a long context seen once escapes far less
  often than one half). Contexts are grouped by order, number of distinct symbols, total
  count and whether exclusion applied; each group learns the ratio *escapes that happened /
  escapes method D predicted*, and the escape is multiplied by it;
* **inheritance** (``inherit=True``): a context seen for the first time starts by predicting
  its symbol about as confidently as the whole model just did, instead of with a bare count
  of 1: with a single symbol of count ``c`` method D gives it ``(c - 1/2) / c``, which equals
  ``q`` for ``c = 1 / (2 (1 - q))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PPM"]

_SEE_LIMIT = 64.0  # a SEE group's statistics are halved beyond this weight: it keeps adapting
_MAX_INHERITED = 8.0  # the largest initial count a new context inherits


class PPM:
    """PPM with method-D escapes, exclusion and update exclusion, contexts up to ``order``."""

    def __init__(
        self, order: int = 4, alphabet_size: int = 256, see: bool = True, inherit: bool = True
    ) -> None:
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 16:
            raise ValueError(f"order must be an integer in 0..16, got {order!r}")
        if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, int):
            raise ValueError(f"alphabet_size must be an integer, got {alphabet_size!r}")
        if not 1 <= alphabet_size <= 256:
            raise ValueError(f"PPM codes bytes: alphabet_size must be 1..256, not {alphabet_size}")
        self.order = order
        self.alphabet_size = alphabet_size
        self.see = bool(see)
        self.inherit = bool(inherit)
        self.see_groups: dict[tuple, list[float]] = {}  # group -> [escapes, predicted escapes]
        self._consulted: list[tuple[list[float], float, dict[int, float]]] = []
        self._last: np.ndarray | None = None  # the last prediction
        # contexts[k] maps the last k symbols (as bytes) to {symbol: count}, for k = 1..order
        self.contexts: list[dict[bytes, dict[int, float]]] = [{} for _ in range(order + 1)]
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
        self._consulted = []
        for k in range(min(self.order, len(h)), 0, -1):
            counts = self.contexts[k].get(h[len(h) - k :])
            if counts is None:
                continue
            fresh = [(s, c) for s, c in counts.items() if s not in probs]  # exclusion
            if not fresh:
                continue
            n, total = len(fresh), sum(c for _, c in fresh)
            escape = n / (2 * total)  # method D
            if self.see:
                group = (k, min(n, 4), min(int(total).bit_length(), 7), bool(probs))
                stats = self.see_groups.setdefault(group, [2.0, 2.0])
                self._consulted.append((stats, escape, counts))
                escape = min(0.95, max(0.02, escape * stats[0] / stats[1]))
            share = remaining * (1 - escape) / (total - n / 2)
            for s, c in fresh:
                probs[s] = share * (c - 0.5)
            remaining *= escape
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
        self._last = p
        return p

    def update(self, symbol: int) -> None:
        if not 0 <= symbol < self.alphabet_size:
            raise ValueError(f"symbol {symbol} outside 0..{self.alphabet_size - 1}")
        h = self.history
        for stats, predicted, counts in self._consulted:  # SEE: did we escape where we were?
            escaped = symbol not in counts
            stats[0] += escaped
            stats[1] += predicted
            if stats[1] > _SEE_LIMIT:
                stats[0] *= 0.5
                stats[1] *= 0.5
            if not escaped:
                break
        self._consulted = []
        first = 1.0
        if self.inherit and self._last is not None:
            q = float(self._last[symbol])
            first = _MAX_INHERITED if q >= 1 else min(_MAX_INHERITED, max(1.0, 0.5 / (1 - q)))
        self._last = None
        for k in range(min(self.order, len(h)), 0, -1):  # longest context first
            table = self.contexts[k]
            key = h[len(h) - k :]
            counts = table.get(key)
            if counts is None:
                table[key] = {symbol: first}
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
        return {
            "order": self.order,
            "alphabet_size": self.alphabet_size,
            "see": self.see,
            "inherit": self.inherit,
        }
