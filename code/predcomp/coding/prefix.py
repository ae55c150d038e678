"""Prefix codes: Kraft sums, Shannon code lengths, Huffman's optimal code, canonical codewords.

A prefix code maps each symbol to a bit string (its *codeword*) so that no codeword is the
beginning of another; a stream of codewords can then be split up as it is read. Codeword
lengths ``l_i`` of a binary prefix code satisfy Kraft's inequality ``sum 2**-l_i <= 1``, and any
lengths that satisfy it belong to some prefix code (:func:`canonical_codewords` builds one).
Huffman's algorithm finds the lengths with the smallest expected length; Gallager (1978) bounded
its redundancy by the largest probability (:func:`gallager_bound`). The Shannon–Fano–Elias code
(:func:`shannon_fano_elias_code`) names each symbol by the midpoint of its slice of ``[0, 1)``:
the construction that arithmetic coding applies to a whole message.

Codes for the positive integers (Elias 1975) are prefix codes for an infinite alphabet that need
no probabilities: :func:`elias_gamma` writes ``n`` in ``2 floor(log2 n) + 1`` bits and
:func:`elias_delta` in ``floor(log2 n) + 2 floor(log2(floor(log2 n) + 1)) + 1``, which is
``log2 n + O(log log n)``. They are how a two-part code pays for an integer such as a model's
order or a count (:mod:`predcomp.mdl`).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np

from predcomp.coding.bitio import BitReader, BitWriter

__all__ = [
    "GALLAGER_SIGMA",
    "HuffmanCode",
    "PrefixCode",
    "canonical_codewords",
    "elias_delta",
    "elias_delta_decode",
    "elias_delta_length",
    "elias_gamma",
    "elias_gamma_decode",
    "elias_gamma_length",
    "expected_length",
    "gallager_bound",
    "huffman_code_lengths",
    "huffman_tree",
    "is_prefix_free",
    "kraft_sum",
    "shannon_code_lengths",
    "shannon_fano_elias_code",
]

#: Gallager's constant ``1 - log2(e) + log2(log2(e))``, about 0.086
GALLAGER_SIGMA = 1 - math.log2(math.e) + math.log2(math.log2(math.e))


def _probabilities(probs: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError("probabilities must be a non-empty 1-D array")
    if not np.all(np.isfinite(p)) or (p < 0).any() or not math.isclose(p.sum(), 1.0, abs_tol=1e-9):
        raise ValueError("probabilities must be finite, non-negative and sum to 1")
    return p


def kraft_sum(lengths: Iterable[int], radix: int = 2) -> Fraction:
    """``sum(radix ** -l)`` as an exact fraction: at most 1 for every uniquely decodable code."""
    total = Fraction(0)
    for length in lengths:
        if length < 0:
            raise ValueError("codeword lengths must be non-negative")
        total += Fraction(1, radix**length)
    return total


def is_prefix_free(codewords: Iterable[str]) -> bool:
    """True when no codeword is a prefix of another (duplicates count as prefixes)."""
    words = sorted(codewords)
    # In sorted order a word that is a prefix of another sorts immediately before some
    # word it prefixes, so comparing neighbours suffices.
    return all(not b.startswith(a) for a, b in itertools.pairwise(words))


def expected_length(probs: Sequence[float] | np.ndarray, lengths: Sequence[int]) -> float:
    """``sum p_i l_i``: the average number of bits per symbol."""
    p = _probabilities(probs)
    if len(lengths) != p.size:
        raise ValueError("one length per symbol is needed")
    return float(np.dot(p, np.asarray(lengths, dtype=np.float64)))


def shannon_code_lengths(probs: Sequence[float] | np.ndarray) -> list[int]:
    """Shannon's lengths ``ceil(-log2 p_i)``: they satisfy Kraft, and ``L < H + 1``."""
    p = _probabilities(probs)
    if (p == 0).any():
        raise ValueError("a Shannon code needs every probability positive")
    # log2 is exact on powers of two, so p = 2**-k gets length k. Several symbols need at
    # least one bit each, even when one probability rounds to 1.0 in floating point.
    shortest = 1 if p.size > 1 else 0
    return [max(shortest, math.ceil(-math.log2(x))) for x in p]


def shannon_fano_elias_code(probs: Sequence[float] | np.ndarray) -> list[str]:
    """The Shannon–Fano–Elias codewords: the midpoint of each symbol's slice of ``[0, 1)``.

    Symbol ``x`` owns ``[F(x), F(x) + p(x))`` with ``F(x) = sum_{y < x} p(y)`` (symbols in their
    given order, no sorting); its codeword is the first ``ceil(-log2 p(x)) + 1`` bits of the
    midpoint ``F(x) + p(x) / 2``. The dyadic interval of that codeword lies inside the slice, so
    the code is prefix-free, and ``L < H + 2``. The arithmetic is exact: probabilities given as
    :class:`~fractions.Fraction` are used as they are, floats as the binary fractions they are.
    """
    p = _probabilities([float(x) for x in probs])
    if (p == 0).any():
        raise ValueError("a Shannon–Fano–Elias code needs every probability positive")
    exact = [x if isinstance(x, Fraction) else Fraction(float(x)) for x in probs]
    total = sum(exact, Fraction(0))
    words = []
    below = Fraction(0)
    for q in exact:
        q /= total  # renormalize exactly: the floats may sum to 1 only within rounding
        length = _ceil_log2(1 / q) + 1
        midpoint = below + q / 2
        words.append(format(math.floor(midpoint * 2**length), f"0{length}b"))
        below += q
    return words


def _ceil_log2(x: Fraction) -> int:
    """The smallest integer ``k >= 0`` with ``2**k >= x``, for a fraction ``x >= 1``, exactly."""
    k = max(0, (x.numerator // x.denominator).bit_length() - 1)
    while x.denominator << k < x.numerator:
        k += 1
    return k


def gallager_bound(probs: Sequence[float] | np.ndarray) -> float:
    """Gallager's bound on a binary Huffman code's redundancy: ``L - H <= p_max + 0.086``.

    (R. G. Gallager, "Variations on a theme by Huffman", 1978.) Together with ``L - H < 1`` it
    says that Huffman coding is close to the entropy unless one symbol is very likely.
    """
    return float(_probabilities(probs).max()) + GALLAGER_SIGMA


def huffman_tree(probs: Sequence[float] | np.ndarray) -> list[tuple[int, int]]:
    """Huffman's merges: merge ``k`` joins the two nodes listed into a new node ``n + k``.

    Nodes ``0 .. n-1`` are the symbols. Each step joins the two least probable nodes; ties go
    to the node created first, so the result is deterministic.
    """
    p = _probabilities(probs)
    n = p.size
    heap = [(float(p[i]), i, i) for i in range(n)]  # (weight, creation order, node)
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    while len(heap) > 1:
        w1, _, a = heapq.heappop(heap)
        w2, _, b = heapq.heappop(heap)
        node = n + len(merges)
        merges.append((a, b))
        heapq.heappush(heap, (w1 + w2, node, node))
    return merges


def huffman_code_lengths(probs: Sequence[float] | np.ndarray) -> list[int]:
    """Codeword lengths of a Huffman code: the depth of each symbol in :func:`huffman_tree`.

    A one-symbol source needs no bits at all, so its single codeword has length 0.
    """
    n = _probabilities(probs).size
    merges = huffman_tree(probs)
    depth = [0] * (n + len(merges))
    for k in range(len(merges) - 1, -1, -1):  # from the root down
        for child in merges[k]:
            depth[child] = depth[n + k] + 1
    return depth[:n]


def canonical_codewords(lengths: Sequence[int]) -> list[str]:
    """The canonical prefix code with the given lengths (they must satisfy Kraft's inequality).

    Symbols sorted by (length, index) get consecutive binary numbers, each shifted left when
    the length grows: the construction in the proof that Kraft's inequality suffices.
    """
    if kraft_sum(lengths) > 1:
        raise ValueError("these lengths violate Kraft's inequality: no prefix code has them")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    words = [""] * len(lengths)
    code, prev = 0, 0
    for rank, i in enumerate(order):
        if rank:
            code += 1
        code <<= lengths[i] - prev
        prev = lengths[i]
        words[i] = format(code, f"0{prev}b") if prev else ""
    return words


class PrefixCode:
    """Encode and decode with a prefix code given by its codewords."""

    def __init__(self, codewords: Sequence[str]) -> None:
        words = list(codewords)
        if not words or any(set(w) - {"0", "1"} for w in words):
            raise ValueError("codewords must be strings of '0' and '1'")
        if len(words) > 1 and not is_prefix_free(words):
            raise ValueError("the codewords are not prefix-free")
        self.codewords = words
        self.lengths = [len(w) for w in words]
        self._lookup = {w: i for i, w in enumerate(words)}

    @property
    def alphabet_size(self) -> int:
        return len(self.codewords)

    def kraft_sum(self) -> Fraction:
        return kraft_sum(self.lengths)

    def expected_length(self, probs: Sequence[float] | np.ndarray) -> float:
        return expected_length(probs, self.lengths)

    def encode_bits(self, symbols: Iterable[int]) -> str:
        """The concatenated codewords as a ``'0'``/``'1'`` string."""
        parts = []
        for s in symbols:
            if not 0 <= s < self.alphabet_size:
                raise ValueError(f"symbol {s} outside 0..{self.alphabet_size - 1}")
            parts.append(self.codewords[s])
        return "".join(parts)

    def decode_bits(self, bits: str, n: int | None = None) -> list[int]:
        """Split a bit string into codewords (all of it, or the first ``n`` symbols)."""
        if len(self.codewords) == 1:  # the one-symbol code has the empty codeword
            if n is None:
                raise ValueError("a one-symbol code needs the number of symbols")
            return [0] * n
        out: list[int] = []
        current = ""
        for ch in bits:
            if n is not None and len(out) == n:
                break
            current += ch
            symbol = self._lookup.get(current)
            if symbol is not None:
                out.append(symbol)
                current = ""
            elif len(current) > max(self.lengths):
                raise ValueError("bit string is not a sequence of codewords")
        if current or (n is not None and len(out) < n):
            raise ValueError("bit string ends inside a codeword")
        return out

    def encode(self, symbols: Iterable[int]) -> bytes:
        """Encode to bytes (the last byte zero-padded); decoding needs the symbol count."""
        writer = BitWriter()
        writer.write_string(self.encode_bits(symbols))
        return writer.getvalue()

    def decode(self, data: bytes, n: int) -> list[int]:
        """Decode exactly ``n`` symbols from :meth:`encode`'s bytes."""
        if n < 0:
            raise ValueError("n must be non-negative")
        if len(self.codewords) == 1:
            return [0] * n
        reader = BitReader(data)
        longest = max(self.lengths)
        out: list[int] = []
        while len(out) < n:
            current = ""
            while (symbol := self._lookup.get(current)) is None:
                if len(current) >= longest:
                    raise ValueError("the data is not a sequence of codewords")
                current += "1" if reader.read() else "0"
                if reader.bits_past_end:
                    raise ValueError("the data ended inside a codeword")
            out.append(symbol)
        return out


class HuffmanCode(PrefixCode):
    """Huffman's optimal prefix code for ``probs``, in canonical form."""

    def __init__(self, probs: Sequence[float] | np.ndarray) -> None:
        self.probs = _probabilities(probs)
        super().__init__(canonical_codewords(huffman_code_lengths(self.probs)))

    @classmethod
    def from_counts(cls, counts: Sequence[int] | np.ndarray) -> HuffmanCode:
        """The Huffman code of an empirical distribution (symbol counts)."""
        c = np.asarray(counts, dtype=np.float64)
        if c.ndim != 1 or c.size == 0 or (c < 0).any() or c.sum() <= 0:
            raise ValueError("counts must be non-negative and not all zero")
        return cls(c / c.sum())


# --------------------------------------------------------------------------------------------
# Codes for the positive integers (Elias 1975)
# --------------------------------------------------------------------------------------------


def _check_positive(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"Elias codes are for integers >= 1, got {n!r}")
    return int(n)


def elias_gamma(n: int) -> str:
    """Elias's gamma code of ``n >= 1``: ``floor(log2 n)`` zeros, then ``n`` in binary."""
    binary = format(_check_positive(n), "b")
    return "0" * (len(binary) - 1) + binary


def elias_gamma_length(n: int) -> int:
    """``len(elias_gamma(n)) = 2 floor(log2 n) + 1`` bits."""
    return 2 * _check_positive(n).bit_length() - 1


def elias_delta(n: int) -> str:
    """Elias's delta code of ``n >= 1``: the gamma code of its bit length, then its other bits."""
    binary = format(_check_positive(n), "b")
    return elias_gamma(len(binary)) + binary[1:]


def elias_delta_length(n: int) -> int:
    """``len(elias_delta(n)) = floor(log2 n) + 2 floor(log2(floor(log2 n) + 1)) + 1`` bits."""
    bits = _check_positive(n).bit_length()
    return elias_gamma_length(bits) + bits - 1


def _read_gamma(bits: str, pos: int) -> tuple[int, int]:
    zeros = 0
    while pos + zeros < len(bits) and bits[pos + zeros] == "0":
        zeros += 1
    end = pos + 2 * zeros + 1
    if end > len(bits):
        raise ValueError("the bit string ends inside an Elias codeword")
    return int(bits[pos + zeros : end], 2), end


def _check_bits(bits: str) -> str:
    if not isinstance(bits, str) or set(bits) - {"0", "1"}:
        raise ValueError("expected a string of '0' and '1'")
    return bits


def elias_gamma_decode(bits: str) -> list[int]:
    """The integers whose gamma codewords, concatenated, are ``bits``."""
    bits, pos, out = _check_bits(bits), 0, []
    while pos < len(bits):
        n, pos = _read_gamma(bits, pos)
        out.append(n)
    return out


def elias_delta_decode(bits: str) -> list[int]:
    """The integers whose delta codewords, concatenated, are ``bits``."""
    bits, pos, out = _check_bits(bits), 0, []
    while pos < len(bits):
        length, pos = _read_gamma(bits, pos)
        end = pos + length - 1
        if end > len(bits):
            raise ValueError("the bit string ends inside an Elias codeword")
        out.append(int("1" + bits[pos:end], 2))
        pos = end
    return out
