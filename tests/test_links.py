"""Reader comforts on the built site: no broken internal link, the same "How to run this
chapter" box on every notebook page, launch links to notebooks that exist, author and copyright.

The link check reads every page of the site (not only those of the table of contents): every
relative ``href``/``src`` must name a file of the site, and every ``#fragment`` pointing into an
HTML page must name an ``id`` there. External links are not fetched (no network in CI).
"""

from __future__ import annotations

import os
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import HTML, ROOT, load_config, toc_files

pytestmark = pytest.mark.html

ASSET_DIRS = {"_static", "_sources", "_images", "vendor", "_downloads"}
PAGES = toc_files()
NOTEBOOK_PAGES = [name for name in PAGES if (ROOT / f"{name}.ipynb").is_file()]
# sphinx-book-theme's launch/download menus and the search page use these on purpose.
IGNORED_HREFS = {"#", ""}


def site() -> Path:
    path = Path(os.environ.get("BOOK_HTML", HTML))
    if not (path / "index.html").is_file():
        pytest.fail(f"no built book in {path}: run `make book` first")
    return path


class _Page(HTMLParser):
    """Link targets, element ids and the how-to-run box of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()
        self.box_links: list[str] = []
        self.boxes = 0
        self._box_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag in {"a", "link"} and a.get("href") is not None:
            self.targets.append(a["href"])
        if tag in {"img", "script", "iframe", "source"} and a.get("src"):
            self.targets.append(a["src"])
        classes = (a.get("class") or "").split()
        if tag == "div" and "how-to-run" in classes:
            self.boxes += 1
            self._box_depth = 1
        elif self._box_depth and tag == "div":
            self._box_depth += 1
        if self._box_depth and tag == "a" and a.get("href"):
            self.box_links.append(a["href"])

    def handle_endtag(self, tag):
        if self._box_depth and tag == "div":
            self._box_depth -= 1


@cache
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def all_pages(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*.html") if not ASSET_DIRS.intersection(p.relative_to(root).parts)
    )


def broken_links(root: Path, page: Path) -> list[str]:
    """Relative links of ``page`` whose file or ``#fragment`` does not exist in the site."""
    problems = []
    for href in parse(page).targets:
        if href in IGNORED_HREFS:
            continue
        url = urlsplit(href)
        if url.scheme or url.netloc or href.startswith(("mailto:", "javascript:", "data:")):
            continue
        target = (page.parent / unquote(url.path)).resolve() if url.path else page
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{href}: no such file")
        elif url.fragment and target.suffix == ".html":
            if unquote(url.fragment) not in parse(target).ids:
                problems.append(f"{href}: no id {url.fragment!r} in {target.name}")
        if target.is_file() and root.resolve() not in target.parents:
            problems.append(f"{href}: points outside the site")
    return problems


def test_no_broken_internal_links():
    root = site()
    pages = all_pages(root)
    assert len(pages) >= len(PAGES), "fewer pages than the table of contents"
    failures = {
        str(page.relative_to(root)): problems
        for page in pages
        if (problems := broken_links(root, page))
    }
    assert not failures, "\n".join(f"{p}: {', '.join(v[:5])}" for p, v in failures.items())


def test_link_checker_catches_a_broken_link(tmp_path):
    (tmp_path / "a.html").write_text(
        '<p id="top"><a href="b.html#there">x</a><a href="#top">y</a>'
        '<a href="missing.html">z</a><img src="_images/none.png"></p>',
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text('<p id="here"></p>', encoding="utf-8")
    problems = broken_links(tmp_path, tmp_path / "a.html")
    assert problems == [
        "b.html#there: no id 'there' in b.html",
        "missing.html: no such file",
        "_images/none.png: no such file",
    ]


def repository() -> tuple[str, str]:
    repo = load_config()["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_how_to_run_box(name):
    """One box per notebook page, linking Colab and GitHub to the paired notebook on main."""
    page = parse(site() / f"{name}.html")
    url, branch = repository()
    assert branch == "main"
    assert page.boxes == 1, f"{name}: {page.boxes} 'How to run this chapter' boxes"
    slug = url.removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{slug}/blob/main/{name}.ipynb"
    assert colab in page.box_links, f"{name}: box lacks {colab}"
    assert f"{url}/blob/main/{name}.ipynb" in page.box_links
    assert (ROOT / f"{name}.ipynb").is_file()


def test_how_to_run_box_only_on_notebook_pages():
    for name in PAGES:
        if name not in NOTEBOOK_PAGES and (site() / f"{name}.html").is_file():
            assert parse(site() / f"{name}.html").boxes == 0, f"{name} is no notebook"


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_launch_buttons_open_existing_notebooks(name):
    """Every Colab link of the page (theme button and box) opens a committed ``.ipynb``."""
    url, _ = repository()
    slug = re.escape(url.removeprefix("https://github.com/"))
    html = (site() / f"{name}.html").read_text(encoding="utf-8")
    links = re.findall(
        rf"https://colab\.research\.google\.com/github/{slug}/blob/([^/]+)/([^\"?#]+)", html
    )
    assert links, f"{name}: no Colab link"
    for branch, path in links:
        assert branch == "main", f"{name}: Colab link on branch {branch}"
        assert path.endswith(".ipynb") and (ROOT / path).is_file(), f"{name}: Colab opens {path}"


def test_author_and_copyright_in_footer():
    config = load_config()
    assert config.get("author") and config.get("copyright")
    html = (site() / f"{PAGES[0]}.html").read_text(encoding="utf-8")
    assert f"By {config['author']}" in html
    assert re.search(rf"©\s*Copyright\s*{re.escape(str(config['copyright']))}", html)
