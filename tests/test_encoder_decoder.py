"""The encoder–decoder: shapes, loss masking, causality, cached greedy decoding, learning."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from predcomp.tasks import BOS, EOS, FIRST_SYMBOL, PAD, SequenceTask
from predcomp.train import exact_match, seq2seq_config, train_seq2seq
from predcomp.transformer.encoder_decoder import EncoderDecoder, Seq2SeqConfig


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def small(**kw) -> EncoderDecoder:
    base = dict(src_vocab_size=9, tgt_vocab_size=9, d_model=16, d_ff=32, n_heads=2)
    return EncoderDecoder(Seq2SeqConfig(**(base | kw))).eval()


def test_shapes_and_loss_ignores_padding():
    m = small()
    src = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 3]])
    tgt_in = torch.tensor([[BOS, 5, 4, 3], [BOS, 3, 8, 7]])
    tgt_out = torch.tensor([[5, 4, 3, PAD], [3, 8, 7, 6]])
    logits, loss = m(src, tgt_in, tgt_out)
    assert logits.shape == (2, 4, 9)
    keep = tgt_out != PAD
    expect = F.cross_entropy(logits[keep], tgt_out[keep])
    assert loss.item() == pytest.approx(expect.item(), rel=1e-6)


def test_source_padding_is_invisible():
    m = small()
    tgt_in = torch.tensor([[BOS, 4, 5]])
    a = m(torch.tensor([[3, 4, 0, 0]]), tgt_in)[0]
    b = m(torch.tensor([[3, 4, 0, 0, 0, 0]]), tgt_in)[0]  # more padding
    assert torch.allclose(a, b, atol=1e-5)


def test_decoder_is_causal():
    m = small()
    src = torch.tensor([[3, 4, 5, 6]])
    tgt_in = torch.tensor([[BOS, 4, 5, 6, 7]])
    base = m(src, tgt_in)[0]
    changed = tgt_in.clone()
    changed[0, 3] = 8
    out = m(src, changed)[0]
    assert torch.equal(out[:, :3], base[:, :3])
    assert not torch.allclose(out[:, 3], base[:, 3])


@pytest.mark.parametrize("norm_first", [True, False])
def test_cached_decoding_matches_full_pass(norm_first):
    m = small(norm_first=norm_first)
    src = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 3]])
    out = m.greedy_decode(src, BOS, 5)
    # re-run the decoder on its own output without a cache: the argmax must agree
    full = m(src, torch.cat((torch.full((2, 1), BOS), out[:, :-1]), dim=1))[0]
    assert torch.equal(full.argmax(-1), out)


def test_greedy_decode_stops_at_eos():
    m = small()
    src = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 3]])
    free = m.greedy_decode(src, BOS, 6)  # no EOS: exactly 6 tokens each
    eos = int(free[0, 2])  # pretend the third token of the first row ends a sequence
    out = m.greedy_decode(src, BOS, 6, eos_id=eos)
    for row_free, row in zip(free.tolist(), out.tolist(), strict=True):
        stop = row_free.index(eos) + 1 if eos in row_free else 6
        assert row[:stop] == row_free[:stop]  # the same tokens up to and including EOS
        assert row[stop:] == [PAD] * (6 - stop)  # padding after it


class _Fixed(torch.nn.Module):
    """A stand-in model whose greedy decoding returns fixed outputs."""

    def __init__(self, out: torch.Tensor) -> None:
        super().__init__()
        self.out = out

    def greedy_decode(self, src, bos_id, max_len, eos_id=None):
        assert eos_id == EOS and max_len == self.out.size(1)  # no length is handed over
        return self.out


def test_exact_match_needs_the_right_length():
    task = SequenceTask("reverse", n_symbols=4, min_len=2, max_len=4, n_heldout=5)
    right = task.heldout_batch().tgt_out
    assert exact_match(_Fixed(right), task) == 1.0
    # the right symbols without EOS (the decoder did not know where to stop) do not count
    no_eos = right.masked_fill(right == EOS, PAD)
    assert exact_match(_Fixed(no_eos), task) == 0.0
    one_wrong = right.clone()
    one_wrong[0, 0] = FIRST_SYMBOL + (int(right[0, 0]) - FIRST_SYMBOL + 1) % 4
    assert exact_match(_Fixed(one_wrong), task) == pytest.approx(0.8)
    assert exact_match(_Fixed(one_wrong), task, per_sequence=True).tolist() == [False] + [True] * 4


def test_learns_to_reverse():
    task = SequenceTask("reverse", n_symbols=6, min_len=3, max_len=6, n_heldout=200)
    m = EncoderDecoder(
        Seq2SeqConfig(
            src_vocab_size=task.vocab_size,
            tgt_vocab_size=task.vocab_size,
            max_len=8,
            d_model=32,
            d_ff=64,
            n_heads=2,
            n_layers=1,
        )
    )
    before = exact_match(m, task)
    losses = train_seq2seq(m, task, seq2seq_config(max_steps=150, batch_size=32), progress=False)
    after = exact_match(m, task)
    # a short run: far from perfect, but far better than chance (the chapter trains longer)
    assert before < 0.05
    assert losses[-1] < 0.3 * losses[0]
    assert after > 0.3
