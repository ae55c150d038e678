"""Tests of predcomp.tokenize: exact round trips, and BPE against a brute-force reference."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.tokenize import (
    BPETokenizer,
    ByteTokenizer,
    CharTokenizer,
    merge_array,
    merge_pair,
    pretokenize,
    train_bpe,
)

SAMPLE = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n\n"
    "All:\nResolved. resolved.\n\nFirst Citizen:\nFirst, you know Caius Marcius is chief enemy "
    "to the people.\n\nAll:\nWe know't, we know't.\n"
) * 3


def reference_bpe(text: str, num_merges: int, pattern) -> list[tuple[int, int]]:
    """Brute force: recount every pair of every piece before each merge."""
    pieces = [list(p.encode("utf-8")) for p in pretokenize(text, pattern)]
    merges: list[tuple[int, int]] = []
    while len(merges) < num_merges:
        counts: Counter[tuple[int, int]] = Counter()
        for w in pieces:
            counts.update(pairwise(w))
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        if counts[pair] < 2:
            break
        merges.append(pair)
        pieces = [merge_pair(w, pair, 255 + len(merges)) for w in pieces]
    return merges


def test_byte_tokenizer_round_trip_and_ids():
    tok = ByteTokenizer()
    assert tok.vocab_size == 256
    assert tok.encode("é!") == [0xC3, 0xA9, 0x21]
    assert tok.decode(tok.encode("naïve 字")) == "naïve 字"


def test_char_tokenizer():
    tok = CharTokenizer.fit("hello world")
    assert tok.chars == [" ", "d", "e", "h", "l", "o", "r", "w"]
    assert tok.vocab_size == 8
    assert tok.encode("hold") == [3, 5, 4, 1]
    assert tok.decode(tok.encode("low herd")) == "low herd"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.encode("xyz")
    assert len(tok) == 8
    # ids may come as a tensor (a model's output); an id outside the vocabulary is refused
    assert tok.decode(torch.tensor(tok.encode("word"))) == "word"
    with pytest.raises(ValueError, match="out of range"):
        tok.decode([8])
    with pytest.raises(ValueError, match="out of range"):
        tok.decode([-1])


def test_pretokenize_gpt2_style_pieces():
    assert pretokenize("Hello world's  end!!\n") == [
        "Hello",
        " world",
        "'s",
        " ",
        " end",
        "!!",
        "\n",
    ]
    assert pretokenize("a_b 42x") == ["a", "_", "b", " 42", "x"]
    assert pretokenize("abc", None) == ["abc"]
    assert pretokenize("", None) == []


@given(st.text(max_size=200))
def test_pretokenize_covers_every_character(text):
    assert "".join(pretokenize(text)) == text


def test_gage_example():
    # The classic example (Gage 1994; Wikipedia "Byte pair encoding"):
    # aaabdaaabac -> ZabdZabac (Z=aa) -> ZYdZYac (Y=ab) -> XdXac (X=ZY).
    tok, trace = train_bpe("aaabdaaabac", 10, pattern=None, return_trace=True)
    a, b = ord("a"), ord("b")
    assert tok.merges == [(a, a), (a, b), (256, 257)]
    assert tok.encode("aaabdaaabac") == [258, ord("d"), 258, a, ord("c")]
    assert trace.tokens_after == [9, 7, 5]
    assert tok.vocab[258] == b"aaab"


@pytest.mark.parametrize("pattern", ["default", None])
def test_bpe_matches_brute_force_reference(pattern):
    pat = BPETokenizer().pattern if pattern == "default" else None
    tok = train_bpe(SAMPLE, 60, pattern=pat)
    assert tok.merges == reference_bpe(SAMPLE, 60, pat)


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet="ab c\n", max_size=80),
    st.integers(0, 30),
    st.booleans(),
)
def test_bpe_matches_reference_on_random_text(text, n, split):
    pat = BPETokenizer().pattern if split else None
    tok = train_bpe(text, n, pattern=pat)
    assert tok.merges == reference_bpe(text, n, pat)
    assert tok.decode(tok.encode(text)) == text


def test_trace_counts_are_exact_token_counts():
    for pattern in (BPETokenizer().pattern, None):
        tok, trace = train_bpe(SAMPLE, 80, pattern=pattern, return_trace=True)
        assert trace.tokens_before == len(SAMPLE.encode("utf-8"))
        counts = [trace.tokens_before, *trace.tokens_after]
        assert all(x > y for x, y in pairwise(counts))
        for k in (1, 5, 20, len(tok.merges)):
            assert len(tok.truncated(k).encode(SAMPLE)) == trace.tokens_after[k - 1]


def test_vocab_entries_are_concatenations():
    tok = train_bpe(SAMPLE, 50)
    assert tok.vocab_size == 256 + len(tok.merges) == len(tok.vocab)
    for r, (a, b) in enumerate(tok.merges):
        assert tok.vocab[256 + r] == tok.vocab[a] + tok.vocab[b]
    assert " Citizen" in tok.token_strings() or " Cit" in "".join(tok.token_strings())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_bpe_round_trip_on_any_text(text):
    tok = _trained()
    assert tok.decode(tok.encode(text)) == text


_TOK: list[BPETokenizer] = []


def _trained() -> BPETokenizer:
    if not _TOK:
        _TOK.append(train_bpe(SAMPLE, 100))
    return _TOK[0]


def test_bpe_compresses_training_text():
    tok = _trained()
    assert len(tok.encode(SAMPLE)) < 0.5 * len(SAMPLE)


def test_long_piece_path_matches_short_path():
    text = SAMPLE * 6  # one piece longer than the numpy threshold
    assert len(text) > 4096
    tok = train_bpe(text, 40, pattern=None)
    long_ids = tok.encode(text)
    ids = list(text.encode("utf-8"))
    for r, pair in enumerate(tok.merges):
        ids = merge_pair(ids, pair, 256 + r)
    assert long_ids == ids
    assert tok.decode(long_ids) == text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 3), max_size=40),
    st.integers(0, 3),
    st.integers(0, 3),
)
def test_merge_array_equals_merge_pair(ids, a, b):
    got = merge_array(np.array(ids, dtype=np.int64), (a, b), 9).tolist()
    assert got == merge_pair(ids, (a, b), 9)


def test_merge_pair_overlapping_run():
    assert merge_pair([1, 1, 1, 1, 1], (1, 1), 7) == [7, 7, 1]


def test_json_round_trip_and_validation():
    tok = _trained()
    again = BPETokenizer.from_json(tok.to_json())
    assert again.merges == tok.merges and again.pattern == tok.pattern
    assert again.encode(SAMPLE) == tok.encode(SAMPLE)
    with pytest.raises(ValueError, match="does not exist"):
        BPETokenizer([(300, 1)])
    with pytest.raises(ValueError):
        tok.decode([10**6])
    with pytest.raises(ValueError):
        train_bpe("abc", -1)


def test_matches_huggingface_tokenizers_encoding():
    """Our merges loaded into Hugging Face `tokenizers` give the same tokens on ASCII text."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = _trained()
    # GPT-2's byte-to-unicode table, as used by the ByteLevel pre-tokenizer.
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    extra = 0
    for byte in range(256):
        if byte not in bs:
            bs.append(byte)
            cs.append(256 + extra)
            extra += 1
    byte_char = {b: chr(c) for b, c in zip(bs, cs, strict=True)}

    def show(token: bytes) -> str:
        return "".join(byte_char[x] for x in token)

    vocab = {show(t): i for i, t in enumerate(tok.vocab)}
    merges = [(show(tok.vocab[a]), show(tok.vocab[b])) for a, b in tok.merges]
    hf = Tokenizer(models.BPE(vocab, merges))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    text = SAMPLE + "Citizens' speech, 1234 times_over?\n  spaced   out\t\ttabs\n"
    assert hf.encode(text).ids == tok.encode(text)
    assert tokenizers.__version__
