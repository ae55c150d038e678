"""Neural byte predictors (predcomp.models.neural): exact round trips, determinism, refusals."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.arithmetic import quantize
from predcomp.coding.container import ContainerError, pack_fields, unpack
from predcomp.compress import BYTE_CEILING, compress, decompress
from predcomp.models import neural
from predcomp.models.registry import LimitExceededError, make_model, name_of, validate
from predcomp.transformer.gpt import GPT, GPTConfig

#: a tiny online model that trains (every 16 bytes) and refreshes its window (every 4)
TINY = dict(n_layer=1, n_head=2, n_embd=16, block_size=8, segment=16, steps=2, batch_size=4)
TEXT = b"to be, or not to be, that is the question: " * 4 + bytes([0, 255, 7])


@pytest.fixture(autouse=True)
def _one_thread():
    """Each test starts (and leaves torch) on one thread, with no checkpoints loaded."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    neural.forget_checkpoints()
    yield
    neural.forget_checkpoints()
    torch.set_num_threads(threads)


def tiny_checkpoint(path, seed: int = 0, n_embd: int = 16) -> str:
    torch.manual_seed(seed)
    net = GPT(GPTConfig(vocab_size=256, block_size=8, n_layer=1, n_head=2, n_embd=n_embd))
    return neural.save_byte_checkpoint(path, net)


def quantized_bits(data: bytes, model) -> float:
    bits = 0.0
    for s in data:
        cum = quantize(model.predict(), ceiling=BYTE_CEILING)
        bits -= math.log2((cum[s + 1] - cum[s]) / cum[-1])
        model.update(s)
    return bits


# --------------------------------------------------------------------------- round trips


@given(data=st.binary(max_size=80))
@settings(max_examples=20, deadline=None)
def test_online_round_trip_any_bytes(data):
    assert decompress(compress(data, "gpt-online", **TINY)) == data


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("checkpoint") / "tiny.pt"
    tiny_checkpoint(path)
    return path


@given(data=st.binary(max_size=60), steps=st.integers(0, 2))
@settings(max_examples=10, deadline=None)
def test_static_round_trip_any_bytes(checkpoint_file, data, steps):
    sha = neural.use_checkpoint(checkpoint_file)
    blob = compress(data, "gpt-static", checkpoint=sha, steps=steps, segment=16)
    assert decompress(blob) == data


@pytest.mark.parametrize("extra", [{"position": "rotary"}, {"n_kv_head": 1}])
def test_models_the_fast_step_does_not_cover_round_trip_on_the_module_path(tmp_path, extra):
    """Rotary positions and grouped-query attention code through GPT.forward with a cache."""
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=256, block_size=8, n_layer=1, n_head=2, n_embd=16, **extra)
    sha = neural.save_byte_checkpoint(tmp_path / "m.pt", GPT(config))
    neural.use_checkpoint(tmp_path / "m.pt")
    model = make_model("gpt-static", checkpoint=sha)
    assert model._fast is None  # the path under test
    for steps in (0, 2):
        blob = compress(TEXT, "gpt-static", checkpoint=sha, steps=steps, segment=16)
        assert decompress(blob) == TEXT


def test_static_round_trip_and_what_the_container_records(tmp_path):
    path = tmp_path / "m.pt"
    sha = tiny_checkpoint(path)
    assert neural.use_checkpoint(path) == sha == neural.checkpoint_sha256(path)
    for data in (b"", b"x", TEXT):
        for steps in (0, 2):
            blob = compress(data, "gpt-static", checkpoint=sha, steps=steps, segment=16)
            assert decompress(blob) == data
    header, _ = unpack(blob)
    assert header.model == "gpt-static" and header.params["checkpoint"] == sha
    assert header.params["torch_version"] == torch.__version__ and header.params["threads"] == 1


def test_default_online_model_round_trips_text():
    data = TEXT * 3  # past one window refresh of the default block of 64
    blob = compress(data, "gpt-online")
    assert decompress(blob) == data
    header, _ = unpack(blob)
    for key in ("seed", "threads", "torch_version", "cpu", "lr", "steps", "segment", "n_embd"):
        assert key in header.params


def test_compressing_twice_gives_the_same_bytes():
    assert compress(TEXT, "gpt-online", **TINY) == compress(TEXT, "gpt-online", **TINY)


def test_payload_is_within_a_few_bytes_of_the_models_log_loss():
    _, payload = unpack(compress(TEXT, "gpt-online", **TINY))
    ideal = quantized_bits(TEXT, make_model("gpt-online", **TINY))
    assert ideal / 8 <= len(payload) <= ideal / 8 + 4


def test_online_learning_lowers_the_code_length():
    data = b"abcabcabcabcabcabd" * 12
    still = quantized_bits(data, make_model("gpt-online", **{**TINY, "steps": 0}))
    learns = quantized_bits(data, make_model("gpt-online", **{**TINY, "lr": 1e-2, "steps": 4}))
    assert learns < 0.8 * still


def test_a_byte_the_model_rules_out_is_still_coded():
    """A float32 softmax that underflows to 0 for the coded byte must not stop the coder."""
    model = make_model("gpt-online", **{**TINY, "steps": 0})
    ruled_out = np.zeros(256)
    ruled_out[ord("a")] = 1.0
    model._probs = ruled_out  # what an underflowed softmax gives
    model.update(ord("b"))
    assert model.costs[-1] == math.inf and len(model.history) == 1


# --------------------------------------------------------------------------- determinism


def test_fast_step_agrees_with_the_module_path():
    """The coder's single-token step computes what GPT.forward with a cache computes."""
    fast = make_model("gpt-online", **{**TINY, "steps": 0})
    slow = make_model("gpt-online", **{**TINY, "steps": 0})
    assert fast._fast is not None
    slow._fast = None
    for s in TEXT[:40]:
        np.testing.assert_allclose(fast.predict(), slow.predict(), rtol=1e-5, atol=1e-7)
        fast.update(s)
        slow.update(s)


def test_batched_scoring_is_close_to_but_not_the_coders_path():
    net = make_model("gpt-online", **{**TINY, "steps": 0}).net
    batched = neural.batched_probabilities(net, TEXT[:8])
    m = make_model("gpt-online", **{**TINY, "steps": 0})
    for i, s in enumerate(TEXT[:7]):
        m.update(s)
        np.testing.assert_allclose(batched[i], m.predict(), rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match=r"1\.\.8 bytes"):
        neural.batched_probabilities(net, TEXT[:9])


def _run(args, **kw):
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-m", "predcomp", *args], capture_output=True, text=True, env=env, **kw
    )


def test_a_fresh_process_decodes_byte_identically(tmp_path):
    ckpt = tmp_path / "m.pt"
    sha = tiny_checkpoint(ckpt)
    neural.use_checkpoint(ckpt)
    cases = {
        "online": (compress(TEXT, "gpt-online", **TINY), []),
        "static": (compress(TEXT, "gpt-static", checkpoint=sha, steps=2), ["--checkpoint", ckpt]),
    }
    for name, (blob, extra) in cases.items():
        src, out = tmp_path / f"{name}.pcmp", tmp_path / f"{name}.out"
        src.write_bytes(blob)
        r = _run(["decompress", *map(str, extra), str(src), str(out)])
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == TEXT


def test_command_line_compresses_with_a_checkpoint(tmp_path):
    ckpt, src = tmp_path / "m.pt", tmp_path / "in.txt"
    tiny_checkpoint(ckpt)
    src.write_bytes(TEXT)
    packed, out = tmp_path / "in.pcmp", tmp_path / "out.txt"
    r = _run(
        ["compress", "--model", "gpt-static", "--checkpoint", str(ckpt), str(src), str(packed)]
    )
    assert r.returncode == 0, r.stderr
    r = _run(["decompress", "--checkpoint", str(ckpt), str(packed), str(out)])
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == TEXT
    r = _run(["models"])
    assert "gpt-static" in r.stdout and "gpt-online" in r.stdout


# --------------------------------------------------------------------------- refusals


def _one_line_error(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message and len(message) < 300
    return message


def test_another_checkpoint_is_refused_in_one_line(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    sha_a, sha_b = tiny_checkpoint(a, seed=0), tiny_checkpoint(b, seed=1)
    assert sha_a != sha_b
    neural.use_checkpoint(a)
    blob = compress(TEXT, "gpt-static", checkpoint=sha_a)
    neural.forget_checkpoints()
    neural.use_checkpoint(b)
    with pytest.raises(ContainerError) as info:
        decompress(blob)
    assert sha_a[:12] in _one_line_error(info) and "checkpoint" in str(info.value)
    neural.forget_checkpoints()
    with pytest.raises(ContainerError, match="checkpoint"):
        decompress(blob)  # none given at all
    # and on the command line: one line, exit status 1
    src = tmp_path / "x.pcmp"
    src.write_bytes(blob)
    r = _run(["decompress", "--checkpoint", str(b), str(src), str(tmp_path / "out")])
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "checkpoint" in r.stderr


def _with_params(blob: bytes, **changes) -> bytes:
    header, payload = unpack(blob)
    params = {**header.params, **changes}
    return pack_fields(header.model, params, header.length, header.checksum, payload)


def test_another_torch_version_or_cpu_is_refused_in_one_line():
    blob = compress(TEXT, "gpt-online", **TINY)
    with pytest.raises(ContainerError) as info:
        decompress(_with_params(blob, torch_version="1.0.0"))
    assert "torch version '1.0.0'" in _one_line_error(info)
    with pytest.raises(ContainerError) as info:
        decompress(_with_params(blob, cpu="NEON"))
    assert "CPU instruction set" in _one_line_error(info)


def test_a_thread_count_that_cannot_be_had_is_refused(monkeypatch):
    blob = _with_params(compress(TEXT, "gpt-online", **TINY), threads=2)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # a torch stuck on 1 thread
    with pytest.raises(ContainerError) as info:
        decompress(blob)
    assert "2 thread(s)" in _one_line_error(info)


def test_decoding_on_the_recorded_threads_even_if_the_process_had_others():
    blob = compress(TEXT, "gpt-online", **TINY)  # threads=1 recorded
    torch.set_num_threads(2)
    assert decompress(blob) == TEXT
    assert torch.get_num_threads() == 1


def test_command_line_refuses_another_thread_count(tmp_path):
    src = tmp_path / "x.pcmp"
    src.write_bytes(compress(TEXT, "gpt-online", **TINY))
    r = _run(["decompress", "--threads", "2", str(src), str(tmp_path / "out")])
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "--threads 1" in r.stderr


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_embd": 4096}, "n_embd"),
        ({"n_layer": 0}, "n_layer"),
        ({"n_embd": 30, "n_head": 4}, "divide"),
        ({"block_size": 10**12}, "block_size"),
        ({"steps": 10**9}, "steps"),
        ({"lr": "fast"}, "lr"),
        ({"seed": -1}, "seed"),
        ({"steps": 256, "batch_size": 256, "segment": 1, "n_embd": 1024}, "multiply-adds"),
    ],
)
def test_hostile_hyper_parameters_are_refused_before_building(params, message):
    with pytest.raises(ValueError, match=message):
        validate("gpt-online", params, max_memory=None)


def test_memory_is_bounded_before_building():
    with pytest.raises(LimitExceededError):
        validate("gpt-online", {"n_layer": 12, "n_embd": 1024, "steps": 0}, max_memory=64 << 20)
    assert validate("gpt-online", {}) < 256 << 20


def test_a_checkpoint_that_is_not_a_byte_model_is_refused(tmp_path):
    from predcomp.train import save_checkpoint

    path = tmp_path / "chars.pt"
    save_checkpoint(path, GPT(GPTConfig(vocab_size=65, n_layer=1, n_embd=16, n_head=2)))
    with pytest.raises(ValueError, match="vocab_size 256"):
        neural.use_checkpoint(path)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a torch checkpoint"):
        neural.use_checkpoint(tmp_path / "junk.pt")


# --------------------------------------------------------------------------- sizes


def test_model_size_counts_parameters_and_bytes():
    m = make_model("gpt-online")
    size = neural.model_size(m.net)
    assert size.params == m.net.num_params()
    assert size.fp32_bytes == 4 * size.params == 2 * size.fp16_bytes
    assert size.params < size.int8_bytes < size.fp16_bytes
    assert 0 < size.compressed_bytes < 1.05 * size.fp16_bytes
    assert name_of(m) == "gpt-online"


def test_static_params_rebuild_an_identical_model(checkpoint_file):
    import json

    from predcomp.models.registry import model_memory

    sha = neural.use_checkpoint(checkpoint_file)
    model = make_model("gpt-static", checkpoint=sha)
    assert name_of(model) == "gpt-static"
    params = json.loads(json.dumps(model.params()))  # what a container stores
    assert validate("gpt-static", params) == model_memory("gpt-static", params)
    clone = make_model("gpt-static", **params)
    for s in b"abracadabra":
        np.testing.assert_array_equal(model.predict(), clone.predict())
        model.update(s)
        clone.update(s)
