"""Throughput of our GPT against an equally sized model built from PyTorch's own layers.

The reference is ``nn.Embedding`` + learned positions + ``nn.TransformerEncoder`` of pre-norm
``nn.TransformerEncoderLayer`` (GELU, causal mask) + final LayerNorm + tied head: the same
architecture and the same number of parameters as :class:`predcomp.transformer.gpt.GPT`.
Three models run side by side in one process: ours with ``F.scaled_dot_product_attention``,
ours with the attention written out, and PyTorch's. Each measurement is repeated in
interleaved order (A B C A B C ...) so that a change in machine load hits all of them alike;
the median is reported.

* training: tokens per second of forward + backward + AdamW step;
* inference: tokens per second of a forward pass without gradients (eval mode).

Usage::

    python bench/transformer_speed.py [--threads 2] [--repeats 7]

Writes ``bench/results/transformer_speed.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from predcomp.transformer.attention import causal_mask
from predcomp.transformer.gpt import GPT, GPTConfig
from torch import nn

RESULTS = Path(__file__).resolve().parent / "results"


class TorchGPT(nn.Module):
    """The same decoder-only model assembled from ``nn.TransformerEncoderLayer``."""

    def __init__(self, c: GPTConfig) -> None:
        super().__init__()
        self.tok = nn.Embedding(c.vocab_size, c.n_embd)
        self.pos = nn.Parameter(torch.zeros(c.block_size, c.n_embd))
        layer = nn.TransformerEncoderLayer(
            c.n_embd,
            c.n_head,
            4 * c.n_embd,
            dropout=0.0,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, c.n_layer, norm=nn.LayerNorm(c.n_embd), enable_nested_tensor=False
        )
        self.head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.head.weight = self.tok.weight
        self.register_buffer("mask", ~causal_mask(c.block_size), persistent=False)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        T = idx.size(1)
        x = self.tok(idx) + self.pos[:T]
        x = self.encoder(x, mask=self.mask[:T, :T], is_causal=True)
        logits = self.head(x)
        loss = None
        if targets is not None:
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


def train_step_fn(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()

    def step() -> None:
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def infer_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        model.eval()
        with torch.no_grad():
            model(x)

    return step


def time_it(fn: Callable[[], None], iters: int) -> float:
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters


def measure(config: GPTConfig, batch: int, repeats: int, iters: int) -> dict:
    torch.manual_seed(0)
    ours = GPT(config)
    explicit = GPT(GPTConfig(**{**config.__dict__, "use_sdpa": False}))
    explicit.load_state_dict(ours.state_dict())
    ref = TorchGPT(config)
    n = {k: sum(p.numel() for p in m.parameters()) for k, m in [("ours", ours), ("torch", ref)]}
    assert n["ours"] == n["torch"], n
    models = {"ours (SDPA)": ours, "ours (explicit)": explicit, "PyTorch layers": ref}
    x = torch.randint(0, config.vocab_size, (batch, config.block_size))
    y = torch.randint(0, config.vocab_size, (batch, config.block_size))
    tokens = batch * config.block_size
    out: dict = {"parameters": n["ours"], "batch": batch, "tokens_per_call": tokens}
    for kind in ("training", "inference"):
        fns = {
            k: (train_step_fn(m, x, y) if kind == "training" else infer_fn(m, x))
            for k, m in models.items()
        }
        for fn in fns.values():  # warm-up
            time_it(fn, 2)
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(repeats):
            for k, fn in fns.items():
                times[k].append(time_it(fn, iters))
        out[kind] = {
            k: {
                "seconds_per_call": statistics.median(v),
                "tokens_per_s": tokens / statistics.median(v),
            }
            for k, v in times.items()
        }
        base = out[kind]["PyTorch layers"]["tokens_per_s"]
        for k in fns:
            out[kind][k]["ratio_to_pytorch"] = out[kind][k]["tokens_per_s"] / base
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = GPTConfig()
    load_before = os.getloadavg()
    res = measure(config, args.batch, args.repeats, args.iters)
    res.update(
        model=config.__dict__,
        threads=args.threads,
        repeats=args.repeats,
        loadavg_before=load_before,
        loadavg_after=os.getloadavg(),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "transformer_speed.json").write_text(json.dumps(res, indent=1) + "\n")
    lines = [
        f"Default `GPTConfig` ({res['parameters']:,} parameters), batch {args.batch} x "
        f"{config.block_size} tokens, {args.threads} thread(s), median of {args.repeats}.",
        "",
        "| model | training tokens/s | ratio | inference tokens/s | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for k in res["training"]:
        t, i = res["training"][k], res["inference"][k]
        lines.append(
            f"| {k} | {t['tokens_per_s']:,.0f} | {t['ratio_to_pytorch']:.2f} "
            f"| {i['tokens_per_s']:,.0f} | {i['ratio_to_pytorch']:.2f} |"
        )
    (RESULTS / "transformer_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
