"""The student edition (``make book-student``): every exercise, no solution.

The solutions' text is taken from the chapter sources, independently of any build: runs of
plain words (``PHRASE_WORDS`` or more, outside maths and markup) that occur inside a
``{solution}`` block and nowhere else in the chapter. None of them may appear in the student
edition; when the full book is built too, each must appear there (so the phrases really are
what a reader sees, and the check can fail).

The student site is ``STUDENT_HTML`` if set (``make test-all`` sets it; then a missing site
fails), else ``_build/student/_build/html`` when it exists; otherwise the tests skip with a
message, since ``make test`` does not build the student edition.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import HTML, ROOT, toc_files

pytestmark = pytest.mark.html

DEFAULT_STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
PHRASE_WORDS = 6
PAGES = toc_files()

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z-]+)\}")
# Letters and single hyphens only: Sphinx turns quotes and "--" into typographic characters.
_PLAIN_RUN = re.compile(r"[A-Za-z][A-Za-z-]*(?: [A-Za-z][A-Za-z-]*)+")


def student_site() -> Path:
    if "STUDENT_HTML" in os.environ:
        site = Path(os.environ["STUDENT_HTML"])
        if not (site / "index.html").is_file():
            pytest.fail(f"no student edition in {site}: run `make book-student`")
        return site
    if not (DEFAULT_STUDENT_HTML / "index.html").is_file():
        pytest.skip("student edition not built (`make book-student`; `make test-all` runs both)")
    return DEFAULT_STUDENT_HTML


def split_solutions(source: str) -> tuple[list[str], str]:
    """The bodies of the ``{solution}`` blocks of a MyST page, and the rest of the page."""
    solutions: list[str] = []
    rest: list[str] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i].strip())
        if match and match["name"] == "solution":
            fence = match["fence"]
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != fence:
                body.append(lines[i])
                i += 1
            solutions.append("\n".join(body))
        else:
            rest.append(lines[i])
        i += 1
    return solutions, "\n".join(rest)


def plain_phrases(markdown: str) -> set[str]:
    """Runs of at least PHRASE_WORDS plain words, with maths, code and roles removed."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " | ", markdown, flags=re.DOTALL)
    text = re.sub(r"\{[a-z:-]+\}`[^`]*`|`[^`]*`", " | ", text)
    text = re.sub(r"^\s*:[a-z-]+:.*$", " | ", text, flags=re.MULTILINE)  # directive options
    phrases = set()
    for line in text.splitlines():
        for run in _PLAIN_RUN.findall(line):
            words = run.split()
            if len(words) >= PHRASE_WORDS:
                phrases.add(" ".join(words))
    return phrases


def solution_phrases(name: str) -> set[str]:
    """Phrases of a chapter that only its solutions contain."""
    source = ROOT / f"{name}.md"
    if not source.is_file():
        return set()
    solutions, rest = split_solutions(source.read_text(encoding="utf-8"))
    others = " ".join(rest.split())
    return {p for s in solutions for p in plain_phrases(s) if p not in others}


class _Text(HTMLParser):
    """The visible text of a page and the classes of its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.classes: list[set[str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.classes.append(set((dict(attrs).get("class") or "").split()))
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def read_page(site: Path, name: str) -> _Text:
    path = site / f"{name}.html"
    assert path.is_file(), f"{name} missing from {site}"
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_phrase_extraction():
    source = (
        "Intro.\n\n````{solution} ex-a\n:class: dropdown\n\nThe answer is $x$ because the two\n"
        "sides are equal in every case here.\n````\n\nMore text.\n"
    )
    solutions, rest = split_solutions(source)
    assert len(solutions) == 1 and "Intro." in rest and "answer" not in rest
    assert plain_phrases(solutions[0]) == {"sides are equal in every case here"}


@pytest.mark.parametrize("name", PAGES)
def test_solutions_work_in_student_edition(name):
    """sphinx-exercise 1.2.1 with hide_solutions: a ``{code-cell}`` inside ``{solution}`` is never
    executed, and ``{solution-start}``/``{solution-end}`` crash the build (DESIGN.md)."""
    source = ROOT / f"{name}.md"
    if not source.is_file():
        pytest.skip(f"{name} has no MyST source")
    text = source.read_text(encoding="utf-8")
    solutions, _ = split_solutions(text)
    assert not [s for s in solutions if "{code-cell}" in s], f"{name}: code cell in a solution"
    assert "{solution-start}" not in text and "{solution-end}" not in text, name


@pytest.mark.parametrize("name", PAGES)
def test_no_solution_text_in_student_edition(name):
    site = student_site()
    page = read_page(site, name)
    shown = sum("solution" in c for c in page.classes)
    leaked = sorted(p for p in solution_phrases(name) if p in page.text)
    assert not shown and not leaked, (
        f"{name}: {shown} solution elements and {len(leaked)} solution phrases in the student "
        f"edition, e.g. {leaked[:3]}"
    )


def test_student_edition_keeps_exercises_and_says_what_it_is():
    site = student_site()
    exercises = sum(sum("exercise" in c for c in read_page(site, name).classes) for name in PAGES)
    phrases = sum(len(solution_phrases(name)) for name in PAGES)
    if phrases:  # the book has solutions, so it has exercises, and the student keeps them
        assert exercises > 0, "the student edition lost the exercises"
    assert "(student edition)" in (site / f"{PAGES[0]}.html").read_text(encoding="utf-8")


def test_phrases_are_visible_in_full_edition():
    """The check is not vacuous: in the full book, solutions show exactly these phrases."""
    full = Path(os.environ.get("BOOK_HTML", HTML))
    if not (full / "index.html").is_file():
        pytest.skip("full book not built")
    checked = 0
    for name in PAGES:
        phrases = solution_phrases(name)
        page = full / f"{name}.html"
        if not phrases or not page.is_file():
            continue
        if page.stat().st_mtime < (ROOT / f"{name}.md").stat().st_mtime:
            continue  # a stale build of an edited chapter proves nothing either way
        text = read_page(full, name).text
        missing = sorted(p for p in phrases if p not in text)
        assert not missing, f"{name}: solution phrases not found in the full book: {missing[:5]}"
        checked += len(phrases)
    if any(solution_phrases(name) for name in PAGES):
        assert checked > 0
