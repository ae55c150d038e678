"""The noisy-channel model of spelling correction, and the task a direct model learns from.

Shannon's picture applied to language: an intended word ``y`` passes through a *channel* that
corrupts it into the observed string ``x``. Bayes' rule turns a channel model ``P(x | y)`` and a
prior ``P(y)`` (a language model) into the posterior

    P(y | x) = P(x | y) P(y) / sum_y' P(x | y') P(y'),

and decoding searches for the ``y`` that maximizes it. Spelling correction was one of the first
applications (Kernighan, Church and Gale 1990), statistical machine translation another
(Brown et al. 1990). Here the channel is a memoryless edit channel -- substitutions, deletions and
insertions of letters, a pair hidden Markov model -- whose likelihood is computed exactly by
dynamic programming, the prior is a word unigram model counted on a text, and the search is
exhaustive over the lexicon, so the posterior is exact.

:class:`SpellingTask` draws ``(x, y)`` pairs from the same generative process for a
*direct* model of ``P(y | x)``, the encoder--decoder of :mod:`predcomp.transformer`: the
model a sequence-to-sequence Transformer trains.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from predcomp.tasks import BOS, PAD, Batch
from predcomp.train import sequence_bits
from predcomp.transformer.encoder_decoder import EncoderDecoder

__all__ = [
    "ALPHABET",
    "EOS",
    "EditChannel",
    "Lexicon",
    "NoisyChannelSpeller",
    "Scores",
    "SpellingTask",
    "score_direct",
    "score_speller",
]

#: the letters of the channel: lower-case English
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
#: the end-of-word token of :class:`SpellingTask` (0 is padding, 1 begins the decoder input)
EOS = 2
_FIRST_LETTER = 3


def _check_alphabet(alphabet: str) -> None:
    if len(alphabet) < 2 or len(set(alphabet)) != len(alphabet):
        raise ValueError(f"an alphabet needs at least 2 distinct characters, got {alphabet!r}")


def _codes(s: str, alphabet: str, what: str) -> np.ndarray:
    """The letters of ``s`` as indices into ``alphabet``."""
    try:
        return np.array([alphabet.index(c) for c in s], dtype=np.int64)
    except ValueError:
        bad = next(c for c in s if c not in alphabet)
        raise ValueError(f"{what} {s!r}: {bad!r} is not in the alphabet") from None


def _encode_words(words: Sequence[str], alphabet: str) -> tuple[np.ndarray, np.ndarray]:
    """Words as a ``(V, L)`` array of letter indices padded with -1, and their lengths."""
    if not words:
        raise ValueError("need at least one word")
    encoded = [_codes(w, alphabet, "word") for w in words]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    codes = np.full((len(encoded), max(1, int(lengths.max()))), -1, dtype=np.int64)
    for k, e in enumerate(encoded):
        codes[k, : len(e)] = e
    return codes, lengths


@dataclass(frozen=True)
class EditChannel:
    """A memoryless edit channel: a pair hidden Markov model that turns a word into a string.

    Before each letter of the word, and after the last one, the channel inserts ``k >= 0``
    letters, each uniform over the alphabet, with probability ``p_ins**k * (1 - p_ins)``. Each
    letter of the word is then deleted with probability ``p_del``, replaced by a uniformly
    chosen *other* letter with probability ``p_sub``, and copied otherwise. Summed over every
    string, :meth:`prob` is 1 for every word (a proper conditional distribution).
    """

    p_sub: float = 0.03
    p_del: float = 0.03
    p_ins: float = 0.03
    alphabet: str = ALPHABET

    def __post_init__(self) -> None:
        _check_alphabet(self.alphabet)
        for name in ("p_sub", "p_del", "p_ins"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if self.p_sub + self.p_del >= 1.0:
            raise ValueError("p_sub + p_del must be below 1 (a letter must be copied sometimes)")

    @property
    def p_copy(self) -> float:
        """The probability that a letter of the word comes through unchanged."""
        return 1.0 - self.p_sub - self.p_del

    def sample(self, word: str, rng: np.random.Generator) -> str:
        """One corrupted copy of ``word``, drawn from the channel."""
        _codes(word, self.alphabet, "word")
        a, out = self.alphabet, []
        for ch in word:
            while rng.random() < self.p_ins:
                out.append(a[rng.integers(len(a))])
            r = rng.random()
            if r < self.p_del:
                continue
            if r < self.p_del + self.p_sub:
                other = rng.integers(len(a) - 1)  # uniform over the other letters
                out.append(a[other + (other >= a.index(ch))])
            else:
                out.append(ch)
        while rng.random() < self.p_ins:
            out.append(a[rng.integers(len(a))])
        return "".join(out)

    def probs(self, x: str, words: Sequence[str] | Lexicon) -> np.ndarray:
        """``P(x | y)`` for every word ``y`` at once: the forward algorithm of the pair HMM.

        ``F[i, j]`` is the probability of having written ``x[:j]`` after reading ``y[:i]``,
        just before the insertions of slot ``i``; the insertions of a slot are closed in one
        matrix product (``S[:, j] = sum_k a**(j - k) F[:, k]`` with ``a = p_ins / A``).
        """
        if isinstance(words, Lexicon):
            if words.alphabet != self.alphabet:
                raise ValueError("the lexicon and the channel use different alphabets")
            codes, lengths = words.codes, words.lengths
        else:
            codes, lengths = _encode_words(words, self.alphabet)
        xc = _codes(x, self.alphabet, "string")
        n, A = len(xc), len(self.alphabet)
        a = self.p_ins / A
        j = np.arange(n + 1)
        # closure[k, j] = a**(j - k) for k <= j: any number of insertions from column k to j
        closure = np.where(j[None, :] >= j[:, None], a ** np.maximum(j[None, :] - j[:, None], 0), 0)
        V = len(lengths)
        F = np.zeros((V, n + 1))
        F[:, 0] = 1.0
        S = F @ closure
        stay = 1.0 - self.p_ins
        sub = self.p_sub / (A - 1)
        for i in range(codes.shape[1]):
            y_i = codes[:, i]  # (V,), -1 beyond a word's end
            hit = np.where(xc[None, :] == y_i[:, None], self.p_copy, sub)  # (V, n)
            G = stay * self.p_del * S  # y_i deleted: no letter written
            G[:, 1:] += stay * hit * S[:, :-1]  # y_i copied or substituted: writes x[j - 1]
            S = np.where((i < lengths)[:, None], G @ closure, S)
        return S[:, n] * stay

    def prob(self, x: str, y: str) -> float:
        """``P(x | y)`` for one word."""
        return float(self.probs(x, [y])[0])


@dataclass
class Lexicon:
    """Words and their prior probabilities ``P(y)``: the language model of the noisy channel."""

    words: list[str]
    prior: np.ndarray
    alphabet: str = ALPHABET
    codes: np.ndarray = field(init=False, repr=False)
    lengths: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_alphabet(self.alphabet)
        self.prior = np.asarray(self.prior, dtype=np.float64)
        if len(self.words) == 0 or len(set(self.words)) != len(self.words):
            raise ValueError("a lexicon needs at least one word, each listed once")
        if self.prior.shape != (len(self.words),):
            raise ValueError(f"need one prior probability per word, got {self.prior.shape}")
        if (self.prior <= 0).any() or abs(self.prior.sum() - 1.0) > 1e-9:
            raise ValueError("prior probabilities must be positive and sum to 1")
        self.codes, self.lengths = _encode_words(list(self.words), self.alphabet)
        self._index = {w: k for k, w in enumerate(self.words)}

    @classmethod
    def from_counts(
        cls, counts: Counter[str] | dict[str, int], alphabet: str = ALPHABET
    ) -> Lexicon:
        """Relative frequencies as the prior, most frequent word first (ties alphabetical)."""
        items = sorted(((w, c) for w, c in counts.items() if c > 0), key=lambda t: (-t[1], t[0]))
        words = [w for w, _ in items]
        freq = np.array([c for _, c in items], dtype=np.float64)
        return cls(words, freq / freq.sum(), alphabet)

    @classmethod
    def from_text(
        cls, text: str, min_len: int = 1, max_len: int = 12, min_count: int = 1
    ) -> Lexicon:
        """The lower-cased words of ``text`` (runs of a-z) of ``min_len..max_len`` letters
        that occur at least ``min_count`` times, with their relative frequencies."""
        if not 1 <= min_len <= max_len:
            raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
        counts = Counter(
            w for w in re.findall(r"[a-z]+", text.lower()) if min_len <= len(w) <= max_len
        )
        kept = {w: c for w, c in counts.items() if c >= min_count}
        if not kept:
            raise ValueError("no word of the text passes the length and count limits")
        return cls.from_counts(kept)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def index(self, word: str) -> int:
        """Position of ``word`` in :attr:`words`; ``ValueError`` if it is not in the lexicon."""
        try:
            return self._index[word]
        except KeyError:
            raise ValueError(f"{word!r} is not in the lexicon") from None

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` words drawn independently from the prior."""
        return [self.words[k] for k in rng.choice(len(self.words), size=n, p=self.prior)]


@dataclass
class NoisyChannelSpeller:
    """Bayes' rule over a lexicon: ``P(y | x)`` proportional to ``P(x | y) P(y)``."""

    lexicon: Lexicon
    channel: EditChannel

    def posterior(self, x: str) -> np.ndarray:
        """``P(y | x)`` for every word of the lexicon (an exact, exhaustive search)."""
        joint = self.channel.probs(x, self.lexicon) * self.lexicon.prior
        total = joint.sum()
        if not total > 0:
            raise ValueError(f"no word of the lexicon can produce {x!r} through this channel")
        return joint / total

    def correct(self, x: str) -> str:
        """The most probable intended word (the Bayes decision for 0-1 loss)."""
        return self.lexicon.words[int(np.argmax(self.posterior(x)))]

    def n_best(self, x: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` most probable words with their posterior probabilities."""
        post = self.posterior(x)
        top = np.argsort(-post, kind="stable")[:k]
        return [(self.lexicon.words[t], float(post[t])) for t in top]


class SpellingTask:
    """Pairs ``(x, y)``: ``y`` drawn from the lexicon's prior, ``x`` from the channel given ``y``.

    For a direct model of ``P(y | x)``: the source is ``x``, the target ``y`` followed by
    :data:`EOS` (the model decides where the word ends). Token ids: 0 padding, 1 BOS, 2 EOS,
    then the letters. Pairs whose ``x`` is empty or longer than ``max_len`` are redrawn: this
    conditions on an event of ``x`` alone, so ``P(y | x)`` is unchanged and the noisy-channel
    posterior stays exact. The held-out pairs are drawn once, independently of the training batches,
    from the same process.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        channel: EditChannel,
        max_len: int = 14,
        n_heldout: int = 1000,
        seed: int = 0,
    ) -> None:
        if lexicon.alphabet != channel.alphabet:
            raise ValueError("the lexicon and the channel use different alphabets")
        if int(lexicon.lengths.max()) + 1 > max_len:
            raise ValueError(f"words of the lexicon need max_len >= {lexicon.lengths.max() + 1}")
        self.lexicon, self.channel, self.max_len = lexicon, channel, max_len
        self._letter = {c: _FIRST_LETTER + i for i, c in enumerate(channel.alphabet)}
        self.heldout_pairs = self.sample_pairs(n_heldout, np.random.default_rng(seed))

    @property
    def vocab_size(self) -> int:
        """Padding, BOS, EOS and the letters (one vocabulary for source and target)."""
        return _FIRST_LETTER + len(self.channel.alphabet)

    def encode(self, s: str) -> list[int]:
        """Letter ids of ``s``."""
        try:
            return [self._letter[c] for c in s]
        except KeyError as err:
            raise ValueError(f"{err.args[0]!r} is not in the alphabet") from None

    def decode(self, ids: Iterable[int]) -> str:
        """Letters up to the first EOS; padding and BOS are skipped."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i >= _FIRST_LETTER:
                out.append(self.channel.alphabet[i - _FIRST_LETTER])
        return "".join(out)

    def sample_pairs(self, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        """``n`` pairs ``(x, y)`` from the generative process (``1 <= len(x) <= max_len``)."""
        pairs: list[tuple[str, str]] = []
        while len(pairs) < n:
            for y in self.lexicon.sample(n - len(pairs), rng):
                x = self.channel.sample(y, rng)
                if 1 <= len(x) <= self.max_len:
                    pairs.append((x, y))
        return pairs

    def make_batch(self, pairs: Sequence[tuple[str, str]]) -> Batch:
        """Sources padded to ``max_len``; targets ``y`` + EOS, and BOS + target shifted right."""
        B, L = len(pairs), self.max_len
        src = torch.full((B, L), PAD, dtype=torch.long)
        tgt_out = torch.full((B, L), PAD, dtype=torch.long)
        for k, (x, y) in enumerate(pairs):
            src[k, : len(x)] = torch.tensor(self.encode(x), dtype=torch.long)
            tgt_out[k, : len(y) + 1] = torch.tensor([*self.encode(y), EOS])
        tgt_in = torch.cat((torch.full((B, 1), BOS, dtype=torch.long), tgt_out[:, :-1]), dim=1)
        return Batch(src, tgt_in, tgt_out)

    def train_batch(self, batch_size: int, gen: torch.Generator) -> Batch:
        """Fresh pairs; the torch generator seeds the draw, so runs are reproducible."""
        seed = int(torch.randint(2**62, (1,), generator=gen))
        return self.make_batch(self.sample_pairs(batch_size, np.random.default_rng(seed)))

    def heldout_batch(self) -> Batch:
        """All held-out pairs as one batch."""
        return self.make_batch(self.heldout_pairs)


@dataclass(frozen=True)
class Scores:
    """How a model of ``P(y | x)`` does on pairs: code length of each ``y``, and its guess."""

    #: ``-log2 P(y | x)`` of each pair (bits per word)
    bits: np.ndarray
    #: the model's best guess for each ``x``
    guesses: list[str]
    #: whether that guess is ``y``
    correct: np.ndarray

    @property
    def bits_per_word(self) -> float:
        return float(self.bits.mean())

    @property
    def exact_match(self) -> float:
        return float(self.correct.mean())


def score_speller(speller: NoisyChannelSpeller, pairs: Sequence[tuple[str, str]]) -> Scores:
    """The noisy-channel posterior's code length of each intended word, and its decision."""
    bits, guesses = [], []
    for x, y in pairs:
        post = speller.posterior(x)
        bits.append(-np.log2(post[speller.lexicon.index(y)]))
        guesses.append(speller.lexicon.words[int(np.argmax(post))])
    correct = np.array([g == y for g, (_, y) in zip(guesses, pairs, strict=True)])
    return Scores(np.array(bits), guesses, correct)


@torch.no_grad()
def score_direct(
    model: EncoderDecoder, task: SpellingTask, pairs: Sequence[tuple[str, str]]
) -> Scores:
    """A direct model's code length of each intended word, and its greedy decoding.

    The code length is ``-log2 P(y EOS | x)`` by teacher forcing (:func:`sequence_bits`);
    the guess is the greedy decoding up to the first EOS.
    """
    batch = task.make_batch(pairs)
    was_training = model.training
    model.eval()
    bits = sequence_bits(model, batch).double().numpy()
    out = model.greedy_decode(batch.src, BOS, task.max_len)
    model.train(was_training)
    guesses = [task.decode(o) for o in out]
    correct = np.array([g == y for g, (_, y) in zip(guesses, pairs, strict=True)])
    return Scores(bits, guesses, correct)
