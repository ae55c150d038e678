"""LZ78 as a predictor: the incremental parse, its KT predictions, its memory bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.model_coding import decode_with_model, encode_with_model
from predcomp.models.base import Model
from predcomp.models.lz import LZ78, MAX_NODES


def lz78_phrases(seq: list[int]) -> list[tuple[int, ...]]:
    """The LZ78 incremental parse, the textbook way: longest known phrase plus one symbol."""
    known: set[tuple[int, ...]] = {()}
    phrases, current = [], ()
    for s in seq:
        current = (*current, s)
        if current not in known:
            known.add(current)
            phrases.append(current)
            current = ()
    return phrases


@given(st.lists(st.integers(0, 2), max_size=200))
@settings(max_examples=60, deadline=None)
def test_the_tree_is_the_lz78_parse(seq):
    m = LZ78(alphabet_size=3)
    for s in seq:
        m.update(s)
    phrases = lz78_phrases(seq)
    assert m.phrases == len(phrases)
    assert len(m.children) == len(phrases) + 1  # one node per phrase, plus the root
    for v, branches in enumerate(m.children):  # every node's total is its branches' counts
        assert m.totals[v] == sum(c for _, c in branches.values())


@given(st.lists(st.integers(0, 3), max_size=120))
@settings(max_examples=60, deadline=None)
def test_predictions_are_kt_at_the_current_phrase_node(seq):
    m = LZ78(alphabet_size=4)
    counts: dict[tuple[int, ...], dict[int, int]] = {}
    known: set[tuple[int, ...]] = {()}
    current: tuple[int, ...] = ()
    for s in seq:
        seen = counts.get(current, {})
        n = sum(seen.values())
        want = np.array([(seen.get(a, 0) + 0.5) / (n + 2.0) for a in range(4)])
        np.testing.assert_allclose(m.predict(), want, rtol=1e-12)
        counts.setdefault(current, {}).setdefault(s, 0)
        counts[current][s] += 1
        m.update(s)
        current = (*current, s)
        if current not in known:
            known.add(current)
            current = ()


def test_round_trip_through_the_arithmetic_coder():
    text = list(b"she sells sea shells by the sea shore; the shells she sells are sea shells")
    payload = encode_with_model(text, LZ78())
    assert decode_with_model(payload, LZ78(), len(text)) == text


def test_it_learns_a_repetitive_sequence():
    seq = [0, 1, 1] * 3000
    m, bits = LZ78(alphabet_size=2), []
    for s in seq:
        bits.append(-math.log2(m.predict()[s]))
        m.update(s)
    assert np.mean(bits[-1000:]) < 0.2 < np.mean(bits[:300])


def test_memory_is_bounded():
    rng = np.random.default_rng(0)
    m = LZ78(alphabet_size=256, max_nodes=64)
    for s in rng.integers(0, 256, size=5000):
        p = m.predict()
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-12)
        m.update(int(s))
    assert len(m.children) <= 64
    assert isinstance(m, Model)


@pytest.mark.parametrize(
    "kwargs",
    [{"alphabet_size": 1}, {"alphabet_size": 257}, {"max_nodes": 0}, {"max_nodes": MAX_NODES + 1}],
)
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        LZ78(**kwargs)


def test_bad_symbol():
    with pytest.raises(ValueError):
        LZ78(alphabet_size=2).update(2)
    assert LZ78(alphabet_size=5, max_nodes=10).params() == {"alphabet_size": 5, "max_nodes": 10}


def test_memory_bound_covers_a_full_tree():
    import tracemalloc

    from predcomp.models.lz import memory_bound, nodes_for

    rng = np.random.default_rng(3)
    tracemalloc.start()
    try:
        model = LZ78(max_nodes=3000)
        for s in rng.integers(0, 256, size=20_000).tolist():
            model.update(s)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(model.children) == 3000  # full
    assert used <= memory_bound(3000)
    assert nodes_for(0) == 1024 and nodes_for(10**9) == MAX_NODES and nodes_for(5000) == 5001


# ----------------------------------------------------------------------- in the compressor


def test_the_compressor_codes_bytes_with_lz78():
    from predcomp.coding.container import unpack
    from predcomp.compress import compress, decompress
    from predcomp.models.registry import make_model, validate

    text = b"abracadabra, abracadabra, abracadabra! " * 100
    blob = compress(text, "lz78")
    assert decompress(blob) == text
    # it learns, slowly: the longer the repetitive text, the fewer bits per byte
    ratios = [len(unpack(compress(text * k, "lz78"))[1]) / (k * len(text)) for k in (1, 2)]
    assert ratios[1] < ratios[0] < 0.6
    assert make_model("lz78", input_length=len(text)).max_nodes == max(1024, len(text) + 1)
    assert validate("lz78", {}, input_length=10) < validate("lz78", {}, input_length=10**6)
    for bad in ({"max_nodes": 10**12}, {"max_nodes": 0}, {"max_nodes": 2.5}):
        with pytest.raises(ValueError):
            validate("lz78", bad, max_memory=None)
