"""Context mixing with a neural model as one more input of its mixers (``cm+gpt-...``).

paq8px and cmix mix an LSTM's predictions into their context models; here the byte GPT of
:mod:`predcomp.models.neural` plays that part in :class:`~predcomp.models.cm.model.ContextMixing`.
Before each byte the GPT states its distribution over the 256 byte values; it is quantized
with the coder's one function (:func:`~predcomp.coding.arithmetic.quantize`, the byte
ceiling), so from here on everything is integers: for each bit, the mixers get the stretched
share of the table's mass in the half where the bit is 1
(:func:`~predcomp.models.cm.model.table_bit`), and learn how much to trust it next to the
context models, per weight set. Then the byte is coded, and the GPT learns it.

The encoder knows the whole text, so it runs the GPT over it first and then the compiled
engine once, with every byte's table. The decoder cannot: it alternates, one byte at a time
(the GPT's table, the engine decodes one byte with its state kept, the GPT learns the byte).
Both go through the GPT's one incremental code path, so the tables, and so the bits, are the
same; :class:`NeuralContextMixing` is the readable reference the engine is tested against.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from predcomp.models import neural
from predcomp.models.cm.logistic import PROB_BITS
from predcomp.models.cm.model import ContextMixing, memory, table_sizes

__all__ = [
    "CM_PARAMS",
    "MixedEngine",
    "NeuralContextMixing",
    "cm_gpt_online",
    "cm_gpt_static",
    "mixed_memory",
    "mixed_sized",
]

#: the context-mixing parameters a ``cm+gpt`` model takes (its table sizes); the rest are cm's
#: defaults
CM_PARAMS = ("table_bits", "match_bits")


class _OutsideMixing(ContextMixing):
    """:class:`ContextMixing` whose mixers have the outside input."""

    external = True


def _table(gpt: neural.GPTPredictor) -> np.ndarray:
    """The GPT's next-byte distribution as the coder quantizes a byte model's."""
    from predcomp.coding.arithmetic import quantize
    from predcomp.compress import BYTE_CEILING  # here: compress imports the registry

    return quantize(gpt.predict(), ceiling=BYTE_CEILING)


class NeuralContextMixing:
    """The default ``cm`` with a GPT's bit predictions as one more mixer input (a BitModel)."""

    alphabet_size = 256
    prob_bits = PROB_BITS

    def __init__(self, gpt: neural.GPTPredictor, cm_params: Mapping[str, Any]) -> None:
        self.gpt = gpt
        self.cm = _OutsideMixing(**cm_params)
        self._c0 = 1
        self.cm.set_table(_table(gpt))

    def p_bit(self) -> int:
        """Probability that the next bit is 1, in units of 1/4096."""
        return self.cm.p_bit()

    def update_bit(self, bit: int) -> None:
        """Learn the bit; after a byte's eighth, the GPT learns the byte and predicts anew."""
        self.cm.update_bit(bit)
        self._c0 = (self._c0 << 1) | bit
        if self._c0 >= 256:
            self.gpt.update(self._c0 & 255)
            self._c0 = 1
            self.cm.set_table(_table(self.gpt))

    def predict(self) -> np.ndarray:
        """The next byte's distribution (as :meth:`ContextMixing.predict`)."""
        return self.cm.predict()

    def update(self, symbol: int) -> None:
        """Learn the byte ``symbol``: its eight bits, most significant first."""
        if not 0 <= symbol < 256:
            raise ValueError(f"symbol {symbol} outside 0..255")
        for j in range(7, -1, -1):
            self.update_bit((symbol >> j) & 1)

    def params(self) -> dict[str, Any]:
        return {**self.gpt.params(), **self.cm.params()}

    def engine(self, lo: int, hi: int) -> MixedEngine:
        """The compiled cm engine and this (fresh) model's GPT, probabilities in ``lo .. hi``."""
        from predcomp.models.cm.engine import Engine

        return MixedEngine(self.gpt, Engine(self.cm.config(), lo, hi, external=True))


class MixedEngine:
    """Coding with the compiled engine: the GPT's tables first (encoder) or in turn (decoder)."""

    def __init__(self, gpt: neural.GPTPredictor, engine: Any) -> None:
        self.gpt, self.engine = gpt, engine

    def encode(self, data: bytes, steps: Callable[[int], Any] | None = None) -> bytes:
        """The payload of ``data``: the GPT over all of it first, then the engine once."""
        tables = np.empty((len(data), 257), np.int64)
        for i, byte in enumerate(data):
            tables[i] = _table(self.gpt)
            self.gpt.update(byte)
        return self.engine.encode(data, steps, tables)

    def decode(
        self, payload: bytes, length: int, steps: Callable[[int], Any] | None = None
    ) -> bytes:
        """The ``length`` bytes of ``payload``, one at a time: table, byte, the GPT learns it."""
        next_byte = self.engine.byte_decoder(payload, length)
        out = bytearray()
        for _ in range(length):
            out.append(next_byte(_table(self.gpt)))
            self.gpt.update(out[-1])
        if steps is not None:
            steps(length)
        return bytes(out)


def _with_cm(gpt_build: Callable[..., neural.GPTPredictor], doc: str) -> Callable[..., Any]:
    """A registry constructor: ``gpt_build``'s parameters and the table sizes of cm."""
    defaults = inspect.signature(ContextMixing).parameters

    def build(**params: Any) -> NeuralContextMixing:
        cm_params = {k: params.pop(k) for k in CM_PARAMS if k in params}
        return NeuralContextMixing(gpt_build(**params), cm_params)

    sig = inspect.signature(gpt_build)
    extra = [defaults[k].replace(kind=inspect.Parameter.KEYWORD_ONLY) for k in CM_PARAMS]
    build.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[*sig.parameters.values(), *extra], return_annotation=NeuralContextMixing
    )
    build.__doc__ = doc
    return build


#: ``cm+gpt-static``: cm with a trained GPT (its checkpoint given as in ``gpt-static``)
cm_gpt_static = _with_cm(neural.gpt_static, "cm with a static GPT's predictions mixed in.")
#: ``cm+gpt-online``: cm with a GPT trained online on the bytes already coded
cm_gpt_online = _with_cm(neural.gpt_online, "cm with an online GPT's predictions mixed in.")


def mixed_memory(gpt_memory: Callable[[Mapping[str, Any]], int]) -> Callable[..., int]:
    """The registry's memory declaration: the GPT's and the context model's."""

    def declared(params: Mapping[str, Any]) -> int:
        gpt = {k: v for k, v in params.items() if k not in CM_PARAMS}
        cm = {k: v for k, v in params.items() if k in CM_PARAMS}
        return gpt_memory(gpt) + memory(cm, ContextMixing)

    return declared


def mixed_sized(params: dict[str, Any], input_length: int) -> dict[str, Any]:
    """Tables no larger than the input can fill (as ``cm``'s)."""
    return table_sizes(params, input_length, ContextMixing)
