"""Colab from a fresh kernel: the chapter notebooks install the companion package themselves.

A new virtual environment gets what Colab has (torch, numpy, matplotlib, sympy, tqdm and a
Jupyter kernel) but *not* ``predcomp``. Each chapter's ``.ipynb`` (the file the Colab button
opens) then runs top to bottom with nbclient in a scratch folder outside the repository, as on
Colab. Its first cell must install ``predcomp``: ``PREDCOMP_SOURCE`` points it at this
checkout's ``code/`` folder (by default the cell installs from the repository URL).

By default the first notebook chapter of the table of contents runs (about two minutes with
the environment); ``COLAB_NOTEBOOKS=all`` runs every chapter notebook (``make test-all``), and
``COLAB_NOTEBOOKS=chapters/a,chapters/b`` chooses some.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import ROOT, toc_files

# Creating the runtime and running a long chapter can each take minutes on a loaded 2-core CPU.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

# What a fresh Colab runtime brings (versions as in requirements.txt, so the local wheel cache
# serves them); predcomp is deliberately absent.
COLAB_PACKAGES = ("torch", "numpy", "matplotlib", "sympy", "tqdm")
KERNEL_PACKAGES = ("ipykernel", "nbclient", "nbformat")

RUNNER = r"""
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=int(sys.argv[3]), kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
print("cells executed:", sum(c.cell_type == "code" for c in nb.cells))
"""


def notebook_chapters() -> list[str]:
    """Chapters (in reading order) whose paired ``.ipynb`` Colab opens."""
    return [name for name in toc_files() if (ROOT / f"{name}.ipynb").is_file()]


def selected_notebooks() -> list[str]:
    chosen = os.environ.get("COLAB_NOTEBOOKS", "").strip()
    chapters = notebook_chapters()
    if chosen == "all":
        return chapters
    if chosen:
        return [name.strip().removesuffix(".ipynb") for name in chosen.split(",")]
    return chapters[:1]


def pinned(package: str) -> str:
    """``package==version`` from requirements.txt, or the bare name when it is not pinned."""
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}==(\S+)", text, flags=re.MULTILINE | re.IGNORECASE)
    return f"{package}=={match.group(1)}" if match else package


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of the fresh runtime: nothing that would reveal this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(MPLBACKEND="Agg", PYTHONHASHSEED="0", **extra)
    return env


@pytest.fixture(scope="module")
def package_source(tmp_path_factory) -> Path:
    """A copy of ``code/`` (pip builds in the source folder; keep the checkout clean)."""
    target = tmp_path_factory.mktemp("source") / "code"
    ignore = shutil.ignore_patterns("*.egg-info", "__pycache__", "build", ".*")
    shutil.copytree(ROOT / "code", target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory) -> Path:
    """A fresh virtual environment like a Colab runtime, without predcomp."""
    where = tmp_path_factory.mktemp("colab") / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / "bin" / "python"
    packages = [pinned(p) for p in COLAB_PACKAGES] + list(KERNEL_PACKAGES)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *packages],
        check=True,
        env=clean_env(),
        timeout=1200,
    )
    return python


def installed(python: Path, module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([str(python), "-c", code], env=clean_env(), cwd="/").returncode == 0


def test_runtime_is_like_colab(colab_python):
    assert installed(colab_python, "torch")
    assert not installed(colab_python, "predcomp"), "the fresh runtime must not have predcomp"
    assert colab_python.resolve() != Path(sys.executable).resolve()


@pytest.mark.parametrize("name", selected_notebooks())
def test_notebook_runs_in_fresh_runtime(colab_python, package_source, tmp_path, name):
    notebook = ROOT / f"{name}.ipynb"
    assert notebook.is_file(), f"{name}: no {notebook.name} for Colab to open"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert "PREDCOMP_SOURCE" in first and "pip" in first, f"{name}: first cell is no install cell"

    # Every notebook starts from a runtime without predcomp (an earlier one installed it).
    subprocess.run(
        [str(colab_python), "-m", "pip", "uninstall", "-q", "-y", "predcomp"],
        env=clean_env(),
        check=False,
        capture_output=True,
    )
    assert not installed(colab_python, "predcomp")

    workdir = tmp_path / "content"  # Colab's working folder: no repository around it
    workdir.mkdir()
    proc = subprocess.run(
        [str(colab_python), "-c", RUNNER, str(notebook), str(workdir), "900"],
        env=clean_env(PREDCOMP_SOURCE=str(package_source)),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, f"{name} failed in a fresh runtime:\n{proc.stderr[-6000:]}"
    assert installed(colab_python, "predcomp"), f"{name}: the install cell installed nothing"
