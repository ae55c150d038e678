"""Small helpers for the book's notebooks that must also work outside the book build.

On Colab or in a plain kernel, ``myst_nb`` is usually not installed; :func:`glue` then shows
the value instead of failing, so every chapter runs anywhere.
"""

from __future__ import annotations

from typing import Any


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's ``{glue}`` roles; return the value.

    Inside the book build this is ``myst_nb.glue``. Elsewhere it prints ``name = value``
    (for scalars) so a student running the notebook sees the same number.
    """
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        # numpy/torch scalars: myst-nb's {glue:text} format specs need plain Python numbers.
        value = value.item()
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab / plain Jupyter: no book machinery
        if not hasattr(value, "savefig"):
            print(f"{name} = {value!r}")
        return value
    _glue(name, value, display=display)
    return value
