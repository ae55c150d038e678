"""Context-tree weighting: the exact weighted probability, the bound, bytes, round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp import data, mdl
from predcomp.coding.arithmetic import ArithmeticDecoder, ArithmeticEncoder
from predcomp.models.base import BitModel, Model
from predcomp.models.ctw import CTW, MAX_DEPTH, MAX_NODES


def log_pe(a: int, b: int) -> float:
    """ln of the KT probability of a zeros and b ones."""
    return math.lgamma(a + 0.5) + math.lgamma(b + 0.5) - math.log(math.pi) - math.lgamma(a + b + 1)


def brute_force_log_pw(x: list[int], depth: int) -> float:
    """ln P_w of the root, from the recursive definition over all contexts (past = zeros)."""
    past = [0] * depth + list(x)

    def counts(ctx: tuple[int, ...]) -> tuple[int, int]:
        a = b = 0
        for t, bit in enumerate(x):
            recent = past[t : t + depth][::-1]  # most recent first
            if tuple(recent[: len(ctx)]) == ctx:
                a, b = (a + 1, b) if bit == 0 else (a, b + 1)
        return a, b

    def log_pw(ctx: tuple[int, ...]) -> float:
        le = log_pe(*counts(ctx))
        if len(ctx) == depth:
            return le
        children = log_pw((*ctx, 0)) + log_pw((*ctx, 1))
        return math.log(0.5) + float(np.logaddexp(le, children))

    return log_pw(())


def sequential_log_prob(model: CTW, bits: list[int]) -> float:
    total = 0.0
    for bit in bits:
        total += math.log(model.predict()[bit])
        model.update(bit)
    return total


@given(st.lists(st.integers(0, 1), max_size=24), st.integers(0, 4))
@settings(max_examples=60, deadline=None)
def test_sequential_ctw_equals_the_weighted_probability(bits, depth):
    got = sequential_log_prob(CTW(depth=depth, alphabet_size=2), bits)
    assert got == pytest.approx(brute_force_log_pw(bits, depth), abs=1e-9)


def test_depth_zero_is_the_kt_estimator():
    bits = [1, 0, 0, 1, 1, 1, 0, 1]
    got = -sequential_log_prob(CTW(depth=0, alphabet_size=2), bits) / math.log(2)
    assert got == pytest.approx(mdl.kt_code_length([3, 5]))


def test_ctw_redundancy_bound_against_the_true_tree_source():
    # For a tree source with leaf set S the CTW code length exceeds -log2 P_true by at most
    # (2|S| - 1) (tree description) + |S|/2 log2(n/|S|) + |S| (KT on each leaf) + 2 (a
    # sufficient form of Willems et al.'s bound, plus the coder's 2 bits we do not count).
    P = data.random_transition_matrix(2, order=2, concentration=0.7, seed=5)
    src = data.MarkovSource(P, order=2)
    x = src.sample(3000, seed=1)
    model = CTW(depth=4, alphabet_size=2)
    ctw_bits = -sequential_log_prob(model, list(x)) / math.log(2)
    ctx = [0, 0]  # the past before the start is zeros, as in CTW
    true_bits = 0.0
    for bit in x:
        row = ctx[-2] * 2 + ctx[-1]
        true_bits -= math.log2(P[row, bit])
        ctx.append(int(bit))
    leaves, n = 4, len(x)
    bound = (2 * leaves - 1) + leaves / 2 * math.log2(n / leaves) + leaves
    assert 0 < ctw_bits - true_bits < bound


def test_bit_and_byte_interfaces_agree():
    text = b"abracadabra, abracadabra!"
    m1, m2 = CTW(depth=16), CTW(depth=16)
    assert isinstance(m1, BitModel) and isinstance(m1, Model)
    for byte in text:
        p = m1.predict()
        assert p.shape == (256,) and math.isclose(p.sum(), 1.0, rel_tol=1e-12)
        # the byte's probability is the product of its eight bit probabilities
        prob = 1.0
        for j in range(7, -1, -1):
            bit = (byte >> j) & 1
            p1 = m2.probability()
            prob *= p1 if bit else 1 - p1
            m2.update_bit(bit)
        assert p[byte] == pytest.approx(prob, rel=1e-12)
        m1.update(byte)


def test_round_trip_through_the_arithmetic_coder():
    text = b"the theory of the thing, then the other thing" * 3
    enc, model = ArithmeticEncoder(), CTW(depth=12)
    for byte in text:
        for j in range(7, -1, -1):
            bit = (byte >> j) & 1
            enc.encode_bit(bit, model.p_bit(), model.prob_bits)
            model.update_bit(bit)
    payload = enc.finish()
    dec, model = ArithmeticDecoder(payload), CTW(depth=12)
    out = bytearray()
    for _ in text:
        byte = 0
        for _ in range(8):
            bit = dec.decode_bit(model.p_bit(), model.prob_bits)
            model.update_bit(bit)
            byte = (byte << 1) | bit
        out.append(byte)
    assert bytes(out) == text
    assert len(payload) < len(text)


def test_node_budget_bounds_memory_and_stays_deterministic():
    rng = np.random.default_rng(0)
    text = rng.integers(0, 256, size=400).tolist()
    small = CTW(depth=24, max_nodes=500)
    for byte in text:
        small.update(byte)
    assert len(small.nodes) <= 500
    # a second model with the same budget makes exactly the same predictions
    a, b = CTW(depth=24, max_nodes=500), CTW(depth=24, max_nodes=500)
    for byte in text[:100]:
        for j in range(7, -1, -1):
            assert a.p_bit() == b.p_bit()
            bit = (byte >> j) & 1
            a.update_bit(bit)
            b.update_bit(bit)


def test_p_bit_is_a_valid_integer_probability_even_when_certain():
    m = CTW(depth=2, alphabet_size=2)
    for _ in range(5000):
        m.update(1)
        assert 1 <= m.p_bit() <= (1 << m.prob_bits) - 1
    assert m.probability() > 0.999


@pytest.mark.parametrize(
    "kwargs",
    [
        {"depth": -1},
        {"depth": MAX_DEPTH + 1},
        {"depth": 2.5},
        {"alphabet_size": 3},
        {"max_nodes": 0},
        {"max_nodes": MAX_NODES + 1},
        {"max_nodes": True},
    ],
)
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        CTW(**kwargs)


def test_bad_symbols_and_misuse():
    m = CTW(depth=4)
    with pytest.raises(ValueError):
        m.update(256)
    with pytest.raises(ValueError):
        m.update_bit(2)
    m.update_bit(1)
    with pytest.raises(ValueError, match="inside a byte"):
        m.predict()
    assert CTW(depth=3, alphabet_size=2, max_nodes=99).params() == {
        "depth": 3,
        "alphabet_size": 2,
        "max_nodes": 99,
    }


def test_memory_bound_covers_a_full_tree():
    import tracemalloc

    from predcomp.models.ctw import memory_bound, nodes_for

    rng = np.random.default_rng(3)
    tracemalloc.start()
    try:
        model = CTW(depth=24, max_nodes=5000)
        for byte in rng.integers(0, 256, size=400).tolist():
            model.update(byte)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(model.nodes) == 5000  # full
    assert used <= memory_bound(5000)
    assert nodes_for(0) == 4096 and nodes_for(10**9) == MAX_NODES
    assert nodes_for(1000, depth=16) == 34_000


# ----------------------------------------------------------------------- in the compressor


def test_the_compressor_codes_bytes_with_ctw():
    from predcomp.coding.container import unpack
    from predcomp.compress import code_length, compress, decompress
    from predcomp.models.registry import make_model, validate

    text = b"the cat sat on the mat; the cat sat on the hat. " * 8
    blob = compress(text, "ctw", depth=16)
    assert decompress(blob) == text
    # the payload is within a few bytes of the model's own code length, far below the text
    payload = unpack(blob)[1]
    assert abs(8 * len(payload) - code_length(text, "ctw", depth=16)) < 8 * 4
    assert len(payload) < 0.2 * len(text)
    # the node budget is sized to the input and recorded in the header
    model = make_model("ctw", input_length=len(text))
    assert model.max_nodes == max(4096, 2 * 17 * len(text))
    assert validate("ctw", {}, input_length=100) < validate("ctw", {}, input_length=10**6)


@pytest.mark.parametrize(
    "params",
    [{"max_nodes": 10**12}, {"max_nodes": "many"}, {"max_nodes": True}, {"depth": 10**6}],
)
def test_hostile_parameters_are_refused_before_building(params):
    from predcomp.models.registry import validate

    with pytest.raises(ValueError):
        validate("ctw", params, max_memory=None)
        CTW(**params)  # reached only if validate let it through
