"""LZ78's incremental parsing read as a sequential predictor (Feder, Merhav and Gutman 1992).

Ziv and Lempel's 1978 algorithm cuts a sequence into *phrases*, each the longest phrase seen
before plus one new symbol; the phrases form a tree (the dictionary), which grows by one leaf
per phrase. Reading the tree as a predictor: inside the current phrase we stand at a node of
the tree, and the next symbol is predicted from how often each branch below that node has been
taken before (``n(v, a)`` times branch ``a`` left node ``v``, ``n(v)`` in all),

.. math:: q(a \\mid v) = \\frac{n(v, a) + \\tfrac12}{n(v) + \\tfrac{A}{2}},

a Krichevsky–Trofimov estimator per node. Branch ``a`` is then followed; if it did not exist,
it becomes a new leaf and the next phrase starts again at the root. Each node is a context that
grows as long as the data keep repeating it, so the predictor's order adapts itself. Its
per-symbol loss approaches the best any finite-state predictor could reach on the same
individual sequence, but the approach is slow: the phrases, hence the contexts, grow only
logarithmically with the length of the data, so the excess over the best model falls far more
slowly than CTW's (Chapter 5 measures both).

Memory is bounded by ``max_nodes``: when the tree holds that many nodes it stops growing (a
symbol with no branch then just ends the phrase), deterministically on both sides of the coder.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LZ78", "MAX_NODES", "NODE_BYTES", "memory_bound", "nodes_for"]

#: the most nodes an LZ78 model may allocate
MAX_NODES = 1 << 21
#: an upper bound on the memory of one node (its dictionary of branches, a branch, a total),
#: measured with tracemalloc at about 260 bytes on CPython 3.11
NODE_BYTES = 400


def nodes_for(length: int) -> int:
    """A node budget for ``length`` symbols: one phrase (node) per symbol at most, and no more
    than :data:`MAX_NODES`."""
    if length < 0:
        raise ValueError("length must be non-negative")
    return max(1 << 10, min(MAX_NODES, int(length) + 1))


def memory_bound(max_nodes: int) -> int:
    """Bytes an LZ78 model with this node budget may allocate at most."""
    return int(max_nodes) * NODE_BYTES


class LZ78:
    """The LZ78 parse tree as a predictor: a KT estimator at each node of the phrase tree."""

    def __init__(self, alphabet_size: int = 256, max_nodes: int = 1 << 20) -> None:
        if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, int | np.integer):
            raise ValueError(f"alphabet_size must be an integer, got {alphabet_size!r}")
        if not 2 <= alphabet_size <= 256:
            raise ValueError(f"alphabet_size must be in 2..256, got {alphabet_size}")
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer):
            raise ValueError(f"max_nodes must be an integer, got {max_nodes!r}")
        if not 1 <= max_nodes <= MAX_NODES:
            raise ValueError(f"max_nodes must be in 1..{MAX_NODES}, got {max_nodes}")
        self.alphabet_size = int(alphabet_size)
        self.max_nodes = int(max_nodes)
        # children[v] maps a symbol to [child node, times that branch was taken]
        self.children: list[dict[int, list[int]]] = [{}]
        self.totals: list[int] = [0]  # times each node was left by some branch
        self.node = 0  # where the current phrase stands (0 = the root)
        self.phrases = 0  # phrases completed so far

    def predict(self) -> np.ndarray:
        p = np.full(self.alphabet_size, 0.5)
        branches = self.children[self.node]
        if branches:
            p[list(branches)] += [c for _, c in branches.values()]
        return p / (self.totals[self.node] + 0.5 * self.alphabet_size)

    def update(self, symbol: int) -> None:
        if not 0 <= symbol < self.alphabet_size:
            raise ValueError(f"symbol {symbol} outside 0..{self.alphabet_size - 1}")
        branches = self.children[self.node]
        self.totals[self.node] += 1
        branch = branches.get(symbol)
        if branch is not None:  # the phrase goes on
            branch[1] += 1
            self.node = branch[0]
            return
        if len(self.children) < self.max_nodes:  # a new leaf ends the phrase
            branches[symbol] = [len(self.children), 1]
            self.children.append({})
            self.totals.append(0)
        else:  # the tree is full: it no longer grows, but the counts stay honest
            self.totals[self.node] -= 1
        self.phrases += 1
        self.node = 0

    def params(self) -> dict[str, Any]:
        return {"alphabet_size": self.alphabet_size, "max_nodes": self.max_nodes}
