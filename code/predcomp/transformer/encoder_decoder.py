"""The encoder–decoder Transformer of Vaswani et al. (2017), for sequence-to-sequence tasks.

It models ``P(Y | X) = prod_t P(y_t | y_<t, X)`` directly: the encoder reads the whole source
``X`` once; the decoder predicts each target token from the earlier target tokens (causal
self-attention) and the encoded source (cross-attention). Training uses *teacher forcing*:
the decoder input is the target shifted right by one (``BOS y_1 ... y_{n-1}``), and the loss
is the cross-entropy of ``y_1 ... y_n`` at every position at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from predcomp.transformer.attention import KVCache, padding_mask
from predcomp.transformer.embedding import TokenEmbedding
from predcomp.transformer.layers import Decoder, Encoder
from predcomp.transformer.positional import SinusoidalPositionalEncoding

__all__ = [
    "EncoderDecoder",
    "Seq2SeqConfig",
]


@dataclass
class Seq2SeqConfig:
    """Sizes of an encoder–decoder; the defaults train on a CPU in well under a minute."""

    src_vocab_size: int = 16
    tgt_vocab_size: int = 16
    max_len: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_model: int = 64
    d_ff: int = 256
    dropout: float = 0.0
    norm_first: bool = True
    activation: str = "relu"
    pad_id: int = 0
    use_sdpa: bool = True


class EncoderDecoder(nn.Module):
    """Source and target embeddings, sinusoidal positions, encoder, decoder, output layer."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = c = config
        self.src_embed = TokenEmbedding(c.src_vocab_size, c.d_model, scale=True)
        self.tgt_embed = TokenEmbedding(c.tgt_vocab_size, c.d_model, scale=True)
        self.pos = SinusoidalPositionalEncoding(c.d_model, c.max_len)
        layer_kw = dict(
            n_heads=c.n_heads,
            d_ff=c.d_ff,
            dropout=c.dropout,
            activation=c.activation,
            use_sdpa=c.use_sdpa,
        )
        self.encoder = Encoder(c.n_layers, c.d_model, c.norm_first, **layer_kw)
        self.decoder = Decoder(c.n_layers, c.d_model, c.norm_first, **layer_kw)
        self.generator = nn.Linear(c.d_model, c.tgt_vocab_size)
        self.drop = nn.Dropout(c.dropout)
        self.apply(_init_weights)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """Source ids (B, S) -> memory (B, S, C); padding positions are masked out."""
        mask = padding_mask(src, self.config.pad_id)
        return self.encoder(self.drop(self.pos(self.src_embed(src))), mask=mask)

    def decode(
        self,
        tgt_in: torch.Tensor,
        memory: torch.Tensor,
        src: torch.Tensor,
        cache: list[tuple[KVCache, KVCache]] | None = None,
    ) -> torch.Tensor:
        """Decoder input ids (B, T) and memory -> next-token logits (B, T, V)."""
        offset = cache[0][0].length if cache is not None else 0
        x = self.drop(self.pos(self.tgt_embed(tgt_in), offset=offset))
        memory_mask = padding_mask(src, self.config.pad_id)
        return self.generator(self.decoder(x, memory, memory_mask=memory_mask, cache=cache))

    def forward(
        self, src: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: logits (B, T, V) for every target position, and the loss if given.

        Positions where ``tgt_out`` equals ``pad_id`` are left out of the loss.
        """
        logits = self.decode(tgt_in, self.encode(src), src)
        loss = None
        if tgt_out is not None:
            loss = F.cross_entropy(
                logits.flatten(0, 1), tgt_out.flatten(), ignore_index=self.config.pad_id
            )
        return logits, loss

    @torch.no_grad()
    def greedy_decode(
        self, src: torch.Tensor, bos_id: int, max_len: int, eos_id: int | None = None
    ) -> torch.Tensor:
        """Generate up to ``max_len`` tokens per source, taking the most probable each time.

        With ``eos_id``, a sequence ends at its first ``eos_id`` (kept in the output); the
        positions after it hold ``pad_id``, and decoding stops once every sequence has ended.
        Returns ``(B, max_len)`` token ids.
        """
        memory = self.encode(src)
        cache = [(KVCache(), KVCache()) for _ in self.decoder.layers]
        B, pad = src.size(0), self.config.pad_id
        out = torch.full((B, max_len), pad, dtype=torch.long, device=src.device)
        prev = torch.full((B, 1), bos_id, dtype=torch.long, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        for t in range(max_len):
            logits = self.decode(prev, memory, src, cache=cache)  # (B, 1, V)
            prev = logits[:, -1].argmax(-1, keepdim=True)  # (B, 1)
            out[:, t] = prev[:, 0].masked_fill(done, pad)
            if eos_id is not None:
                done |= prev[:, 0] == eos_id
                if done.all():
                    break
        return out


def _init_weights(module: nn.Module) -> None:
    """Xavier-uniform matrices and zero biases, as in The Annotated Transformer."""
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, TokenEmbedding):
        nn.init.normal_(module.weight, mean=0.0, std=module.weight.size(1) ** -0.5)
