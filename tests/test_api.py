"""The API reference page: it lists every public name of every module of predcomp.

The page is generated when the book is built (``_ext/api_reference.py``); these tests check the
rule that decides what is public, and, on the built site, that every public name of every
module was documented (or, for a name a package re-exports, linked to where it is defined).
"""

from __future__ import annotations

import importlib
import re
import sys
import types

import pytest
from conftest import CHAPTERS, HTML, ROOT, toc_files

sys.path.insert(0, str(ROOT / "_ext"))
import api_reference as api


def test_api_page_is_in_the_back_matter_and_uses_the_directive():
    assert "chapters/api" in toc_files()
    assert ".. api-reference::" in (CHAPTERS / "api.md").read_text(encoding="utf-8")


def test_every_module_is_listed_once():
    names = api.modules()
    assert names[0] == "predcomp" and len(names) == len(set(names))
    assert "predcomp.info" in names and "predcomp.transformer.gpt" in names
    assert "predcomp.__main__" not in names


def test_public_names_are_all_or_what_the_module_defines(tmp_path, monkeypatch):
    source = (
        "from math import pi\n"
        "import os\n"
        "RATE: float = 2.0\n"
        "LIMIT = 3\n"
        "_hidden = 1\n"
        "def f():\n    pass\n"
        "class C:\n    pass\n"
    )
    (tmp_path / "demo_mod.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("demo_mod")
    assert api.public_names(mod) == ["RATE", "LIMIT", "f", "C"]  # not pi, os or _hidden
    mod.__all__ = ["f"]
    assert api.public_names(mod) == ["f"]
    assert api.defining_module(mod, "f") == "demo_mod"


def test_reexports_point_to_their_definition():
    models = importlib.import_module("predcomp.models")
    assert api.defining_module(models, "PPM") == "predcomp.models.ppm"
    assert api.defining_module(models, "DEFAULT_MODEL") == "predcomp.models.registry"
    rst = "\n".join(api.module_rst("predcomp.models"))
    assert ".. autoclass:: predcomp.models.PPM" not in rst
    assert "predcomp.models.ppm.PPM" in rst


def _public(name: str) -> list[tuple[str, str]]:
    """(name, module where it is documented) for every public name of a module."""
    module = importlib.import_module(name)
    out = []
    for member in api.public_names(module):
        if isinstance(getattr(module, member), types.ModuleType):
            continue
        out.append((member, api.defining_module(module, member)))
    return out


@pytest.mark.html
def test_built_reference_documents_every_public_name(built_html):
    page = (HTML / "chapters" / "api.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="(predcomp[\w.]*)"', page))
    missing = []
    for name in api.modules():
        if f"module-{name}" not in page:
            missing.append(f"module {name}")
        for member, home in _public(name):
            if f"{home}.{member}" not in ids:
                missing.append(f"{home}.{member}")
    assert not missing, f"not in the API reference: {missing}"
    # everything documented there is public somewhere (nothing private leaked in)
    assert not [i for i in ids if re.search(r"\._[a-z]", i)]
