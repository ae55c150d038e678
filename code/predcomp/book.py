"""Small helpers for the book's notebooks that must also work outside the book build.

On Colab or in a plain kernel, ``myst_nb`` is usually not installed; :func:`glue` then shows
the value instead of failing, so every chapter runs anywhere. :func:`bench_results` reads the
committed benchmark results a chapter plots, and on Colab, where the repository's files are
not next to the notebook, fetches them from the repository.
"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

#: where the book's repository serves its files: ``_config.yml``'s repository and branch (tested)
RAW_BASE = (
    "https://raw.githubusercontent.com/prediction-is-compression/prediction-is-compression/main"
)


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


def table(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Any:
    """A small table as an ``IPython.display.HTML`` object; cells are escaped text.

    HTML renders the same in the book, in Jupyter and in Colab (a Markdown table needs the
    book's parser to be told its format). Every row must have as many cells as the header.
    """
    from IPython.display import HTML

    rows = [list(r) for r in rows]
    for i, r in enumerate(rows):
        if len(r) != len(header):
            raise ValueError(f"row {i} has {len(r)} cells, the header {len(header)}")

    def cells(tag: str, row: Sequence[object]) -> str:
        return "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in row)

    head = f"<thead><tr>{cells('th', header)}</tr></thead>"
    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return HTML(f"<table>{head}<tbody>{body}</tbody></table>")


def bench_results(
    name: str,
    folder: str | Path = "../bench/results",
    download: bool = True,
    timeout: float = 10.0,
) -> Any | None:
    """The benchmark results ``bench/results/<name>.json``, or ``None`` if unavailable.

    Read from ``folder`` (a chapter runs in ``chapters/``, next to ``bench/``). When the file is
    not there (Colab, an installed package) and ``download`` is true, it is fetched from the
    book's repository (:data:`RAW_BASE`). ``None`` when neither works (no network, no such
    file, not JSON), so that a chapter can say so and go on.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"a results name is letters, digits, '_' and '-', got {name!r}")
    path = Path(folder) / f"{name}.json"
    try:
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        if not download:
            return None
        url = f"{RAW_BASE}/bench/results/{name}.json"
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except (OSError, urllib.error.URLError, ValueError):  # no network, 404, bad JSON
        return None
