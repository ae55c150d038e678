"""The match model: repeats are found, followed, and learned to be trusted."""

from __future__ import annotations

from predcomp.models.cm.contexts import History
from predcomp.models.cm.match import MIN_LEN, MatchModel


def feed(m: MatchModel, hist: History, data: bytes) -> None:
    for c in data:
        hist.add(c)
        m.update_byte(c, hist.context_hash(MIN_LEN))


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
        m.update_byte(c, hist.context_hash(MIN_LEN))
    late = gains[-800:]
    assert sum(late) / len(late) > 1000  # confident, and right (stretch units: > e^4 odds)
