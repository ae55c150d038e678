"""Decoding: turning a language model's next-token distributions into text.

A language model gives, after every prefix, a distribution ``p`` over the next token. How a
text is produced from those distributions is a separate choice, and each choice changes the
*entropy* of what is produced and its *code length* under the model:

* **sampling** from ``p`` itself (temperature 1): the text costs, on average, as many bits
  per token under the model as the model's entropy -- it is a typical sample of the model;
* **temperature** ``tau``: sample from ``p^(1/tau)`` renormalized (``tau < 1`` sharpens);
* **top-k** (Fan et al., 2018): sample from the ``k`` most probable tokens only;
* **top-p** or nucleus sampling (Holtzman et al., 2020): sample from the smallest set of most
  probable tokens whose total probability reaches ``p``;
* **greedy** decoding (temperature 0): always the most probable token;
* **beam search**: keep the ``beam_width`` most probable continuations found so far and
  return the most probable complete one.

The last two are deterministic (zero entropy) and produce text far *cheaper* to code than a
typical text: they look for probable sequences, and probable is short. Truncation (top-k,
top-p) gives probability zero to every token outside the kept set; a compressor can never use
such a distribution, since a text containing an excluded token would have infinite length.

The model is anything with ``config.block_size``, ``new_cache()`` and
``model(idx, cache=cache) -> (logits, _)``: :class:`~predcomp.transformer.gpt.GPT`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from predcomp.softmax import softmax_entropy

__all__ = ["Decoded", "beam_search", "decode", "filter_logits"]

LN2 = math.log(2.0)


def filter_logits(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """The logits of the distribution a decoder samples from; excluded tokens get ``-inf``.

    ``logits`` is ``(..., V)``. ``temperature`` divides them (0: keep only the most probable
    token, the first one in case of a tie); ``top_k`` keeps the ``k`` largest; ``top_p`` keeps
    the smallest set of most probable tokens whose probability reaches ``top_p`` (at least
    one token). Temperature is applied first, then top-k, then top-p.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if temperature == 0:
        keep = F.one_hot(logits.argmax(-1), logits.size(-1)).bool()
        return logits.masked_fill(~keep, float("-inf"))
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        probs = sorted_logits.softmax(-1)
        # keep a token if the tokens more probable than it hold less than top_p
        before = probs.cumsum(-1) - probs
        drop_sorted = before >= top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


@dataclass
class Decoded:
    """What a decoder produced: tokens, and what each new token costs and carried.

    ``tokens`` (B, T0 + n): the prompt and the ``n`` new tokens. ``bits`` (B, n): the code
    length of each new token under the *model* (temperature 1, nothing truncated),
    ``-log2 p(x_t | x_<t)``. ``entropy`` (B, n): the entropy in bits of the distribution each
    new token was drawn from (0 for greedy decoding and beam search).
    """

    tokens: torch.Tensor
    bits: torch.Tensor
    entropy: torch.Tensor


@torch.no_grad()
def decode(
    model: Any,
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Decoded:
    """Extend ``idx`` (B, T0) by ``max_new_tokens`` tokens, one at a time (see module doc).

    Uses the model's KV cache while the sequence fits in ``block_size``, then recomputes on
    the last ``block_size`` tokens at every step (a sliding window).
    """
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    bs = model.config.block_size
    cache = model.new_cache()
    logits, _ = model(idx[:, -bs:], cache=cache)
    bits, entropy = [], []
    for _ in range(max_new_tokens):
        next_logits = logits[:, -1, :]  # (B, V)
        chosen = filter_logits(next_logits, temperature, top_k, top_p)
        if temperature == 0:
            nxt = chosen.argmax(-1, keepdim=True)
        else:
            nxt = torch.multinomial(chosen.softmax(-1), 1, generator=generator)  # (B, 1)
        logp = next_logits.log_softmax(-1).gather(-1, nxt)[:, 0]
        bits.append(-logp / LN2)
        entropy.append(torch.zeros_like(logp) if temperature == 0 else softmax_entropy(chosen))
        idx = torch.cat((idx, nxt), dim=1)
        if cache[0].length < bs:
            logits, _ = model(nxt, cache=cache)
        else:  # window full: slide it and start a fresh cache
            cache = model.new_cache()
            logits, _ = model(idx[:, -bs:], cache=cache)
    empty = idx.new_zeros((idx.size(0), 0), dtype=torch.float32)
    return Decoded(
        idx,
        torch.stack(bits, 1) if bits else empty,
        torch.stack(entropy, 1) if entropy else empty,
    )


@torch.no_grad()
def beam_search(model: Any, idx: torch.Tensor, max_new_tokens: int, beam_width: int) -> Decoded:
    """The most probable continuation of one prompt ``idx`` (1, T0) found by beam search.

    Every step extends each of the ``beam_width`` best partial sequences by every token and
    keeps the ``beam_width`` most probable results (by total log-probability, no length
    penalty: all candidates have the same length). ``beam_width = 1`` is greedy decoding.
    Each step runs the model on the last ``block_size`` tokens of every beam (no cache).
    """
    if idx.size(0) != 1:
        raise ValueError(f"beam_search takes one prompt, got a batch of {idx.size(0)}")
    if beam_width < 1:
        raise ValueError(f"beam_width must be >= 1, got {beam_width}")
    bs = model.config.block_size
    beams = idx  # (beams, T): one beam to start with
    scores = torch.zeros(1, dtype=torch.float64)  # total log-probability of each beam (nats)
    steps = torch.zeros(1, 0, dtype=torch.float64)  # per-token log-probabilities
    for _ in range(max_new_tokens):
        logits, _ = model(beams[:, -bs:])
        logp = logits[:, -1, :].double().log_softmax(-1)  # (beams, V)
        total = (scores[:, None] + logp).flatten()
        k = min(beam_width, total.numel())
        scores, flat = torch.topk(total, k)  # sorted, best first
        parent, token = flat // logp.size(-1), flat % logp.size(-1)
        beams = torch.cat((beams[parent], token[:, None]), dim=1)
        steps = torch.cat((steps[parent], logp[parent, token][:, None]), dim=1)
    best = steps[:1]
    return Decoded(beams[:1], (-best / LN2).float(), torch.zeros_like(best, dtype=torch.float32))
