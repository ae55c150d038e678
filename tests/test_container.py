"""Tests of predcomp.coding.container: layout, clear errors, and a fuzz test end to end."""

from __future__ import annotations

import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.container import (
    MAGIC,
    ContainerError,
    Header,
    pack,
    pack_fields,
    unpack,
    verify,
)
from predcomp.coding.model_coding import decode_with_model, encode_with_model


class Order0:
    """Adaptive order-0 byte model (add-1/2 counts), rebuilt from its parameters."""

    def __init__(self, alpha: float = 0.5) -> None:
        self.alphabet_size = 256
        self.alpha = alpha
        self.counts = np.zeros(256)

    def predict(self) -> np.ndarray:
        c = self.counts + self.alpha
        return c / c.sum()

    def update(self, symbol: int) -> None:
        self.counts[symbol] += 1

    def params(self) -> dict:
        return {"alpha": self.alpha}


def compress(data: bytes) -> bytes:
    model = Order0()
    return pack("order0", model.params(), data, encode_with_model(data, model))


def decompress(blob: bytes) -> bytes:
    header, payload = unpack(blob)
    if header.model != "order0":
        raise ContainerError(f"unknown model {header.model!r}")
    alpha = header.params.get("alpha")
    if not isinstance(alpha, float) or not alpha > 0:
        raise ContainerError("bad parameters")
    try:
        decoded = bytes(decode_with_model(payload, Order0(alpha), header.length))
    except ValueError as exc:  # the coder noticed the payload ran out
        raise ContainerError(f"the compressed payload is damaged: {exc}") from None
    verify(header, decoded)
    return decoded


TEXT = b"It is a truth universally acknowledged, that a single man in possession of a good fortune"


# ---------------------------------------------------------------------------- layout


def test_layout_and_round_trip() -> None:
    blob = pack("ppm", {"order": 3, "name": "x"}, b"hello", b"\x01\x02")
    assert blob.startswith(MAGIC + b"\x01\x03ppm")
    params = b'{"name":"x","order":3}'
    assert blob[9:13] == struct.pack(">I", len(params)) and blob[13 : 13 + len(params)] == params
    header, payload = unpack(blob)
    assert header == Header("ppm", {"order": 3, "name": "x"}, 5, zlib.crc32(b"hello"), 2, 1)
    assert payload == b"\x01\x02"
    verify(header, b"hello")
    assert len(blob) == 4 + 2 + 3 + 4 + len(params) + 8 + 4 + 8 + 4 + 2


def test_container_error_is_a_value_error() -> None:
    assert issubclass(ContainerError, ValueError)


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=20),
    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8) | st.booleans()),
    st.binary(max_size=100),
    st.binary(max_size=100),
)
def test_pack_unpack_round_trip(model: str, params: dict, original: bytes, payload: bytes) -> None:
    header, got = unpack(pack(model, params, original, payload))
    assert (header.model, header.params, header.length, got) == (
        model,
        params,
        len(original),
        payload,
    )
    verify(header, original)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_compress_round_trip(data: bytes) -> None:
    assert decompress(compress(data)) == data


# ---------------------------------------------------------------------------- clear errors


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "magic"),
        (b"GIF89a....", "magic"),
        (b"\x1f\x8b\x08\x00", "magic"),  # a gzip file
        (MAGIC, "truncated"),
        (MAGIC + b"\x02\x03ppm", "version 2"),
    ],
)
def test_foreign_and_short_input(blob: bytes, message: str) -> None:
    with pytest.raises(ContainerError, match=message):
        decompress(blob)


def test_every_truncation_and_extension_is_caught() -> None:
    blob = compress(TEXT)
    for cut in range(len(blob)):
        with pytest.raises(ContainerError):
            unpack(blob[:cut])
    for extra in (b"\x00", b"junk", blob):
        with pytest.raises(ContainerError, match="unexpected bytes"):
            unpack(blob + extra)


def test_every_header_bit_flip_is_caught_before_decoding() -> None:
    blob = compress(TEXT)
    _, payload = unpack(blob)
    header_size = len(blob) - len(payload)
    for bit in range(8 * header_size):
        damaged = bytearray(blob)
        damaged[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(ContainerError):
            unpack(bytes(damaged))


def test_wrong_output_is_never_returned_silently() -> None:
    header, _ = unpack(compress(TEXT))
    with pytest.raises(ContainerError, match="checksum"):
        verify(header, TEXT[:-1] + b"?")
    with pytest.raises(ContainerError, match="bytes"):
        verify(header, TEXT[:-1])


def test_forged_length_field_does_not_hang_or_allocate() -> None:
    """A header whose length says 2**60 (with a valid header checksum) fails fast."""
    blob = compress(TEXT)
    header, payload = unpack(blob)
    forged = pack("order0", header.params, b"", payload)
    # rewrite the original-length field and recompute the header checksum, as an attacker could
    start = len(forged) - len(payload) - 4 - 20
    body = bytearray(forged[: len(forged) - len(payload) - 4])
    body[start : start + 8] = struct.pack(">Q", 2**60)
    body[start + 8 : start + 12] = struct.pack(">I", header.checksum)
    forged = bytes(body) + struct.pack(">I", zlib.crc32(bytes(body))) + payload
    assert unpack(forged)[0].length == 2**60
    t0 = time.perf_counter()
    with pytest.raises(ContainerError, match="ended early"):
        decompress(forged)
    assert time.perf_counter() - t0 < 30


def test_pack_fields_writes_any_claimed_length_with_a_valid_header_checksum() -> None:
    assert pack_fields("m", {"a": 1}, len(TEXT), zlib.crc32(TEXT), b"xy") == pack(
        "m", {"a": 1}, TEXT, b"xy"
    )
    header, payload = unpack(pack_fields("m", {}, 2**64 - 1, 7, b"xy"))
    assert (header.length, header.checksum, payload) == (2**64 - 1, 7, b"xy")


def test_deeply_nested_or_non_finite_parameters_are_malformed() -> None:
    for text in ('{"a":' + "[" * 100_000 + "]" * 100_000 + "}", '{"a": NaN}', '{"a": Infinity}'):
        pj = text.encode()
        head = b"PCMP\x01\x01m" + struct.pack(">I", len(pj)) + pj + struct.pack(">QIQ", 0, 0, 0)
        with pytest.raises(ContainerError, match="malformed"):
            unpack(head + struct.pack(">I", zlib.crc32(head)))
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError):
        pack("m", {"deep": deep}, b"", b"")


def test_pack_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        pack("", {}, b"", b"")
    with pytest.raises(ValueError):
        pack("é", {}, b"", b"")
    with pytest.raises(ValueError):
        pack("m" * 256, {}, b"", b"")
    with pytest.raises(ValueError):
        pack("m", {"x": object()}, b"", b"")
    with pytest.raises(ValueError):
        pack("m", {"x": float("nan")}, b"", b"")


# ---------------------------------------------------------------------------- fuzz


def _mutations(blob: bytes, rng: np.random.Generator):
    """Bit flips anywhere, truncations, extensions, and random bytes (some with our magic)."""
    for _ in range(60):
        damaged = bytearray(blob)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(len(blob)))
            damaged[pos] ^= 1 << int(rng.integers(8))
        yield "flip", bytes(damaged)
    for _ in range(15):
        yield "truncate", blob[: int(rng.integers(len(blob)))]
    for _ in range(15):
        yield "extend", blob + rng.bytes(int(rng.integers(1, 50)))
    for _ in range(15):
        yield "random", rng.bytes(int(rng.integers(0, 200)))
    for _ in range(15):
        yield "magic+random", MAGIC + rng.bytes(int(rng.integers(0, 200)))


@pytest.mark.parametrize("seed", range(6))
def test_fuzz_every_case_raises_or_returns_the_original(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sources = [b"", b"a", TEXT, bytes(rng.integers(0, 256, 300, dtype=np.uint8)), b"z" * 2000]
    original = sources[seed % len(sources)]
    blob = compress(original)
    outcomes = {"error": 0, "original": 0}
    for kind, mutated in _mutations(blob, rng):
        t0 = time.perf_counter()
        try:
            result = decompress(mutated)
        except ContainerError as exc:
            assert len(str(exc)) > 20, kind  # a sentence, not a bare code
            outcomes["error"] += 1
        else:
            assert result == original, f"{kind}: wrong bytes returned silently"
            outcomes["original"] += 1
        assert time.perf_counter() - t0 < 10, f"{kind}: took too long"
    assert outcomes["error"] > 0
