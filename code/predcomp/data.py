"""Data for the book: synthetic sources with exact entropy rates, and real text corpora.

**Synthetic sources.** :class:`IIDSource` and :class:`MarkovSource` (order ``k``) sample
integer sequences from a seeded :class:`numpy.random.Generator` and know their exact entropy
rate, so an experiment can compare what a model achieves with what is achievable.
:func:`iid_source` and :func:`markov_source` are one-call shortcuts.

**Real corpora.** :data:`CORPORA` names the real texts the book uses. :func:`load_text` /
:func:`load_bytes` read one from a cache folder (``$PREDCOMP_DATA_DIR``, or else
``~/.cache/predcomp``), downloading it on first use. Every file is checked against its
SHA-256: a wrong checksum is an error, never a silent substitute. Without a network, put the
file in the cache yourself, e.g. ``python -m predcomp data import tinyshakespeare.txt``.
Nothing here touches the network unless a corpus is missing and a function is asked for it.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tarfile
import urllib.request
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from predcomp import info
from predcomp.fileio import write_atomic

__all__ = [
    "CORPORA",
    "ChecksumMismatchError",
    "Corpus",
    "CorpusUnavailableError",
    "IIDSource",
    "MarkovSource",
    "corpus_path",
    "data_dir",
    "fetch",
    "iid_source",
    "import_file",
    "load_bytes",
    "load_text",
    "markov_source",
    "random_transition_matrix",
    "sha256_of",
]

# =========================================================================== real corpora


@dataclass(frozen=True)
class Corpus:
    """A real text corpus: where it comes from and how to recognize the right file."""

    name: str
    url: str
    sha256: str
    size: int
    description: str
    #: for an archive download, the member holding the text; ``None`` for a plain file
    member: str | None = None


CORPORA: dict[str, Corpus] = {
    c.name: c
    for c in [
        Corpus(
            name="tinyshakespeare",
            url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            size=1_115_394,
            description="Shakespeare excerpts (about 1.1 MB), the classic character-level corpus",
        ),
        Corpus(
            name="asyoulik",
            url="https://corpus.canterbury.ac.nz/resources/cantrbry.tar.gz",
            sha256="eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc",
            size=125_179,
            description="Shakespeare's 'As You Like It' (125 kB), from the Canterbury corpus",
            member="asyoulik.txt",
        ),
    ]
}


class CorpusUnavailableError(FileNotFoundError):
    """A corpus is not in the cache and could not be downloaded."""


class ChecksumMismatchError(ValueError):
    """A file's SHA-256 is not the one recorded for its corpus."""


def data_dir() -> Path:
    """The cache folder: ``$PREDCOMP_DATA_DIR`` if set, else ``~/.cache/predcomp``.

    Read at every call, so changing the variable takes effect immediately. Not created here.
    """
    env = os.environ.get("PREDCOMP_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "predcomp"


def _corpus(name: str) -> Corpus:
    try:
        return CORPORA[name]
    except KeyError:
        known = ", ".join(sorted(CORPORA))
        raise ValueError(f"unknown corpus {name!r}; known corpora: {known}") from None


def corpus_path(name: str) -> Path:
    """Where the corpus ``name`` lives in the cache (whether or not it is there yet)."""
    _corpus(name)
    return data_dir() / f"{name}.txt"


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _verify(corpus: Corpus, data: bytes, origin: str) -> None:
    digest = sha256_of(data)
    if digest != corpus.sha256:
        raise ChecksumMismatchError(
            f"{origin} is not the expected {corpus.name!r} corpus: SHA-256 {digest} "
            f"({len(data):,} bytes), expected {corpus.sha256} ({corpus.size:,} bytes)"
        )


def _download(url: str, timeout: float = 60.0) -> bytes:
    """Return the bytes at ``url`` (the one function here that uses the network)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _how_to_provide(corpus: Corpus) -> str:
    where = corpus_path(corpus.name)
    source = corpus.url + (f" (member {corpus.member} of that archive)" if corpus.member else "")
    return (
        f"Provide the file yourself: download {source}, then run "
        f"'python -m predcomp data import {corpus.name}.txt' or copy it to {where}. "
        f"Set PREDCOMP_DATA_DIR to use another cache folder."
    )


def fetch(name: str, force: bool = False) -> Path:
    """Download the corpus ``name`` into the cache (unless already there) and return its path.

    The download is verified against the recorded SHA-256 before it is renamed into place, so
    the cache never holds a partial or wrong file. ``force=True`` downloads again.
    """
    corpus = _corpus(name)
    path = corpus_path(name)
    if path.exists() and not force:
        _verify(corpus, path.read_bytes(), f"the cached file {path}")
        return path
    try:
        raw = _download(corpus.url)
    except OSError as exc:  # urllib's URLError and socket timeouts are OSErrors
        raise CorpusUnavailableError(
            f"corpus {name!r} is not in the cache and downloading {corpus.url} failed "
            f"({exc}). {_how_to_provide(corpus)}"
        ) from exc
    if corpus.member is not None:
        raw = _extract_member(raw, corpus.member, corpus.url)
    _verify(corpus, raw, f"the download from {corpus.url}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, raw, overwrite=True)
    return path


def _extract_member(archive: bytes, member: str, url: str) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            for info_ in tar.getmembers():
                if info_.isfile() and Path(info_.name).name == member:
                    f = tar.extractfile(info_)
                    if f is not None:
                        return f.read()
    except tarfile.TarError as exc:
        raise ChecksumMismatchError(f"{url} did not give a readable tar archive: {exc}") from exc
    raise ChecksumMismatchError(f"the archive {url} has no member {member!r}")


def import_file(path: str | os.PathLike[str]) -> Path:
    """Copy a local file into the cache after checking it; return the cached path.

    The corpus is named by the file's stem (``tinyshakespeare.txt`` -> ``tinyshakespeare``).
    """
    src = Path(path)
    corpus = _corpus(src.stem)
    if not src.is_file():
        raise FileNotFoundError(f"no such file: {src}")
    data = src.read_bytes()
    _verify(corpus, data, str(src))
    dest = corpus_path(corpus.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(dest, data, overwrite=True)
    return dest


def load_bytes(name: str, download: bool = True) -> bytes:
    """The verified bytes of corpus ``name``, downloading it on first use if ``download``."""
    corpus = _corpus(name)
    path = corpus_path(name)
    if not path.exists():
        if not download:
            raise CorpusUnavailableError(
                f"corpus {name!r} is not in the cache ({path}). {_how_to_provide(corpus)}"
            )
        fetch(name)
    data = path.read_bytes()
    _verify(corpus, data, f"the cached file {path}")
    return data


def load_text(name: str, download: bool = True) -> str:
    """The corpus ``name`` as a string (decoded as UTF-8)."""
    return load_bytes(name, download=download).decode("utf-8")


# ======================================================================= synthetic sources


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"the number of symbols must be a non-negative integer, got {n!r}")
    return int(n)


class IIDSource:
    """Independent draws from a fixed distribution ``p`` over ``0 .. len(p) - 1``."""

    def __init__(self, p: ArrayLike) -> None:
        self.p = info.as_distribution(p)
        self.alphabet_size = len(self.p)

    def entropy_rate(self, base: float = 2.0) -> float:
        """Exact entropy per symbol, ``H(p)``."""
        return info.entropy(self.p, base=base)

    def sample(self, n: int, seed: int | np.random.Generator | None = 0) -> np.ndarray:
        """``n`` symbols as an int64 array."""
        rng = np.random.default_rng(seed)
        return rng.choice(self.alphabet_size, size=_check_n(n), p=self.p).astype(np.int64)

    def __repr__(self) -> str:
        return f"IIDSource(p={self.p.tolist()})"


class MarkovSource:
    """A stationary order-``k`` Markov source over ``0 .. a - 1``.

    ``P`` has shape ``(a**k, a)``: row ``c`` is the distribution of the next symbol after the
    context ``c``, where the last ``k`` symbols ``x_{t-k} .. x_{t-1}`` are read as a base-``a``
    number, most recent symbol last (least significant): ``c = sum_i x_{t-k+i} a^(k-1-i)``.
    For ``k = 1`` this is an ordinary transition matrix. The first ``k`` symbols are drawn
    from the stationary distribution of contexts, so every sample is stationary from the start.
    """

    def __init__(self, P: ArrayLike, order: int = 1) -> None:
        # info validates the table (shape (a**order, a), every row a distribution, at most
        # info.MAX_CONTEXTS contexts) while building the equivalent chain on contexts.
        self._T = info.context_transition_matrix(P, order)
        self.P = np.asarray(P, dtype=np.float64)
        self.order = int(order)
        self.alphabet_size = self.P.shape[1]
        self._pi = info.stationary_distribution(self._T)

    def context_transition_matrix(self) -> np.ndarray:
        """The order-1 chain on contexts (``a**k`` states) equivalent to this source."""
        return self._T.copy()

    def stationary_contexts(self) -> np.ndarray:
        """Stationary probability of each context (length ``a**k``)."""
        return self._pi.copy()

    def entropy_rate(self, base: float = 2.0) -> float:
        """Exact entropy rate ``sum_c pi(c) H(P[c])`` (see :func:`info.markov_entropy_rate`)."""
        return info.markov_entropy_rate(self.P, self.order, base=base)

    def sample(self, n: int, seed: int | np.random.Generator | None = 0) -> np.ndarray:
        """``n`` symbols (stationary from the first one) as an int64 array."""
        n = _check_n(n)
        rng = np.random.default_rng(seed)
        a, k = self.alphabet_size, self.order
        m = a**k
        out = np.empty(n, dtype=np.int64)
        if n == 0:
            return out
        c = int(rng.choice(m, p=self._pi))
        start = [(c // a ** (k - 1 - i)) % a for i in range(k)]
        head = min(k, n)
        out[:head] = start[:head]
        cums = [list(accumulate(row)) for row in self.P.tolist()]
        u = rng.random(n - head).tolist()
        for t, ut in enumerate(u, start=head):
            row = cums[c]
            x = min(bisect_right(row, ut * row[-1]), a - 1)
            out[t] = x
            c = (c * a + x) % m
        return out

    def log_loss(self, seq: ArrayLike, base: float = 2.0) -> np.ndarray:
        """Per-symbol ``-log P(x_t | x_{<t})`` of ``seq`` under this source (the ideal code).

        The first ``k`` symbols cost their stationary context probability (spread over them by
        the chain rule), every later one its transition probability, so the sum is
        ``-log P(seq)``: what a coder that knows the source spends, which any learning model
        must exceed on average (its excess is the model's redundancy).
        """
        x = np.asarray(seq, dtype=np.int64)
        a, k = self.alphabet_size, self.order
        if x.ndim != 1 or (x.size and (x.min() < 0 or x.max() >= a)):
            raise ValueError(f"seq must be a 1-D array of symbols in 0..{a - 1}")
        scale = math.log(base)
        out = np.empty(x.size)
        head = min(k, x.size)
        if head:  # P(x_1 .. x_head) from the stationary distribution of contexts, by marginals
            pi = self._pi.reshape((a,) * k)
            prev = 0.0
            for i in range(1, head + 1):
                marg = pi.sum(axis=tuple(range(i, k))) if i < k else pi
                cur = -math.log(float(marg[tuple(x[:i])])) / scale
                out[i - 1] = cur - prev
                prev = cur
        if x.size > k:
            weights = a ** np.arange(k - 1, -1, -1)  # most recent symbol least significant
            idx = np.arange(k, x.size)[:, None] - k + np.arange(k)[None, :]
            ctx = x[idx] @ weights
            out[k:] = -np.log(self.P[ctx, x[k:]]) / scale
        return out

    def __repr__(self) -> str:
        return f"MarkovSource(order={self.order}, alphabet_size={self.alphabet_size})"


def iid_source(p: ArrayLike, n: int, seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """``n`` i.i.d. symbols drawn from ``p`` (int64 array); see :class:`IIDSource`."""
    return IIDSource(p).sample(n, seed=seed)


def markov_source(
    P: ArrayLike, n: int, seed: int | np.random.Generator | None = 0, order: int = 1
) -> np.ndarray:
    """``n`` symbols of the order-``order`` Markov source ``P``; see :class:`MarkovSource`."""
    return MarkovSource(P, order=order).sample(n, seed=seed)


def random_transition_matrix(
    alphabet_size: int, order: int = 1, concentration: float = 0.5, seed: int = 0
) -> np.ndarray:
    """A random table of shape ``(a**order, a)`` for :class:`MarkovSource` (Dirichlet rows).

    Small ``concentration`` gives peaked, predictable rows (low entropy rate); large gives
    rows near uniform (entropy rate near ``log a``). All entries are positive, so the chain
    is irreducible and aperiodic.
    """
    if alphabet_size < 1 or order < 1:
        raise ValueError("alphabet_size and order must be positive")
    if not (concentration > 0 and math.isfinite(concentration)):
        raise ValueError(f"concentration must be positive, got {concentration!r}")
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(alphabet_size, concentration), size=alphabet_size**order)
    P = np.maximum(P, 1e-12)
    return P / P.sum(axis=1, keepdims=True)
