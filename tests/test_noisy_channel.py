"""The noisy channel: a proper channel distribution, exact Bayes posteriors, the pair task."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import torch
from predcomp.noisy_channel import (
    EOS,
    EditChannel,
    Lexicon,
    NoisyChannelSpeller,
    SpellingTask,
)
from predcomp.tasks import BOS, PAD


def all_strings(alphabet: str, max_len: int):
    for n in range(max_len + 1):
        for t in itertools.product(alphabet, repeat=n):
            yield "".join(t)


@pytest.mark.parametrize("word", ["", "a", "ab", "bba"])
def test_channel_is_a_distribution_over_strings(word):
    ch = EditChannel(0.1, 0.15, 0.2, "ab")
    total = sum(ch.prob(x, word) for x in all_strings("ab", 13))
    # the strings longer than 13 carry the rest: a geometric tail of insertions
    assert 0.99999 < total <= 1.0 + 1e-12


def test_channel_probabilities_by_hand():
    ch = EditChannel(p_sub=0.1, p_del=0.2, p_ins=0.05, alphabet="abc")
    stay = 0.95
    # "a" -> "a": copied; or deleted with an "a" inserted before or after it
    ins = 2 * (0.05 / 3) * stay * 0.2 * stay
    assert ch.prob("a", "a") == pytest.approx(stay * 0.7 * stay + ins)
    # "a" -> "": deleted, no insertions
    assert ch.prob("", "a") == pytest.approx(stay * 0.2 * stay)
    # "a" -> "b": substituted (one of 2 other letters), or deleted with "b" inserted before
    # or after it
    sub = stay * (0.1 / 2) * stay
    assert ch.prob("b", "a") == pytest.approx(sub + ins)
    # without insertions or deletions only substitutions of equal length remain
    plain = EditChannel(p_sub=0.3, p_del=0.0, p_ins=0.0, alphabet="abc")
    assert plain.prob("ab", "ab") == pytest.approx(0.7**2)
    assert plain.prob("cb", "ab") == pytest.approx(0.15 * 0.7)
    assert plain.prob("abc", "ab") == 0.0


def test_sampling_matches_the_probabilities():
    ch = EditChannel(0.1, 0.15, 0.2, "ab")
    rng = np.random.default_rng(0)
    n = 100_000
    counts = Counter(ch.sample("ab", rng) for _ in range(n))
    for x, k in counts.most_common(8):
        p = ch.prob(x, "ab")
        assert abs(k / n - p) < 5 * math.sqrt(p * (1 - p) / n), x


def test_vectorized_probs_equal_one_at_a_time():
    ch = EditChannel(0.05, 0.05, 0.05)
    words = ["the", "thee", "a", "then", "hat", "abcdefghij"]
    together = ch.probs("thw", words)
    assert np.allclose(together, [ch.prob("thw", w) for w in words], rtol=1e-12)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        EditChannel(p_sub=0.6, p_del=0.5)
    with pytest.raises(ValueError):
        EditChannel(p_ins=1.0)
    with pytest.raises(ValueError):
        EditChannel(alphabet="aa")
    ch = EditChannel()
    with pytest.raises(ValueError, match="not in the alphabet"):
        ch.prob("Hello", "hello")
    with pytest.raises(ValueError):
        ch.probs("x", [])
    with pytest.raises(ValueError):
        Lexicon(["a", "a"], [0.5, 0.5])
    with pytest.raises(ValueError):
        Lexicon(["a", "b"], [0.5, 0.6])
    with pytest.raises(ValueError):
        Lexicon.from_text("123 456")


def test_lexicon_from_text():
    lex = Lexicon.from_text("The cat, the hat; THE mat and a cat.", min_len=2)
    assert lex.words == ["the", "cat", "and", "hat", "mat"]
    assert lex.prior == pytest.approx([3 / 8, 2 / 8, 1 / 8, 1 / 8, 1 / 8])
    assert lex.index("cat") == 1 and "cat" in lex and "dog" not in lex
    with pytest.raises(ValueError):
        lex.index("dog")
    assert len(Lexicon.from_text("a a b c", min_count=2)) == 1


def test_posterior_is_bayes_rule():
    lex = Lexicon(["the", "then", "ten", "hen"], [0.5, 0.2, 0.2, 0.1])
    ch = EditChannel(0.05, 0.05, 0.05)
    speller = NoisyChannelSpeller(lex, ch)
    x = "thn"
    joint = np.array([ch.prob(x, y) * p for y, p in zip(lex.words, lex.prior, strict=True)])
    assert speller.posterior(x) == pytest.approx(joint / joint.sum())
    assert speller.correct(x) == lex.words[int(np.argmax(joint))]
    best = speller.n_best(x, 2)
    assert [w for w, _ in best] == [lex.words[i] for i in np.argsort(-joint)[:2]]
    # an impossible observation (no insertions allowed, too long for every word)
    strict = NoisyChannelSpeller(lex, EditChannel(0.05, 0.05, 0.0))
    with pytest.raises(ValueError, match="no word"):
        strict.posterior("thenthen")


def test_bayes_decision_beats_any_other_rule_on_its_own_process():
    # The posterior is exact, so its log loss on pairs from the process is the conditional
    # entropy H(Y | X), below the log loss of a rule that ignores the prior.
    lex = Lexicon(["ab", "ba", "aa", "b"], [0.55, 0.25, 0.15, 0.05], alphabet="ab")
    ch = EditChannel(0.1, 0.1, 0.1, "ab")
    task = SpellingTask(lex, ch, max_len=6, n_heldout=4000, seed=1)
    bayes = NoisyChannelSpeller(lex, ch)
    flat = NoisyChannelSpeller(Lexicon(lex.words, [0.25] * 4, "ab"), ch)
    pairs = task.heldout_pairs
    loss_bayes = np.mean([-math.log2(bayes.posterior(x)[lex.index(y)]) for x, y in pairs])
    loss_flat = np.mean([-math.log2(flat.posterior(x)[lex.index(y)]) for x, y in pairs])
    acc_bayes = np.mean([bayes.correct(x) == y for x, y in pairs])
    acc_flat = np.mean([flat.correct(x) == y for x, y in pairs])
    assert loss_bayes < loss_flat - 0.05
    assert acc_bayes >= acc_flat


def test_spelling_task_batches():
    lex = Lexicon(["cat", "a"], [0.5, 0.5])
    task = SpellingTask(lex, EditChannel(0.0, 0.0, 0.0), max_len=5, n_heldout=4, seed=0)
    assert task.vocab_size == 3 + 26
    assert all(x == y for x, y in task.heldout_pairs)
    b = task.make_batch([("cat", "cat"), ("b", "a")])
    c, a, t = (task.encode(s)[0] for s in "cat")
    assert b.src.tolist() == [[c, a, t, PAD, PAD], [task.encode("b")[0], PAD, PAD, PAD, PAD]]
    assert b.tgt_out.tolist() == [[c, a, t, EOS, PAD], [a, EOS, PAD, PAD, PAD]]
    assert b.tgt_in.tolist() == [[BOS, c, a, t, EOS], [BOS, a, EOS, PAD, PAD]]
    assert task.decode(b.tgt_out[0]) == "cat" and task.decode([BOS, a, EOS, c]) == "a"
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(task.train_batch(8, g1).src, task.train_batch(8, g2).src)


def test_spelling_task_keeps_sources_within_max_len():
    lex = Lexicon(["abcd"], [1.0])
    task = SpellingTask(lex, EditChannel(0.1, 0.1, 0.3), max_len=5, n_heldout=300, seed=0)
    assert all(1 <= len(x) <= 5 for x, _ in task.heldout_pairs)
    with pytest.raises(ValueError):
        SpellingTask(lex, EditChannel(), max_len=4)


def test_scores_of_the_speller_and_of_a_direct_model():
    from predcomp.noisy_channel import score_direct, score_speller
    from predcomp.train import seq2seq_config, sequence_bits, train_seq2seq
    from predcomp.transformer.encoder_decoder import EncoderDecoder, Seq2SeqConfig

    lex = Lexicon(["cat", "act", "at"], [0.6, 0.3, 0.1])
    ch = EditChannel(0.05, 0.05, 0.05)
    task = SpellingTask(lex, ch, max_len=6, n_heldout=50, seed=2)
    pairs = task.heldout_pairs
    speller = NoisyChannelSpeller(lex, ch)
    s = score_speller(speller, pairs)
    assert s.bits == pytest.approx(
        [-math.log2(speller.posterior(x)[lex.index(y)]) for x, y in pairs]
    )
    assert s.guesses == [speller.correct(x) for x, _ in pairs]
    assert s.exact_match == pytest.approx(
        np.mean([g == y for g, (_, y) in zip(s.guesses, pairs, strict=True)])
    )
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(task.vocab_size, task.vocab_size, d_model=16, d_ff=32, n_heads=2)
    m = EncoderDecoder(cfg)
    seen = []
    train_seq2seq(
        m,
        task,
        seq2seq_config(max_steps=6, batch_size=8),
        progress=False,
        callback=lambda step, losses: seen.append((step, len(losses))),
    )
    assert seen == [(k, k + 1) for k in range(6)]
    assert m.training
    d = score_direct(m, task, pairs)
    assert m.training  # restored
    assert d.bits == pytest.approx(sequence_bits(m, task.make_batch(pairs)).double().numpy())
    assert len(d.guesses) == len(pairs) and d.correct.dtype == bool
