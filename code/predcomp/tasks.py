"""Toy sequence-to-sequence tasks for training an encoder–decoder from scratch.

Each task maps a source sequence of symbols to a target sequence: ``copy`` (identity),
``reverse`` and ``sort``. Sources have random lengths; shorter ones are padded. Token ids:
``0`` is padding, ``1`` begins the decoder input (BOS), ``2`` ends every target (EOS),
``3 ..`` are the symbols. Because every target ends with EOS, a decoder must decide for
itself where its output stops: nothing tells it the length of the answer.

A fixed set of *held-out* sources is drawn first; training batches never contain one of them,
so exact match on the held-out set measures generalization, not memorization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3

__all__ = ["BOS", "EOS", "FIRST_SYMBOL", "PAD", "TRANSFORMS", "Batch", "SequenceTask"]

TRANSFORMS: dict[str, Callable[[list[int]], list[int]]] = {
    "copy": lambda s: list(s),
    "reverse": lambda s: s[::-1],
    "sort": sorted,
}


@dataclass
class Batch:
    """Source ``src`` (B, S), decoder input ``tgt_in`` (B, T), targets ``tgt_out`` (B, T).

    ``S`` is the task's ``max_len`` and ``T = S + 1``: a target is at most ``max_len`` symbols
    and its EOS.
    """

    src: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor


class SequenceTask:
    """Random sources of ``n_symbols`` symbols, lengths ``min_len..max_len``, mapped by a rule."""

    def __init__(
        self,
        name: str = "reverse",
        n_symbols: int = 10,
        min_len: int = 4,
        max_len: int = 12,
        n_heldout: int = 1000,
        seed: int = 0,
    ) -> None:
        if name not in TRANSFORMS:
            raise ValueError(f"task must be one of {sorted(TRANSFORMS)}, got {name!r}")
        if not 1 <= min_len <= max_len:
            raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
        if n_symbols < 2:
            raise ValueError(f"need at least 2 symbols, got {n_symbols}")
        self.name, self.n_symbols = name, n_symbols
        self.min_len, self.max_len = min_len, max_len
        self.transform = TRANSFORMS[name]
        gen = torch.Generator().manual_seed(seed)
        heldout: dict[tuple[int, ...], None] = {}
        while len(heldout) < n_heldout:  # distinct held-out sources, in drawing order
            heldout[tuple(self._draw(gen))] = None
        self.heldout_sources = list(heldout)
        self._heldout_set = set(heldout)

    @property
    def vocab_size(self) -> int:
        """Padding, BOS, EOS and the symbols."""
        return FIRST_SYMBOL + self.n_symbols

    @property
    def target_len(self) -> int:
        """Length of the padded decoder sequences: the longest target plus its EOS."""
        return self.max_len + 1

    def _draw(self, gen: torch.Generator) -> list[int]:
        n = int(torch.randint(self.min_len, self.max_len + 1, (1,), generator=gen))
        return (torch.randint(self.n_symbols, (n,), generator=gen) + FIRST_SYMBOL).tolist()

    def target(self, source: list[int]) -> list[int]:
        """The correct output for ``source`` (without the EOS that ends it in a batch)."""
        return self.transform(list(source))

    def make_batch(self, sources: list[list[int]]) -> Batch:
        """Sources padded to ``max_len``; targets + EOS padded to :attr:`target_len`.

        ``tgt_in`` is ``BOS`` followed by ``tgt_out`` shifted right (teacher forcing).
        """
        B = len(sources)
        src = torch.full((B, self.max_len), PAD, dtype=torch.long)
        tgt_out = torch.full((B, self.target_len), PAD, dtype=torch.long)
        for i, s in enumerate(sources):
            src[i, : len(s)] = torch.tensor(s)
            tgt_out[i, : len(s) + 1] = torch.tensor([*self.target(s), EOS])
        tgt_in = torch.cat((torch.full((B, 1), BOS, dtype=torch.long), tgt_out[:, :-1]), dim=1)
        return Batch(src, tgt_in, tgt_out)

    def train_batch(self, batch_size: int, gen: torch.Generator) -> Batch:
        """Fresh random sources, none of them in the held-out set."""
        sources: list[list[int]] = []
        while len(sources) < batch_size:
            s = self._draw(gen)
            if tuple(s) not in self._heldout_set:
                sources.append(s)
        return self.make_batch(sources)

    def heldout_batch(self) -> Batch:
        """All held-out sources as one batch."""
        return self.make_batch([list(s) for s in self.heldout_sources])
