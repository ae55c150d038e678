"""The Transformer, one small module per idea, each checked against PyTorch's own.

Read in this order: :mod:`~predcomp.transformer.embedding` (tokens to vectors),
:mod:`~predcomp.transformer.positional` (word order), :mod:`~predcomp.transformer.attention`
(scaled dot-product and multi-head attention, masks, the KV cache),
:mod:`~predcomp.transformer.layers` (feed-forward, residual + LayerNorm, encoder and decoder
layers and stacks), :mod:`~predcomp.transformer.encoder_decoder` (the model of Vaswani et al.,
2017), :mod:`~predcomp.transformer.gpt` (a decoder-only language model) and
:mod:`~predcomp.transformer.counting` (closed-form parameter and FLOP counts).
"""
