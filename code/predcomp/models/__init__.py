"""Predictive models behind one protocol: predict the next symbol, then learn from it.

* :mod:`~predcomp.models.counts`: :class:`Uniform`, :class:`Adaptive` (order 0, Laplace or
  Krichevsky–Trofimov), :class:`ContextModel` (order ``k``), and the same order-``k`` model on
  a whole sequence at once (sequential and held-out log loss, count tables, guess ranks);
* :mod:`~predcomp.models.smoothing`: Good–Turing, PPM's escape estimates, Witten–Bell and
  Kneser–Ney interpolation, evaluated on held-out text;
* :mod:`~predcomp.models.ppm`: :class:`PPM`, prediction by partial matching;
* :mod:`~predcomp.models.mix`: :class:`~predcomp.models.mix.Mixer`, online logistic
  (geometric) mixing;
* :mod:`~predcomp.models.cm`: :class:`ContextMixing`, PAQ-style mixing bit by bit, from named
  parts, and its compiled engine;
* :mod:`~predcomp.models.ctw`: :class:`CTW`, context-tree weighting (bits, or bytes bit by bit);
* :mod:`~predcomp.models.lz`: :class:`LZ78`, the LZ78 phrase tree as a predictor;
* :mod:`~predcomp.models.neural`: a byte-level GPT as a predictor (static or online), and
  :mod:`~predcomp.models.neural_cm`: ``cm`` with the GPT's bit predictions as a mixer input;
* :mod:`~predcomp.models.precomputed`: :class:`Precomputed`, distributions computed in advance;
* :mod:`~predcomp.models.registry`: every model by name, :func:`make_model`, and how a model
  is written into a compressed file's header.
"""

from predcomp.models.base import BitModel, Model
from predcomp.models.cm import ContextMixing
from predcomp.models.counts import Adaptive, ContextModel, Uniform
from predcomp.models.ctw import CTW
from predcomp.models.lz import LZ78
from predcomp.models.mix import GeometricMixer, Mixer
from predcomp.models.ppm import PPM
from predcomp.models.registry import DEFAULT_MODEL, MODELS, make_model

__all__ = [
    "CTW",
    "DEFAULT_MODEL",
    "LZ78",
    "MODELS",
    "PPM",
    "Adaptive",
    "BitModel",
    "ContextMixing",
    "ContextModel",
    "GeometricMixer",
    "Mixer",
    "Model",
    "Uniform",
    "make_model",
]
