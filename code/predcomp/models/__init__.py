"""Predictive models behind one protocol: predict the next symbol, then learn from it.

* :mod:`~predcomp.models.counts`: :class:`Uniform`, :class:`Adaptive` (order 0, Laplace or
  Krichevsky–Trofimov), :class:`ContextModel` (order ``k``), and the same order-``k`` model on
  a whole sequence at once (sequential and held-out log loss, count tables, guess ranks);
* :mod:`~predcomp.models.smoothing`: Good–Turing, PPM's escape estimates, Witten–Bell and
  Kneser–Ney interpolation, evaluated on held-out text;
* :mod:`~predcomp.models.ppm`: :class:`PPM`, prediction by partial matching;
* :mod:`~predcomp.models.mix`: :class:`Mixer`, online logistic (geometric) mixing;
* :mod:`~predcomp.models.context_mixing`: :class:`ContextMixing`, PAQ-style mixing bit by bit;
* :mod:`~predcomp.models.registry`: every model by name, :func:`make_model`.
"""

from predcomp.models.base import BitModel, Model
from predcomp.models.context_mixing import ContextMixing
from predcomp.models.counts import Adaptive, ContextModel, Uniform
from predcomp.models.mix import GeometricMixer, Mixer
from predcomp.models.ppm import PPM
from predcomp.models.registry import DEFAULT_MODEL, MODELS, make_model

__all__ = [
    "DEFAULT_MODEL",
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
