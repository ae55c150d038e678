"""Likelihood in practice: tokenizers, label smoothing, calibration, a direct speller.

The runs of Chapter 11 that take too long for its page, each stored under its own key of
``bench/results/likelihood.json`` and summarized in ``bench/results/likelihood.md``:

* ``char``: the book's default character GPT (default ``GPTConfig``, the model of Chapter 10)
  on tinyshakespeare, trained for ``GPT_STEPS`` (1,500) steps (Chapter 10's page trains
  ``TrainConfig``'s default, fewer);
* ``bpe``: the same model and training steps over byte-level BPE tokens (``--merges``
  merges learned on the training split);
* ``smooth``: the character GPT trained with label smoothing 0.1.

  For each of these three: the code length of the *same* held-out text (the last 10% of the
  characters) by :func:`predcomp.train.code_length`, in bits per token, per character and
  per byte; the windowed held-out bits per token; a reliability diagram of the next-token
  predictions on the held-out windows; and the temperature that minimizes their
  cross-entropy.

* ``spelling``: the direct encoder--decoder of the spelling task of
  :mod:`predcomp.noisy_channel`, trained for many more steps than on the page, with its
  held-out bits per word and exact-match rate every ``--eval-every`` steps, next to the exact
  noisy-channel (Bayes) posterior on the same pairs.

Usage (from the repository root; each run takes minutes on a 2-core CPU)::

    python bench/likelihood.py               # every run
    python bench/likelihood.py --run bpe     # one run; the others' results are kept

Training runs for a fixed number of steps, so the numbers do not depend on the machine's speed
(only the recorded times do; the JSON has the CPU time, the thread count and the load average).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from predcomp import data as corpora
from predcomp.calibration import fit_temperature, reliability, tempered_bits
from predcomp.noisy_channel import (
    EditChannel,
    Lexicon,
    NoisyChannelSpeller,
    SpellingTask,
    score_direct,
    score_speller,
)
from predcomp.tokenize import train_bpe
from predcomp.train import (
    CharData,
    TrainConfig,
    char_data,
    code_length,
    evaluate_bpc,
    seq2seq_config,
    train,
    train_seq2seq,
)
from predcomp.transformer.encoder_decoder import EncoderDecoder, Seq2SeqConfig
from predcomp.transformer.gpt import GPT, GPTConfig

RESULTS = Path(__file__).resolve().parent / "results"
NAME = "likelihood"
RUNS = ("char", "bpe", "smooth", "spelling")
CORPUS = "tinyshakespeare"
TRAIN_FRACTION = 0.9
N_BINS = 15
#: training steps of the three GPT runs (the committed results were made with 1,500)
GPT_STEPS = 1500


def _meta(threads: int) -> dict:
    return {
        "threads": threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
    }


@torch.no_grad()
def window_logits(model: GPT, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and targets of every position of the consecutive held-out windows."""
    T = model.config.block_size
    n_windows = (len(ids) - 1) // T
    index = torch.arange(n_windows)[:, None] * T + torch.arange(T)
    model.eval()
    out = [model(ids[index[i : i + 64]])[0] for i in range(0, n_windows, 64)]
    logits = torch.cat(out).flatten(0, 1)
    return logits, ids[index + 1].flatten()


def gpt_train_config(name: str) -> TrainConfig:
    """The training settings of the GPT run ``name`` (``char``, ``bpe`` or ``smooth``)."""
    # max_steps and eval_interval pinned: the committed results were made with them (they were
    # then TrainConfig's defaults, which have changed since)
    return TrainConfig(
        max_steps=GPT_STEPS,
        eval_interval=250,
        label_smoothing=0.1 if name == "smooth" else 0.0,
    )


def run_gpt(name: str, merges: int, threads: int, steps: int | None = None) -> dict:
    torch.set_num_threads(threads)
    text = corpora.load_text(CORPUS)
    split = int(TRAIN_FRACTION * len(text))
    heldout_text = text[split:]
    tcfg = gpt_train_config(name)
    if steps is not None:  # a quick check of this script; the results use the default
        tcfg.max_steps = steps
    if name == "bpe":
        tokenizer = train_bpe(text[:split], merges)
        ids_train = torch.tensor(tokenizer.encode(text[:split]), dtype=torch.long)
        ids_val = torch.tensor(tokenizer.encode(heldout_text), dtype=torch.long)
        d = CharData(tokenizer, ids_train, ids_val)  # type: ignore[arg-type]
        vocab_size = tokenizer.vocab_size
    else:
        d = char_data(text, TRAIN_FRACTION)
        tokenizer, vocab_size = d.vocab, len(d.vocab)
    mcfg = GPTConfig(vocab_size=vocab_size)
    torch.manual_seed(tcfg.seed)
    model = GPT(mcfg)
    load_before = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    hist = train(model, d, tcfg)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    c = code_length(model, tokenizer, heldout_text)
    logits, targets = window_logits(model, d.val)
    probs = F.softmax(logits.double(), -1).numpy()
    rel = reliability(probs, targets.numpy(), n_bins=N_BINS)
    tau = fit_temperature(logits, targets)
    return {
        "model": asdict(mcfg),
        "train": asdict(tcfg),
        "tokenizer": "bpe" if name == "bpe" else "char",
        "merges": merges if name == "bpe" else None,
        "parameters": model.num_params(),
        "steps_done": len(hist.steps),
        "train_tokens": hist.tokens,
        "train_characters_per_token": len(text[:split]) / len(d.train),
        "heldout": {
            "bits": c.bits,
            "tokens": c.tokens,
            "characters": c.characters,
            "bytes": c.bytes,
            "bits_per_token": c.bits_per_token,
            "bits_per_character": c.bits_per_character,
            "bits_per_byte": c.bits_per_byte,
            "windowed_bits_per_token": evaluate_bpc(model, d.val),
        },
        "calibration": {
            "n_predictions": len(targets),
            "edges": rel.edges.tolist(),
            "counts": rel.counts.tolist(),
            "confidence": [None if math.isnan(v) else v for v in rel.confidence],
            "accuracy": [None if math.isnan(v) else v for v in rel.accuracy],
            "ece": rel.ece,
            "best_temperature": tau,
            "bits_at_1": tempered_bits(logits, targets, 1.0),
            "bits_at_best": tempered_bits(logits, targets, tau),
        },
        "history": {"eval_steps": hist.eval_steps, "val_bpt": hist.val_bpc},
        "train_seconds": hist.seconds,
        "wall_seconds_total": wall,
        "cpu_seconds_total": cpu,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        **_meta(threads),
    }


def spelling_task() -> tuple[Lexicon, EditChannel, SpellingTask]:
    """The task of Chapter 11: words counted on the training split, the default channel."""
    text = corpora.load_text(CORPUS)
    lexicon = Lexicon.from_text(text[: int(TRAIN_FRACTION * len(text))], max_len=12, min_count=2)
    channel = EditChannel()
    return lexicon, channel, SpellingTask(lexicon, channel)


def run_spelling(steps: int, eval_every: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    lexicon, channel, task = spelling_task()
    pairs = task.heldout_pairs
    bayes = score_speller(NoisyChannelSpeller(lexicon, channel), pairs)
    cfg = Seq2SeqConfig(src_vocab_size=task.vocab_size, tgt_vocab_size=task.vocab_size)
    tcfg = seq2seq_config(max_steps=steps)
    torch.manual_seed(tcfg.seed)
    model = EncoderDecoder(cfg)
    curve: dict[str, list[float]] = {"steps": [], "bits_per_word": [], "exact_match": []}

    def evaluate(step: int) -> None:
        direct = score_direct(model, task, pairs)
        curve["steps"].append(step)
        curve["bits_per_word"].append(direct.bits_per_word)
        curve["exact_match"].append(direct.exact_match)

    def every(step: int, losses: list[float]) -> None:
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            evaluate(step + 1)

    load_before = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    losses = train_seq2seq(model, task, tcfg, callback=every)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "lexicon_words": len(lexicon),
        "channel": asdict(channel),
        "heldout_pairs": len(pairs),
        "bayes_bits_per_word": bayes.bits_per_word,
        "bayes_exact_match": bayes.exact_match,
        "model": asdict(cfg),
        "train": asdict(tcfg),
        "parameters": sum(p.numel() for p in model.parameters()),
        "curve": curve,
        "train_bits_per_token": losses,
        "wall_seconds_total": wall,
        "cpu_seconds_total": cpu,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        **_meta(threads),
    }


def write_markdown(results: dict) -> None:
    lines = [
        "Held-out tinyshakespeare (the same text for every model), coded by "
        "`predcomp.train.code_length`.",
        "",
        "| run | tokenizer | vocabulary | parameters | steps | bits/token | bits/char "
        "| bits/byte | ECE | best temperature |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("char", "bpe", "smooth"):
        if name in results:
            r, h, c = results[name], results[name]["heldout"], results[name]["calibration"]
            lines.append(
                f"| {name} | {r['tokenizer']} | {r['model']['vocab_size']:,} "
                f"| {r['parameters']:,} | {r['steps_done']:,} | {h['bits_per_token']:.3f} "
                f"| {h['bits_per_character']:.3f} | {h['bits_per_byte']:.3f} "
                f"| {c['ece']:.4f} | {c['best_temperature']:.3f} |"
            )
    if "spelling" in results:
        r = results["spelling"]
        lines += [
            "",
            f"Spelling correction ({r['lexicon_words']:,} words, {r['heldout_pairs']:,} "
            f"held-out pairs): noisy channel (exact Bayes) {r['bayes_bits_per_word']:.3f} "
            f"bits/word, exact match {100 * r['bayes_exact_match']:.1f}%; direct "
            f"encoder–decoder after {r['curve']['steps'][-1]:,} steps "
            f"{r['curve']['bits_per_word'][-1]:.3f} bits/word, exact match "
            f"{100 * r['curve']['exact_match'][-1]:.1f}%.",
        ]
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", choices=[*RUNS, "all"], default="all")
    ap.add_argument("--merges", type=int, default=512, help="BPE merges of the bpe run")
    ap.add_argument("--steps", type=int, default=8000, help="training steps of the speller")
    ap.add_argument("--gpt-steps", type=int, default=None, help="only to smoke-test the script")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{NAME}.json"
    for name in RUNS if args.run == "all" else (args.run,):
        if name == "spelling":
            result = run_spelling(args.steps, args.eval_every, args.threads)
        else:
            result = run_gpt(name, args.merges, args.threads, args.gpt_steps)
        # read the other runs' results only now: several runs may go on at the same time
        results = json.loads(path.read_text()) if path.exists() else {}
        results[name] = result
        path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        write_markdown(results)
        print(f"{name}: {result['wall_seconds_total']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
