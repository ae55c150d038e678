"""Tests of predcomp.similarity: NCD, the NCD k-NN classifier, implied distributions."""

from __future__ import annotations

import bz2
import gzip
import random

import numpy as np
import pytest
from predcomp import similarity as sim


def _text(seed: int, n: int, alphabet: str) -> bytes:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n)).encode()


def test_compressed_bits_matches_stdlib():
    x = b"to be or not to be, that is the question " * 20
    assert sim.compressed_bits(x, "gzip") == 8 * len(gzip.compress(x, 9, mtime=0))
    assert sim.compressed_bits(x, "bz2") == 8 * len(bz2.compress(x, 9))
    # raw deflate is gzip minus its 10-byte header and 8-byte trailer
    assert sim.compressed_bits(x, "deflate") == sim.compressed_bits(x, "gzip") - 8 * 18
    assert sim.compressed_bits("abc", "gzip") == sim.compressed_bits(b"abc", "gzip")


def test_ncd_formula_with_a_length_callable():
    # A "compressor" that returns a code length: bits = 3 * number of distinct bytes + 1.
    def c(b: bytes) -> float:
        return 3.0 * len(set(b)) + 1.0

    x, y = b"aab", b"bcd"
    cx, cy, cxy = 7.0, 10.0, 13.0  # distinct: {a,b}, {b,c,d}, {a,b,c,d}
    assert sim.ncd(x, y, c) == pytest.approx((cxy - min(cx, cy)) / max(cx, cy))
    assert sim.ncd(x, y, c) == pytest.approx(0.6)


def test_ncd_identity_and_unrelated():
    x = _text(0, 2000, "abcdefgh")
    y = _text(1, 2000, "stuvwxyz")
    for name in ("deflate", "bz2", "lzma"):
        same = sim.ncd(x, x, name)
        diff = sim.ncd(x, y, name)
        # bzip2's block sorting does not spot an exact repeat of a random string well
        assert same < (0.5 if name == "bz2" else 0.2), (name, same)
        assert diff > 0.75, (name, diff)  # lzma: its ~60-byte frame pulls NCD down
        assert same < diff


def test_ncd_matrix_agrees_with_ncd_and_symmetry_of_shape():
    items = [_text(i, 300, "abcd" if i < 2 else "wxyz") for i in range(4)]
    m = sim.ncd_matrix(items, compressor="bz2")
    assert m.shape == (4, 4)
    for i in range(4):
        for j in range(4):
            assert m[i, j] == pytest.approx(sim.ncd(items[i], items[j], "bz2"))
    # same-alphabet pairs are closer than cross-alphabet pairs
    assert m[0, 1] < m[0, 2] and m[2, 3] < m[2, 0]
    rect = sim.ncd_matrix(items[:1], items, compressor="bz2")
    assert rect.shape == (1, 4)
    assert np.allclose(rect[0], m[0])


def test_unknown_compressor_and_bad_input():
    with pytest.raises(ValueError, match="unknown compressor"):
        sim.ncd(b"a", b"b", "zip-zap")
    with pytest.raises(TypeError):
        sim.ncd(b"a", 3, "gzip")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sim.ncd(b"", b"", lambda b: 0)


def test_knn_predict_votes_and_tie_rule():
    # three training items: labels 0, 1, 1
    d = np.array(
        [
            [0.1, 0.2, 0.3],  # k=2: tie 0 vs 1 -> nearest member is label 0
            [0.5, 0.2, 0.3],  # k=2: two votes for 1
            [0.3, 0.2, 0.9],  # k=2: tie; nearest is label 1 (index 1)
        ]
    )
    labels = [0, 1, 1]
    assert sim.knn_predict(d, labels, k=1).tolist() == [0, 1, 1]
    assert sim.knn_predict(d, labels, k=2).tolist() == [0, 1, 1]
    assert sim.knn_predict(d, labels, k=3).tolist() == [1, 1, 1]
    with pytest.raises(ValueError):
        sim.knn_predict(d, labels, k=4)
    with pytest.raises(ValueError):
        sim.knn_predict(d[:, :2], labels, k=1)


def test_oracle_tie_rule_is_top2_for_k2():
    rng = np.random.default_rng(0)
    n_test, n_train = 200, 30
    d = rng.random((n_test, n_train))
    y_train = rng.integers(0, 3, n_train)
    y_test = rng.integers(0, 3, n_test)
    # independent computation of "either of the two nearest is right"
    top2 = np.argsort(d, axis=1)[:, :2]
    expected = np.mean([(y_train[t] == y).any() for t, y in zip(top2, y_test, strict=True)])
    assert sim.knn_accuracy(d, y_train, y_test, k=2, tie="oracle") == pytest.approx(expected)
    honest = sim.knn_accuracy(d, y_train, y_test, k=2, tie="nearest")
    one_nn = np.mean(y_train[top2[:, 0]] == y_test)
    assert honest == pytest.approx(one_nn)  # k=2 with nearest-member tie-break is 1-NN
    assert expected >= honest
    with pytest.raises(ValueError):
        sim.knn_accuracy(d, y_train, y_test, k=2, tie="coin")  # type: ignore[arg-type]


def test_classifier_separates_two_sources():
    train = [_text(i, 400, "aeiou ") for i in range(5)] + [
        _text(100 + i, 400, "xyzqk ") for i in range(5)
    ]
    labels = [0] * 5 + [1] * 5
    test = [_text(50, 300, "aeiou "), _text(150, 300, "xyzqk ")]
    clf = sim.CompressionClassifier("deflate", k=3).fit(train, labels)
    assert clf.predict(test).tolist() == [0, 1]
    assert clf.distances(test).shape == (2, 10)
    with pytest.raises(ValueError):
        sim.CompressionClassifier().predict([b"x"])
    with pytest.raises(ValueError):
        sim.CompressionClassifier().fit([b"a"], [0, 1])


def test_implied_distribution_from_code_lengths():
    # A length function with known conditional lengths: symbol 'a' costs 1 bit, others 3 bits.
    def c(b: bytes) -> float:
        return sum(1.0 if ch == ord("a") else 3.0 for ch in b)

    p = sim.implied_distribution(b"xyz", b"abc", c)
    expected = np.array([2.0**-1, 2.0**-3, 2.0**-3])
    assert np.allclose(p, expected / expected.sum())
    assert p.sum() == pytest.approx(1.0)


def test_implied_distribution_of_gzip_favours_the_repeated_continuation():
    context = b"abracadabra abracadabra abracadabra abracadabr"
    p = sim.implied_distribution(context, b"abcdr", "deflate")
    assert p.sum() == pytest.approx(1.0)
    assert p[0] == p.max()  # 'a' continues the repeat
    with pytest.raises(ValueError):
        sim.implied_distribution(context, b"", "gzip")
