"""Checks on the built website (run after the strict build by `make test`)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT, is_myst_notebook, load_config, toc_files

pytestmark = pytest.mark.html

PAGES = toc_files()


class _Collector(HTMLParser):
    """Collects image sources and link targets of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _page(built_html: Path, name: str) -> str:
    path = built_html / f"{name}.html"
    assert path.is_file(), f"page {name} was not built"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PAGES)
def test_page_built_without_error_outputs(built_html, name):
    html = _page(built_html, name)
    # myst-nb renders a cell error as an output block with the traceback class.
    assert "output traceback" not in html, f"{name}: a cell printed a traceback"
    assert "Traceback (most recent call last)" not in html, f"{name}: traceback on the page"


@pytest.mark.parametrize("name", PAGES)
def test_images_exist(built_html, name):
    collector = _Collector()
    collector.feed(_page(built_html, name))
    page_dir = (built_html / name).parent
    for src in collector.images:
        if src.startswith(("http:", "https:", "data:")):
            continue
        assert (page_dir / src.split("#")[0]).is_file(), f"{name}: broken image {src}"


NOTEBOOK_PAGES = [n for n in PAGES if is_myst_notebook(ROOT / f"{n}.md")]


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_glued_values_rendered(built_html, name):
    source = (ROOT / f"{name}.md").read_text(encoding="utf-8")
    expected = len(re.findall(r"\{glue(?::text)?\}`", source))
    html = _page(built_html, name)
    rendered = html.count('class="pasted-text"')
    assert rendered >= expected, f"{name}: {expected} glued values in the source, {rendered} shown"


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_glued_values_formatted(built_html, name):
    # A number glued without a format spec shows every digit of its repr (2.1930551428306124),
    # a glued str shows its quotes: both mean the prose forgot a format.
    values = re.findall(r'<span class="pasted-text">(.*?)</span>', _page(built_html, name), re.S)
    raw = [v for v in values if re.search(r"\d\.\d{6,}", v)]
    quoted = [v for v in values if v.startswith(("&#39;", "'", "&quot;", '"'))]
    assert not raw, f"{name}: glued numbers without a format: {raw}"
    assert not quoted, f"{name}: glued strings shown with quotes: {quoted}"


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_colab_launch_link(built_html, name):
    repo = load_config()["repository"]["url"].rstrip("/")
    slug = repo.removeprefix("https://github.com/")
    target = f"https://colab.research.google.com/github/{slug}/blob/main/{name}.ipynb"
    html = _page(built_html, name)
    assert target in html, f"{name}: no Colab launch link to {target}"
    assert (ROOT / f"{name}.ipynb").is_file(), f"the Colab link of {name} points to no file"


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_install_cell_hidden(built_html, name):
    assert "PREDCOMP_SOURCE" not in _page(built_html, name), f"{name}: install cell shown"


def test_index_redirects_to_root(built_html):
    index = (built_html / "index.html").read_text(encoding="utf-8")
    assert Path(toc_files()[0]).name in index
