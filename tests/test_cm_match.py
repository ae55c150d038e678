"""The match model: repeats are found, followed, and learned to be trusted."""

from __future__ import annotations

from predcomp.models.cm.contexts import History
from predcomp.models.cm.match import MIN_LEN, MatchModel


def feed(m: MatchModel, hist: History, data: bytes) -> None:
    for c in data:
        hist.add(c)
        m.update_byte(c, hist.suffix_hash(MIN_LEN))


def test_a_repeat_predicts_the_next_byte():
    m, hist = MatchModel(12), History()
    feed(m, hist, b"the quick brown fox. the quick brown")
    assert m.len >= MIN_LEN and m.expected == ord(" ") | 256


def test_no_match_in_fresh_text_and_a_mismatch_ends_it():
    m, hist = MatchModel(12), History()
    feed(m, hist, b"abcdefghijklmnop")
    assert m.len == 0 and m.expected == 0
    feed(m, hist, b"abcdefgh")
    assert m.len > 0
    feed(m, hist, b"X")
    assert m.len == 0


def test_it_learns_to_trust_long_matches():
    m, hist = MatchModel(12), History()
    text = b"to be or not to be, that is the question. " * 20
    gains = []
    for c in text:
        c0 = 1
        for j in range(7, -1, -1):
            bit = (c >> j) & 1
            x = m.predict(c0, 7 - j, hist.byte(1))
            gains.append(x if bit else -x)
            m.update_bit(bit)
            c0 = (c0 << 1) | bit
        hist.add(c)
        m.update_byte(c, hist.suffix_hash(MIN_LEN))
    late = gains[-800:]
    assert sum(late) / len(late) > 1000  # confident, and right (stretch units: > e^4 odds)


def test_the_match_hash_is_the_order_k_context_hash_where_both_exist():
    hist = History()
    for c in b"a longer history of bytes":
        hist.add(c)
    assert all(hist.suffix_hash(k) == hist.context_hash(k) for k in range(8))
    assert hist.suffix_hash(MIN_LEN) != hist.suffix_hash(MIN_LEN - 1)
