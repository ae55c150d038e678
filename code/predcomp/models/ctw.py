"""Context-tree weighting (Willems, Shtarkov and Tjalkens 1995): a Bayesian mixture of all
tree models up to a given depth, computed exactly in time linear in the depth.

A binary *tree source* predicts the next bit from a suffix of the past whose length depends on
the past itself (a context tree). CTW does not choose one tree: it weights every tree of depth at
most ``D`` by a prior that halves at every split, and the weighted probability of the whole
sequence is computed node by node on the path of the current context,

.. math:: P_w(s) = \\tfrac12 P_e(s) + \\tfrac12 P_w(0s) P_w(1s) \\quad (\\text{depth} < D), \\qquad
          P_w(s) = P_e(s) \\quad (\\text{depth} = D),

where :math:`P_e(s)` is the Krichevsky–Trofimov probability of the bits that followed context
:math:`s`. Its code length exceeds that of *any* tree source of depth ``<= D`` by at most the
tree's description cost plus about :math:`\\tfrac12 \\log_2 n` bits per leaf.

Implementation. Each node stores its counts and the ratio
:math:`\\beta(s) = P_e(s) / (P_w(0s) P_w(1s))`. Then the conditional probability of the next bit
at a node on the path, with child :math:`c` on the path, is

.. math:: \\frac{\\beta\\, p_e(b) + p_w^{c}(b)}{\\beta + 1},

and after the bit, :math:`\\beta \\leftarrow \\beta\\, p_e(b) / p_w^{c}(b)`. Only additions,
multiplications and divisions of doubles are used (no ``log`` or ``exp``), so encoder and
decoder compute identical probabilities on any IEEE-754 machine; the ratio is clamped to
``[2**-900, 2**900]`` so it never overflows, which changes a probability by less than
``2**-900``. The past before the first symbol is taken to be zeros.

Bytes (``alphabet_size=256``) go through a binary decomposition: a byte is eight bits, most
significant first, and each of the 255 nodes of the byte's binary tree (the bits seen so far of
the current byte, ``c0``) has its own context tree, whose context is the last ``depth`` bits of
the *previous bytes*. As in every byte model of the package the chain rule makes the eight bit
probabilities multiply to the byte's probability.

Memory is bounded by ``max_nodes``: once that many nodes exist the trees stop growing, and a
path that reaches a missing node ends at the node above it, which then acts as a leaf (both the
encoder and the decoder do exactly the same, so coding stays lossless).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CTW", "MAX_DEPTH", "MAX_NODES", "NODE_BYTES", "PROB_BITS", "memory_bound", "nodes_for"]

#: probabilities handed to the coder are integers in units of ``2**-PROB_BITS``
PROB_BITS = 16
_ONE = 1 << PROB_BITS
#: the deepest context a CTW accepts, in bits
MAX_DEPTH = 64
#: the most nodes a CTW may allocate
MAX_NODES = 1 << 21
#: an upper bound on the memory of one node (dictionary slot, key, list of three numbers),
#: measured with tracemalloc at about 215 bytes on CPython 3.11
NODE_BYTES = 320
_BETA_MAX = 2.0**900
_BETA_MIN = 2.0**-900


def nodes_for(length: int, depth: int = 16) -> int:
    """A node budget for coding ``length`` bytes at ``depth``: about two nodes per context bit
    of the input, at least 4096 and at most :data:`MAX_NODES` (a small input does not reserve
    the memory a long one needs)."""
    if length < 0 or not 0 <= depth <= MAX_DEPTH:
        raise ValueError("need length >= 0 and depth in 0..MAX_DEPTH")
    return max(1 << 12, min(MAX_NODES, 2 * (depth + 1) * int(length)))


def memory_bound(max_nodes: int) -> int:
    """Bytes a CTW with this node budget may allocate at most (its trees, fully grown)."""
    return int(max_nodes) * NODE_BYTES


class CTW:
    """Context-tree weighting of depth ``depth`` over bits, or over bytes bit by bit."""

    prob_bits = PROB_BITS

    def __init__(self, depth: int = 16, alphabet_size: int = 256, max_nodes: int = 1 << 20) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int | np.integer):
            raise ValueError(f"depth must be an integer, got {depth!r}")
        if not 0 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be in 0..{MAX_DEPTH}, got {depth}")
        if alphabet_size not in (2, 256) or isinstance(alphabet_size, bool):
            raise ValueError(f"CTW codes bits (2) or bytes (256), not {alphabet_size!r} symbols")
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer):
            raise ValueError(f"max_nodes must be an integer, got {max_nodes!r}")
        if not 1 <= max_nodes <= MAX_NODES:
            raise ValueError(f"max_nodes must be in 1..{MAX_NODES}, got {max_nodes}")
        self.depth = int(depth)
        self.alphabet_size = int(alphabet_size)
        self.max_nodes = int(max_nodes)
        # node key -> [count of 0s, count of 1s, beta]; the key encodes the tree (c0), the
        # depth d and the d most recent context bits, so every node has its own key.
        self.nodes: dict[int, list[float]] = {}
        self._context = 0  # the most recent bits, newest in the least significant place
        self._c0 = 1  # for bytes: 1 followed by the bits of the current byte seen so far
        self._path: list[int] = []
        self._pe: list[float] = []  # P(1) of each node's KT estimator, root first
        self._pw: list[float] = []  # weighted P(1) below each node (index d: depth d)
        self._p = self._predict_bit()

    # --- the binary interface -------------------------------------------------------------------

    def _keys(self) -> list[int]:
        """The keys of the nodes on the current context's path, root first (depth 0 .. D)."""
        tree = self._c0 << (self.depth + 1)
        ctx = self._context
        return [tree | (1 << d) | (ctx & ((1 << d) - 1)) for d in range(self.depth + 1)]

    def _predict_bit(self) -> float:
        """P(next bit = 1), walking the path from the leaf up to the root."""
        keys = self._keys()
        nodes = self.nodes
        if len(nodes) >= self.max_nodes:  # the trees no longer grow: cut at a missing node
            for d, key in enumerate(keys):
                if key not in nodes:
                    keys = keys[: max(d, 1)]
                    break
        fresh = (0.0, 0.0, 1.0)
        stats = [nodes.get(k, fresh) for k in keys]
        pe = [(s[1] + 0.5) / (s[0] + s[1] + 1.0) for s in stats]
        pw = pe[:]  # the deepest node on the path is a leaf: P_w = P_e
        for d in range(len(keys) - 2, -1, -1):
            beta = stats[d][2]
            pw[d] = (beta * pe[d] + pw[d + 1]) / (beta + 1.0)
        self._path, self._pe, self._pw = keys, pe, pw
        return pw[0]

    def p_bit(self) -> int:
        """P(next bit = 1) in units of ``2**-PROB_BITS``: an integer in ``1 .. 2**16 - 1``."""
        p = int(self._p * _ONE + 0.5)
        return min(_ONE - 1, max(1, p))

    def probability(self) -> float:
        """P(next bit = 1) as a float (what :meth:`p_bit` rounds)."""
        return self._p

    def update_bit(self, bit: int) -> None:
        """Learn ``bit``: update the counts and ratios on the path, then move the context on."""
        if bit != 0 and bit != 1:
            raise ValueError(f"a bit is 0 or 1, got {bit!r}")
        nodes, keys, pe, pw = self.nodes, self._path, self._pe, self._pw
        last = len(keys) - 1
        for d, key in enumerate(keys):
            node = nodes.get(key)
            if node is None:
                if len(nodes) >= self.max_nodes:
                    break  # the budget is spent: deeper nodes are not created
                node = nodes[key] = [0.0, 0.0, 1.0]
            if d < last:  # beta <- beta * p_e(bit) / p_w(child, bit)
                e = pe[d] if bit else 1.0 - pe[d]
                w = pw[d + 1] if bit else 1.0 - pw[d + 1]
                node[2] = min(_BETA_MAX, max(_BETA_MIN, node[2] * e / w))
            node[bit] += 1.0
        if self.alphabet_size == 2:
            self._context = ((self._context << 1) | bit) & ((1 << self.depth) - 1)
        else:
            c0 = (self._c0 << 1) | bit
            if c0 >= 256:  # a whole byte: it joins the context, the next byte starts
                self._context = ((self._context << 8) | (c0 & 255)) & ((1 << self.depth) - 1)
                c0 = 1
            self._c0 = c0
        self._p = self._predict_bit()

    # --- the symbol Model protocol --------------------------------------------------------------

    def predict(self) -> np.ndarray:
        """The next symbol's distribution (for bytes: all 255 trees of the byte; learns nothing)."""
        if self.alphabet_size == 2:
            return np.array([1.0 - self._p, self._p])
        if self._c0 != 1:
            raise ValueError("predict() is for byte boundaries; the model is inside a byte")
        node = np.zeros(512)  # node[c0] = probability of reaching c0
        node[1] = 1.0
        saved = self._path, self._pe, self._pw, self._p
        for c0 in range(1, 256):
            self._c0 = c0  # every c0 of this byte has the same context: the previous bytes
            p1 = self._predict_bit()
            node[2 * c0 + 1] = node[c0] * p1
            node[2 * c0] = node[c0] * (1.0 - p1)
        self._c0 = 1
        self._path, self._pe, self._pw, self._p = saved
        return node[256:]

    def update(self, symbol: int) -> None:
        """Learn ``symbol``: a bit, or a byte's eight bits, most significant first."""
        if not 0 <= symbol < self.alphabet_size:
            raise ValueError(f"symbol {symbol} outside 0..{self.alphabet_size - 1}")
        if self.alphabet_size == 2:
            self.update_bit(int(symbol))
            return
        if self._c0 != 1:
            raise ValueError("update() is for byte boundaries; the model is inside a byte")
        for j in range(7, -1, -1):
            self.update_bit((symbol >> j) & 1)

    def params(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "alphabet_size": self.alphabet_size,
            "max_nodes": self.max_nodes,
        }
