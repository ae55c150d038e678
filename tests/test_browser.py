"""The built book in a real browser: served on 127.0.0.1, every page loaded in headless Chromium.

Each page must render all its maths with MathJax (no error nodes, no undefined macros), turn
every mermaid diagram into an SVG, show every image, log no console error and make no request
that leaves 127.0.0.1 (they are blocked: the book must render offline, from the MathJax and
mermaid files that ``make vendor`` puts into the site). The expected counts of maths and
diagrams come from the static HTML, independently of the browser.

Needs Node with the npm packages of ``package.json`` (``make vendor``) and a Chromium
(``.ci/run`` installs Debian's ``chromium``). Screenshots of a few key pages are written to
``_build/screenshots/`` (next to the site) for a human to look at.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from conftest import HTML, ROOT, toc_files

pytestmark = pytest.mark.html

PAGES = toc_files()
# Folders of the site that hold assets, not pages.
ASSET_DIRS = {"_static", "_sources", "_images", "vendor", "_downloads"}


def site_dir() -> Path:
    """The built site: ``_build/html`` unless ``BOOK_HTML`` names another one."""
    return Path(os.environ.get("BOOK_HTML", HTML))


def find_chromium() -> str | None:
    config = ROOT / "_vendor" / "puppeteer-config.json"
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    if config.is_file():
        return json.loads(config.read_text(encoding="utf-8"))["executablePath"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


class _Counter(HTMLParser):
    """Counts, in the static HTML, the elements MathJax and mermaid must render."""

    def __init__(self) -> None:
        super().__init__()
        self.maths = 0
        self.mermaids = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if "math" in classes:
            self.maths += 1
        if tag == "pre" and "mermaid" in classes:
            self.mermaids += 1


def static_counts(path: Path) -> _Counter:
    counter = _Counter()
    counter.feed(path.read_text(encoding="utf-8"))
    return counter


def all_pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not ASSET_DIRS.intersection(p.relative_to(site).parts)
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # ES modules (mermaid) load only with a JavaScript MIME type.
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
    }

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def browser_report(tmp_path_factory) -> dict[str, dict]:
    """Serve the site on 127.0.0.1, run tests/browser_check.mjs on every page once."""
    site = site_dir()
    if not (site / "index.html").is_file():
        pytest.fail(f"no built book in {site}: run `make book` first")
    node = shutil.which("node")
    chromium = find_chromium()
    if node is None or not (ROOT / "node_modules" / "puppeteer").is_dir() or chromium is None:
        pytest.fail(
            "the browser test needs node, the npm packages (`make vendor`) and chromium "
            f"(Debian: apt-get install chromium); found node={node}, chromium={chromium}"
        )
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        shots = site.parent / "screenshots"
        shutil.rmtree(shots, ignore_errors=True)
        shots.mkdir()
        pages = all_pages(site)
        tmp = tmp_path_factory.mktemp("browser")
        spec = {
            "base": f"http://127.0.0.1:{server.server_address[1]}/",
            "pages": pages,
            "screenshots": {p: str(shots / screenshot_name(p)) for p in key_pages(site)},
            "executablePath": chromium,
            "out": str(tmp / "result.json"),
        }
        (tmp / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        proc = subprocess.run(
            [node, str(ROOT / "tests" / "browser_check.mjs"), str(tmp / "spec.json")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60 + 30 * len(pages),
        )
        assert proc.returncode == 0, f"browser_check.mjs failed:\n{proc.stdout}\n{proc.stderr}"
        results = json.loads((tmp / "result.json").read_text(encoding="utf-8"))
    finally:
        server.shutdown()
        server.server_close()
    return {r["page"]: r for r in results}


def screenshot_name(page: str) -> str:
    return page.removesuffix(".html").replace("/", "__") + ".png"


def key_pages(site: Path) -> list[str]:
    """The pages worth a look: the first page, the first chapter, the glossary, and the pages
    with the most maths and the most diagrams."""
    built = [f"{name}.html" for name in PAGES if (site / f"{name}.html").is_file()]
    chosen = built[:2] + [p for p in built if p.endswith("glossary.html")]
    counts = {p: static_counts(site / p) for p in built}
    if counts:
        chosen.append(max(counts, key=lambda p: counts[p].maths))
        chosen.append(max(counts, key=lambda p: counts[p].mermaids))
    return list(dict.fromkeys(chosen))


def expected_counts(result: dict) -> _Counter:
    """Static counts of the page the browser ended on (index.html redirects)."""
    final = urlsplit(result.get("finalUrl", "")).path.lstrip("/") or result["page"]
    path = site_dir() / final
    return static_counts(path if path.is_file() else site_dir() / result["page"])


def check(result: dict, expected: _Counter) -> list[str]:
    """Every problem a reader would see on one page (empty when the page is fine)."""
    problems = []
    for key in ("pageErrors", "consoleErrors", "failedRequests", "externalRequests"):
        problems += [f"{key}: {item}" for item in result.get(key, [])]
    if "mathElements" not in result:
        return [*problems, "the page could not be inspected"]
    maths, rendered = result["mathElements"], result["mathRendered"]
    if maths != expected.maths:
        problems.append(f"{expected.maths} maths elements in the HTML, {maths} in the browser")
    if rendered != maths:
        problems.append(
            f"MathJax rendered {rendered} of {maths} maths elements; "
            f"not rendered: {result['mathUnrendered'][:3]}"
        )
    problems += [f"MathJax error: {e}" for e in result["mathErrors"]]
    problems += [f"undefined TeX macro: {e}" for e in result["mathUndefined"]]
    diagrams, svgs = result["mermaidElements"], result["mermaidSvgs"]
    if diagrams != expected.mermaids:
        problems.append(f"{expected.mermaids} diagrams in the HTML, {diagrams} in the browser")
    if svgs + result["mermaidDeferred"] != diagrams:
        problems.append(f"only {svgs} of {diagrams} mermaid diagrams rendered")
    problems += [f"mermaid syntax error in: {e}" for e in result["mermaidErrors"]]
    problems += [f"broken image: {src}" for src in result["brokenImages"]]
    return problems


@pytest.mark.parametrize("name", PAGES)
def test_chapter_renders_in_browser(browser_report, name):
    page = f"{name}.html"
    assert page in browser_report, f"{page} was not built"
    problems = check(browser_report[page], expected_counts(browser_report[page]))
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_other_pages_render_in_browser(browser_report):
    """The pages outside the table of contents: index redirect, search, general index."""
    others = sorted(set(browser_report) - {f"{name}.html" for name in PAGES})
    assert "search.html" in others
    failures = {
        page: problems
        for page in others
        if (problems := check(browser_report[page], expected_counts(browser_report[page])))
    }
    assert not failures, json.dumps(failures, indent=2)


def test_maths_and_diagrams_were_exercised(browser_report):
    """Guards the guard: the book has maths and a diagram, so the browser must have seen them."""
    assert sum(r.get("mathRendered", 0) for r in browser_report.values()) > 0
    assert sum(r.get("mermaidSvgs", 0) for r in browser_report.values()) > 0


def test_screenshots_written(browser_report):
    shots = sorted((site_dir().parent / "screenshots").glob("*.png"))
    assert len(shots) >= 3, shots
    sizes = {s.name: s.stat().st_size for s in shots}
    pages = {
        name: size
        for name, size in sizes.items()
        if not name.endswith(("-diagram.png", "-equation.png"))
    }
    assert len(pages) >= 3 and min(pages.values()) > 10_000, sizes  # not blank
    assert min(sizes.values()) > 1_000, sizes
