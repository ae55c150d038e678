"""predcomp.book.glue works inside and outside the book build."""

from __future__ import annotations

import numpy as np
from predcomp import book


def test_glue_converts_numpy_scalars_to_python_numbers():
    value = book.glue("x", np.float64(1.25))
    assert type(value) is float and value == 1.25
    assert type(book.glue("n", np.int64(3))) is int


def test_glue_keeps_other_values():
    assert book.glue("s", "text") == "text"
    arr = np.arange(3)
    assert book.glue("a", arr) is arr
