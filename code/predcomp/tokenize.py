"""Tokenizers: bytes, characters, and byte-pair encoding (BPE) trained from text.

A tokenizer maps text to a sequence of integer ids and back, exactly. Three are here:

* :class:`ByteTokenizer` -- the UTF-8 bytes of the text; a fixed vocabulary of 256.
* :class:`CharTokenizer` -- one id per distinct character seen when it was fitted.
* :class:`BPETokenizer` -- byte-level byte-pair encoding: start from the 256 bytes and
  repeatedly replace the most frequent adjacent pair of tokens by a new token
  (Gage 1994, a compressor; Sennrich et al. 2016, for subword units; byte-level with a
  pre-tokenizing regular expression as in GPT-2, Radford et al. 2019).

Every tokenizer satisfies ``decode(encode(text)) == text`` for every string it accepts.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

__all__ = [
    "PRETOKENIZE_PATTERN",
    "BPETokenizer",
    "BPETrace",
    "ByteTokenizer",
    "CharTokenizer",
    "merge_array",
    "merge_pair",
    "pretokenize",
    "train_bpe",
]

# GPT-2's pre-tokenizer (Radford et al. 2019) written for Python's `re`: \p{L} becomes
# [^\W\d_] (letters) and \p{N} becomes \d. Every character falls in exactly one class
# (whitespace, letter, digit, or "other"), so the pieces always concatenate back to the text.
PRETOKENIZE_PATTERN = (
    r"'s|'t|'re|'ve|'m|'ll|'d"  # English contractions
    r"| ?[^\W\d_]+"  # a word, with its leading space
    r"| ?\d+"  # a number
    r"| ?(?:[^\w\s]|_)+"  # punctuation and other symbols
    r"|\s+(?!\S)"  # whitespace, leaving the last space to the next word
    r"|\s+"
)
_PRETOKENIZE = re.compile(PRETOKENIZE_PATTERN)


def pretokenize(text: str, pattern: str | None = PRETOKENIZE_PATTERN) -> list[str]:
    """Split ``text`` into pieces that BPE merges never cross; ``pattern=None``: one piece."""
    if pattern is None:
        return [text] if text else []
    regex = _PRETOKENIZE if pattern == PRETOKENIZE_PATTERN else re.compile(pattern)
    pieces = regex.findall(text)
    if sum(len(p) for p in pieces) != len(text):
        raise ValueError("the pre-tokenizing pattern does not cover every character of the text")
    return pieces


class ByteTokenizer:
    """Text as its UTF-8 bytes: ids 0..255, nothing to learn."""

    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        """The UTF-8 bytes of ``text`` as a list of ints."""
        return list(text.encode("utf-8"))

    def decode(self, ids: Iterable[int]) -> str:
        """Inverse of :meth:`encode` (invalid UTF-8 raises ``UnicodeDecodeError``)."""
        return bytes(ids).decode("utf-8")


class CharTokenizer:
    """One id per distinct character of the text it was fitted on (sorted by code point)."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars: list[str] = sorted(set(chars))
        if any(len(c) != 1 for c in self.chars):
            raise ValueError("CharTokenizer needs single characters")
        self.index: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def fit(cls, text: str) -> CharTokenizer:
        """The tokenizer whose vocabulary is the set of characters of ``text``."""
        return cls(text)

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters."""
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """Ids of the characters of ``text``; a character never seen raises ``ValueError``."""
        try:
            return [self.index[c] for c in text]
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        """The characters with these ids (ints, or the elements of an integer tensor)."""
        n = len(self.chars)
        out = []
        for i in ids:
            j = int(i)
            if not 0 <= j < n:
                raise ValueError(f"token id {j} is out of range 0..{n - 1}")
            out.append(self.chars[j])
        return "".join(out)


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids``, scanning left to right, by ``new_id``."""
    a, b = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i + 1 < n and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_array(ids: np.ndarray, pair: tuple[int, int], new_id: int) -> np.ndarray:
    """:func:`merge_pair` vectorized with numpy, for long sequences."""
    a, b = pair
    if len(ids) < 2:
        return ids.copy()
    hits = np.flatnonzero((ids[:-1] == a) & (ids[1:] == b))
    if a == b and len(hits) > 1:
        # In a run like "aaaa" the occurrences overlap; left to right, keep every other one.
        new_run = np.ones(len(hits), dtype=bool)
        new_run[1:] = np.diff(hits) != 1
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(hits)), 0))
        hits = hits[(np.arange(len(hits)) - run_start) % 2 == 0]
    out = ids.copy()
    out[hits] = new_id
    return np.delete(out, hits + 1)


# Pieces longer than this are merged with numpy rather than in pure Python.
_LONG_PIECE = 4096


@dataclass
class BPETokenizer:
    """Byte-level BPE: ids 0..255 are bytes; id ``256 + r`` is the merge of rank ``r``.

    ``merges[r] = (a, b)`` means: wherever token ``a`` is followed by token ``b`` (inside one
    pre-tokenized piece), write token ``256 + r`` instead. Encoding applies the merges in rank
    order, which reproduces exactly what training did to its own text.
    """

    merges: list[tuple[int, int]] = field(default_factory=list)
    pattern: str | None = PRETOKENIZE_PATTERN

    def __post_init__(self) -> None:
        self.merges = [(int(a), int(b)) for a, b in self.merges]
        self.ranks: dict[tuple[int, int], int] = {}
        self.vocab: list[bytes] = [bytes([i]) for i in range(256)]
        for r, (a, b) in enumerate(self.merges):
            if not (0 <= a < 256 + r and 0 <= b < 256 + r):
                raise ValueError(f"merge {r} uses a token that does not exist yet: {(a, b)}")
            self.ranks[(a, b)] = r
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return 256 + len(self.merges)

    def truncated(self, num_merges: int) -> BPETokenizer:
        """The tokenizer made of the first ``num_merges`` merges only."""
        return BPETokenizer(self.merges[:num_merges], self.pattern)

    def _encode_piece(self, piece: str) -> list[int]:
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        if len(piece) > _LONG_PIECE:
            arr = np.frombuffer(piece.encode("utf-8"), dtype=np.uint8).astype(np.int64)
            for r, pair in enumerate(self.merges):  # in rank order, as training did
                arr = merge_array(arr, pair, 256 + r)
            return arr.tolist()
        ids = list(piece.encode("utf-8"))
        ranks = self.ranks
        while len(ids) >= 2:
            # The lowest-ranked pair present is the next merge training applied here.
            best = min(pairwise(ids), key=lambda p: ranks.get(p, len(ranks)))
            if best not in ranks:
                break
            ids = merge_pair(ids, best, 256 + ranks[best])
        if len(self._cache) < 1_000_000:
            self._cache[piece] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""
        out: list[int] = []
        for piece in pretokenize(text, self.pattern):
            out.extend(self._encode_piece(piece))
        return out

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes these tokens stand for."""
        try:
            return b"".join(self.vocab[i] for i in ids)
        except IndexError:
            raise ValueError("token id out of range") from None

    def decode(self, ids: Iterable[int]) -> str:
        """Inverse of :meth:`encode`; a sequence that is not valid UTF-8 raises ``ValueError``."""
        return self.decode_bytes(ids).decode("utf-8")

    def token_strings(self) -> list[str]:
        """A readable form of every token (bytes that are not UTF-8 shown escaped)."""
        return [t.decode("utf-8", errors="backslashreplace") for t in self.vocab]

    def to_json(self) -> str:
        """Serialize the merges and the pattern (all a decoder needs)."""
        return json.dumps({"pattern": self.pattern, "merges": self.merges})

    @classmethod
    def from_json(cls, s: str) -> BPETokenizer:
        """Inverse of :meth:`to_json`."""
        d = json.loads(s)
        return cls([tuple(m) for m in d["merges"]], d["pattern"])


@dataclass
class BPETrace:
    """What training did: per merge, the pair, its counted frequency, and tokens saved."""

    pairs: list[tuple[int, int]]
    counts: list[int]
    tokens_before: int
    tokens_after: list[int]


def train_bpe(
    text: str,
    num_merges: int,
    pattern: str | None = PRETOKENIZE_PATTERN,
    *,
    return_trace: bool = False,
) -> BPETokenizer | tuple[BPETokenizer, BPETrace]:
    """Learn ``num_merges`` byte-pair merges from ``text`` (fewer if no pair repeats).

    Each step merges the most frequent adjacent pair (ties: the smallest pair), counted over
    the pre-tokenized pieces weighted by how often each piece occurs. Pair counts are kept up
    to date incrementally: a merge only revisits the distinct pieces that contain the pair.
    With ``return_trace=True`` also return a :class:`BPETrace` whose ``tokens_after[r]`` is
    the exact number of tokens of ``text`` after the first ``r + 1`` merges.
    """
    if num_merges < 0:
        raise ValueError("num_merges must be >= 0")
    if pattern is None:
        tok, trace = _train_bpe_stream(text.encode("utf-8"), num_merges)
        return (tok, trace) if return_trace else tok
    piece_counts = Counter(pretokenize(text, pattern))
    words: list[list[int]] = [list(p.encode("utf-8")) for p in piece_counts]
    freqs: list[int] = list(piece_counts.values())
    n_tokens = sum(len(w) * f for w, f in zip(words, freqs, strict=True))

    counts: Counter[tuple[int, int]] = Counter()
    where: dict[tuple[int, int], set[int]] = {}
    for i, (w, f) in enumerate(zip(words, freqs, strict=True)):
        for p in pairwise(w):
            counts[p] += f
            where.setdefault(p, set()).add(i)
    # Max-heap of (-count, pair); stale entries are skipped when popped.
    heap = [(-c, p) for p, c in counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[int, int]] = []
    trace = BPETrace([], [], n_tokens, [])
    while len(merges) < num_merges and heap:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg:
            continue  # stale entry
        if -neg < 2:
            break  # nothing repeats: a merge would not shorten the text
        new_id = 256 + len(merges)
        merges.append(pair)
        trace.pairs.append(pair)
        trace.counts.append(-neg)
        changed: set[tuple[int, int]] = set()
        for i in where.pop(pair, ()):
            old, f = words[i], freqs[i]
            new = merge_pair(old, pair, new_id)
            if len(new) == len(old):
                continue  # stale index: the pair left this piece in an earlier merge
            n_tokens -= (len(old) - len(new)) * f
            for p in pairwise(old):
                counts[p] -= f
                changed.add(p)
            for p in pairwise(new):
                counts[p] += f
                changed.add(p)
                where.setdefault(p, set()).add(i)
            words[i] = new
        for p in changed:
            c = counts[p]
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                del counts[p]
        trace.tokens_after.append(n_tokens)

    tok = BPETokenizer(merges, pattern)
    return (tok, trace) if return_trace else tok


def _train_bpe_stream(data: bytes, num_merges: int) -> tuple[BPETokenizer, BPETrace]:
    """BPE on one unsplit byte stream, as in Gage (1994): recount all pairs with numpy."""
    ids = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    size = 256 + num_merges
    merges: list[tuple[int, int]] = []
    trace = BPETrace([], [], len(ids), [])
    while len(merges) < num_merges and len(ids) >= 2:
        counts = np.bincount(ids[:-1] * size + ids[1:], minlength=1)
        best = int(np.argmax(counts))  # the first maximum: ties go to the smallest pair
        if counts[best] < 2:
            break
        pair = (best // size, best % size)
        merges.append(pair)
        trace.pairs.append(pair)
        trace.counts.append(int(counts[best]))
        ids = merge_array(ids, pair, 256 + len(merges) - 1)
        trace.tokens_after.append(len(ids))
    return BPETokenizer(merges, None), trace
