"""The chapter conventions: pairing with .ipynb, no stored outputs, the install cell, the TOC."""

from __future__ import annotations

import json
import re

import jupytext
import pytest
from conftest import CHAPTERS, ROOT, is_myst_notebook, load_config, notebook_sources, toc_files

NOTEBOOKS = notebook_sources()
IDS = [p.stem for p in NOTEBOOKS]


def _cells(nb) -> list[tuple[str, str]]:
    return [(c["cell_type"], "".join(c["source"]).strip()) for c in nb["cells"]]


def test_there_are_notebook_chapters():
    assert NOTEBOOKS, "no MyST notebook chapters found"


def test_every_toc_entry_exists():
    for name in toc_files():
        candidates = [ROOT / f"{name}.md", ROOT / f"{name}.ipynb"]
        assert any(p.is_file() for p in candidates), f"_toc.yml names a missing page: {name}"


def test_every_chapter_page_is_in_the_toc():
    listed = set(toc_files())
    for path in CHAPTERS.glob("*.md"):
        assert f"chapters/{path.stem}" in listed, f"{path.name} is not in _toc.yml (never built)"


@pytest.mark.parametrize("md", NOTEBOOKS, ids=IDS)
def test_myst_notebook_has_code_cells(md):
    # Read with the explicit format: a minimal header would be read as plain Markdown.
    nb = jupytext.read(md, fmt="md:myst")
    assert sum(c.cell_type == "code" for c in nb.cells) >= 2, f"{md.name}: no code cells read"


def test_code_cells_only_in_notebooks():
    # A {code-cell} in a page without the jupytext header is silently never executed.
    for path in CHAPTERS.glob("*.md"):
        if "{code-cell}" in path.read_text(encoding="utf-8"):
            assert is_myst_notebook(path), f"{path.name} has code cells but no jupytext header"


@pytest.mark.parametrize("md", NOTEBOOKS, ids=IDS)
def test_paired_ipynb_is_in_sync_and_has_no_outputs(md):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{md.name} has no paired {ipynb.name} (jupytext --set-formats)"
    stored = json.loads(ipynb.read_text(encoding="utf-8"))
    for cell in stored["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{ipynb.name} stores outputs; strip them"
            assert cell.get("execution_count") is None, f"{ipynb.name} stores execution counts"
    expected = jupytext.read(md, fmt="md:myst")
    assert _cells(stored) == _cells(expected), (
        f"{ipynb.name} is out of sync with {md.name}: run `jupytext --sync {md}`"
    )


@pytest.mark.parametrize("md", NOTEBOOKS, ids=IDS)
def test_first_code_cell_installs_the_package(md):
    nb = jupytext.read(md, fmt="md:myst")
    first = next(c for c in nb.cells if c.cell_type == "code")
    source = first.source
    repo = load_config()["repository"]["url"].rstrip("/")
    assert "remove-cell" in first.metadata.get("tags", []), "install cell must be hidden"
    assert 'find_spec("predcomp")' in source, "install only when predcomp is missing"
    assert f"git+{repo}.git#subdirectory=code" in source, "install cell must use the repo URL"
    assert "PREDCOMP_SOURCE" in source
    # Colab brings its own torch and numpy: never pin or install them here.
    assert not re.search(r"\b(torch|numpy)\b", source)


def test_launch_buttons_point_at_main_and_colab():
    config = load_config()
    assert config["repository"]["branch"] == "main"
    assert "colab.research.google.com" in config["launch_buttons"]["colab_url"]
    assert "chapters/*.ipynb" in config["exclude_patterns"]
