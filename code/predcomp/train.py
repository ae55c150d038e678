"""Training a language model: data, optimizer, schedule, loop, evaluation in bits, checkpoints.

The objective is the mean next-token cross-entropy. Measured in bits (divide nats by ln 2)
it is the number of bits per token an arithmetic coder would spend with the model's
predictions: training a language model *is* minimizing a code length. On held-out text it is
reported as **bits per character** (bpc).

The recipe follows nanoGPT: AdamW with decoupled weight decay, a linear warm-up then a cosine
decay of the learning rate, gradient-norm clipping, seeded sampling of random training windows.
One difference: nanoGPT decays every matrix including the embeddings; here only the weight
matrices of linear layers are decayed (not biases, LayerNorm gains or embeddings).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from predcomp.tasks import BOS, EOS, PAD, Batch, SequenceTask
from predcomp.tokenize import BPETokenizer, ByteTokenizer, CharTokenizer
from predcomp.transformer.embedding import TokenEmbedding
from predcomp.transformer.encoder_decoder import EncoderDecoder
from predcomp.transformer.gpt import GPT, GPTConfig
from predcomp.transformer.positional import LearnedPositionalEmbedding

LN2 = math.log(2.0)
#: train() checks TrainConfig.time_limit against its projected duration after this share
_GUARD_AT = 0.1


# --- data ------------------------------------------------------------------------------------


@dataclass
class CharData:
    """A text split into training and held-out token ids (the first 90% / the last 10%)."""

    vocab: CharTokenizer
    train: torch.Tensor  # int64 token ids
    val: torch.Tensor


def char_data(text: str, train_fraction: float = 0.9) -> CharData:
    """Tokenize ``text`` by characters and split it: first part for training, rest held out."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    vocab = CharTokenizer.fit(text)
    ids = torch.tensor(vocab.encode(text), dtype=torch.long)
    n = int(train_fraction * len(ids))
    return CharData(vocab, ids[:n], ids[n:])


def load_char_data(name: str = "tinyshakespeare", train_fraction: float = 0.9) -> CharData:
    """A corpus of :mod:`predcomp.data` as character-level training and held-out splits."""
    from predcomp import data

    return char_data(data.load_text(name), train_fraction)


def get_batch(
    ids: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows ``x`` (B, T) and their one-step-shifted targets ``y`` (B, T)."""
    if len(ids) <= block_size:
        raise ValueError(f"need more than block_size={block_size} tokens, got {len(ids)}")
    start = torch.randint(len(ids) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size)
    x = ids[start[:, None] + offsets]  # (B, T)
    y = ids[start[:, None] + offsets + 1]  # (B, T): the next token at every position
    return x, y


# --- optimization ----------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Training settings; the defaults train the default :class:`GPTConfig` on one CPU thread
    in under a minute."""

    max_steps: int = 600
    batch_size: int = 32
    lr: float = 4e-3  # peak learning rate
    min_lr: float = 1e-4  # end of the cosine decay
    warmup_steps: int = 50
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0  # maximum global gradient norm (0 disables clipping)
    eval_interval: int = 100  # steps between held-out evaluations (0: only at the end)
    eval_tokens: int = 32768  # held-out tokens per intermediate evaluation (spread over it)
    seed: int = 1337
    # label smoothing of the training loss (0: plain cross-entropy); History.train_bpc then
    # records the smoothed loss, the held-out evaluations the plain one
    label_smoothing: float = 0.0
    # seconds: a guard, never a setting. If train() takes longer (or, a tenth of the way in,
    # projects that it will), it stops with TrainingTooSlowError and says so; it never
    # shortens the run, so whatever finishes is the same run on every machine.
    time_limit: float | None = None
    # seconds: train for this long instead of max_steps, the cosine following elapsed time.
    # What comes out depends on the machine's speed: for benchmarks (bench/), never a page.
    time_budget: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def lr_at(step: int, cfg: TrainConfig, progress: float | None = None) -> float:
    """Linear warm-up to ``lr`` over ``warmup_steps``, then cosine decay to ``min_lr``.

    ``progress`` (0 to 1), when given, replaces the step-based position in the decay.
    """
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if progress is None:
        progress = (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps)
    progress = min(progress, 1.0)
    return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (cfg.lr - cfg.min_lr)


def configure_optimizer(
    model: nn.Module, lr: float, weight_decay: float, betas: tuple[float, float]
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not biases, LayerNorm gains, embeddings)."""
    no_decay: set[int] = set()
    for module in model.modules():
        if isinstance(module, TokenEmbedding | LearnedPositionalEmbedding):
            no_decay.update(id(p) for p in module.parameters(recurse=False))
    decay, other = [], []
    for p in model.parameters():  # a tied weight is listed once
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 and id(p) not in no_decay else other).append(p)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": other, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


# --- evaluation ------------------------------------------------------------------------------


@torch.no_grad()
def bits_by_position(
    model: GPT, ids: torch.Tensor, batch_size: int = 64, max_tokens: int | None = None
) -> torch.Tensor:
    """Mean bits of the tokens at each position of a window, shape ``(block_size,)``.

    ``ids`` is cut into consecutive windows of ``block_size``; the target at position ``t``
    of a window is predicted from the ``t + 1`` tokens before it in the same window (the
    first token of the whole text has no prediction). With ``max_tokens``, at most
    ``max_tokens`` tokens are scored: whole windows spread evenly over ``ids``, so that a
    partial evaluation samples the whole text (its beginning alone may be easier or harder
    than the rest). Deterministic.
    """
    T = model.config.block_size
    n_windows = (len(ids) - 1) // T
    if n_windows < 1:
        raise ValueError(f"need more than block_size={T} tokens to evaluate, got {len(ids)}")
    starts = torch.arange(n_windows) * T
    if max_tokens is not None:
        if max_tokens < T:
            raise ValueError(f"max_tokens={max_tokens} is less than one window of {T}")
        k = min(n_windows, max_tokens // T)
        starts = starts[torch.linspace(0, n_windows - 1, k).round().long()]
    index = starts[:, None] + torch.arange(T)  # (windows, T)
    was_training = model.training
    model.eval()
    nats = torch.zeros(T, dtype=torch.float64)
    for i in range(0, len(index), batch_size):
        rows = index[i : i + batch_size]
        logits, _ = model(ids[rows])  # (B, T, V)
        ce = F.cross_entropy(logits.transpose(1, 2), ids[rows + 1], reduction="none")
        nats += ce.sum(0, dtype=torch.float64)
    model.train(was_training)
    return (nats / len(index) / LN2).float()


def evaluate_bpc(
    model: GPT, ids: torch.Tensor, batch_size: int = 64, max_tokens: int | None = None
) -> float:
    """Mean bits per token of ``model`` on ``ids``: :func:`bits_by_position` averaged.

    Every position holds the same number of targets, so this is the mean over all of them.
    """
    return bits_by_position(model, ids, batch_size, max_tokens).double().mean().item()


@dataclass(frozen=True)
class CodeLength:
    """The code length of a text under a model, and the units it can be divided by."""

    bits: float
    tokens: int
    characters: int
    bytes: int

    @property
    def bits_per_token(self) -> float:
        return self.bits / self.tokens

    @property
    def bits_per_character(self) -> float:
        return self.bits / self.characters

    @property
    def bits_per_byte(self) -> float:
        return self.bits / self.bytes


@torch.no_grad()
def code_length(
    model: GPT,
    tokenizer: CharTokenizer | ByteTokenizer | BPETokenizer,
    text: str,
    batch_size: int = 64,
) -> CodeLength:
    """Bits to code all of ``text`` with ``model`` over the tokens of ``tokenizer``.

    The first token is coded uniformly (``log2 V`` bits); every later token is predicted
    from the tokens before it in its window, the consecutive windows of ``block_size`` of
    :func:`bits_by_position` followed by one shorter window for the tokens left over. The
    total does not depend on what a "token" is, so it can be divided by the number of
    characters or bytes of the text and compared between models with different tokenizers;
    bits per token cannot.
    """
    ids = tokenizer.encode(text)
    if tokenizer.decode(ids) != text:
        raise ValueError("the tokenizer does not reproduce the text exactly")
    if not ids:
        raise ValueError("cannot measure the code length of an empty text")
    V, T = model.config.vocab_size, model.config.block_size
    if max(ids) >= V:
        raise ValueError(f"token id {max(ids)} is outside the model's vocabulary of {V}")
    t = torch.tensor(ids, dtype=torch.long)
    n = len(ids)
    was_training = model.training
    model.eval()
    nats = torch.zeros((), dtype=torch.float64)
    n_full = (n - 1) // T
    index = torch.arange(n_full)[:, None] * T + torch.arange(T)  # (windows, T)
    for i in range(0, n_full, batch_size):
        rows = index[i : i + batch_size]
        logits, _ = model(t[rows])
        nats += F.cross_entropy(logits.transpose(1, 2), t[rows + 1], reduction="sum").double()
    start = n_full * T
    if start < n - 1:  # the tokens left over: one shorter window
        logits, _ = model(t[None, start : n - 1])
        nats += F.cross_entropy(logits[0], t[start + 1 :], reduction="sum").double()
    model.train(was_training)
    bits = math.log2(V) + nats.item() / LN2
    return CodeLength(bits, n, len(text), len(text.encode("utf-8")))


@dataclass
class History:
    """What a training run recorded: per-step training loss, periodic held-out bpc, timing."""

    steps: list[int] = field(default_factory=list)
    train_bpc: list[float] = field(default_factory=list)  # per step, bits per token
    lr: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    val_bpc: list[float] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the training steps (evaluations excluded)
    tokens: int = 0  # training tokens processed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TrainingTooSlowError(RuntimeError):
    """:func:`train` ran past :attr:`TrainConfig.time_limit` (the run is not shortened)."""


def reproducible_torch(threads: int = 1) -> dict[str, Any]:
    """Fix what could make a CPU run differ between runs or machines; return the settings.

    ``threads`` intra-op threads (a fixed number: PyTorch's default is the number of cores,
    so results could depend on the machine, and several threads spinning on a busy 2-core
    machine make a training step many times slower) and deterministic algorithms. The
    returned ``torch`` version, ``threads`` and ``deterministic`` are worth printing with a
    result: floating-point results can still differ between CPU types and library versions.
    """
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
    }


def _check_time(cfg: TrainConfig, steps_done: int, elapsed: float) -> None:
    """Raise :class:`TrainingTooSlowError` if the run is, or is on course to be, too slow."""
    limit = cfg.time_limit
    if limit is None or cfg.time_budget is not None:
        return
    projected = elapsed / steps_done * cfg.max_steps
    early = steps_done == max(1, round(_GUARD_AT * cfg.max_steps))
    if elapsed > limit or (early and projected > limit):
        raise TrainingTooSlowError(
            f"training is too slow here: {steps_done} of {cfg.max_steps} steps took "
            f"{elapsed:.0f} s, so the whole run would take about {projected:.0f} s, more than "
            f"its time_limit of {limit:.0f} s. The run is not shortened (its results would "
            "then differ from the ones the text describes): use a faster or less busy machine, "
            "raise TrainConfig.time_limit, or train fewer steps and expect other numbers."
        )


def train(
    model: GPT,
    data: CharData,
    cfg: TrainConfig | None = None,
    progress: bool = True,
    callback: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` on ``data.train``; evaluate on ``data.val``; return the :class:`History`.

    Exactly ``cfg.max_steps`` steps (unless ``cfg.time_budget`` is set), so the result does
    not depend on the machine's speed; ``cfg.time_limit`` can only stop a run that is too
    slow, with :class:`TrainingTooSlowError`. The final entry of ``History.val_bpc`` is the
    bpc on the whole held-out split.
    """
    cfg = cfg or TrainConfig()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = configure_optimizer(model, cfg.lr, cfg.weight_decay, cfg.betas)
    hist = History()
    T = model.config.block_size
    model.train()
    budget = cfg.time_budget
    steps = range(cfg.max_steps) if budget is None else itertools.count()
    bar = tqdm(steps, disable=not progress, desc="training", unit="step")
    start = time.perf_counter()
    for step in bar:
        if budget is not None and hist.seconds >= budget:
            break
        if cfg.eval_interval and step > 0 and step % cfg.eval_interval == 0:
            hist.eval_steps.append(step)
            hist.val_bpc.append(evaluate_bpc(model, data.val, max_tokens=cfg.eval_tokens))
        t0 = time.perf_counter()
        lr = lr_at(step, cfg, None if budget is None else hist.seconds / budget)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = get_batch(data.train, T, cfg.batch_size, gen)
        logits, loss = model(x, y)
        if cfg.label_smoothing:
            loss = F.cross_entropy(
                logits.flatten(0, 1), y.flatten(), label_smoothing=cfg.label_smoothing
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        hist.seconds += time.perf_counter() - t0
        hist.tokens += x.numel()
        hist.steps.append(step)
        hist.train_bpc.append(loss.item() / LN2)
        hist.lr.append(lr)
        if progress and step % 10 == 0:
            bar.set_postfix(bpc=f"{hist.train_bpc[-1]:.3f}")
        if callback is not None:
            callback(step, hist)
        _check_time(cfg, step + 1, time.perf_counter() - start)
    bar.close()
    hist.eval_steps.append(hist.steps[-1] + 1 if hist.steps else 0)
    hist.val_bpc.append(evaluate_bpc(model, data.val))
    return hist


# --- checkpoints and sampling ----------------------------------------------------------------


def save_checkpoint(path: str | Path, model: GPT, **extra: Any) -> None:
    """Save the weights and the configuration (plus plain-data ``extra``) to ``path``."""
    torch.save(
        {"config": asdict(model.config), "state_dict": model.state_dict(), "extra": extra}, path
    )


def load_checkpoint(path: str | Path) -> tuple[GPT, dict[str, Any]]:
    """Rebuild a :class:`GPT` from :func:`save_checkpoint`; loads tensors only (no pickle code)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ckpt, dict) or "config" not in ckpt or "state_dict" not in ckpt:
        raise ValueError(f"{path} is not a predcomp GPT checkpoint")
    model = GPT(GPTConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model, ckpt.get("extra", {})


def sample(
    model: GPT,
    vocab: CharTokenizer,
    prompt: str = "\n",
    n: int = 200,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
    top_p: float | None = None,
) -> str:
    """Continue ``prompt`` with ``n`` sampled characters (reproducible for a given ``seed``).

    ``temperature``, ``top_k`` and ``top_p`` as in :func:`predcomp.decoding.decode`.
    """
    was_training = model.training
    model.eval()
    idx = torch.tensor([vocab.encode(prompt)], dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    out = model.generate(idx, n, temperature=temperature, top_k=top_k, top_p=top_p, generator=gen)
    model.train(was_training)
    return vocab.decode(out[0].tolist())


# --- encoder–decoder on a toy task -----------------------------------------------------------


def seq2seq_config(**overrides: Any) -> TrainConfig:
    """Training settings for :func:`train_seq2seq` (the toy tasks learn in about a minute)."""
    base = dict(max_steps=500, batch_size=64, lr=2e-3, min_lr=1e-4, warmup_steps=50, seed=0)
    return TrainConfig(**(base | overrides))


def train_seq2seq(
    model: EncoderDecoder,
    task: SequenceTask,
    cfg: TrainConfig | None = None,
    progress: bool = True,
    callback: Callable[[int, list[float]], None] | None = None,
) -> list[float]:
    """Teacher-forced training of ``model`` on fresh batches of ``task``; per-step loss in bits.

    ``callback(step, losses)``, if given, runs after every step (e.g. to evaluate held-out
    data now and then; it must leave the model in training mode).
    """
    cfg = cfg or seq2seq_config()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = configure_optimizer(model, cfg.lr, cfg.weight_decay, cfg.betas)
    model.train()
    losses: list[float] = []
    bar = tqdm(range(cfg.max_steps), disable=not progress, desc="training", unit="step")
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        b = task.train_batch(cfg.batch_size, gen)
        _, loss = model(b.src, b.tgt_in, b.tgt_out)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        losses.append(loss.item() / LN2)
        if progress and step % 10 == 0:
            bar.set_postfix(bits=f"{losses[-1]:.3f}")
        if callback is not None:
            callback(step, losses)
    bar.close()
    return losses


@torch.no_grad()
def exact_match(
    model: EncoderDecoder, task: SequenceTask, per_sequence: bool = False
) -> float | torch.Tensor:
    """Fraction of held-out sources whose greedy decoding is entirely correct.

    The decoder is given no length: it writes until it emits EOS (or reaches the longest
    possible target), and an output is correct only if it is the target followed by EOS. With
    ``per_sequence``, the boolean tensor of which held-out sources were decoded correctly.
    """
    was_training = model.training
    model.eval()
    b = task.heldout_batch()
    out = model.greedy_decode(b.src, BOS, task.target_len, eos_id=EOS)  # (B, T)
    correct = (out == b.tgt_out).all(dim=1)  # both are padded after EOS
    model.train(was_training)
    return correct if per_sequence else correct.float().mean().item()


@torch.no_grad()
def sequence_bits(model: EncoderDecoder, batch: Batch) -> torch.Tensor:
    """``-log2 P(y | x)`` of each target sequence of ``batch``, shape ``(B,)``.

    The chain rule by teacher forcing: the sum over the target positions (padding excluded)
    of ``-log2 P(y_t | y_<t, x)`` from one forward pass.
    """
    was_training = model.training
    model.eval()
    logits, _ = model(batch.src, batch.tgt_in)
    logp = F.log_softmax(logits, dim=-1).gather(-1, batch.tgt_out[..., None]).squeeze(-1)
    model.train(was_training)
    return -(logp.masked_fill(batch.tgt_out == PAD, 0.0).sum(1)) / LN2
