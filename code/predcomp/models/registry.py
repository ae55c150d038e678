"""Every model by name, so that a compressed file can say which model made it.

:func:`make_model` builds a fresh model from a name and keyword parameters; the container
stores both (:func:`name_of`, :func:`model_params`: the registry owns how a model is written
down), and the decoder calls :func:`make_model` with them to get an identical model.

A compressed file's header is hostile until checked: it chooses the model the decoder builds.
:func:`validate` checks a described model *as a whole* before anything is built (known names,
known parameter names, byte alphabets, how deeply models nest and how many a mix combines)
and bounds the memory its construction allocates. For that, every registered model comes with
a :class:`ModelSpec`. **A new model must declare**, in its :class:`ModelSpec`:

* ``build``: a constructor whose keyword parameters are exactly the model's hyper-parameters
  (their names come from its signature; none may be one of :data:`RESERVED`, the names of the
  compressor's own arguments);
* ``memory``: a function ``params -> bytes``, an upper bound on what building the model with
  those (already validated) parameters allocates — tables, weights, buffers of fixed size.
  It must not build the model: it is how an absurd header is refused before it allocates;
* ``bitwise``: whether it is a :class:`~predcomp.models.base.BitModel` (coded bit by bit);
* ``sized`` (optional): a function ``(params, input_length) -> params`` that sizes the
  model to its input when compressing (the sizes chosen land in the header);
* ``children`` (only for models that contain models): a function ``params -> [(name,
  params), ...]``, so that :func:`validate` checks and counts the sub-models as well;
* ``needs`` (optional): what building the model needs besides its parameters, such as the
  checkpoint file of ``gpt-static`` (:func:`predcomp.models.neural.use_checkpoint`).

``tests/test_registry.py`` fails for a registered model whose declaration is missing or wrong
(its ``memory`` is checked against what building the model really allocates).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from predcomp.models import ctw, lz, neural, neural_cm
from predcomp.models.base import Model
from predcomp.models.cm import model as cm
from predcomp.models.counts import Adaptive, ContextModel, Uniform
from predcomp.models.mix import MAX_LR, MAX_MODELS, Mixer
from predcomp.models.ppm import PPM

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MODEL",
    "MAX_DEPTH",
    "MODELS",
    "RESERVED",
    "SPECS",
    "LimitExceededError",
    "ModelSpec",
    "make_model",
    "model_memory",
    "model_params",
    "name_of",
    "validate",
]

#: the memory a described model may allocate unless the caller allows more (1 GiB)
DEFAULT_MAX_MEMORY = 1 << 30
#: parameter names a model may not have: the compressor's own arguments
#: (``compress(data, model, progress, max_memory, engine, **params)``, the container's version key)
RESERVED = frozenset(
    {
        "data",
        "model",
        "name",
        "progress",
        "input_length",
        "max_memory",
        "max_size",
        "predcomp_version",
        "engine",
    }
)
#: how deeply a model's parameters may nest (a mix's list of ``[name, params]`` pairs: 5)
MAX_DEPTH = 6
#: bytes of bookkeeping counted for every model, on top of what it declares
_OVERHEAD = 4096


class LimitExceededError(ValueError):
    """A valid request that needs more than an allowed limit (memory, output size)."""


@dataclass(frozen=True)
class ModelSpec:
    """What the registry knows about a model before building it (see the module docstring)."""

    description: str
    build: Callable[..., Model]
    memory: Callable[[Mapping[str, Any]], int]
    bitwise: bool = False
    sized: Callable[[dict[str, Any], int], dict[str, Any]] | None = None
    children: Callable[[Mapping[str, Any]], list[tuple[str, dict[str, Any]]]] | None = None
    #: what building the model needs besides its parameters (a checkpoint file), or None
    needs: str | None = None

    def parameters(self) -> dict[str, Any]:
        """The model's hyper-parameters and their defaults, from ``build``'s signature."""
        return {
            p.name: p.default
            for p in inspect.signature(self.build).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }


# --- the models -----------------------------------------------------------------------------

#: the models a "mix" combines unless told otherwise: a short- and a long-context PPM
DEFAULT_MIX = (("ppm", {"order": 2}), ("ppm", {"order": 5}))


def _mix_specs(models: Any) -> list[tuple[str, dict[str, Any]]]:
    """A mix's ``models`` parameter as ``[(name, params), ...]``, checked for shape only."""
    if not isinstance(models, list | tuple):
        raise ValueError("models must be a list of [name, params] pairs")
    if not 1 <= len(models) <= MAX_MODELS:
        raise ValueError(f"a mix combines 1..{MAX_MODELS} models, not {len(models)}")
    specs = []
    for pair in models:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], dict)
        ):
            raise ValueError("models must be a list of [name, params] pairs")
        specs.append((pair[0], dict(pair[1])))
    return specs


def _mix(models: Any = DEFAULT_MIX, lr: int = 24, by_previous: bool = True) -> Mixer:
    """A :class:`Mixer` of registry models given as ``[[name, params], ...]``."""
    # lr 24: of 1..64, the best or within 0.002 bits per byte of the best both on 16,000 bytes
    # of As You Like It and on 100,000 of tinyshakespeare
    specs = _mix_specs(models)
    for name, _ in specs:
        spec = SPECS.get(name)
        if spec is None:
            raise ValueError(f"unknown model {name!r} in a mix; known models: {', '.join(SPECS)}")
        if spec.children is not None:
            raise ValueError(f"a mix cannot contain a {name}")
        if spec.bitwise:  # its byte distribution costs 255 bit predictions per byte
            raise ValueError(f"a mix combines byte models; {name!r} predicts bits")
    if isinstance(lr, bool) or not isinstance(lr, int) or not 0 <= lr <= MAX_LR:
        raise ValueError(f"lr must be an integer in 0..{MAX_LR}, got {lr!r}")
    if not isinstance(by_previous, bool):
        raise ValueError(f"by_previous must be true or false, got {by_previous!r}")
    return Mixer([make_model(n, **p) for n, p in specs], lr=lr, by_previous=by_previous)


def _alphabet(params: Mapping[str, Any]) -> int:
    a = params.get("alphabet_size", 256)
    return a if isinstance(a, int) and 0 < a <= 256 else 256  # validate() refuses others


def _mix_memory(params: Mapping[str, Any]) -> int:
    subs = _mix_specs(params.get("models", [list(p) for p in DEFAULT_MIX]))
    m, sets = len(subs), 256 * (256 if params.get("by_previous", True) else 1)
    # 8-byte integer weights (sets, m), and each model's quantized table (257 Python ints)
    return sum(model_memory(n, p) for n, p in subs) + 8 * m * sets + 64 * m * 257


def _cm_memory(cls: type[cm.ContextMixing]) -> Callable[[Mapping[str, Any]], int]:
    def memory(params: Mapping[str, Any]) -> int:
        for key in ("table_bits", "match_bits"):  # refused before 2**value is computed
            value = params.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value > 64:
                raise ValueError(f"{key} must be a small integer, got {value!r}")
        return cm.memory(dict(params), cls)

    return memory


def _cm_sized(cls: type[cm.ContextMixing]) -> Callable[[dict[str, Any], int], dict[str, Any]]:
    return lambda params, input_length: cm.table_sizes(params, input_length, cls)


def _node_budget(params: Mapping[str, Any], name: str, maximum: int) -> int:
    """A tree model's ``max_nodes``, checked before its memory is computed from it."""
    nodes = params.get("max_nodes", SPECS[name].parameters()["max_nodes"])
    if isinstance(nodes, bool) or not isinstance(nodes, int) or not 1 <= nodes <= maximum:
        raise ValueError(f"max_nodes must be an integer in 1..{maximum}, got {nodes!r}")
    return nodes


def _ctw_sized(params: dict[str, Any], input_length: int) -> dict[str, Any]:
    depth = params.get("depth", 16)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= ctw.MAX_DEPTH:
        depth = ctw.MAX_DEPTH  # the constructor refuses it; size as for the deepest tree
    return {"max_nodes": ctw.nodes_for(input_length, depth), **params}


def _lz_sized(params: dict[str, Any], input_length: int) -> dict[str, Any]:
    return {"max_nodes": lz.nodes_for(input_length), **params}


#: name -> what the registry knows about it
SPECS: dict[str, ModelSpec] = {
    "uniform": ModelSpec(
        "every byte equally likely (8 bits per byte; learns nothing)",
        Uniform,
        memory=lambda p: 16 * _alphabet(p),
    ),
    "order0": ModelSpec(
        "adaptive order-0 byte counts (prior='kt' or 'laplace')",
        Adaptive,
        memory=lambda p: 16 * _alphabet(p),
    ),
    "context": ModelSpec(
        "order-k context model with KT/Laplace counts (order=2)",
        ContextModel,
        memory=lambda p: 16 * _alphabet(p),  # and one count array per context seen
    ),
    "ppm": ModelSpec(
        "PPM order 4: escapes with SEE, exclusion, update exclusion, inheritance",
        PPM,
        memory=lambda p: 64 * _alphabet(p),  # and a small table per context seen
    ),
    "mix": ModelSpec(
        "logistic mixing of PPM orders 2 and 5, bit by bit as in cm, weights by previous byte",
        _mix,
        memory=_mix_memory,
        bitwise=True,
        children=lambda p: _mix_specs(p.get("models", [list(m) for m in DEFAULT_MIX])),
    ),
    "cm": ModelSpec(
        "context mixing of orders 1-6, word, word pair, column, match; 2 mixer layers (compiled)",
        cm.ContextMixing,
        memory=_cm_memory(cm.ContextMixing),
        bitwise=True,
        sized=_cm_sized(cm.ContextMixing),
    ),
    "cm-max": ModelSpec(
        "strongest context mixing: cm + 10 word/line/sparse/indirect contexts, 4 APMs, big tables",
        cm.StrongestMixing,
        memory=_cm_memory(cm.StrongestMixing),
        bitwise=True,
        sized=_cm_sized(cm.StrongestMixing),
    ),
    # The tree models grow as they code: their declared memory is that of a full tree, and
    # their node budget is sized to the input (the budget lands in the header).
    "ctw": ModelSpec(
        "context-tree weighting over the previous bytes' bits (depth=16), one tree per bit",
        ctw.CTW,
        memory=lambda p: ctw.memory_bound(_node_budget(p, "ctw", ctw.MAX_NODES)),
        bitwise=True,
        sized=_ctw_sized,
    ),
    "lz78": ModelSpec(
        "LZ78's phrase tree as a predictor, a KT estimator at each node (learns slowly)",
        lz.LZ78,
        memory=lambda p: lz.memory_bound(_node_budget(p, "lz78", lz.MAX_NODES)),
        sized=_lz_sized,
    ),
    # Neural models (torch is imported only when one is built or sized).
    "gpt-online": ModelSpec(
        "byte-level GPT trained online on the bytes already coded (prequential; slow)",
        neural.gpt_online,
        memory=neural.online_memory,
    ),
    "gpt-static": ModelSpec(
        "byte-level GPT loaded from a trained checkpoint (needs --checkpoint FILE; slow)",
        neural.gpt_static,
        memory=neural.static_memory,
        needs="a checkpoint file (--checkpoint)",
    ),
    # cm with the GPT's bit predictions as one more mixer input
    "cm+gpt-online": ModelSpec(
        "cm with an online GPT's predictions as one more mixer input (slow)",
        neural_cm.cm_gpt_online,
        memory=neural_cm.mixed_memory(neural.online_memory),
        bitwise=True,
        sized=neural_cm.mixed_sized,
    ),
    "cm+gpt-static": ModelSpec(
        "cm with a trained GPT's predictions as one more mixer input (needs --checkpoint FILE)",
        neural_cm.cm_gpt_static,
        memory=neural_cm.mixed_memory(neural.static_memory),
        bitwise=True,
        sized=neural_cm.mixed_sized,
        needs="a checkpoint file (--checkpoint)",
    ),
}

#: model name -> one-line description
MODELS: dict[str, str] = {name: spec.description for name, spec in SPECS.items()}

#: the best general-purpose model, used when none is named
DEFAULT_MODEL = "cm"


# --- building and checking ------------------------------------------------------------------


def _spec(name: Any) -> ModelSpec:
    spec = SPECS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    return spec


def make_model(name: str, *, input_length: int | None = None, **params: Any) -> Model:
    """A fresh model called ``name`` with hyper-parameters ``params``.

    ``input_length``, when known, lets a model size its tables to the input (the sizes it
    chose are in its :meth:`~predcomp.models.base.Model.params`, so a decoder rebuilds the
    same model from those). Raises :class:`ValueError` for an unknown name or parameter.
    Nothing is checked against limits here: a compressor calls :func:`validate` first.
    """
    spec = _spec(name)
    if spec.sized is not None and input_length is not None:
        params = spec.sized(params, input_length)
    try:
        return spec.build(**params)
    except TypeError as exc:  # an unexpected keyword
        raise ValueError(f"bad parameters for model {name!r}: {exc}") from None


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            if level > MAX_DEPTH:
                return level
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((v, level + 1) for v in children)
    return deepest


def _check_tree(name: Any, params: Any, level: int) -> None:
    spec = _spec(name)
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ValueError(f"the parameters of model {name!r} must be a JSON object")
    known = spec.parameters()
    for key in params:
        if key in RESERVED:
            raise ValueError(f"{key!r} cannot be a model parameter (reserved for the compressor)")
        if key not in known:
            raise ValueError(
                f"model {name!r} has no parameter {key!r} (it has: {', '.join(known) or 'none'})"
            )
    if "alphabet_size" in params and params["alphabet_size"] != 256:
        raise ValueError(
            f"the compressor codes bytes: model {name!r} needs alphabet_size 256, "
            f"not {params['alphabet_size']!r}"
        )
    if spec.children is not None:
        if level > 0:
            raise ValueError(f"a {name} cannot be inside another model")
        for child, child_params in spec.children(params):
            child_spec = _spec(child)
            if child_spec.children is not None:
                raise ValueError(f"a {child} cannot be inside another model")
            if child_spec.bitwise:  # its byte distribution costs 255 bit predictions a byte
                raise ValueError(f"a {name} combines byte models; {child!r} predicts bits")
            _check_tree(child, child_params, level + 1)


def model_memory(name: str, params: Mapping[str, Any]) -> int:
    """The declared upper bound, in bytes, of what building the model allocates.

    Raises :class:`ValueError` for a parameter value the declaration cannot size.
    """
    return _OVERHEAD + int(_spec(name).memory(params))


def validate(
    name: str,
    params: Mapping[str, Any],
    *,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    input_length: int | None = None,
) -> int:
    """Check a described model as a whole before it is built; return its memory bound.

    Refuses (with :class:`ValueError`) an unknown model or parameter name, a parameter named
    like one of the compressor's arguments (:data:`RESERVED`), parameters nested more than
    :data:`MAX_DEPTH` deep, an alphabet other than the 256 byte values, a model inside a
    model inside a model, or a mix of more than its limit of models; and (with
    :class:`LimitExceededError`) a model whose declared memory exceeds ``max_memory`` bytes
    (``None``: no limit). ``input_length`` sizes the model as :func:`make_model` would.
    Parameter *values* are checked by the model's constructor.
    """
    spec = _spec(name)
    if not isinstance(params, Mapping):
        raise ValueError(f"the parameters of model {name!r} must be a JSON object")
    params = dict(params)
    if _depth(params) > MAX_DEPTH:
        raise ValueError(f"the model parameters nest more than {MAX_DEPTH} levels deep")
    _check_tree(name, params, 0)
    if spec.sized is not None and input_length is not None:
        params = spec.sized(params, input_length)
    try:
        memory = model_memory(name, params)
    except (TypeError, ValueError, KeyError, OverflowError) as exc:  # values the model refuses
        raise ValueError(f"bad parameters for model {name!r}: {exc}") from None
    if max_memory is not None and memory > max_memory:
        raise LimitExceededError(
            f"model {name!r} with these parameters needs up to {_mib(memory)} of memory, "
            f"more than the limit of {_mib(max_memory)} (raise it with --max-memory)"
        )
    return memory


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB" if n >= 2**20 else f"{n:,} bytes"


def name_of(model: Model) -> str:
    """The registry name of ``model`` (for a container header)."""
    if isinstance(model, Mixer):
        return "mix"
    if isinstance(model, neural.GPTPredictor):
        return "gpt-static" if "checkpoint" in model.params() else "gpt-online"
    if isinstance(model, neural_cm.NeuralContextMixing):
        return "cm+gpt-static" if "checkpoint" in model.params() else "cm+gpt-online"
    for name, spec in SPECS.items():
        if spec.build is type(model):  # exact type: cm-max's class is a subclass of cm's
            return name
    raise ValueError(f"{type(model).__name__} is not a registered model")


def model_params(model: Model) -> dict[str, Any]:
    """The parameters that rebuild ``model`` with :func:`make_model` (a container's header).

    A model's own :meth:`~predcomp.models.base.Model.params`, and for a model that contains
    models (a mix) the contained ones as ``[[name, params], ...]``, written down here so that
    no model module needs to know the registry.
    """
    params = model.params()
    if isinstance(model, Mixer):
        params["models"] = [[name_of(m), model_params(m)] for m in model.models]
    return params
