"""Context mixing from named parts: the readable reference model.

A byte is coded as eight binary decisions, most significant bit first; ``c0`` is 1 followed
by the bits of the current byte seen so far. For each bit:

1. every context (:mod:`~predcomp.models.cm.contexts`) has a row in the
   :class:`~predcomp.models.cm.hashtable.HashTable`, found at the byte boundary and again
   after four bits; the node of the bit tree picks a bit history in it
   (:mod:`~predcomp.models.cm.counter`), and a :class:`~predcomp.models.cm.counter.StateMap`
   per context turns the history into a probability;
2. the :class:`~predcomp.models.cm.match.MatchModel` adds its prediction;
3. one :class:`~predcomp.models.cm.mixer.Mixer` per *selector* (a small context choosing the
   weight set) mixes the stretched predictions; with several, a second mixer mixes theirs;
4. :class:`~predcomp.models.cm.apm.APM` refine the result: in a chain, each averaged with
   its input, or side by side, all averaged with the mixer's output.

Then the bit is coded and every part learns from it. All arithmetic is on integers, so the
compiled engine (:mod:`~predcomp.models.cm.engine`) reproduces this model bit for bit.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from predcomp.models.base import update_by_bits
from predcomp.models.cm.apm import APM
from predcomp.models.cm.contexts import CONTEXTS, History, byte_class
from predcomp.models.cm.counter import (
    DETERMINISTIC,
    N_STATES,
    NEXT,
    StateMap,
    initial_probabilities,
)
from predcomp.models.cm.hashtable import ROW, HashTable, hash_step
from predcomp.models.cm.logistic import ONE, PROB_BITS, stretch
from predcomp.models.cm.match import MIN_LEN, MatchModel
from predcomp.models.cm.mixer import Mixer

if TYPE_CHECKING:
    from predcomp.models.cm.engine import Engine

__all__ = [
    "APMS",
    "DEFAULT_CONTEXTS",
    "MAX_CONTEXTS",
    "SELECTORS",
    "W_INIT",
    "ContextMixing",
    "StrongestMixing",
    "memory",
    "table_bit",
    "table_sizes",
]

#: the default model's contexts: orders 1 to 6, the current word, the word pair and the text
#: column (order 7 and the sparse contexts were measured too, and did not gain on both texts:
#: bench/cm_ablation.py)
DEFAULT_CONTEXTS = ("o1", "o2", "o3", "o4", "o5", "o6", "word", "bigram", "column")
#: the strongest level's contexts: the default's, the sparse ones and more of words, lines
#: and the indirect context, each measured (bench/cm_ablation.py); order 7 still does not gain
MAX_CONTEXTS = (
    *DEFAULT_CONTEXTS,
    "skip2",
    "skip23",
    "trigram",
    "word_skip",
    "word_gap",
    "word1_c1",
    "column_c1",
    "line_word",
    "indirect",
    "word1_o2",
)
#: the most contexts a model may have
MOST_CONTEXTS = 24

#: mixer selector name -> (code, number of weight sets): ``c0`` the bits of the byte so far,
#: ``c1`` the last byte, ``order`` the match length or the number of contexts seen (and the
#: last byte's top bits), ``c0_class`` the bits so far and the last byte's kind
#: (:func:`~predcomp.models.cm.contexts.byte_class`), ``shape`` the kinds of the last three
#: bytes and the bit's position
SELECTORS = {
    "c0": (0, 256),
    "c1": (1, 256),
    "order": (2, 22 * 8),
    "c0_class": (3, 4 * 256),
    "shape": (4, 64 * 8),
}
#: APM name -> (code, number of contexts): the bits so far ``c0`` and with them the last byte
#: (``c1``), or 10 bits of a hash of the last two or three bytes (``o2``, ``o3``)
APMS = {"c0": (0, 256), "c1": (1, 1 << 16), "o2": (2, 1 << 18), "o3": (3, 1 << 18)}
_NEXT = NEXT.tolist()
_DETERMINISTIC = DETERMINISTIC.tolist()
_BIAS = 256  # the mixer's constant input
#: the first layer's weights start at 1/8 (1/4 was measured too: worse on both dev texts;
#: cm-max, with three times the inputs, starts at 1/16)
W_INIT = 1 << 13
#: the mixers' extra learning rate, ``lr_boost / 16``, halves after this many bytes
_BOOST_HALF = 1 << 14


def _names(kind: str, given: Sequence[str], known: dict[str, Any], most: int) -> list[str]:
    names = list(given)
    if not all(isinstance(n, str) and n in known for n in names) or len(set(names)) != len(names):
        raise ValueError(f"{kind} must be distinct names among {', '.join(known)}, got {given!r}")
    if len(names) > most:
        raise ValueError(f"at most {most} {kind}, got {len(names)}")
    return names


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
    return value


def table_bit(cum: Sequence[int], c0: int, bitpos: int) -> int:
    """P(next bit = 1) in units of 1/4096 from a byte distribution's cumulative frequencies.

    ``cum`` (257 integers, as :func:`~predcomp.coding.arithmetic.quantize` makes them) gives
    each byte a frequency; given the bits ``c0`` of the byte so far, the bit is 1 for the upper
    half of the bytes that still fit, so its probability is that half's share of their mass.
    Integer division only: the engine computes the same number.
    """
    width = 1 << (8 - bitpos)
    lo = (c0 - (1 << bitpos)) * width
    mid, hi = lo + (width >> 1), lo + width
    p = ((cum[hi] - cum[mid]) << PROB_BITS) // (cum[hi] - cum[lo])
    return 1 if p < 1 else ONE - 1 if p > ONE - 1 else p


class ContextMixing:
    """Bitwise context mixing of hashed contexts and a match model, refined by APMs."""

    alphabet_size = 256
    prob_bits = PROB_BITS
    #: whether the mixers get one more input: the bit probability of an outside byte
    #: distribution (a neural model's, :meth:`set_table`); only subclasses set it
    external = False

    def __init__(
        self,
        contexts: Sequence[str] = DEFAULT_CONTEXTS,
        match: bool = True,
        selectors: Sequence[str] = ("order", "c0"),
        apms: Sequence[str] = ("c0", "c1"),
        table_bits: int = 22,
        match_bits: int = 20,
        lr: int = 2,
        limit: int = 255,
        lr_boost: int = 48,
        deterministic: bool = False,
        w_init: int = W_INIT,
        average_apms: bool = False,
        apm_limit: int = 255,
    ) -> None:
        hyper = (selectors, apms, table_bits, match_bits, lr, limit, lr_boost, deterministic)
        self._check(contexts, match, *hyper, w_init, average_apms, apm_limit)
        codes = [CONTEXTS[c] for c in self.contexts]

        n = len(codes)
        self._codes = codes
        self.history = History()
        self.table = HashTable(self.table_bits)
        self.maps = StateMap(n * N_STATES, self.limit, np.tile(initial_probabilities(), n))
        self.matcher = MatchModel(self.match_bits) if match else None
        inputs = n * (1 + self.deterministic) + match + self.external + 1
        self._table: Sequence[int] = [0, *([1] * 256)]  # uniform until set_table
        self.mixers = [Mixer(inputs, SELECTORS[s][1], lr, self.w_init) for s in self.selectors]
        k = len(self.mixers)
        self.final = Mixer(k + 1, 256, lr, (1 << 16) // k) if k > 1 else None
        self.apms = [APM(APMS[a][1], self.apm_limit) for a in self.apm_names]

        self.c0, self.bitpos, self.nib = 1, 0, 1  # the byte so far; bits seen; within the nibble
        self.hashes = [self.history.context_hash(c) for c in codes]
        self.rows = [self.table.find(h) for h in self.hashes]
        self._slots: list[int] = []
        self._cxs: list[int] = []
        self._p = self._predict(self.rows)

    def _check(
        self,
        contexts: Sequence[str],
        match: bool,
        selectors: Sequence[str],
        apms: Sequence[str],
        table_bits: int,
        match_bits: int,
        lr: int,
        limit: int,
        lr_boost: int,
        deterministic: bool,
        w_init: int,
        average_apms: bool,
        apm_limit: int,
    ) -> None:
        """Validate all the hyper-parameters (no defaults here) and keep them; no allocation."""
        self.contexts = _names("contexts", contexts, CONTEXTS, MOST_CONTEXTS)
        self.selectors = _names("selectors", selectors, SELECTORS, 4)
        self.apm_names = _names("apms", apms, APMS, 4)
        if not self.selectors:
            raise ValueError("a model needs at least one mixer selector")
        if not isinstance(match, bool):
            raise ValueError(f"match must be true or false, got {match!r}")
        self.match = match
        if not isinstance(deterministic, bool):
            raise ValueError(f"deterministic must be true or false, got {deterministic!r}")
        self.deterministic = deterministic
        if not isinstance(average_apms, bool):
            raise ValueError(f"average_apms must be true or false, got {average_apms!r}")
        self.average_apms = average_apms
        self.w_init = _int("w_init", w_init, 0, 1 << 16)
        self.apm_limit = _int("apm_limit", apm_limit, 1, 255)
        self.table_bits = _int("table_bits", table_bits, 10, 26)
        self.match_bits = _int("match_bits", match_bits, 10, 26)
        self.lr = _int("lr", lr, 0, 1000)
        self.limit = _int("limit", limit, 1, 1023)
        self.lr_boost = _int("lr_boost", lr_boost, 0, 16000)

    # --- the binary interface ---------------------------------------------------------------

    def p_bit(self) -> int:
        """Probability that the next bit is 1, in units of 1/4096 (an integer in 1..4095)."""
        return self._p

    def _predict(self, rows: list[int]) -> int:
        """P(1) of the next bit given each context's row (-1: a row not in the table)."""
        t, nib, c0 = self.table.t, self.nib, self.c0
        self._slots = [r + nib for r in rows]
        states = [t[s] if s >= 0 else 0 for s in self._slots]
        self._cxs = [i * N_STATES + s for i, s in enumerate(states)]
        x = [stretch(self.maps.predict(cx)) for cx in self._cxs]
        if self.deterministic:  # each log-odds again where its history is one-sided, so the
            # mixer can trust "always a 1 so far" more (or less) than other histories
            x += [st if _DETERMINISTIC[s] else 0 for st, s in zip(x, states, strict=True)]
        if self.matcher is not None:
            x.append(self.matcher.predict(c0, self.bitpos, self.history.byte(1)))
        if self.external:
            x.append(stretch(table_bit(self._table, c0, self.bitpos)))
        x.append(_BIAS)
        p = 0
        for mixer, name in zip(self.mixers, self.selectors, strict=True):
            p = mixer.predict(x, self._select(name, states))
        if self.final is not None:
            p = self.final.predict([m.dot for m in self.mixers] + [_BIAS], c0)
        if self.average_apms:  # side by side: the mixer's output and every APM's, averaged
            k = len(self.apms) + 1
            refined = [
                a.predict(p, self._apm_context(n))
                for a, n in zip(self.apms, self.apm_names, strict=True)
            ]
            p = (p + sum(refined) + k // 2) // k
        else:  # a chain: each APM refines the last output, averaged 3:1 with it
            for apm, name in zip(self.apms, self.apm_names, strict=True):
                p = (p + 3 * apm.predict(p, self._apm_context(name)) + 2) >> 2
        return 1 if p < 1 else ONE - 1 if p > ONE - 1 else p

    def set_table(self, cum: Sequence[int]) -> None:
        """The outside distribution of the byte about to be coded (at a byte boundary):
        cumulative integer frequencies, 257 of them, increasing (the bytes' ``quantize``)."""
        if not self.external:
            raise ValueError("this model has no outside input")
        if self.bitpos:
            raise ValueError("set_table() is for byte boundaries; the model is inside a byte")
        self._table = cum
        self._p = self._predict(self.rows)

    def _select(self, name: str, states: list[int]) -> int:
        """The weight set the selector ``name`` chooses now."""
        if name == "c0":
            return self.c0
        if name == "c1":
            return self.history.byte(1)
        if name == "c0_class":
            return byte_class(self.history.byte(1)) << 8 | self.c0
        if name == "shape":
            kinds = [byte_class(self.history.byte(k)) for k in (1, 2, 3)]
            return kinds[0] << 7 | kinds[1] << 5 | kinds[2] << 3 | self.bitpos
        # "order": how long the match is or, without one, how many contexts were seen here;
        # and the top three bits of the last byte (letters, digits, spaces, punctuation)
        n = self.matcher.length if self.matcher is not None else 0
        if n:
            order = 17 + (n >= 8) + (n >= 12) + (n >= 16) + (n >= 32)
        else:
            order = min(sum(1 for s in states if s), 16)
        return order * 8 + (self.history.byte(1) >> 5)

    def _apm_context(self, name: str) -> int:
        if name == "c0":
            return self.c0
        if name == "c1":
            return self.c0 | self.history.byte(1) << 8
        h = hash_step(self.history.byte(1), self.history.byte(2))
        if name == "o3":
            h = hash_step(h, self.history.byte(3))
        return ((h >> 10) & 0x3FF) << 8 | self.c0

    def update_bit(self, bit: int) -> None:
        """Learn that the next bit was ``bit``; the model moves on to the following bit."""
        if bit != 0 and bit != 1:
            raise ValueError(f"a bit is 0 or 1, got {bit!r}")
        t = self.table.t
        for slot, cx in zip(self._slots, self._cxs, strict=True):
            self.maps.update(cx, bit)
            t[slot] = _NEXT[t[slot]][bit]
        if self.matcher is not None:
            self.matcher.update_bit(bit)
        # a higher learning rate while the weights are fresh: lr + lr_boost/16 at the start,
        # lr + lr_boost/32 after _BOOST_HALF bytes, ...
        boost = (self.lr_boost * _BOOST_HALF) // (len(self.history.buf) + _BOOST_HALF)
        for mixer in self.mixers:
            mixer.update(bit, boost)
        if self.final is not None:
            self.final.update(bit, boost)
        for apm in self.apms:
            apm.update(bit)
        self.c0, self.nib, self.bitpos = (
            (self.c0 << 1) | bit,
            (self.nib << 1) | bit,
            self.bitpos + 1,
        )
        if self.bitpos == 8:  # a byte is complete: new contexts
            c = self.c0 & 255
            self.history.add(c)
            if self.matcher is not None:
                self.matcher.update_byte(c, self.history.suffix_hash(MIN_LEN))
            self.c0, self.bitpos, self.nib = 1, 0, 1
            self.hashes = [self.history.context_hash(code) for code in self._codes]
            self.rows = [self.table.find(h) for h in self.hashes]
        elif self.bitpos == 4:  # the second nibble: each context's row for it
            self.nib = 1
            self.rows = [self.table.find(hash_step(h, self.c0)) for h in self.hashes]
        self._p = self._predict(self.rows)

    def engine(self, lo: int, hi: int) -> Engine:
        """The compiled engine for a fresh model with these parameters, its bit probabilities
        clamped to ``lo .. hi`` for the coder (as the compressor clamps :meth:`p_bit`)."""
        from predcomp.models.cm.engine import Engine  # numba loads only when it is needed

        return Engine(self.config(), lo, hi)

    # --- the byte Model protocol ------------------------------------------------------------

    def predict(self) -> np.ndarray:
        """The distribution of the next byte: the 255 bit probabilities of its tree.

        They are predicted as the model stands at the byte boundary: the coder, which learns
        from each bit before predicting the next, codes slightly different probabilities
        (exactly these for the first bit). It is 255 predictions, for the book's byte-model
        comparisons; compression uses :meth:`p_bit`.
        """
        if self.bitpos:
            raise ValueError("predict() is for byte boundaries; the model is inside a byte")
        node = np.zeros(512)  # node[c0] = probability of reaching c0
        node[1] = 1.0
        for c0 in range(1, 256):
            bitpos = c0.bit_length() - 1
            self.c0, self.bitpos = c0, bitpos
            if bitpos < 4:
                self.nib, rows = c0, self.rows
            else:  # the second nibble's rows, looked at but not claimed
                self.nib = c0 & ((1 << (bitpos - 4)) - 1) | (1 << (bitpos - 4))
                high = c0 >> (bitpos - 4)
                rows = [self.table.peek(hash_step(h, high)) for h in self.hashes]
            p1 = self._predict(rows) / ONE
            node[2 * c0 + 1] = node[c0] * p1
            node[2 * c0] = node[c0] * (1.0 - p1)
        self.c0, self.bitpos, self.nib = 1, 0, 1
        self._p = self._predict(self.rows)  # back at the root, ready for the real first bit
        return node[256:]

    def update(self, symbol: int) -> None:
        """Learn the byte ``symbol``: its eight bits, most significant first."""
        update_by_bits(self, symbol, self.bitpos)

    def params(self) -> dict[str, Any]:
        """The hyper-parameters that differ from this class's defaults (a container's header).

        The defaults need not be written down: the container records the package version,
        and a different version refuses to decode. A small header matters for small files.
        """
        defaults = _defaults(type(self))
        return {
            k: v
            for k, v in self.config().items()
            if (list(defaults[k]) if isinstance(v, list) else defaults[k]) != v
        }

    def config(self) -> dict[str, Any]:
        """All hyper-parameters, defaults included."""
        return {
            "contexts": list(self.contexts),
            "match": self.match,
            "selectors": list(self.selectors),
            "apms": list(self.apm_names),
            "table_bits": self.table_bits,
            "match_bits": self.match_bits,
            "lr": self.lr,
            "limit": self.limit,
            "lr_boost": self.lr_boost,
            "deterministic": self.deterministic,
            "w_init": self.w_init,
            "average_apms": self.average_apms,
            "apm_limit": self.apm_limit,
        }


class StrongestMixing(ContextMixing):
    """The strongest level: more contexts, one-sided history inputs, weights by the kinds of
    the last bytes, four APMs side by side, big tables."""

    def __init__(
        self,
        contexts: Sequence[str] = MAX_CONTEXTS,
        match: bool = True,
        selectors: Sequence[str] = ("order", "c0_class", "shape"),
        apms: Sequence[str] = ("c0", "c1", "o2", "o3"),
        table_bits: int = 24,
        match_bits: int = 22,
        lr: int = 1,
        limit: int = 255,
        lr_boost: int = 128,
        deterministic: bool = True,
        w_init: int = W_INIT // 2,
        average_apms: bool = True,
        apm_limit: int = 127,
    ) -> None:
        hyper = (selectors, apms, table_bits, match_bits, lr, limit, lr_boost, deterministic)
        super().__init__(contexts, match, *hyper, w_init, average_apms, apm_limit)


def memory(params: dict[str, Any], cls: type[ContextMixing] = ContextMixing) -> int:
    """Bytes that building the model with ``params`` allocates, and its engine: an upper bound."""
    m = cls.__new__(cls)
    defaults = {**_defaults(cls), **params}
    m._check(**defaults)
    n = len(m.contexts)
    ninp = n * (1 + m.deterministic) + m.match + 2  # and an outside input (cm+gpt)
    sets = sum(SELECTORS[s][1] for s in m.selectors)
    apm = sum(APMS[a][1] for a in m.apm_names)
    each = (  # the reference (Python lists hold 8-byte pointers to ints of up to 32 bytes)
        (ROW << m.table_bits)
        + (4 << m.match_bits)
        + 48 * N_STATES * n
        + 48 * (64 * 256 + 256)
        + 8 * (1 << 16)  # the indirect context's table (int64 in the engine)
        + 8 * max(SELECTORS[s][1] for s in m.selectors) * ninp * len(m.selectors)
        + 8 * sets * ninp
        + 8 * 256 * (len(m.selectors) + 1)
        + 8 * 33 * apm
    )
    return 2 * each + (1 << 20)  # reference + engine + the engine's buffers


def _defaults(cls: type[ContextMixing]) -> dict[str, Any]:
    sig = inspect.signature(cls.__init__)
    return {k: v.default for k, v in sig.parameters.items() if k != "self"}


def table_sizes(
    params: dict[str, Any], input_length: int, cls: type[ContextMixing]
) -> dict[str, Any]:
    """``params`` with tables no larger than ``input_length`` bytes of input can fill."""
    defaults = _defaults(cls)
    contexts = params.get("contexts", defaults["contexts"])
    n = len(contexts) if isinstance(contexts, list | tuple) else 1
    rows = max(1, 2 * n * int(input_length))  # two rows per context and byte at most
    sized = {
        "table_bits": max(12, min(defaults["table_bits"], (rows - 1).bit_length())),
        "match_bits": max(12, min(defaults["match_bits"], max(1, input_length).bit_length())),
    }
    return {**sized, **params}
