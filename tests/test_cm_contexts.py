"""The contexts of context mixing: the running summaries of the history, and each context's hash."""

from __future__ import annotations

import pytest
from predcomp.models.cm.contexts import CONTEXTS, History, byte_class
from predcomp.models.cm.hashtable import hash_step


def history(text: bytes) -> History:
    h = History()
    for c in text:
        h.add(c)
    return h


def word_hash(word: bytes) -> int:
    h = 0
    for c in word.lower():
        h = hash_step(h, c)
    return h


def test_byte_classes():
    assert [byte_class(c) for c in b"aZ \n.7"] == [0, 1, 2, 2, 3, 3]


def test_the_last_three_words_are_kept_case_folded():
    h = history(b"To be, OR not")
    assert (h.word2, h.prev_word, h.word) == (word_hash(b"be"), word_hash(b"or"), word_hash(b"not"))
    assert history(b"to be, or NOT").context_hash(CONTEXTS["trigram"]) == h.context_hash(
        CONTEXTS["trigram"]
    )


def test_the_gap_is_what_lies_between_two_words():
    comma, stop = history(b"said, then"), history(b"said. then")
    assert comma.word == stop.word
    assert comma.context_hash(CONTEXTS["word"]) == stop.context_hash(CONTEXTS["word"])
    assert comma.context_hash(CONTEXTS["word_gap"]) != stop.context_hash(CONTEXTS["word_gap"])
    # between words, the gap grows with each byte
    assert history(b"said, ").gap != history(b"said,").gap


def test_the_indirect_context_remembers_what_followed_the_last_two_bytes():
    h = history(b"abXab")
    pair = ord("b") | ord("a") << 8
    assert h.follow[pair] == ord("X")
    assert history(b"abXabY").follow[pair] == (ord("X") << 8 | ord("Y"))
    # same last two bytes, different past continuations: the same order-2, another indirect
    other = history(b"abZab")
    assert h.context_hash(CONTEXTS["o2"]) == other.context_hash(CONTEXTS["o2"])
    assert h.context_hash(CONTEXTS["indirect"]) != other.context_hash(CONTEXTS["indirect"])


def test_line_contexts_see_the_column_and_the_line_start():
    a, b = history(b"xx\nROS. he"), history(b"xx\nCEL. he")
    assert a.context_hash(CONTEXTS["column_c1"]) == b.context_hash(CONTEXTS["column_c1"])
    assert a.context_hash(CONTEXTS["line_word"]) != b.context_hash(CONTEXTS["line_word"])
    col = CONTEXTS["column_c1"]
    assert history(b"ab\ncd").context_hash(col) != history(b"abcd").context_hash(col)


@pytest.mark.parametrize("text", [b"", b"a", b"one two, three\nfour five six"])
def test_every_context_has_its_own_hash(text):
    h = history(text)
    hashes = [h.context_hash(code) for code in CONTEXTS.values()]
    assert len(set(hashes)) == len(hashes)
    assert all(0 <= x < 1 << 32 for x in hashes)
