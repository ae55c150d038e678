"""Context mixing from named parts (the reference) and its compiled engine.

Reading order: :mod:`.logistic` (squash and stretch), :mod:`.counter` (bit histories and
state maps), :mod:`.hashtable` (hashed context slots), :mod:`.contexts` (what is hashed),
:mod:`.match` (the match model), :mod:`.mixer` (logistic mixing), :mod:`.apm` (secondary
estimation), :mod:`.model` (the model that composes them) and :mod:`.engine` (the same model,
compiled).
"""

from predcomp.models.cm.model import ContextMixing

__all__ = ["ContextMixing"]
