"""Kolmogorov complexity from above, why it cannot be computed, and a tiny Solomonoff predictor.

The Kolmogorov complexity ``K(x)`` of a string is the length of the shortest program that prints
it, on a fixed universal machine. It is the ideal compressed size, and nobody can compute it:

* every compressor ``C`` gives an **upper bound**, ``K(x) <= |C(x)| + c_C``, where ``c_C`` is the
  length of the decompressor, a constant that does not depend on ``x``
  (:func:`upper_bounds`; a short program such as :func:`pi_digits` can be a far better bound);
* **Berry's paradox** turns any claimed algorithm for ``K`` into a contradiction: "the first string
  whose complexity exceeds ``b``" is described by a program of about ``log2 b`` bits plus a
  constant. :func:`berry` is that program, with a real compressor in place of ``K``; it runs,
  and its output shows how far every compressor is from ``K`` on some strings.

Solomonoff's universal prior weighs every program ``p`` by ``2**-|p|`` and predicts with the
mixture of their outputs. Over all programs it is incomputable too; over a small, prefix-free
set of programs (:func:`program_space`) it is an ordinary Bayesian mixture, and
:class:`SolomonoffMixture` runs it: after any prefix ``x`` its code length, the sum of its
prediction losses, is ``-log2 M(x) / M(empty) <= |p|`` for every program ``p`` whose output
begins with ``x`` (``M(empty) <= 1`` is the prior's Kraft sum).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from predcomp.coding.prefix import elias_gamma

__all__ = [
    "LITERAL_CODE",
    "Program",
    "SolomonoffMixture",
    "berry",
    "named_sequences",
    "pi_digits",
    "program_space",
    "shortlex",
    "upper_bounds",
]


# =========================================================================== upper bounds


def upper_bounds(
    data: bytes, models: Sequence[str] | None = None, tools: Sequence[str] | None = None
) -> dict[str, int]:
    """Compressed size of ``data`` in bits under every compressor of the package.

    Each of our models (the registry's, or ``models``) through :func:`predcomp.compress.compress`,
    container header included, and the standard compressors available here
    (:func:`predcomp.baselines.standard_codecs`; ``tools`` restricts them by name). Each is an
    upper bound on ``K(data)`` up to the size of its own decompressor.
    """
    from predcomp.baselines import standard_codecs
    from predcomp.compress import compress
    from predcomp.models.registry import SPECS

    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    # (by default every model that needs nothing besides its parameters: not gpt-static)
    models = models or [name for name, spec in SPECS.items() if spec.needs is None]
    out = {f"predcomp {m}": 8 * len(compress(data, m)) for m in models}
    for name, comp, _ in standard_codecs():
        if tools is None or name in tools:
            out[name] = 8 * len(comp(data))
    return out


def pi_digits(n: int) -> bytes:
    """The first ``n`` decimal digits of pi (``b"31415..."``), from Machin's formula.

    ``pi = 16 arctan(1/5) - 4 arctan(1/239)``, with the arctangent series summed in integers
    scaled by ``10**(n + 10)`` (ten guard digits). A few lines of code for any number of digits:
    the digits' Kolmogorov complexity is about ``log2 n`` bits plus this program.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
        raise ValueError(f"n must be an integer in 1..100000, got {n!r}")
    scale = 10 ** (n + 10)

    def arctan_inv(x: int) -> int:  # arctan(1/x) * scale
        total, term, k, sign = 0, scale // x, 1, 1
        while term:
            total += sign * (term // k)
            term //= x * x
            k += 2
            sign = -sign
        return total

    pi = (16 * arctan_inv(5) - 4 * arctan_inv(239)) // 10**10
    # to decimal in blocks: Python refuses str() of integers with more than 4300 digits
    blocks = []
    while pi:
        pi, block = divmod(pi, 10**1000)
        blocks.append(str(block).zfill(1000))
    return "".join(reversed(blocks)).lstrip("0").encode()[:n]


# =========================================================================== Berry's paradox


def shortlex(alphabet: bytes = b"01") -> Iterator[bytes]:
    """Every string over ``alphabet``: shortest first, then in alphabetical order."""
    if not alphabet or len(set(alphabet)) != len(alphabet):
        raise ValueError("the alphabet must be non-empty with distinct symbols")
    for length in itertools.count():
        for letters in itertools.product(alphabet, repeat=length):
            yield bytes(letters)


def berry(
    bound: float,
    code_length: Callable[[bytes], float],
    alphabet: bytes = b"01",
    max_candidates: int = 1 << 20,
) -> bytes:
    """The first string (in :func:`shortlex` order) whose ``code_length`` exceeds ``bound`` bits.

    With ``code_length = K`` this program would print a string of complexity above ``bound``
    while being itself a description of that string of only ``|berry| + O(log bound)`` bits:
    for large ``bound`` a contradiction, so no program computes ``K``. With a real compressor it
    runs; its output is a string the compressor cannot shorten below ``bound`` bits although a
    short program (this one) prints it. Gives up with ``ValueError`` after ``max_candidates``.
    """
    for i, s in enumerate(shortlex(alphabet)):
        if i >= max_candidates:
            raise ValueError(f"no string within {max_candidates} candidates exceeds {bound} bits")
        if code_length(s) > bound:
            return s
    raise AssertionError("unreachable: shortlex is infinite")  # pragma: no cover


# =========================================================================== Solomonoff


@dataclass(frozen=True)
class Program:
    """A program of a tiny language: its code word (a bit string) and the sequence it prints."""

    name: str
    code: str  # the program's bits: the programs of one space form a prefix-free set
    generate: Callable[[int], np.ndarray]  # its first n output bits

    @property
    def length(self) -> int:
        return len(self.code)


def _periodic(word: str) -> Callable[[int], np.ndarray]:
    bits = np.array([int(c) for c in word], dtype=np.int64)
    return lambda n: np.resize(bits, n)


def _indicator(test: Callable[[int], bool]) -> Callable[[int], np.ndarray]:
    return lambda n: np.array([int(test(t)) for t in range(1, n + 1)], dtype=np.int64)


def _is_prime(t: int) -> bool:
    return t >= 2 and all(t % d for d in range(2, math.isqrt(t) + 1))


def _thue_morse(n: int) -> np.ndarray:
    return np.array([bin(t).count("1") % 2 for t in range(n)], dtype=np.int64)


def _fibonacci_word(n: int) -> np.ndarray:
    a, b = "0", "01"
    while len(b) < n:
        a, b = b, b + a
    return np.array([int(c) for c in b[:n]], dtype=np.int64)


def _binary_counting(n: int) -> np.ndarray:
    s = ""
    k = 1
    while len(s) < n:
        s += format(k, "b")
        k += 1
    return np.array([int(c) for c in s[:n]], dtype=np.int64)


def named_sequences() -> dict[str, Callable[[int], np.ndarray]]:
    """Seven well-known binary sequences, each one short program of :func:`program_space`."""
    return {
        "Thue-Morse": _thue_morse,
        "Fibonacci word": _fibonacci_word,
        "primes (1 at prime positions)": _indicator(_is_prime),
        "squares (1 at square positions)": _indicator(lambda t: math.isqrt(t) ** 2 == t),
        "powers of two (1 at 2^k)": _indicator(lambda t: t & (t - 1) == 0),
        "binary counting 1 10 11 100 ...": _binary_counting,
        "ruler (1 at multiples of 4)": _indicator(lambda t: t % 4 == 0),
    }


def program_space(max_period: int = 8) -> list[Program]:
    """A prefix-free set of programs: every periodic pattern up to ``max_period`` bits, and
    the :func:`named_sequences`.

    ``0`` + Elias gamma of the period ``m`` + the ``m`` bits of the pattern: "repeat this";
    ``1`` + a 3-bit index: one of the seven named sequences. (Index ``111`` is kept for the
    "print the bits that follow" program, the mixture's fallback.) The Kraft sum is at most 1.
    """
    if isinstance(max_period, bool) or not isinstance(max_period, int):
        raise ValueError(f"max_period must be an integer, got {max_period!r}")
    if not 1 <= max_period <= 16:
        raise ValueError(f"max_period must be in 1..16, got {max_period}")
    programs = []
    for m in range(1, max_period + 1):
        for letters in itertools.product("01", repeat=m):
            word = "".join(letters)
            programs.append(Program(f"repeat {word}", "0" + elias_gamma(m) + word, _periodic(word)))
    for i, (name, gen) in enumerate(named_sequences().items()):
        programs.append(Program(name, "1" + format(i, "03b"), gen))
    return programs


#: the code word of the fallback program "print the bits that follow" (in :func:`program_space`)
LITERAL_CODE = "1111"


class SolomonoffMixture:
    """Solomonoff-style prediction over a finite, prefix-free set of programs.

    ``M(x) = sum over programs p whose output starts with x of 2**-|p|``, plus the fallback
    program "print the bits that follow" (code :data:`LITERAL_CODE`) whose input bits are
    coded with the KT estimator, so that ``M(x) > 0`` for every ``x``. Prediction is
    ``M(x b) / M(x)``, so the losses add up to ``-log2 M(x) / M(empty)``; the posterior weight
    of a program is its share of ``M(x)``.
    """

    def __init__(self, programs: Sequence[Program], horizon: int = 4096) -> None:
        if not programs:
            raise ValueError("a mixture needs at least one program")
        if not 1 <= horizon <= 1 << 16:
            raise ValueError(f"horizon must be in 1..65536, got {horizon}")
        codes = [p.code for p in programs] + [LITERAL_CODE]
        if len(set(codes)) != len(codes) or any(
            a != b and b.startswith(a) for a in codes for b in codes
        ):
            raise ValueError("the programs' codes (and the fallback's) must be prefix-free")
        self.programs = list(programs)
        self.horizon = horizon
        self._outputs = np.stack([p.generate(horizon) for p in self.programs])  # (P, horizon)
        self._log2_prior = -np.array([p.length for p in self.programs], dtype=np.float64)
        self._alive = np.ones(len(self.programs), dtype=bool)
        self._log2_literal = -float(len(LITERAL_CODE))  # 2**-4 times the KT probability so far
        self._counts = [0, 0]
        self.t = 0

    def _weights(self) -> tuple[np.ndarray, float]:
        """log2 of each consistent program's weight, and of the fallback's."""
        return np.where(self._alive, self._log2_prior, -np.inf), self._log2_literal

    def log2_m(self) -> float:
        """``log2 M(x)`` for the bits seen so far."""
        w, lit = self._weights()
        return float(np.logaddexp2.reduce(np.append(w, lit)))

    def posterior(self) -> np.ndarray:
        """Each program's posterior weight, in the order of ``programs`` (the rest: fallback)."""
        w, _ = self._weights()
        return np.exp2(w - self.log2_m())

    def predict(self) -> np.ndarray:
        """``[P(next = 0), P(next = 1)]`` under the mixture."""
        if self.t >= self.horizon:
            raise ValueError(f"the mixture only knows the programs' first {self.horizon} bits")
        w, lit = self._weights()
        nxt = self._outputs[:, self.t]
        kt1 = (self._counts[1] + 0.5) / (self.t + 1.0)
        m = self.log2_m()
        p1 = float(np.exp2(w[nxt == 1] - m).sum()) + 2.0 ** (lit - m) * kt1
        p1 = min(1.0, max(0.0, p1))
        return np.array([1.0 - p1, p1])

    def update(self, bit: int) -> None:
        if bit not in (0, 1):
            raise ValueError(f"a bit is 0 or 1, got {bit!r}")
        if self.t >= self.horizon:
            raise ValueError(f"the mixture only knows the programs' first {self.horizon} bits")
        self._alive &= self._outputs[:, self.t] == bit
        kt = (self._counts[bit] + 0.5) / (self.t + 1.0)
        self._log2_literal += math.log2(kt)
        self._counts[bit] += 1
        self.t += 1
