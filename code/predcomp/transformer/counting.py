"""Closed-form parameter and FLOP counts of the Transformer modules.

Notation: ``C`` model width (``d_model``), ``F`` feed-forward width (``d_ff``, ``4C`` in GPT),
``L`` layers, ``V`` vocabulary, ``T`` context length. A FLOP here is one multiplication or one
addition, so a matrix product ``(m, k) @ (k, n)`` costs ``2 m k n`` FLOPs; only matrix
products are counted, as :class:`torch.utils.flop_counter.FlopCounterMode` counts them
(LayerNorm and activations cost ``O(T C)`` per sequence and the softmax ``O(H T^2)``, against
``O(T C^2)`` and ``O(T^2 C)`` for the products around them).

Every formula is checked in the tests against the real modules: parameter counts against
``sum(p.numel())``, FLOPs against :class:`torch.utils.flop_counter.FlopCounterMode`.
"""

from __future__ import annotations

from predcomp.transformer.gpt import GPTConfig

__all__ = [
    "attention_params",
    "decoder_layer_params",
    "encoder_decoder_params",
    "encoder_layer_params",
    "feedforward_params",
    "gpt_forward_flops_per_token",
    "gpt_params",
    "gpt_train_flops_per_token",
    "kaplan_forward_flops_per_token",
    "kv_cache_bytes_per_token",
    "layernorm_params",
]


def attention_params(d_model: int, bias: bool = True, kv_dim: int | None = None) -> int:
    """Multi-head attention: ``W_Q, W_K, W_V, W_O`` are ``C x C`` each: ``4C^2 (+ 4C)``.

    With grouped-query attention, ``W_K`` and ``W_V`` are ``kv_dim x C`` (``kv_dim`` = key/value
    heads times head width): ``2C^2 + 2 C kv_dim (+ 2C + 2 kv_dim)``.
    """
    kv = d_model if kv_dim is None else kv_dim
    return 2 * d_model * (d_model + kv) + (2 * (d_model + kv) if bias else 0)


def feedforward_params(d_model: int, d_ff: int, bias: bool = True) -> int:
    """Feed-forward ``C -> F -> C``: ``2 C F (+ F + C)``."""
    return 2 * d_model * d_ff + (d_ff + d_model if bias else 0)


def layernorm_params(d_model: int, bias: bool = True) -> int:
    """LayerNorm: a gain per feature (and a bias): ``C`` or ``2C``."""
    return 2 * d_model if bias else d_model


def encoder_layer_params(
    d_model: int, d_ff: int, bias: bool = True, kv_dim: int | None = None
) -> int:
    """Self-attention + feed-forward + two LayerNorms."""
    return (
        attention_params(d_model, bias, kv_dim)
        + feedforward_params(d_model, d_ff, bias)
        + 2 * layernorm_params(d_model, bias)
    )


def decoder_layer_params(d_model: int, d_ff: int, bias: bool = True) -> int:
    """Self-attention + cross-attention + feed-forward + three LayerNorms."""
    return (
        2 * attention_params(d_model, bias)
        + feedforward_params(d_model, d_ff, bias)
        + 3 * layernorm_params(d_model, bias)
    )


def gpt_params(config: GPTConfig, non_embedding: bool = False) -> int:
    """Parameters of :class:`~predcomp.transformer.gpt.GPT`.

    ``V C`` (token embedding = output head, tied) ``+ T C`` (learned positions only)
    ``+ L (12 C^2 + 13 C)`` ``+ 2C`` (final LayerNorm), with biases. With
    ``non_embedding=True``, the token and position tables are left out: this is Kaplan et
    al.'s ``N``, about ``12 L C^2``, and what
    :meth:`~predcomp.transformer.gpt.GPT.num_params` counts with the same flag.
    """
    c = config
    n = c.n_layer * encoder_layer_params(c.n_embd, 4 * c.n_embd, c.bias, c.kv_dim)
    n += layernorm_params(c.n_embd, c.bias)
    if not non_embedding:
        n += c.vocab_size * c.n_embd
        if c.position == "learned":
            n += c.block_size * c.n_embd
    return n


def encoder_decoder_params(
    src_vocab: int,
    tgt_vocab: int,
    d_model: int,
    d_ff: int,
    n_layers: int,
    norm_first: bool = True,
) -> int:
    """Parameters of :class:`~predcomp.transformer.encoder_decoder.EncoderDecoder` (biases on).

    Two embeddings, ``n_layers`` encoder and decoder layers, a final LayerNorm per stack when
    pre-norm, and the output layer ``C V_tgt + V_tgt`` (untied).
    """
    n = (src_vocab + tgt_vocab) * d_model
    n += n_layers * (encoder_layer_params(d_model, d_ff) + decoder_layer_params(d_model, d_ff))
    if norm_first:
        n += 2 * layernorm_params(d_model)
    return n + d_model * tgt_vocab + tgt_vocab


def gpt_forward_flops_per_token(config: GPTConfig, context: int | None = None) -> int:
    """Forward FLOPs per token of a full pass over ``context`` tokens (default ``block_size``).

    Per layer: ``2 * 3C^2`` (queries, keys, values; ``2C (C + 2 kv_dim)`` with grouped-query
    attention) ``+ 2TC`` (scores ``QK^T``) ``+ 2TC`` (weights times values) ``+ 2C^2`` (output
    projection) ``+ 4CF`` (feed-forward); then ``2CV`` for the output head. The attention
    terms count the whole ``T x T`` matrix, as a dense implementation computes it even where
    the causal mask zeroes it.
    """
    c = config
    T = c.block_size if context is None else context
    C, F = c.n_embd, 4 * c.n_embd
    per_layer = 2 * C * (C + 2 * c.kv_dim) + 4 * T * C + 2 * C * C + 4 * C * F
    return c.n_layer * per_layer + 2 * C * c.vocab_size


def kaplan_forward_flops_per_token(config: GPTConfig, context: int | None = None) -> int:
    """Kaplan et al. (2020)'s estimate ``2N + 2 L T C`` (``N`` = non-embedding parameters)."""
    T = config.block_size if context is None else context
    N = 12 * config.n_layer * config.n_embd**2
    return 2 * N + 2 * config.n_layer * T * config.n_embd


def kv_cache_bytes_per_token(config: GPTConfig, bytes_per_value: int = 4) -> int:
    """Memory a KV cache holds per token: a key and a value per layer, ``2 L kv_dim`` numbers.

    ``kv_dim = C`` for ordinary multi-head attention, so ``2 L C`` numbers per token; grouped-
    query attention divides it by ``n_head / n_kv_head``. ``bytes_per_value``: 4 for float32,
    2 for 16-bit formats.
    """
    return 2 * config.n_layer * config.kv_dim * bytes_per_value


def gpt_train_flops_per_token(config: GPTConfig, context: int | None = None) -> int:
    """Training FLOPs per token: forward plus backward, the backward costing twice the forward."""
    return 3 * gpt_forward_flops_per_token(config, context)
