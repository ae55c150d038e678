"""Compress and decompress bytes with any predictive model, and the standard tools to compare.

:func:`compress` drives a fresh model and the arithmetic coder through the data with the loop
of :mod:`predcomp.coding.model_coding` (predict, quantize, encode, update) and wraps the
payload in the container (:mod:`predcomp.coding.container`) with the model's name and
hyper-parameters (:func:`predcomp.models.registry.model_params`), the length and a checksum.
:func:`decompress` reads the container, rebuilds an identical fresh model, decodes exactly
``length`` symbols through the *same* predict–quantize–update path, and verifies the checksum.
:func:`code_length` is the ideal length ``sum(-log2 p)`` the coder approaches.

A header is hostile until checked. Before building anything, :func:`decompress` validates the
model it describes (:func:`predcomp.models.registry.validate`: names, nesting, alphabets,
declared memory against ``max_memory``) and the claimed length against ``max_size`` and
against what the payload can hold: the coder never lets a byte cost less than
:data:`MIN_BITS_PER_BYTE` (a probability ceiling in :func:`quantize`, a clamp for bitwise
models), so a payload of ``P`` bytes decodes to at most about :data:`MAX_RATIO` ``* P`` bytes
and the decoding work is bounded by the file's size, forged or not.

The standard compressors to compare with, and the side-by-side benchmark, are in
:mod:`predcomp.baselines`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

import predcomp
from predcomp.coding.arithmetic import frequency_ceiling
from predcomp.coding.container import ContainerError, pack, unpack, verify
from predcomp.coding.model_coding import (
    bit_range,
    decoded_symbols,
    encode_with_model,
    ideal_code_length,
)
from predcomp.models.base import BitModel
from predcomp.models.registry import (
    DEFAULT_MAX_MEMORY,
    DEFAULT_MODEL,
    MODELS,
    LimitExceededError,
    make_model,
    model_params,
    validate,
)

__all__ = [
    "BYTE_CEILING",
    "DEFAULT_MAX_SIZE",
    "MAX_RATIO",
    "MIN_BITS_PER_BYTE",
    "PROGRESS_THRESHOLD",
    "code_length",
    "compress",
    "decompress",
    "max_decoded_length",
]

#: inputs longer than this (bytes) get a progress bar when ``progress`` is left to ``None``
PROGRESS_THRESHOLD = 1 << 20
#: key under which the container records the package version that made it
_VERSION_KEY = "predcomp_version"
#: the least any byte costs in a compressed payload, in bits, whatever the model predicts.
#: So a payload byte decodes to at most MAX_RATIO bytes (deflate's limit is similar, 1032:1),
#: which bounds the work a forged length can ask for; the price is at most 1/128 bit per
#: byte, paid only where a model is more than 99.46 % sure.
MIN_BITS_PER_BYTE = 1 / 128
#: the largest ratio of decoded bytes to payload bytes, ``8 / MIN_BITS_PER_BYTE``
MAX_RATIO = 1024
#: the largest frequency (of ``2**24``) a byte model's prediction gets in :func:`quantize`
BYTE_CEILING = frequency_ceiling(MIN_BITS_PER_BYTE)
#: the longest output :func:`decompress` produces unless the caller allows more (1 GiB)
DEFAULT_MAX_SIZE = 1 << 30


#: symbols between two looks at the process's memory (see _guarded)
_MEMORY_CHECK_EVERY = 4096


def _resident_bytes() -> int | None:
    """The process's resident memory in bytes (its peak where only that is known), or None."""
    try:
        with open("/proc/self/statm", "rb") as f:  # Linux: the current resident set
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:  # Windows: no cheap measure; the declared memory is still checked
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else 1024 * peak


def _guarded(symbols: Iterable[int], base: int | None, max_memory: int | None) -> Iterable[int]:
    """``symbols``, stopping with :class:`LimitExceededError` once memory grew by ``max_memory``.

    :func:`~predcomp.models.registry.validate` bounds what building a model allocates; models
    that learn also grow with the data (a PPM context, a count array), which no header field
    states. So the process's memory is looked at every few thousand symbols, from ``base``,
    measured before the model was built.
    """
    if base is None or max_memory is None:
        yield from symbols
        return
    for i, symbol in enumerate(symbols):
        if i % _MEMORY_CHECK_EVERY == 0 and i:
            grown = (_resident_bytes() or 0) - base
            if grown > max_memory:
                raise LimitExceededError(
                    f"the model's memory grew by {grown / 2**20:,.0f} MiB after {i:,} bytes, "
                    f"more than the limit of {max_memory / 2**20:,.0f} MiB (raise it with "
                    "--max-memory)"
                )
        yield symbol


def _watched(
    symbols: Iterable[int],
    n: int,
    progress: bool | None,
    desc: str,
    base: int | None = None,
    max_memory: int | None = None,
) -> Iterable[int]:
    """The ``n`` ``symbols``, in a tqdm progress bar on stderr for long inputs, memory-guarded."""
    if progress is None:
        progress = n > PROGRESS_THRESHOLD
    if progress:
        from tqdm import tqdm

        symbols = tqdm(
            symbols, desc=desc, total=n, unit="B", unit_scale=True, mininterval=0.5, leave=False
        )
    return _guarded(symbols, base, max_memory)


def _ticks(n: int, progress: bool | None, desc: str) -> Callable[[int], Any] | None:
    """A callback that advances a progress bar by its argument, for a compiled engine."""
    if not (n > PROGRESS_THRESHOLD if progress is None else progress):
        return None
    from tqdm import tqdm

    bar = tqdm(total=n, desc=desc, unit="B", unit_scale=True, mininterval=0.5, leave=False)

    def tick(k: int) -> None:
        bar.update(k)
        if bar.n >= n:
            bar.close()

    return tick


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


def max_decoded_length(payload_length: int) -> int:
    """The most bytes a payload of ``payload_length`` bytes can decode to.

    Every byte costs at least :data:`MIN_BITS_PER_BYTE`, so ``n`` bytes need at least
    ``n * MIN_BITS_PER_BYTE - 2`` bits of payload (the coder's output pins down a point of an
    interval of that width); 8 bits of slack keep genuine files clear of the bound (tested
    on data coded at exactly the floor). A longer claimed length is forged or corrupted.
    """
    return math.floor((8 * payload_length + 8) / MIN_BITS_PER_BYTE)


def compress(
    data: bytes,
    model: str = DEFAULT_MODEL,
    progress: bool | None = None,
    *,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    engine: bool = True,
    **params: Any,
) -> bytes:
    """Compress ``data`` with the model called ``model`` (see :data:`MODELS`).

    ``params`` are the model's hyper-parameters (e.g. ``order=5``). The result is a container
    that :func:`decompress` turns back into ``data`` exactly. The model is validated, and its
    memory bounded by ``max_memory`` bytes (``None``: no limit), as :func:`decompress` does.
    A model with a compiled engine (``cm``, ``cm-max``) codes with it unless ``engine`` is
    false; the container is the same byte for byte (tested), only the speed differs.
    """
    data = _as_bytes(data)
    validate(model, params, max_memory=max_memory, input_length=len(data))
    base = _resident_bytes()
    m = make_model(model, input_length=len(data), **params)
    if m.alphabet_size != 256:
        raise ValueError(f"compressing bytes needs a 256-symbol model, not {m.alphabet_size}")
    header_params = {**model_params(m), _VERSION_KEY: predcomp.__version__}
    if engine and isinstance(m, BitModel) and hasattr(m, "engine"):  # its compiled engine
        codec = m.engine(*bit_range(MIN_BITS_PER_BYTE, m.prob_bits))
        payload = codec.encode(data, _ticks(len(data), progress, "compress"))
        return pack(model, header_params, data, payload)
    symbols = _watched(data, len(data), progress, "compress", base, max_memory)
    payload = encode_with_model(symbols, m, min_bits=MIN_BITS_PER_BYTE)
    return pack(model, header_params, data, payload)


def decompress(
    blob: bytes,
    progress: bool | None = None,
    *,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    max_size: int | None = DEFAULT_MAX_SIZE,
    engine: bool = True,
) -> bytes:
    """Invert :func:`compress`; raises :class:`ContainerError` (a ``ValueError``) on bad input.

    ``engine``: decode with the model's compiled engine where it has one (as :func:`compress`).

    Everything the header says is checked before a model is built or a symbol decoded: the
    model as a whole and its declared memory (at most ``max_memory`` bytes), and the claimed
    length, against :func:`max_decoded_length` of the payload and against ``max_size``
    (``None``: no limit). While decoding, the memory the model grows as it learns is watched
    against ``max_memory`` too. A request over a limit raises :class:`LimitExceededError`.
    """
    header, payload = unpack(_as_bytes(blob))
    if header.model not in MODELS:
        raise ContainerError(
            f"the data was compressed with model {header.model!r}, which this version of "
            f"predcomp does not have (known: {', '.join(MODELS)})"
        )
    params = dict(header.params)
    version = params.pop(_VERSION_KEY, None)
    if version != predcomp.__version__:
        raise ContainerError(
            f"the data was made by predcomp {version!r}; this is predcomp "
            f"{predcomp.__version__}, whose models may predict differently: decompress it "
            "with that version"
        )
    if header.length > max_decoded_length(len(payload)):
        raise ContainerError(
            f"the header claims {header.length:,} bytes, more than a payload of "
            f"{len(payload):,} bytes can hold ({max_decoded_length(len(payload)):,}): "
            "the data is corrupted or forged"
        )
    if max_size is not None and header.length > max_size:
        raise LimitExceededError(
            f"the data decompresses to {header.length:,} bytes, more than the limit of "
            f"{max_size:,} (raise it with --max-size)"
        )
    base = _resident_bytes()
    try:
        validate(header.model, params, max_memory=max_memory)
        m = make_model(header.model, **params)
    except LimitExceededError:
        raise
    except ValueError as exc:
        raise ContainerError(f"cannot rebuild the model from the header: {exc}") from None
    if engine and isinstance(m, BitModel) and hasattr(m, "engine"):  # its compiled engine
        codec = m.engine(*bit_range(MIN_BITS_PER_BYTE, m.prob_bits))
        ticks = _ticks(header.length, progress, "decompress")
        try:
            decoded = codec.decode(payload, header.length, ticks)
        except ValueError as exc:
            raise ContainerError(str(exc)) from None
        verify(header, decoded)
        return decoded
    symbols = decoded_symbols(payload, m, header.length, min_bits=MIN_BITS_PER_BYTE)
    out = bytearray(_watched(symbols, header.length, progress, "decompress", base, max_memory))
    verify(header, bytes(out))
    return bytes(out)


def code_length(data: bytes, model: str = DEFAULT_MODEL, **params: Any) -> float:
    """The ideal code length in bits, ``sum(-log2 p(x_i | x_<i))``, with the model's floats.

    For a bitwise model (:class:`~predcomp.models.base.BitModel`) it is the sum over the
    eight bits of each byte, the same number by the chain rule. The compressor's payload
    also pays for its floor of :data:`MIN_BITS_PER_BYTE` where a model is surer than that.
    """
    data = _as_bytes(data)
    m = make_model(model, input_length=len(data), **params)
    return ideal_code_length(data, m)
