"""Train the character GPT on tinyshakespeare and record its learning curve in bits per char.

Two runs, each stored under its own key of ``bench/results/train_gpt.json`` (the chapters
plot the curves) and summarized in ``bench/results/train_gpt.md``:

* ``--run default``: the *default* ``GPTConfig`` and ``TrainConfig``, the chapter's setting;
* ``--run long``: a larger model trained for a wall-clock budget (default 15 minutes). The
  learning-rate schedule follows elapsed time (``TrainConfig.time_budget``), so that the
  cosine decay ends when the budget does, whatever the machine's speed;
* ``--run seq2seq``: the default encoder–decoder on the reversal task of
  :mod:`predcomp.tasks`, with its exact-match rate on the held-out sources.

Usage (from the repository root)::

    python bench/train_gpt.py --run default
    python bench/train_gpt.py --run long --minutes 15
    python bench/train_gpt.py --run seq2seq

Wall-clock times depend on the machine and on what else runs on it; the JSON records the
process CPU time, the thread count and the load average next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

import torch
from predcomp.tasks import SequenceTask
from predcomp.train import (
    TrainConfig,
    exact_match,
    load_char_data,
    sample,
    seq2seq_config,
    train,
    train_seq2seq,
)
from predcomp.transformer.encoder_decoder import EncoderDecoder, Seq2SeqConfig
from predcomp.transformer.gpt import GPT, GPTConfig

RESULTS = Path(__file__).resolve().parent / "results"

LONG_MODEL = dict(n_layer=4, n_head=4, n_embd=128, block_size=128, dropout=0.0)
LONG_TRAIN = dict(batch_size=32, lr=3e-3, min_lr=1e-4, warmup_steps=100, eval_interval=250)


def run_seq2seq(threads: int) -> dict:
    torch.set_num_threads(threads)
    task = SequenceTask("reverse")
    cfg = Seq2SeqConfig(src_vocab_size=task.vocab_size, tgt_vocab_size=task.vocab_size)
    tcfg = seq2seq_config()
    torch.manual_seed(tcfg.seed)
    model = EncoderDecoder(cfg)
    load_before = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    losses = train_seq2seq(model, task, tcfg)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "task": {
            "name": task.name,
            "n_symbols": task.n_symbols,
            "min_len": task.min_len,
            "max_len": task.max_len,
            "n_heldout": len(task.heldout_sources),
        },
        "model": asdict(cfg),
        "train": asdict(tcfg),
        "parameters": sum(p.numel() for p in model.parameters()),
        "exact_match": exact_match(model, task),
        "loss_bits": losses,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "threads": threads,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def run(name: str, minutes: float, threads: int) -> dict:
    if name == "seq2seq":
        return run_seq2seq(threads)
    torch.set_num_threads(threads)
    data = load_char_data("tinyshakespeare")
    if name == "default":
        mcfg, tcfg = GPTConfig(vocab_size=len(data.vocab)), TrainConfig()
    else:
        mcfg = GPTConfig(vocab_size=len(data.vocab), **LONG_MODEL)
        tcfg = TrainConfig(**LONG_TRAIN)
    torch.manual_seed(tcfg.seed)
    model = GPT(mcfg)
    if name == "long":
        # train for the budget, the cosine following elapsed time; evaluations take time
        # too, so keep about 8% of the budget for them
        tcfg.time_budget = 0.92 * minutes * 60
    load_before = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    hist = train(model, data, tcfg)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return {
        "model": asdict(mcfg),
        "train": asdict(tcfg),
        "parameters": model.num_params(),
        "final_val_bpc": hist.val_bpc[-1],
        "train_seconds": hist.seconds,
        "wall_seconds_total": wall,
        "cpu_seconds_total": cpu,
        "steps_done": len(hist.steps),
        "tokens": hist.tokens,
        "threads": threads,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "history": hist.to_dict(),
        "sample": sample(model, data.vocab, "ROMEO:\n", n=300, temperature=0.8, seed=0),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
    }


def write_markdown(results: dict) -> None:
    lines = [
        "| run | parameters | steps | tokens | training time (s) | held-out bits/char |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("default", "long"):
        if name in results:
            r = results[name]
            lines.append(
                f"| {name} | {r['parameters']:,} | {r['steps_done']:,} | {r['tokens']:,} "
                f"| {r['train_seconds']:.0f} | {r['final_val_bpc']:.3f} |"
            )
    if "seq2seq" in results:
        r = results["seq2seq"]
        lines += [
            "",
            f"Encoder–decoder on `{r['task']['name']}` ({r['parameters']:,} parameters, "
            f"{r['train']['max_steps']} steps, {r['wall_seconds']:.0f} s): exact match "
            f"{100 * r['exact_match']:.1f}% on {r['task']['n_heldout']} held-out sources.",
        ]
    (RESULTS / "train_gpt.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", choices=["default", "long", "seq2seq"], default="default")
    ap.add_argument("--minutes", type=float, default=15.0, help="budget of the long run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "train_gpt.json"
    result = run(args.run, args.minutes, args.threads)
    # read the other runs' results only now: several runs may go on at the same time
    results = json.loads(path.read_text()) if path.exists() else {}
    results[args.run] = result
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    write_markdown(results)
    r = results[args.run]
    if args.run == "seq2seq":
        print(f"seq2seq: exact match {r['exact_match']:.4f} in {r['wall_seconds']:.0f} s")
    else:
        print(
            f"{args.run}: {r['final_val_bpc']:.3f} bits/char after {r['steps_done']} steps, "
            f"{r['train_seconds']:.0f} s training, {r['cpu_seconds_total']:.0f} s CPU"
        )


if __name__ == "__main__":
    main()
