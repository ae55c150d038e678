"""Bitwise context mixing: integer squash/stretch, the two interfaces agree, it learns."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.coding.model_coding import ideal_code_length
from predcomp.models.base import BitModel, Model
from predcomp.models.context_mixing import (
    PROB_BITS,
    ContextMixing,
    squash,
    stretch,
    table_bits_for,
)

TEXT = (
    b"It is a truth universally acknowledged, that a single man in possession of a good "
    b"fortune, must be in want of a wife. However little known the feelings or views of such "
    b"a man may be on his first entering a neighbourhood, this truth is so well fixed."
)


def small(**kw) -> ContextMixing:
    return ContextMixing(table_bits=20, **kw)


def test_squash_is_the_logistic_function_in_integers():
    # PAQ's table of 33 knots, interpolated: within 14/4096 of the logistic everywhere
    for d in range(-2047, 2048):
        assert abs(squash(d) - 4096 / (1 + math.exp(-d / 256))) < 14
    values = [squash(d) for d in range(-3000, 3000)]
    assert values == sorted(values) and 1 <= min(values) and max(values) <= 4095
    assert isinstance(squash(100), int)


def test_stretch_inverts_squash():
    for p in range(1, squash(2047) + 1):
        assert squash(stretch(p)) >= p  # the smallest d with squash(d) >= p
        if stretch(p) > -2047:
            assert squash(stretch(p) - 1) < p
    assert [stretch(p) for p in range(4096)] == sorted(stretch(p) for p in range(4096))
    with pytest.raises(ValueError):
        stretch(4096)


def test_follows_both_protocols():
    m = small()
    assert isinstance(m, Model) and isinstance(m, BitModel)
    assert m.alphabet_size == 256 and m.prob_bits == PROB_BITS


def test_bit_probabilities_stay_codable():
    m = small()
    for c in TEXT * 3 + bytes(range(256)):
        for j in range(7, -1, -1):
            p = m.p_bit()
            assert isinstance(p, int) and 1 <= p <= 4095
            m.update_bit((c >> j) & 1)


def test_predict_is_the_product_of_the_bit_probabilities():
    """The byte distribution multiplies out the tree: -log2 p(byte) = sum of bit costs.

    Exactly, byte for byte, on a text with long matches: no statistic is used twice within
    a byte, so learning from a byte's first bits cannot change its later bits' predictions.
    """
    a, b = small(), small()
    for c in TEXT * 2:
        p = a.predict()
        assert p.shape == (256,) and p.min() > 0
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        a.update(c)
        bits = ideal_code_length(bytes([c]), b)  # the coder's eight binary decisions
        assert -math.log2(p[c]) == pytest.approx(bits, rel=1e-9, abs=1e-9)


def test_update_is_eight_bit_updates():
    a, b = small(), small()
    for c in TEXT:
        a.update(c)
        for j in range(7, -1, -1):
            b.p_bit()
            b.update_bit((c >> j) & 1)
    np.testing.assert_array_equal(a.predict(), b.predict())


def test_params_rebuild_an_identical_model():
    m = small(orders=(1, 3), word=False, lr=7)
    clone = ContextMixing(**json.loads(json.dumps(m.params())))
    for c in TEXT[:40]:
        assert m.p_bit() == clone.p_bit()
        for model in (m, clone):
            model.update_bit(c >> 7)
            for j in range(6, -1, -1):
                model.p_bit()
                model.update_bit((c >> j) & 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"orders": (0,)},
        {"orders": (2, 2)},
        {"orders": (9,)},
        {"orders": (True,)},
        {"table_bits": 40},
        {"table_bits": 4},
        {"lr": -1},
        {"limit": 0},
        {"limit": 1.5},
    ],
)
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        ContextMixing(**kwargs)


def test_misuse_is_reported():
    m = small()
    assert m.p_bit() == m.p_bit()  # asking twice is allowed: p_bit learns nothing
    with pytest.raises(ValueError, match="0 or 1"):
        m.update_bit(2)
    m.update_bit(1)
    with pytest.raises(ValueError, match="inside a byte"):
        m.predict()
    with pytest.raises(ValueError, match="inside a byte"):
        m.update(65)
    with pytest.raises(ValueError):
        small().update(256)


def bits_per_byte(m: ContextMixing, data: bytes) -> float:
    return ideal_code_length(data, m) / len(data)


def test_learns_text_better_than_order0():
    from predcomp.compress import code_length

    data = TEXT * 4
    assert bits_per_byte(small(), data) < 0.6 * code_length(data, "order0") / len(data)


def test_match_model_finds_a_long_repeat():
    rng = np.random.default_rng(0)
    block = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()  # incompressible
    data = block + block

    def second_half(**kw) -> float:
        m = small(**kw)
        ideal_code_length(block, m)
        return bits_per_byte(m, block)

    with_match, without = second_half(), second_half(match=False)
    assert with_match < 0.5  # the repeat is almost free
    assert with_match < 0.5 * without  # the contexts alone learn it more slowly
    assert ideal_code_length(data, small()) / 8 < 1.2 * len(block)


def test_each_part_helps_on_text():
    """Removing the word model, the match model or the APM costs bits on English."""
    from predcomp import data as corpora

    try:
        text = corpora.load_bytes("asyoulik", download=False)[:12000]
    except (FileNotFoundError, corpora.CorpusUnavailableError):
        pytest.skip("the asyoulik corpus is not in the local cache")
    full = bits_per_byte(small(), text)
    assert full < 3.0
    for part in ("word", "match", "apm"):
        assert bits_per_byte(small(**{part: False}), text) > full, part


def test_deterministic():
    assert ideal_code_length(TEXT, small()) == ideal_code_length(TEXT, small())


@given(st.integers(min_value=0, max_value=10**9))
@settings(max_examples=50, deadline=None)
def test_table_size_grows_with_the_input_and_is_bounded(n):
    bits = table_bits_for(n)
    assert 16 <= bits <= 24
    assert table_bits_for(n + 1000) >= bits
