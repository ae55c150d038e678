"""Training utilities: data split, batches, schedule, optimizer groups, bpc, checkpoints."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from predcomp import train as train_module
from predcomp.noisy_channel import EditChannel, Lexicon, SpellingTask
from predcomp.tokenize import ByteTokenizer, CharTokenizer, train_bpe
from predcomp.train import (
    LN2,
    TrainConfig,
    TrainingTooSlowError,
    bits_by_position,
    char_data,
    code_length,
    configure_optimizer,
    evaluate_bpc,
    get_batch,
    load_checkpoint,
    lr_at,
    reproducible_torch,
    sample,
    save_checkpoint,
    sequence_bits,
    train,
)
from predcomp.transformer.encoder_decoder import EncoderDecoder, Seq2SeqConfig
from predcomp.transformer.gpt import GPT, GPTConfig

TEXT = "abracadabra, the cat sat on the mat. " * 40


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


def tiny(vocab: int, **kw) -> GPT:
    return GPT(GPTConfig(vocab_size=vocab, block_size=16, n_layer=1, n_head=2, n_embd=16, **kw))


def test_split():
    d = char_data(TEXT, 0.9)
    assert d.vocab.chars == sorted(set(TEXT))
    assert len(d.train) == int(0.9 * len(TEXT)) and len(d.train) + len(d.val) == len(TEXT)
    assert d.vocab.decode(torch.cat((d.train, d.val))) == TEXT
    with pytest.raises(ValueError):
        char_data(TEXT, 1.0)


def test_batches_are_shifted_windows():
    ids = torch.arange(100)
    x, y = get_batch(ids, 8, 5, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 8)
    assert torch.equal(y, x + 1)  # the target is the next token
    assert torch.equal(x[:, 1:] - x[:, :-1], torch.ones(5, 7, dtype=torch.long))
    with pytest.raises(ValueError):
        get_batch(ids[:8], 8, 1, torch.Generator())


def test_schedule():
    cfg = TrainConfig(max_steps=1000, lr=1e-3, min_lr=1e-4, warmup_steps=100)
    assert lr_at(0, cfg) == pytest.approx(1e-5)
    assert lr_at(99, cfg) == pytest.approx(1e-3)
    assert lr_at(100, cfg) == pytest.approx(1e-3)
    assert lr_at(550, cfg) == pytest.approx(0.5 * (1e-3 + 1e-4))  # half-way down the cosine
    assert lr_at(1000, cfg) == pytest.approx(1e-4)
    assert lr_at(5000, cfg) == pytest.approx(1e-4)
    lrs = [lr_at(s, cfg) for s in range(100, 1000)]
    assert all(a >= b for a, b in itertools.pairwise(lrs))


def test_weight_decay_groups():
    m = tiny(10)
    opt = configure_optimizer(m, 1e-3, 0.1, (0.9, 0.99))
    decay, other = opt.param_groups
    assert decay["weight_decay"] == 0.1 and other["weight_decay"] == 0.0
    decayed = {id(p) for p in decay["params"]}
    assert id(m.tok_emb.weight) not in decayed and id(m.pos_emb.weight) not in decayed
    assert id(m.blocks[0].self_attn.in_proj.weight) in decayed
    assert id(m.blocks[0].ff.linear1.bias) not in decayed
    assert id(m.blocks[0].norm1.weight) not in decayed
    n_all = sum(p.numel() for p in m.parameters())
    n_groups = sum(p.numel() for g in opt.param_groups for p in g["params"])
    assert n_all == n_groups  # every parameter exactly once (the tied head included)


def test_evaluate_bpc_against_direct_computation():
    d = char_data(TEXT)
    m = tiny(len(d.vocab)).eval()
    ids = d.val[: 3 * 16 + 1]
    bpc = evaluate_bpc(m, ids, batch_size=2)
    x, y = ids[:48].view(3, 16), ids[1:49].view(3, 16)
    nats = F.cross_entropy(m(x)[0].reshape(-1, len(d.vocab)), y.reshape(-1)).item()
    assert bpc == pytest.approx(nats / math.log(2), rel=1e-5)
    # an untrained model is close to uniform: log2 V bits
    assert abs(bpc - math.log2(len(d.vocab))) < 0.2
    assert LN2 == pytest.approx(math.log(2))


def test_bits_by_position_against_direct_computation():
    d = char_data(TEXT)
    m = tiny(len(d.vocab)).eval()
    T = m.config.block_size
    ids = d.train[: 5 * T + 1]
    by_pos = bits_by_position(m, ids, batch_size=2)
    assert by_pos.shape == (T,)
    x, y = ids[: 5 * T].view(5, T), ids[1 : 5 * T + 1].view(5, T)
    nats = F.cross_entropy(m(x)[0].transpose(1, 2), y, reduction="none").mean(0)
    assert torch.allclose(by_pos, nats / LN2, rtol=1e-5)
    assert evaluate_bpc(m, ids) == pytest.approx(by_pos.mean().item(), rel=1e-6)


def test_evaluate_bpc_max_tokens_spreads_windows_over_the_text():
    d = char_data(TEXT)
    m = tiny(len(d.vocab)).eval()
    T = m.config.block_size
    ids = d.train[: 10 * T + 1]  # 10 windows (any text will do)
    assert len(ids) == 10 * T + 1
    # 3 windows: the first, the middle one (index 4.5 rounds to 4) and the last
    part = evaluate_bpc(m, ids, max_tokens=3 * T + 5)
    chosen = [0, 4, 9]
    x = torch.stack([ids[i * T : (i + 1) * T] for i in chosen])
    y = torch.stack([ids[i * T + 1 : (i + 1) * T + 1] for i in chosen])
    nats = F.cross_entropy(m(x)[0].reshape(-1, len(d.vocab)), y.reshape(-1)).item()
    assert part == pytest.approx(nats / LN2, rel=1e-5)
    # enough tokens for every window: the full evaluation
    assert evaluate_bpc(m, ids, max_tokens=10**6) == evaluate_bpc(m, ids)
    with pytest.raises(ValueError, match="less than one window"):
        evaluate_bpc(m, ids, max_tokens=T - 1)


def test_training_lowers_held_out_bpc_and_is_deterministic():
    d = char_data(TEXT)
    cfg = TrainConfig(max_steps=60, batch_size=8, lr=3e-3, warmup_steps=5, eval_interval=30)
    m1, m2 = tiny(len(d.vocab)), tiny(len(d.vocab))
    m2.load_state_dict(m1.state_dict())
    h1 = train(m1, d, cfg, progress=False)
    h2 = train(m2, d, cfg, progress=False)
    assert h1.train_bpc == h2.train_bpc  # same seed, same data order, same numbers
    assert h1.eval_steps == [30, 60] and len(h1.val_bpc) == 2
    assert h1.val_bpc[-1] < math.log2(len(d.vocab)) - 1.0  # learned a lot of the repetition
    assert h1.tokens == 60 * 8 * 16
    assert h1.lr[0] == pytest.approx(3e-3 / 5)


def test_clipping_is_applied_every_step(monkeypatch):
    d = char_data(TEXT)
    m = tiny(len(d.vocab))
    norms_after = []
    real_clip = torch.nn.utils.clip_grad_norm_

    def spy(params, max_norm):
        params = list(params)
        total = real_clip(params, max_norm)
        norms_after.append(torch.norm(torch.stack([p.grad.norm() for p in params])).item())
        return total

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    steps = []
    cfg = TrainConfig(max_steps=3, batch_size=4, grad_clip=1e-3, warmup_steps=1)
    train(m, d, cfg, progress=False, callback=lambda step, hist: steps.append(step))
    assert steps == [0, 1, 2] and len(norms_after) == 3
    assert all(n <= 1e-3 * (1 + 1e-4) for n in norms_after)  # clipped to the maximum norm


def test_checkpoint_round_trip(tmp_path):
    d = char_data(TEXT)
    m = tiny(len(d.vocab), position="rotary").eval()
    path = tmp_path / "gpt.pt"
    save_checkpoint(path, m, vocab="".join(d.vocab.chars), step=7)
    m2, extra = load_checkpoint(path)
    assert extra == {"vocab": "".join(d.vocab.chars), "step": 7}
    assert m2.config == m.config
    idx = d.val[:16].unsqueeze(0)
    assert torch.equal(m2.eval()(idx)[0], m(idx)[0])
    assert m2.lm_head.weight is m2.tok_emb.weight  # tying survives loading
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(Exception):  # noqa: B017 - torch raises its own unpickling error
        load_checkpoint(tmp_path / "bad.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError):
        load_checkpoint(tmp_path / "other.pt")


def test_sample_is_reproducible_text():
    d = char_data(TEXT)
    m = tiny(len(d.vocab))
    a = sample(m, d.vocab, "the ", n=30, temperature=0.8, top_k=5, seed=1)
    b = sample(m, d.vocab, "the ", n=30, temperature=0.8, top_k=5, seed=1)
    assert a == b and a.startswith("the ") and len(a) == 34
    assert set(a) <= set(d.vocab.chars)
    assert m.training  # sample restores the mode


def test_time_budget_schedule(monkeypatch):
    d = char_data(TEXT)
    m = tiny(len(d.vocab))
    # Every step then takes exactly 1/16 s of the fake clock, whatever the machine's speed
    # (a power of two, so the sums are exact).
    monkeypatch.setattr(train_module.time, "perf_counter", FakeClock(1 / 16))
    cfg = TrainConfig(time_budget=1.0, batch_size=4, warmup_steps=2, eval_interval=0)
    h = train(m, d, cfg, progress=False)
    assert len(h.steps) == 16 and h.seconds == 1.0  # 16 steps of 1/16 s
    # the cosine follows elapsed time: the learning rate falls from the peak towards min_lr
    assert h.lr[2] > 0.9 * cfg.lr and h.lr[-1] < 0.5 * cfg.lr
    assert all(a >= b for a, b in itertools.pairwise(h.lr[2:]))
    assert h.lr[-1] == pytest.approx(lr_at(15, cfg, progress=15 / 16))
    assert lr_at(10, cfg, progress=1.0) == pytest.approx(cfg.min_lr)


class FakeClock:
    """``time.perf_counter`` that advances by ``tick`` seconds at every call: no real waiting."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_time_limit_stops_a_slow_run_with_a_message_and_never_shortens_it(monkeypatch):
    import predcomp.train

    d = char_data(TEXT)
    cfg = TrainConfig(max_steps=100, time_limit=50.0, batch_size=4, warmup_steps=2)
    cfg.eval_interval = 0
    seen: list[int] = []
    monkeypatch.setattr(predcomp.train.time, "perf_counter", FakeClock(1.0))  # 3 calls a step
    with pytest.raises(TrainingTooSlowError, match="not shortened") as err:
        train(tiny(len(d.vocab)), d, cfg, progress=False, callback=lambda s, h: seen.append(s))
    # a tenth of the way in, 10 steps had taken 30 fake seconds: 300 s projected > 50 s
    assert len(seen) == 10 and "300 s" in str(err.value)
    # a limit the run fits in changes nothing (the same clock: 3 s a step, 300 s in all)
    monkeypatch.setattr(predcomp.train.time, "perf_counter", FakeClock(1.0))
    torch.manual_seed(0)
    a = train(tiny(len(d.vocab)), d, replace(cfg, time_limit=None), progress=False)
    monkeypatch.setattr(predcomp.train.time, "perf_counter", FakeClock(1.0))
    torch.manual_seed(0)
    b = train(tiny(len(d.vocab)), d, replace(cfg, time_limit=400.0), progress=False)
    assert len(b.steps) == 100 and a.train_bpc == b.train_bpc and a.val_bpc == b.val_bpc


def test_time_limit_also_stops_a_run_that_slows_down_later(monkeypatch):
    import predcomp.train

    d = char_data(TEXT)
    cfg = TrainConfig(max_steps=100, time_limit=50.0, batch_size=4, warmup_steps=2)
    cfg.eval_interval = 0
    clock = FakeClock(0.01)  # fast at first: the projection passes
    monkeypatch.setattr(predcomp.train.time, "perf_counter", clock)
    steps: list[int] = []

    def slow_down(step, hist):
        steps.append(step)
        if step == 20:
            clock.tick = 10.0

    with pytest.raises(TrainingTooSlowError):
        train(tiny(len(d.vocab)), d, cfg, progress=False, callback=slow_down)
    assert 20 < len(steps) < 100


def test_reproducible_torch_records_its_settings():
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        settings = reproducible_torch(threads=1)
        assert settings == {"torch": torch.__version__, "threads": 1, "deterministic": True}
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def test_label_smoothing_changes_the_training_loss_only():
    d = char_data(TEXT)
    base = dict(max_steps=3, batch_size=4, warmup_steps=1, eval_interval=0)
    torch.manual_seed(0)
    plain = train(tiny(len(d.vocab)), d, TrainConfig(**base), progress=False)
    torch.manual_seed(0)
    m = tiny(len(d.vocab))
    x, y = get_batch(d.train, 16, 4, torch.Generator().manual_seed(1337))
    logits = m(x)[0].flatten(0, 1)
    plain_first = F.cross_entropy(logits, y.flatten())
    smoothed_first = F.cross_entropy(logits, y.flatten(), label_smoothing=0.2)
    smooth = train(m, d, TrainConfig(**base, label_smoothing=0.2), progress=False)
    # the first step's recorded loss is the smoothed loss of the first batch (same weights)
    assert plain.train_bpc[0] == pytest.approx(plain_first.item() / LN2, rel=1e-5)
    assert smooth.train_bpc[0] == pytest.approx(smoothed_first.item() / LN2, rel=1e-5)
    assert abs(smooth.train_bpc[0] - plain.train_bpc[0]) > 1e-3
    # the held-out evaluation is the plain cross-entropy
    assert smooth.val_bpc[-1] == pytest.approx(evaluate_bpc(m, d.val), rel=1e-6)


def test_code_length_short_text_is_the_chain_rule():
    # A text shorter than one window: log2 V for the first token, then every token from all
    # the tokens before it.
    tok = CharTokenizer.fit("abcdefgh ")
    m = tiny(tok.vocab_size).eval()
    text = "bad cafe"
    ids = torch.tensor([tok.encode(text)])
    logp = F.log_softmax(m(ids)[0][0, :-1], -1).gather(-1, ids[0, 1:, None]).squeeze(-1)
    expect = math.log2(tok.vocab_size) - logp.sum().item() / LN2
    c = code_length(m, tok, text)
    assert c.bits == pytest.approx(expect, rel=1e-6)
    assert (c.tokens, c.characters, c.bytes) == (8, 8, 8)
    assert c.bits_per_token == c.bits_per_character == c.bits_per_byte == c.bits / 8


def test_code_length_long_text_matches_the_windows_of_evaluate_bpc():
    d = char_data(TEXT)
    m = tiny(len(d.vocab)).eval()
    T = m.config.block_size
    text = TEXT[: 6 * T + 1]  # (n - 1) divisible by T: exactly evaluate_bpc's windows
    c = code_length(m, d.vocab, text, batch_size=4)
    ids = torch.tensor(d.vocab.encode(text))
    expect = math.log2(len(d.vocab)) + evaluate_bpc(m, ids) * (len(ids) - 1)
    assert c.bits == pytest.approx(expect, rel=1e-5)
    # three tokens more: they are scored in one shorter window that starts after the last
    # full one
    longer = code_length(m, d.vocab, TEXT[: 6 * T + 4])
    more = torch.tensor(d.vocab.encode(TEXT[: 6 * T + 4]))
    logits = m(more[None, 6 * T : 6 * T + 3])[0][0]
    tail = F.cross_entropy(logits, more[6 * T + 1 :], reduction="sum").item() / LN2
    assert longer.bits == pytest.approx(c.bits + tail, rel=1e-5)
    assert longer.tokens == c.tokens + 3


def test_code_length_units_and_tokenizers():
    text = "héllo wörld, héllo wörld"  # non-ASCII: bytes differ from characters
    tok = ByteTokenizer()
    m = GPT(GPTConfig(vocab_size=256, block_size=8, n_layer=1, n_head=2, n_embd=16))
    c = code_length(m, tok, text)
    assert c.characters == len(text) and c.bytes == len(text.encode()) == c.tokens
    assert c.bits_per_character * c.characters == pytest.approx(c.bits_per_byte * c.bytes)
    bpe = train_bpe(text * 4, 20)
    m2 = GPT(GPTConfig(vocab_size=bpe.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=16))
    c2 = code_length(m2, bpe, text)
    assert c2.tokens < c.tokens and c2.characters == c.characters
    with pytest.raises(ValueError, match="vocabulary"):
        code_length(tiny(10), tok, text)
    with pytest.raises(ValueError, match="empty"):
        code_length(m, tok, "")


def test_sequence_bits_is_the_chain_rule_by_teacher_forcing():
    lex = Lexicon(["cat", "at", "act"], [0.5, 0.3, 0.2])
    task = SpellingTask(lex, EditChannel(0.1, 0.1, 0.1), max_len=6, n_heldout=5, seed=0)
    cfg = Seq2SeqConfig(task.vocab_size, task.vocab_size, d_model=16, d_ff=32, n_heads=2)
    m = EncoderDecoder(cfg).eval()
    b = task.heldout_batch()
    bits = sequence_bits(m, b)
    assert bits.shape == (5,)
    for k, (x, y) in enumerate(task.heldout_pairs):
        one = task.make_batch([(x, y)])
        total = 0.0
        for t in range(len(y) + 1):  # the letters of y, then EOS
            logits = m(one.src, one.tgt_in[:, : t + 1])[0][0, -1]
            total -= F.log_softmax(logits, -1)[one.tgt_out[0, t]].item() / LN2
        assert bits[k].item() == pytest.approx(total, rel=1e-4)
