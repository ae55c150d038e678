"""compress / decompress: exact round trips, near-ideal length, bad input, baselines."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import math

import predcomp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.arithmetic import quantize
from predcomp.coding.container import ContainerError, pack, unpack
from predcomp.compress import (
    baselines,
    benchmark,
    code_length,
    compress,
    decompress,
    find_7z,
    format_table,
)
from predcomp.models.context_mixing import table_bits_for
from predcomp.models.registry import MODELS, make_model

ALL = list(MODELS)
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
        cum = quantize(m.predict())
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
    assert header.params["table_bits"] == table_bits_for(len(data))  # sized to the input


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
    with pytest.raises(ContainerError):
        decompress(blob)


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


def test_baselines_match_the_standard_library():
    data = b"to be or not to be, that is the question. " * 30
    sizes = baselines(data)
    assert sizes["gzip -9"] == len(gzip.compress(data, 9, mtime=0))
    assert sizes["bzip2 -9"] == len(bz2.compress(data, 9))
    assert sizes["xz -9e"] == len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    if find_7z() is not None:
        assert "7z PPMd" in sizes


def test_benchmark_rows_round_trip_and_format():
    data = b"abcabcabd" * 40
    rows = benchmark(data, models=["order0", "ppm"])
    names = [r["method"] for r in rows]
    assert names[:2] == ["predcomp order0", "predcomp ppm"] and "gzip -9" in names
    for r in rows:
        assert r["bpc"] == pytest.approx(8 * r["bytes"] / len(data))
        assert r["decompress_s"] is not None
    json.dumps(rows)
    table = format_table(rows, title="t")
    assert table.splitlines()[0] == "t" and "predcomp ppm" in table
    with pytest.raises(ValueError):
        benchmark(b"")
