"""Shared helpers for the tests of the book (pages, notebooks, configuration)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
HTML = ROOT / "_build" / "html"

_MYST_HEADER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def load_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def toc_files() -> list[str]:
    """Every file named in ``_toc.yml`` (without suffix), root first, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []):
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    return files


def front_matter(path: Path) -> dict:
    match = _MYST_HEADER.match(path.read_text(encoding="utf-8"))
    return yaml.safe_load(match.group(1)) if match else {}


def is_myst_notebook(path: Path) -> bool:
    """True when jupyter-book executes ``path`` as a notebook (see DESIGN pitfalls)."""
    meta = front_matter(path)
    fmt = meta.get("jupytext", {}).get("text_representation", {}).get("format_name")
    return fmt == "myst" or meta.get("file_format") == "mystnb"


def notebook_sources() -> list[Path]:
    return sorted(p for p in CHAPTERS.glob("*.md") if is_myst_notebook(p))


@pytest.fixture(scope="session")
def built_html() -> Path:
    """The built site; fail (not skip) when it is missing: these checks run after the build."""
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book in _build/html: run `make book` first")
    return HTML
