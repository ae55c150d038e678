"""The reference context-mixing model: the byte and bit protocols, parameters, learning."""

from __future__ import annotations

import json

import numpy as np
import pytest
from predcomp.coding.model_coding import ideal_code_length
from predcomp.models.base import BitModel
from predcomp.models.cm.model import ContextMixing, StrongestMixing, memory, table_sizes

TEXT = b"the cat sat on the mat; the cat ate the rat. " * 12


def small(cls=ContextMixing, **kw) -> ContextMixing:
    return cls(table_bits=14, match_bits=12, **kw)


def test_it_is_a_bit_model_and_learns_text():
    m = small()
    assert isinstance(m, BitModel)
    bits = ideal_code_length(TEXT, m)
    assert bits / len(TEXT) < 2.0  # a repetitive text: far below 8 bits per byte


def test_predict_is_a_distribution_that_starts_like_the_bits():
    m = small()
    for c in TEXT[:40]:
        m.update(c)
    p = m.predict()
    assert p.shape == (256,) and p.sum() == pytest.approx(1.0) and p.min() > 0
    # the first bit's probability is exact (the others are predicted before learning the
    # earlier bits of the byte, which the bit-by-bit coder does learn)
    assert p[128:].sum() == pytest.approx(m.p_bit() / 4096, rel=1e-9)
    np.testing.assert_array_equal(p, m.predict())  # predicting learns nothing


def test_params_rebuild_the_same_model():
    for cls in (ContextMixing, StrongestMixing):
        m = small(cls)
        clone = cls(**json.loads(json.dumps(m.params())))
        for c in TEXT[:30]:
            assert m.p_bit() == clone.p_bit()
            m.update(c)
            clone.update(c)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"contexts": ["o9"]},
        {"contexts": ["o1", "o1"]},
        {"selectors": []},
        {"selectors": ["nope"]},
        {"apms": ["c0", "c0"]},
        {"table_bits": 40},
        {"lr": -1},
        {"limit": 0},
        {"lr_boost": -1},
        {"deterministic": 1},
        {"match": 1},
        {"w_init": -1},
        {"average_apms": 1},
        {"apm_limit": 0},
        {"apms": ["c2"]},
        {"contexts": [f"o{k}" for k in range(8)] * 4},
    ],
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        ContextMixing(**kwargs)


def test_weight_sets_by_the_kinds_of_the_last_bytes():
    m = small(StrongestMixing)
    for c in b"Ab.":  # kinds: upper, lower, other (the last byte first: other, lower, upper)
        m.update(c)
    m.update_bit(0)
    m.update_bit(1)  # two bits of the next byte: c0 = 0b101
    assert m._select("c0_class", []) == 3 << 8 | 0b101
    assert m._select("shape", []) == (3 << 7 | 0 << 5 | 1 << 3 | 2)


def test_apms_side_by_side_average_with_the_mixer():
    chain, side = small(), small(average_apms=True)
    seen = {"chain": [], "side": []}
    for c in TEXT[:60]:  # same mixers, different refinement: different predictions
        for j in range(7, -1, -1):
            for name, m in (("chain", chain), ("side", side)):
                seen[name].append(m.p_bit())
                m.update_bit((c >> j) & 1)
    assert seen["chain"] != seen["side"]
    assert ideal_code_length(TEXT, small(average_apms=True)) / len(TEXT) < 2.0


def test_protocol_misuse_is_refused():
    m = small()
    m.update_bit(1)
    with pytest.raises(ValueError, match="inside a byte"):
        m.predict()
    with pytest.raises(ValueError, match="a bit"):
        m.update_bit(2)


def test_memory_grows_with_the_tables_and_sizes_fit_the_input():
    assert memory({"table_bits": 20}) < memory({"table_bits": 22}) < memory({}, StrongestMixing)
    assert memory({}, StrongestMixing) <= 1 << 30
    assert table_sizes({}, 1000, ContextMixing)["table_bits"] < 22
    assert table_sizes({}, 10**7, ContextMixing)["table_bits"] == 22
    assert table_sizes({"table_bits": 16}, 10**7, ContextMixing)["table_bits"] == 16
