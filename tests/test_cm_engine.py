"""The compiled engine codes exactly what the reference model codes, and round-trips."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from predcomp.coding.container import ContainerError, unpack
from predcomp.compress import compress, decompress
from predcomp.data import load_bytes

LEVELS = ["cm", "cm-max"]


def corpus_slice(name: str, start: int, n: int) -> bytes:
    try:
        data = load_bytes(name, download=False)
    except (OSError, ValueError):
        pytest.skip(f"corpus {name} is not in the local cache")
    return data[start : start + n]


def same_both_ways(data: bytes, model: str) -> bytes:
    fast = compress(data, model)
    assert fast == compress(data, model, engine=False)  # byte for byte
    assert decompress(fast) == data
    return fast


@pytest.mark.parametrize("model", LEVELS)
@pytest.mark.parametrize(
    "data",
    [b"", b"x", b"\x00", bytes(range(256)), b"abracadabra " * 40],
    ids=["empty", "one", "zero", "all", "repeat"],
)
def test_engine_and_reference_agree_on_small_inputs(model, data):
    same_both_ways(data, model)


@pytest.mark.parametrize("model", LEVELS)
@pytest.mark.parametrize(("name", "start"), [("asyoulik", 0), ("tinyshakespeare", 50_000)])
def test_engine_and_reference_agree_on_text(model, name, start):
    same_both_ways(corpus_slice(name, start, 2500), model)


@pytest.mark.parametrize("model", LEVELS)
def test_engine_and_reference_agree_on_random_bytes(model):
    data = np.random.default_rng(7).bytes(1500)
    blob = same_both_ways(data, model)
    assert len(unpack(blob)[1]) <= 1.05 * len(data)  # incompressible: a little lost learning


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from(LEVELS))
def test_engine_and_reference_agree_on_any_short_input(data, model):
    same_both_ways(data, model)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(LEVELS))
def test_engine_round_trips(data, model):
    assert decompress(compress(data, model)) == data


@pytest.mark.parametrize("model", LEVELS)
def test_a_megabyte_of_zeros_costs_next_to_nothing(model):
    data = bytes(1 << 20)
    blob = compress(data, model)
    assert len(blob) < 1 << 12 and decompress(blob) == data


@pytest.mark.parametrize("model", LEVELS)
def test_decoding_in_another_process_gives_the_same_bytes(tmp_path, model):
    data = corpus_slice("asyoulik", 10_000, 20_000)
    blob = compress(data, model)
    src = tmp_path / "x.pc"
    src.write_bytes(blob)
    code = (
        "import sys; from predcomp.compress import decompress; "
        "sys.stdout.buffer.write(decompress(open(sys.argv[1], 'rb').read()))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, check=True)
    assert out.stdout == data


def test_a_truncated_payload_is_refused():
    data = corpus_slice("asyoulik", 0, 5000)
    blob = compress(data, "cm")
    with pytest.raises(ValueError):  # a clear error, not wrong bytes nor a hang
        decompress(blob[: len(blob) // 2])
    with pytest.raises(ContainerError):
        decompress(blob[:-40] + bytes(40))
