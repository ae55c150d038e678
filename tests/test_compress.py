"""compress / decompress: exact round trips, near-ideal length, bad input, pinned containers."""

from __future__ import annotations

import bz2
import hashlib
import json
import math
import random
import time
from pathlib import Path

import predcomp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.arithmetic import quantize
from predcomp.coding.container import ContainerError, pack, pack_fields, unpack
from predcomp.compress import (
    BYTE_CEILING,
    MAX_RATIO,
    MIN_BITS_PER_BYTE,
    code_length,
    compress,
    decompress,
    max_decoded_length,
)
from predcomp.models.cm.model import ContextMixing, table_sizes
from predcomp.models.registry import SPECS, LimitExceededError, make_model

#: every model that builds from its parameters alone (gpt-static, which needs a checkpoint
#: file, has the same round trips in tests/test_neural.py)
ALL = [name for name, spec in SPECS.items() if spec.needs is None]
SKEWED = b"\x00" * 300 + b"\x01" + b"\x00" * 50


@pytest.mark.parametrize("model", ALL)
@given(data=st.binary(max_size=120))
@settings(max_examples=15, deadline=None)
def test_round_trip_any_bytes(model, data):
    assert decompress(compress(data, model)) == data


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize(
    "data", [b"", b"x", bytes(range(256)), SKEWED], ids=["empty", "one", "all256", "skewed"]
)
def test_round_trip_edge_cases(model, data):
    assert decompress(compress(data, model)) == data


def test_unseen_bytes_after_training_on_text():
    data = b"abababababababab" * 20 + bytes([200, 0, 255]) + b"abab"
    assert decompress(compress(data, "ppm", order=3)) == data


def test_round_trip_real_text():
    from predcomp import data as corpora

    try:
        text = corpora.load_bytes("asyoulik", download=False)[:4000]
    except (FileNotFoundError, corpora.CorpusUnavailableError):
        pytest.skip("the asyoulik corpus is not in the local cache")
    blob = compress(text)
    assert decompress(blob) == text
    assert 8 * len(blob) / len(text) < 8 * len(bz2.compress(text, 9)) / len(text)


def quantized_ideal_bits(data: bytes, model: str, **params) -> float:
    """Sum of -log2 of the *quantized* probability the coder actually uses."""
    m, bits = make_model(model, **params), 0.0
    for s in data:
        cum = quantize(m.predict(), ceiling=BYTE_CEILING)
        bits -= math.log2((cum[s + 1] - cum[s]) / cum[-1])
        m.update(s)
    return bits


@pytest.mark.parametrize("model", ["order0", "ppm"])
def test_payload_is_within_a_few_bytes_of_the_ideal(model):
    data = b"she sells sea shells by the sea shore; " * 15 + bytes(range(40))
    _header, payload = unpack(compress(data, model))
    ideal = quantized_ideal_bits(data, model)
    assert ideal / 8 <= len(payload) <= ideal / 8 + 4
    assert code_length(data, model) == pytest.approx(ideal, rel=1e-3)


def test_bitwise_payload_is_within_a_few_bytes_of_the_ideal():
    data = b"she sells sea shells by the sea shore; " * 15 + bytes(range(40))
    header, payload = unpack(compress(data, "cm"))
    ideal = code_length(data, "cm")  # the sum of the eight bit costs of every byte
    assert ideal / 8 <= len(payload) <= ideal / 8 + 4
    sized = table_sizes({}, len(data), ContextMixing)  # tables sized to the input
    assert header.params["table_bits"] == sized["table_bits"] < 22


def test_container_records_model_parameters_and_version():
    header, _ = unpack(compress(b"hello", "ppm", order=3))
    assert header.model == "ppm" and header.length == 5
    assert header.params["order"] == 3
    assert header.params["predcomp_version"] == predcomp.__version__


def test_unknown_model_in_container():
    blob = pack("gzip-of-the-future", {"predcomp_version": predcomp.__version__}, b"abc", b"\0")
    with pytest.raises(ContainerError, match="gzip-of-the-future"):
        decompress(blob)


def test_other_version_is_refused():
    blob = pack(
        "order0", {"alphabet_size": 256, "prior": "kt", "predcomp_version": "0.0.1"}, b"a", b"\0"
    )
    with pytest.raises(ContainerError, match=r"0\.0\.1"):
        decompress(blob)


def test_bad_parameters_in_container():
    blob = pack("ppm", {"order": 99, "predcomp_version": predcomp.__version__}, b"a", b"\0")
    with pytest.raises(ContainerError, match="rebuild"):
        decompress(blob)


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("uniform", {"alphabet_size": 10**12}),
        ("context", {"order": 10**9}),
        ("mix", {"models": [["order0", {}]] * 10**5}),
        ("cm", {"table_bits": 40}),
    ],
    ids=["huge-alphabet", "huge-order", "huge-mix", "huge-table"],
)
def test_absurd_parameters_are_refused_without_allocating(model, params):
    blob = pack(model, {**params, "predcomp_version": predcomp.__version__}, b"a", b"\0")
    with pytest.raises(ValueError) as refused:  # a ContainerError or a LimitExceededError
        decompress(blob)
    assert isinstance(refused.value, ContainerError | LimitExceededError)


def test_corrupted_and_truncated_data_raise_value_errors():
    blob = compress(b"a fairly ordinary sentence, compressed and then damaged. " * 4, "ppm")
    with pytest.raises(ValueError):
        decompress(blob[:-3])
    with pytest.raises(ValueError):
        decompress(b"PK\x03\x04 not ours")
    damaged = bytearray(blob)
    damaged[-5] ^= 0x10  # inside the payload: decoding goes wrong, the checksum notices
    with pytest.raises(ValueError):
        decompress(bytes(damaged))


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model"):
        compress(b"abc", "zip")


# ------------------------------------------------------------- limits a header cannot pass


def forge(model: str, params: dict, payload: bytes, length: int, version=None) -> bytes:
    """A container that claims ``length`` bytes, with a valid header checksum."""
    version = predcomp.__version__ if version is None else version
    return pack_fields(model, {**params, "predcomp_version": version}, length, 0, payload)


@pytest.mark.parametrize("model", ["mix", "cm"])
def test_genuine_data_at_the_floor_passes_the_length_check(model):
    # Zeros: these models are sure at once, so nearly every byte costs the floor,
    # MIN_BITS_PER_BYTE, and the claimed length is as close to the payload's capacity as a
    # genuine file gets.
    n = 30_000 if model == "cm" else 12_000
    header, payload = unpack(compress(bytes(n), model))
    assert header.length <= max_decoded_length(len(payload))
    floor_bytes = n * MIN_BITS_PER_BYTE / 8
    assert floor_bytes <= len(payload) <= 1.2 * floor_bytes + 2  # it is at the floor
    assert MAX_RATIO == 8 / MIN_BITS_PER_BYTE


def test_a_length_the_payload_cannot_hold_is_refused_before_decoding():
    for length in (max_decoded_length(8) + 1, 2**63 + 5, 2**64 - 1):
        with pytest.raises(ContainerError, match="can hold"):
            decompress(forge("ppm", {"see": False}, bytes(8), length))


def test_max_size_and_max_memory():
    blob = compress(b"abc" * 100, "cm")
    assert decompress(blob, max_size=300) == b"abc" * 100
    with pytest.raises(LimitExceededError, match="--max-size"):
        decompress(blob, max_size=299)
    with pytest.raises(LimitExceededError, match="--max-memory"):
        decompress(blob, max_memory=1 << 20)
    with pytest.raises(LimitExceededError, match="--max-memory"):
        compress(b"abc", "cm", table_bits=24, max_memory=1 << 20)
    assert decompress(blob, max_memory=None, max_size=None) == b"abc" * 100


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        ("ppm", {"name": "x"}, "reserved"),
        ("mix", {"models": [["cm", {}]] * 16}, "predicts bits"),
        ("mix", {"models": [["context", {"alphabet_size": 65536}]] * 4}, "alphabet_size"),
        ("mix", {"lr": 1e308}, "lr"),
        ("ppm", {"\x1b]0;pwned\x07": 1}, "no parameter"),
    ],
)
def test_forged_models_are_refused_before_building(model, params, message):
    with pytest.raises(ContainerError, match=message):
        decompress(forge(model, params, bytes(300), 1000))


def test_values_from_a_header_are_escaped_in_messages():
    with pytest.raises(ContainerError) as version:
        decompress(forge("ppm", {}, bytes(8), 10, version="\x1b[31mred"))
    with pytest.raises(ContainerError) as name:
        decompress(forge("ppm", {"\x1b[2J": 1}, bytes(8), 10))
    for err in (version, name):
        assert "\x1b" not in str(err.value) and "\\x1b" in str(err.value)


@pytest.mark.parametrize("model", ALL)
def test_a_forged_length_at_the_bound_ends_in_bounded_cpu_time(model):
    # The worst a tiny file can ask: every byte it may claim, decoded from a constant payload.
    start = time.process_time()
    for payload in (bytes(8), b"\xff" * 8):
        blob = forge(model, {}, payload, max_decoded_length(8))
        with pytest.raises(ValueError):
            decompress(blob)
    assert time.process_time() - start < 30  # CPU seconds (about 2 for cm); load cannot inflate it


# ---------------------------------------------------------------------- pinned containers

#: sha256 and length of the containers of a few inputs, per model (tests/golden/containers.json)
GOLDEN = Path(__file__).parent / "golden" / "containers.json"


def golden_inputs() -> dict[str, bytes]:
    """Small inputs covering empty, one byte, text, random bytes and a long run."""
    text = (
        b"It is a truth universally acknowledged, that a single man in possession of a good "
        b"fortune, must be in want of a wife. However little known the feelings or views of such "
        b"a man may be on his first entering a neighbourhood, this truth is so well fixed in the "
        b"minds of the surrounding families, that he is considered the rightful property of some "
        b"one or other of their daughters.\n"
    ) * 3
    rng = random.Random(1)
    noise = bytes(rng.randrange(256) for _ in range(300))
    return {"empty": b"", "one": b"a", "text": text, "random": noise, "zeros": bytes(2000)}


def golden_containers() -> dict[str, list]:
    """``"model/input"`` -> ``[length, sha256]`` of the container :func:`compress` makes."""
    inputs = golden_inputs()
    # not the GPT models (alone or mixed): their predictions are torch's floating point (version
    # and CPU recorded in the header), so round trips in test_neural*.py pin them instead
    models = [name for name in SPECS if "gpt" not in name]
    cases = [(name, {}, key) for name in models for key in inputs]
    cases += [
        ("ppm", {"order": 2}, "text"),
        ("context", {"order": 3}, "text"),
        ("mix", {"models": [["order0", {}], ["ppm", {"order": 3}]], "by_previous": False}, "text"),
    ]
    out = {}
    for name, params, key in cases:
        blob = compress(inputs[key], name, progress=False, **params)
        label = f"{name}{json.dumps(params, sort_keys=True) if params else ''}/{key}"
        out[label] = [len(blob), hashlib.sha256(blob).hexdigest()]
    return out


def test_containers_are_byte_identical_to_the_pinned_ones():
    """A refactoring must not change a single byte a model's container holds.

    A deliberate change to a model's predictions (or to the version) changes its containers:
    then regenerate the fixture with ``python tests/test_compress.py`` and say so in the commit.
    """
    expected = json.loads(GOLDEN.read_text())
    got = golden_containers()
    assert set(got) == set(expected), "the registered models changed: regenerate the fixture"
    changed = sorted(k for k in got if got[k] != expected[k])
    assert not changed, f"containers changed for {changed}"


if __name__ == "__main__":  # regenerate the pinned containers
    GOLDEN.write_text(json.dumps(golden_containers(), indent=1, sort_keys=True) + "\n")
