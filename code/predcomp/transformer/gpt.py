"""A decoder-only Transformer language model (GPT), in the style of nanoGPT.

The model factorizes a sequence by the chain rule, ``P(x_1..x_n) = prod_t P(x_t | x_<t)``,
and outputs the next-token distribution at *every* position in one pass. The causal mask
makes position ``t`` see only ``x_1..x_t``, so the logits at ``t`` are a prediction of
``x_{t+1}``: exactly what an arithmetic coder needs to compress ``x`` symbol by symbol.

Structure (GPT-2, Radford et al., 2019): token embedding + positions -> ``n_layer`` pre-norm
blocks (causal self-attention, feed-forward) -> final LayerNorm -> linear head whose weight is
the token embedding (weight tying).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from predcomp.decoding import decode
from predcomp.transformer.attention import KVCache
from predcomp.transformer.embedding import TokenEmbedding
from predcomp.transformer.layers import EncoderLayer
from predcomp.transformer.positional import (
    LearnedPositionalEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
)

POSITIONS = ("learned", "sinusoidal", "rotary")

__all__ = [
    "GPT",
    "POSITIONS",
    "GPTConfig",
]


@dataclass
class GPTConfig:
    """Sizes of the model; the defaults train on a laptop CPU in about a minute.

    Two layers and a context of 32, smaller than nanoGPT's CPU setting (4 layers, 64): with
    a budget of about 90 s of CPU, the cheaper model sees more characters and ends lower
    (measured; see ``bench/train_gpt.py``).
    """

    vocab_size: int = 65  # tinyshakespeare has 65 distinct characters
    block_size: int = 32  # context length T
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True  # biases in Linear layers and LayerNorms
    position: str = "learned"  # "learned" | "sinusoidal" | "rotary"
    use_sdpa: bool = True  # F.scaled_dot_product_attention instead of the written-out version
    n_kv_head: int | None = None  # key/value heads (grouped-query attention); None: n_head

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise ValueError(f"position must be one of {POSITIONS}, got {self.position!r}")
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")
        if self.n_kv_head is not None and (self.n_kv_head < 1 or self.n_head % self.n_kv_head != 0):
            raise ValueError(f"n_kv_head={self.n_kv_head} must divide n_head={self.n_head}")

    @property
    def kv_dim(self) -> int:
        """Width of the keys (and of the values) of one layer: ``n_kv_head * n_embd / n_head``."""
        n_kv = self.n_head if self.n_kv_head is None else self.n_kv_head
        return n_kv * (self.n_embd // self.n_head)


class GPT(nn.Module):
    """Token and position embeddings, a stack of causal pre-norm blocks, a tied output head."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = c = config
        # Fixed sinusoids have unit amplitude, ~50 times the N(0, 0.02) token embeddings: scale
        # the embeddings by sqrt(C) as Vaswani et al. do, or the tokens are drowned (measured:
        # 4.0 against 2.96 bits/char after 600 steps of the default training).
        self.tok_emb = TokenEmbedding(c.vocab_size, c.n_embd, scale=c.position == "sinusoidal")
        self.pos_emb: nn.Module | None = None
        rotary = None
        if c.position == "learned":
            self.pos_emb = LearnedPositionalEmbedding(c.n_embd, c.block_size)
        elif c.position == "sinusoidal":
            self.pos_emb = SinusoidalPositionalEncoding(c.n_embd, c.block_size)
        else:  # rotary: nothing is added; every attention layer rotates its queries and keys
            rotary = RotaryEmbedding(c.n_embd // c.n_head, c.block_size)
        self.drop = nn.Dropout(c.dropout)
        # A GPT block is an encoder layer (pre-norm) run with a causal mask.
        self.blocks = nn.ModuleList(
            EncoderLayer(
                c.n_embd,
                c.n_head,
                4 * c.n_embd,
                dropout=c.dropout,
                activation="gelu",
                norm_first=True,
                bias=c.bias,
                use_sdpa=c.use_sdpa,
                rotary=rotary,
                n_kv_heads=c.n_kv_head,
            )
            for _ in range(c.n_layer)
        )
        self.ln_f = nn.LayerNorm(c.n_embd, bias=c.bias)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight  # weight tying (Press & Wolf, 2017)
        self._init_weights()

    def _init_weights(self) -> None:
        """GPT-2 initialization: N(0, 0.02), and 0.02/sqrt(2 n_layer) on residual projections."""
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02
                # Each block adds two outputs to the residual stream; scaling them keeps
                # the stream's variance from growing with depth.
                if name.endswith("out_proj.weight") or name.endswith("linear2.weight"):
                    std = 0.02 / math.sqrt(2 * self.config.n_layer)
                nn.init.normal_(p, mean=0.0, std=std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
            else:  # LayerNorm gains
                nn.init.ones_(p)

    def num_params(self, non_embedding: bool = False) -> int:
        """Number of parameters, the tied head counted once.

        With ``non_embedding=True``, without the token and position tables: Kaplan et al.
        (2020)'s ``N``, the count their scaling laws use, equal to
        :func:`~predcomp.transformer.counting.gpt_params` with the same flag. (nanoGPT's
        ``get_num_params(non_embedding=True)`` subtracts only the position table and keeps the
        token table, because it doubles as the output layer: another count.)
        """
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.tok_emb.weight.numel()
            if isinstance(self.pos_emb, LearnedPositionalEmbedding):
                n -= self.pos_emb.weight.numel()
        return n

    def new_cache(self) -> list[KVCache]:
        """An empty KV cache, one per block, for :meth:`forward` with ``cache=``."""
        return [KVCache() for _ in self.blocks]

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        cache: list[KVCache] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Token ids (B, T) -> logits (B, T, V) at every position, and the mean loss in nats.

        With a ``cache`` (from :meth:`new_cache`), ``idx`` holds only the *new* tokens; the
        keys and values of the earlier ones come from the cache, which is then extended.
        Cached and full passes agree to about 1e-6, not bit for bit (the sums run in another
        order): a compressor's encoder and decoder must both use the same one.
        """
        T = idx.size(1)  # idx: (B, T)
        offset = cache[0].length if cache is not None else 0
        if offset + T > self.config.block_size:
            raise ValueError(
                f"sequence of length {offset + T} exceeds block_size={self.config.block_size}"
            )
        x = self.tok_emb(idx)  # (B, T, C)
        if self.pos_emb is not None:
            x = self.pos_emb(x, offset=offset)
        x = self.drop(x)
        for i, block in enumerate(self.blocks):
            x = block(x, is_causal=True, cache=cache[i] if cache is not None else None)
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Attention weights of every block, each (B, H, T, T), for a batch of token ids."""
        x = self.tok_emb(idx)
        if self.pos_emb is not None:
            x = self.pos_emb(x)
        maps = []
        for block in self.blocks:
            x = block(x, is_causal=True, need_weights=True)
            maps.append(block.attn_weights)
        return maps

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, **decoding: Any) -> torch.Tensor:
        """Extend ``idx`` (B, T) by sampling ``max_new_tokens`` tokens, one at a time.

        ``decoding``: the options of :func:`predcomp.decoding.decode` -- ``temperature``
        (below 1: sharper, above 1: flatter; 0: greedy), ``top_k``, ``top_p`` and
        ``generator``. ``decode`` itself also reports what each token costs and the entropy
        it was drawn from.
        """
        return decode(self, idx, max_new_tokens, **decoding).tokens

    def config_dict(self) -> dict:
        """The configuration as a plain dict (what a checkpoint stores)."""
        return asdict(self.config)
