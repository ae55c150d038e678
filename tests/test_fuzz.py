"""Fuzzing :func:`predcomp.compress.decompress` as an attacker would.

Bit flips and truncations of small containers of every model, and headers forged with
:func:`~predcomp.coding.container.pack` (with a valid header checksum, so that the decoder
must judge what the header says). Every outcome must be the original bytes or a
``ValueError`` (``ContainerError``, ``LimitExceededError``): never another exception, never
wrong output, and never more work than the payload can pay for.
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from predcomp.coding.container import unpack
from predcomp.compress import compress, decompress, max_decoded_length
from predcomp.models.registry import RESERVED, SPECS
from test_compress import forge

ORIGINAL = b"fuzz me: the quick brown fox, 0123456789!"


def outcome(blob: bytes) -> str:
    """'same' (decoded to the original) or 'refused' (a ValueError); anything else fails."""
    try:
        out = decompress(blob)
    except ValueError:
        return "refused"
    assert out == ORIGINAL, "decompress returned wrong bytes"
    return "same"


@pytest.mark.parametrize("model", [name for name, spec in SPECS.items() if spec.needs is None])
def test_bit_flips_and_truncations(model):
    blob = compress(ORIGINAL, model)
    start = time.process_time()
    for n in range(len(blob)):
        assert outcome(blob[:n]) == "refused"
    assert outcome(blob + b"\0") == "refused"
    # A sample of the payload's bits (each one costs building a model: cm's takes 50 ms) and
    # of the header's (which its checksum catches before any model is built).
    payload_start = len(blob) - len(unpack(blob)[1])
    rng = random.Random(model)
    payload_bits = range(8 * payload_start, 8 * len(blob))
    bits = rng.sample(payload_bits, min(len(payload_bits), 64))
    bits += rng.sample(range(8 * payload_start), 150)
    results = []
    for bit in bits:
        damaged = bytearray(blob)
        damaged[bit // 8] ^= 1 << (bit % 8)
        results.append(outcome(bytes(damaged)))
    assert results.count("refused") >= 0.9 * len(results)  # the CRC-32 catches nearly all
    assert time.process_time() - start < 60


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@st.composite
def headers(draw):
    """A model name, parameters a model might or might not accept, a payload and a length."""
    name = draw(st.sampled_from([*SPECS, "mix", "mix", "gpt-5", "\x1b[2J"]))
    known = list(SPECS[name].parameters()) if name in SPECS else []
    keys = st.sampled_from(known + sorted(RESERVED) + ["bogus"]) | st.text(max_size=6)
    values = JSON
    if name == "mix":  # a list of [name, params] pairs, sometimes well formed
        pair = st.tuples(st.sampled_from([*SPECS, "nope"]), st.dictionaries(keys, JSON))
        values = st.lists(pair.map(list), max_size=18) | JSON
    params = draw(st.dictionaries(keys, values, max_size=4))
    payload = draw(st.binary(max_size=4))
    length = draw(st.integers(0, max_decoded_length(len(payload))) | st.integers(0, 2**64 - 1))
    return name, params, payload, length


@given(headers())
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
def test_forged_headers_are_refused_or_decoded_within_the_payloads_means(header):
    name, params, payload, length = header
    try:
        blob = forge(name, params, payload, length)
    except ValueError:  # pack() itself refuses it (e.g. a non-printable model name)
        return
    start = time.process_time()
    try:
        out = decompress(blob)
    except ValueError:
        pass
    else:
        assert len(out) == length <= max_decoded_length(len(payload))
    assert time.process_time() - start < 20
