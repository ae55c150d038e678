"""cm with a GPT as one more mixer input (predcomp.models.neural_cm): exact, both ways."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.arithmetic import quantize
from predcomp.coding.container import ContainerError, pack_fields, unpack
from predcomp.compress import BYTE_CEILING, compress, decompress
from predcomp.models import neural
from predcomp.models.cm.model import table_bit
from predcomp.models.registry import MODELS, make_model, name_of, validate

# the tiny models, the text and the one-thread fixture of the GPT's own tests
from test_neural import TEXT, TINY, _one_thread, tiny_checkpoint  # noqa: F401


def same_both_ways(data: bytes, model: str, **params) -> bytes:
    """The engine's container equals the reference's, and both decoders give ``data`` back."""
    fast = compress(data, model, **params)
    assert fast == compress(data, model, engine=False, **params)
    assert decompress(fast) == data
    assert decompress(fast, engine=False) == data
    return fast


def test_table_bit_is_the_mass_of_the_upper_half():
    cum = quantize(np.random.default_rng(1).random(256), ceiling=BYTE_CEILING)
    freq = np.diff(cum)
    for c0, bitpos in [(1, 0), (2, 1), (3, 1), (0b1011, 3), (0b10110101, 7)]:
        lo = (c0 - (1 << bitpos)) << (8 - bitpos)
        width = 1 << (8 - bitpos)
        ones, total = freq[lo + width // 2 : lo + width].sum(), freq[lo : lo + width].sum()
        assert table_bit(cum, c0, bitpos) == (ones << 12) // total
    uniform = [0, *range(1, 257)]
    assert table_bit(uniform, 1, 0) == 2048
    sure = quantize(np.eye(256)[65], ceiling=BYTE_CEILING)  # all on 'A' = 0b01000001
    assert table_bit(sure, 1, 0) < 64 and table_bit(sure, 0b10, 1) > 4096 - 64


@given(data=st.binary(max_size=60))
@settings(max_examples=8, deadline=None)
def test_online_engine_equals_reference_on_any_bytes(data):
    same_both_ways(data, "cm+gpt-online", **TINY)


def test_online_engine_equals_reference_on_text():
    blob = same_both_ways(TEXT, "cm+gpt-online", **TINY)
    header, _ = unpack(blob)
    assert header.model == "cm+gpt-online" and header.params["steps"] == 2


def test_static_round_trip_and_a_different_checkpoint_is_refused(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    sha_a, sha_b = tiny_checkpoint(a, seed=0), tiny_checkpoint(b, seed=1)
    neural.use_checkpoint(a)
    blob = same_both_ways(TEXT, "cm+gpt-static", checkpoint=sha_a)
    assert unpack(blob)[0].params["checkpoint"] == sha_a
    neural.forget_checkpoints()
    neural.use_checkpoint(b)
    with pytest.raises(ContainerError) as info:
        decompress(blob)
    message = str(info.value)
    assert "\n" not in message and sha_a[:12] in message and sha_b != sha_a


def test_a_fresh_process_decodes_byte_identically_from_the_command_line(tmp_path):
    ckpt, src, out = tmp_path / "m.pt", tmp_path / "x.pcmp", tmp_path / "x.out"
    sha = tiny_checkpoint(ckpt)
    neural.use_checkpoint(ckpt)
    src.write_bytes(compress(TEXT, "cm+gpt-static", checkpoint=sha))
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    args = ["decompress", "--checkpoint", str(ckpt), str(src), str(out)]
    r = subprocess.run(
        [sys.executable, "-m", "predcomp", *args], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == TEXT


def test_another_torch_version_is_refused_in_one_line():
    blob = compress(TEXT, "cm+gpt-online", **TINY)
    header, payload = unpack(blob)
    forged = {**header.params, "torch_version": "1.0.0"}
    blob = pack_fields(header.model, forged, header.length, header.checksum, payload)
    with pytest.raises(ContainerError) as info:
        decompress(blob)
    assert "\n" not in str(info.value) and "torch version '1.0.0'" in str(info.value)


def test_the_gpt_input_changes_what_cm_codes():
    # a GPT that has learnt nothing still moves the mixers: the payload differs from cm's
    # (a mixer that ignored the input would code exactly as cm does)
    mixed = unpack(compress(TEXT, "cm+gpt-online", **TINY))[1]
    assert mixed != unpack(compress(TEXT, "cm"))[1]


def test_registered_named_and_validated_like_the_neural_models():
    assert {"cm+gpt-online", "cm+gpt-static"} <= set(MODELS)
    model = make_model("cm+gpt-online", input_length=len(TEXT), **TINY)
    assert name_of(model) == "cm+gpt-online"
    assert model.params()["table_bits"] < 22  # sized to the input, like cm
    with pytest.raises(ValueError, match="needs a checkpoint"):
        validate("cm+gpt-static", {})
    with pytest.raises(ValueError, match="n_embd"):
        validate("cm+gpt-online", {"n_embd": 4096}, max_memory=None)
    with pytest.raises(ValueError, match="table_bits"):
        validate("cm+gpt-online", {"table_bits": 40}, max_memory=None)
    assert validate("cm+gpt-online", {}) > validate("cm", {})
