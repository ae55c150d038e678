"""Every model by name, so that a compressed file can say which model made it.

:func:`make_model` builds a fresh model from a name and keyword parameters; the container
stores both, and the decoder calls :func:`make_model` with them to get an identical model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from predcomp.models.base import Model
from predcomp.models.context_mixing import ContextMixing, table_bits_for
from predcomp.models.counts import Adaptive, ContextModel, Uniform
from predcomp.models.mix import MAX_MODELS, Mixer
from predcomp.models.ppm import PPM

__all__ = ["DEFAULT_MODEL", "MODELS", "make_model", "name_of"]

#: the models a "mix" combines unless told otherwise: a short- and a long-context PPM
DEFAULT_MIX = (("ppm", {"order": 2}), ("ppm", {"order": 5}))


def _mix(models: Any = DEFAULT_MIX, lr: float = 0.005, by_previous: bool = True) -> Mixer:
    """A :class:`Mixer` of registry models given as ``[[name, params], ...]``."""
    try:
        specs = [(str(name), dict(params)) for name, params in models]
    except (TypeError, ValueError):
        raise ValueError("models must be a list of [name, params] pairs") from None
    if any(name == "mix" for name, _ in specs):
        raise ValueError("a mix cannot contain a mix")
    if not 1 <= len(specs) <= MAX_MODELS:
        raise ValueError(f"a mix combines 1..{MAX_MODELS} models, not {len(specs)}")
    return Mixer([make_model(n, **p) for n, p in specs], lr=lr, by_previous=by_previous)


def _cm(input_length: int | None = None, **params: Any) -> Model:
    """A :class:`ContextMixing` whose hash table is sized to the input unless told."""
    if input_length is not None:
        params.setdefault("table_bits", table_bits_for(input_length))
    return ContextMixing(**params)


#: models whose constructor takes the input's length to size itself
_SIZED = {"cm"}

#: name -> (one-line description, constructor)
_FACTORIES: dict[str, tuple[str, Callable[..., Model]]] = {
    "uniform": ("every byte equally likely (8 bits per byte; learns nothing)", Uniform),
    "order0": ("adaptive order-0 byte counts (prior='kt' or 'laplace')", Adaptive),
    "context": ("order-k context model with KT/Laplace counts (order=2)", ContextModel),
    "ppm": ("PPM order 4: escapes with SEE, exclusion, update exclusion, inheritance", PPM),
    "mix": ("logistic mixing of PPM orders 2 and 5, weights by previous byte (~2x slower)", _mix),
    "cm": ("bitwise context mixing of orders 0-4 and 6, word and match models (PAQ-style)", _cm),
}

#: model name -> one-line description
MODELS: dict[str, str] = {name: desc for name, (desc, _) in _FACTORIES.items()}

#: the best general-purpose model, used when none is named
DEFAULT_MODEL = "cm"


def make_model(name: str, *, input_length: int | None = None, **params: Any) -> Model:
    """A fresh model called ``name`` with hyper-parameters ``params``.

    ``input_length``, when known, lets a model size its tables to the input (the sizes it
    chose are in its :meth:`~predcomp.models.base.Model.params`, so a decoder rebuilds the
    same model from those). Raises :class:`ValueError` for an unknown name or parameter.
    """
    if name not in _FACTORIES:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    if name in _SIZED:
        params["input_length"] = input_length
    try:
        return _FACTORIES[name][1](**params)
    except TypeError as exc:  # an unexpected keyword
        raise ValueError(f"bad parameters for model {name!r}: {exc}") from None


def name_of(model: Model) -> str:
    """The registry name of ``model`` (for a container header)."""
    for name, (_, factory) in _FACTORIES.items():
        if factory is type(model) or (
            (name, type(model)) in (("mix", Mixer), ("cm", ContextMixing))
        ):
            return name
    raise ValueError(f"{type(model).__name__} is not a registered model")
