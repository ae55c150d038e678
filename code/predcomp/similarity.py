"""Compressors read backwards: similarity, prediction and classification from code lengths.

If a compressor codes a string ``x`` in ``C(x)`` bits, it implicitly assigns it the probability
``2 ** -C(x)`` (Kraft's inequality makes these sum to at most 1 over a prefix-free code). Two
consequences are built here:

* **Similarity.** ``C(xy) - C(x)`` approximates the bits needed for ``y`` once ``x`` is known. The
  *normalized compression distance* of Cilibrasi and Vitányi (2005) turns this into a number in
  about ``[0, 1]``:  ``NCD(x, y) = (C(xy) - min(C(x), C(y))) / max(C(x), C(y))``.
* **Classification.** A nearest-neighbour classifier under NCD (the "gzip + kNN" method of Jiang
  et al., 2023), with an explicit, honest tie-breaking rule.
* **Prediction.** The next-symbol distribution a compressor implies,
  ``p(a | x) ∝ 2 ** -(C(x + a) - C(x))``.

A *compressor* here is a name from :data:`COMPRESSORS` or any callable that maps ``bytes`` to
either compressed ``bytes`` (its length in bits is ``8 * len``) or a code length in bits
(``int`` or ``float``), such as an ideal code length computed from a predictive model.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

CompressorLike = str | Callable[[bytes], bytes | int | float]


def _raw_deflate(data: bytes) -> bytes:
    """DEFLATE at level 9 with no header or checksum (the bytes gzip spends on content)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


#: standard-library compressors by name; ``"deflate"`` is gzip without its 18-byte frame
COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    "deflate": _raw_deflate,
    "bz2": lambda data: bz2.compress(data, 9),
    "lzma": lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME),
}


def _as_bytes(x: bytes | str) -> bytes:
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x)
    raise TypeError(f"expected bytes or str, got {type(x).__name__}")


def length_function(compressor: CompressorLike) -> Callable[[bytes], float]:
    """Return a function ``bytes -> code length in bits`` for a compressor name or callable."""
    if isinstance(compressor, str):
        try:
            fn: Callable[[bytes], bytes | int | float] = COMPRESSORS[compressor]
        except KeyError:
            known = ", ".join(sorted(COMPRESSORS))
            raise ValueError(f"unknown compressor {compressor!r}; known: {known}") from None
    elif callable(compressor):
        fn = compressor
    else:
        raise TypeError("compressor must be a name or a callable")

    def bits(data: bytes) -> float:
        out = fn(data)
        if isinstance(out, (bytes, bytearray)):
            return 8.0 * len(out)
        return float(out)

    return bits


def compressed_bits(x: bytes | str, compressor: CompressorLike = "gzip") -> float:
    """Code length of ``x`` in bits under ``compressor``."""
    return length_function(compressor)(_as_bytes(x))


def ncd(
    x: bytes | str,
    y: bytes | str,
    compressor: CompressorLike = "gzip",
    separator: bytes = b"",
) -> float:
    """Normalized compression distance (Cilibrasi & Vitányi 2005).

    ``(C(x + sep + y) - min(C(x), C(y))) / max(C(x), C(y))``. Near 0 for near-identical inputs,
    near 1 for unrelated ones; a real compressor can give slightly more than 1.
    """
    c = length_function(compressor)
    xb, yb = _as_bytes(x), _as_bytes(y)
    cx, cy = c(xb), c(yb)
    cxy = c(xb + separator + yb)
    denom = max(cx, cy)
    if denom <= 0:
        raise ValueError("NCD is undefined when both code lengths are zero")
    return (cxy - min(cx, cy)) / denom


def ncd_matrix(
    rows: Sequence[bytes | str],
    cols: Sequence[bytes | str] | None = None,
    compressor: CompressorLike = "gzip",
    separator: bytes = b"",
) -> np.ndarray:
    """Matrix ``D[i, j] = NCD(rows[i], cols[j])``; ``cols`` defaults to ``rows``.

    Each single-string length is computed once, so the cost is one compression per pair plus
    one per string.
    """
    c = length_function(compressor)
    rb = [_as_bytes(x) for x in rows]
    cb = rb if cols is None else [_as_bytes(y) for y in cols]
    cr = np.array([c(x) for x in rb])
    cc = cr if cols is None else np.array([c(y) for y in cb])
    out = np.empty((len(rb), len(cb)))
    for i, x in enumerate(rb):
        for j, y in enumerate(cb):
            cxy = c(x + separator + y)
            out[i, j] = (cxy - min(cr[i], cc[j])) / max(cr[i], cc[j])
    return out


TieRule = Literal["nearest", "oracle"]


def knn_predict(
    distances: np.ndarray,
    train_labels: Sequence[int],
    k: int = 1,
) -> np.ndarray:
    """k-nearest-neighbour labels from a ``(n_test, n_train)`` distance matrix.

    Majority vote over the ``k`` nearest training items; a tie between labels goes to the label
    whose closest member is nearest (for ``k = 2`` with two different labels this is the 1-NN
    answer). Distance ties between training items are broken by index, so results are
    deterministic.
    """
    d = np.asarray(distances, dtype=float)
    labels = np.asarray(train_labels)
    if d.ndim != 2 or d.shape[1] != len(labels):
        raise ValueError("distances must have shape (n_test, n_train)")
    if not 1 <= k <= len(labels):
        raise ValueError(f"k must be between 1 and {len(labels)}, got {k}")
    out = np.empty(d.shape[0], dtype=labels.dtype)
    for i, row in enumerate(d):
        idx = np.argsort(row, kind="stable")[:k]
        votes: dict[int, int] = {}
        for j in idx:  # in order of distance: first seen = nearest member
            votes[labels[j]] = votes.get(labels[j], 0) + 1
        best = max(votes.values())
        out[i] = next(lab for lab, v in votes.items() if v == best)
    return out


def knn_accuracy(
    distances: np.ndarray,
    train_labels: Sequence[int],
    test_labels: Sequence[int],
    k: int = 1,
    tie: TieRule = "nearest",
) -> float:
    """Accuracy of the NCD k-NN classifier.

    ``tie="nearest"`` is an honest classifier (:func:`knn_predict`). ``tie="oracle"`` counts a test
    item as correct when the true label is *any* of the labels tied for the most votes: this
    peeks at the answer, and for ``k = 2`` it equals "either of the two nearest neighbours is
    right", i.e. a top-2 accuracy. It reproduces the scoring of the original gzip-kNN code
    (Jiang et al. 2023) that was reported after publication, and exists here to measure how
    much it inflates the numbers.
    """
    d = np.asarray(distances, dtype=float)
    y_train = np.asarray(train_labels)
    y_test = np.asarray(test_labels)
    if len(y_test) != d.shape[0]:
        raise ValueError("test_labels must have one label per row of distances")
    if tie == "nearest":
        return float(np.mean(knn_predict(d, y_train, k) == y_test))
    if tie != "oracle":
        raise ValueError(f"tie must be 'nearest' or 'oracle', got {tie!r}")
    if not 1 <= k <= len(y_train):
        raise ValueError(f"k must be between 1 and {len(y_train)}, got {k}")
    correct = 0
    for row, truth in zip(d, y_test, strict=True):
        idx = np.argsort(row, kind="stable")[:k]
        labs, counts = np.unique(y_train[idx], return_counts=True)
        correct += truth in set(labs[counts == counts.max()].tolist())
    return correct / len(y_test)


class CompressionClassifier:
    """Nearest-neighbour text classifier under the normalized compression distance.

    ``fit`` only stores the training texts ("parameter-free"); ``predict`` compresses every
    (test, train) pair, so its cost grows with the product of the two set sizes.
    """

    def __init__(
        self, compressor: CompressorLike = "gzip", k: int = 1, separator: bytes = b" "
    ) -> None:
        self.compressor = compressor
        self.k = k
        self.separator = separator
        self._texts: list[bytes] = []
        self._labels: np.ndarray = np.empty(0, dtype=int)

    def fit(self, texts: Sequence[bytes | str], labels: Sequence[int]) -> CompressionClassifier:
        """Remember the labelled training texts."""
        if len(texts) != len(labels) or len(texts) == 0:
            raise ValueError("need the same, non-zero number of texts and labels")
        self._texts = [_as_bytes(t) for t in texts]
        self._labels = np.asarray(labels)
        return self

    def distances(self, texts: Sequence[bytes | str]) -> np.ndarray:
        """NCD from each text to each training text, shape ``(len(texts), n_train)``."""
        if not self._texts:
            raise ValueError("call fit() before distances() or predict()")
        return ncd_matrix(texts, self._texts, self.compressor, self.separator)

    def predict(self, texts: Sequence[bytes | str]) -> np.ndarray:
        """Predicted label of each text."""
        return knn_predict(self.distances(texts), self._labels, self.k)


def implied_distribution(
    context: bytes | str,
    alphabet: bytes,
    compressor: CompressorLike = "gzip",
) -> np.ndarray:
    """The next-symbol distribution a compressor implies after ``context``.

    ``p(a | x) = 2 ** -(C(x a) - C(x)) / Z`` over the byte values in ``alphabet``. A compressor
    whose lengths are whole bytes can only express probabilities in steps of ``2 ** -8``, and
    ties are common: that coarseness is the point this function lets one see.
    """
    c = length_function(compressor)
    x = _as_bytes(context)
    if len(alphabet) == 0:
        raise ValueError("alphabet must not be empty")
    base = c(x)
    extra = np.array([c(x + bytes([a])) - base for a in alphabet])
    w = np.exp2(-(extra - extra.min()))  # shift for numerical safety; cancels in Z
    return w / w.sum()
