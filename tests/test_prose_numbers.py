"""No hand-typed results in the book's prose: every number a reader is asked to believe comes
from the code (``{glue:text}``), so that the text cannot disagree with what the page computes.

The check reads every page listed in ``_toc.yml`` as text and removes what is not prose: code
cells and code blocks, literal includes and diagrams, directive options, inline code, roles
(``{glue:text}``, ``{cite}``, ``{ref}``, ...), maths, links' targets and comments. In what is
left it flags the forms that results take:

* a decimal number (``0.49``, ``8.9×``) or a percentage (``75%``, ``12 per cent``);
* an approximation written out (``≈ 2``), and, in the maths of the running text (not in
  exercises and their solutions, whose worked answers are derivations a reader can redo),
  ``\\approx`` followed by a number.

Integers are not flagged: they are mostly counts, sizes and orders that the text sets (a
parameter) rather than measures. Parameters that are decimals go in maths (``$p = 0.3$``) or,
better, are glued from the cell that uses them. A number that is genuinely not a result (a
software version, a date written with a dot) goes in :data:`ALLOWED`, with the reason.
"""

from __future__ import annotations

import itertools
import re

import pytest
from conftest import ROOT, toc_files

#: page -> exact snippets (of the text left after stripping) that may contain a number,
#: each with the reason it is not a result
ALLOWED: dict[str, dict[str, str]] = {
    "chapters/preface": {
        "Python 3.10": "a software requirement, not a result",
    },
}

# fences whose body is not prose (code, diagrams, includes, raw maths)
CODE_FENCES = {"code-cell", "literalinclude", "mermaid", "math", "raw", "code", "code-block"}
# directives whose body is the running text's exercises and answers
EXERCISE_FENCES = {"exercise", "solution"}

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?\s*(.*)$")
ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
INLINE_CODE = re.compile(r"`[^`]*`")
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<!\\)\$(?!\s)([^$]{1,400}?)(?<![\s\\])\$")
PAREN_MATH = re.compile(r"\\\((.*?)\\\)", re.S)
LINK_TARGET = re.compile(r"\]\([^)]*\)")
URL = re.compile(r"https?://\S+")
COMMENT = re.compile(r"<!--.*?-->", re.S)
LABEL_LINE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
OPTION_LINE = re.compile(r"^\s*:[\w-]+:")
# "Table 5.1", "Theorem 5.4.3", "§5.8": places in a cited work, not results
REFERENCE = re.compile(
    r"(§|\b(?:Table|Theorem|Section|Chapter|Lemma|Example|Exercise|Figure|Fig\.|Eq\.|Eqs\.))"
    r"\s*\d+(?:\.\d+)*"
)

DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w])")
PERCENT = re.compile(r"\d\s*(%|per ?cent\b|percent\b)")
APPROX_PROSE = re.compile(r"≈\s*-?\d|~\s*\d+\.\d")
# a number after \approx, but not a formula (12 L C^2) and not "nearly zero"
APPROX_MATH = re.compile(
    r"\\(?:approx|simeq)\s*-?(?!0(?![.\d]))\d+(?:\.\d+)?(?![\d.])"
    r"(?!\s*(?:[A-Za-z^{(]|\\(?!times|cdot|,|;|text|mathrm|%)))"
)


def split_prose(text: str) -> tuple[str, str]:
    """The page's prose, and the maths of its running text (outside exercises/solutions)."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        text = text[end + 4 :] if end >= 0 else text
    prose, running = [], []
    stack: list[tuple[str, str]] = []  # (fence marker, kind) of the open directives
    options_next = False
    for line in text.splitlines():
        m = FENCE.match(line)
        if m:
            marker, name = m.group(2), (m.group(4) or m.group(5).split(" ")[0] or "code")
            if stack and marker[0] == stack[-1][0][0] and len(marker) >= len(stack[-1][0]):
                if not m.group(3) and not m.group(5).strip():
                    stack.pop()  # a bare fence closes the innermost open one
                    continue
            inside_code = any(kind == "code" for _, kind in stack)
            if name in CODE_FENCES or (not m.group(3) and marker[0] != ":"):
                kind = "code"  # a ``` block with a language (or none) is code too
            elif name in EXERCISE_FENCES:
                kind = "exercise"
            else:
                kind = "prose"
            stack.append((marker, kind))
            options_next = True
            if not inside_code and kind != "code":
                prose.append(m.group(5))  # a directive's title is prose
            continue
        if any(kind == "code" for _, kind in stack):
            continue
        if options_next and OPTION_LINE.match(line):
            continue
        options_next = False
        if LABEL_LINE.match(line):
            continue
        prose.append(line)
        if not any(kind == "exercise" for _, kind in stack):
            running.append(line)
    return "\n".join(prose), "\n".join(running)


def _strip(text: str) -> tuple[str, list[str]]:
    """Prose without maths, roles, code and link targets; and the list of maths snippets."""
    text = COMMENT.sub(" ", text)
    text = ROLE.sub(" ", text)
    text = INLINE_CODE.sub(" ", text)
    maths = DISPLAY_MATH.findall(text)
    text = DISPLAY_MATH.sub(" ", text)
    maths += INLINE_MATH.findall(text) + PAREN_MATH.findall(text)
    text = INLINE_MATH.sub(" ", text)
    text = PAREN_MATH.sub(" ", text)
    text = LINK_TARGET.sub("]", text)
    text = URL.sub(" ", text)
    text = REFERENCE.sub(" ", text)
    return text, maths


def hand_typed_numbers(page: str, text: str) -> list[str]:
    """The lines of ``text`` (a page's source) that hold a number that looks like a result."""
    prose, running = split_prose(text)
    stripped, _ = _strip(prose)
    allowed = ALLOWED.get(page, {})
    found = []
    for line in stripped.splitlines():
        for snippet in allowed:
            line = line.replace(snippet, " ")
        for pattern in (DECIMAL, PERCENT, APPROX_PROSE):
            if pattern.search(line):
                found.append(line.strip())
                break
    _, maths = _strip(running)
    found += [f"${m.strip()}$" for m in maths if APPROX_MATH.search(m)]
    return found


PAGES = [name for name in toc_files() if (ROOT / f"{name}.md").is_file()]


def test_the_checker_finds_what_it_should():
    page = "\n".join(
        [
            "---",
            "front: 1.5",
            "---",
            "The model needs 2.31 bits, and 75% of it is noise; it costs ≈ 3 bytes.",
            "A glued {glue:text}`x:.2f` value and $p = 0.3$ and `f(0.5)` are fine.",
            "```{code-cell} ipython3",
            "x = 0.25",
            "```",
            "````{solution} ex",
            ":class: dropdown",
            "The answer is $H \\approx 0.47$ bits, by hand.",
            "```python",
            "print(1.5)",
            "```",
            "````",
            "In the text $h(0.01) \\approx 0.08$ is a hand-typed result,",
            "unlike $C \\approx 12 L d^2$, $x \\approx 0$ or (Cover, Theorem 5.4.3).",
            "Python 3.10 or later, {cite}`a.b` and [a link](https://x.org/1.2).",
        ]
    )
    found = hand_typed_numbers("chapters/preface", page)
    assert found == [
        "The model needs 2.31 bits, and 75% of it is noise; it costs ≈ 3 bytes.",
        "$h(0.01) \\approx 0.08$",
    ]


@pytest.mark.parametrize("page", PAGES)
def test_no_hand_typed_results_in_the_prose(page):
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    found = hand_typed_numbers(page, text)
    assert not found, (
        f"{page}.md has numbers typed by hand; glue them from the code that computes them "
        "(or, for a parameter, write it in maths; for a number that is not a result, add it "
        "to ALLOWED with the reason):\n  " + "\n  ".join(found)
    )


def test_the_allow_list_is_small_and_used():
    assert sum(len(v) for v in ALLOWED.values()) <= 10
    for page, snippets in ALLOWED.items():
        text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
        for snippet in snippets:
            assert snippet in text, f"ALLOWED lists {snippet!r}, which {page}.md no longer has"


def wrapped_into_a_quote(text: str) -> list[str]:
    """Prose lines that start with ``>`` right after a line of the same paragraph: a line break
    before a ``>`` in a formula turns the rest of the paragraph into a block quote (and its
    maths and glued values into raw text)."""
    prose, _ = split_prose(text)
    lines = prose.splitlines()
    return [b for a, b in itertools.pairwise(lines) if b.lstrip().startswith(">") and a.strip()]


def test_the_quote_checker_finds_a_wrapped_inequality():
    assert wrapped_into_a_quote("wins when $a - b\n> m$, i.e. ...") == ["> m$, i.e. ..."]
    assert wrapped_into_a_quote("A quote follows.\n\n> to be or not") == []


@pytest.mark.parametrize("page", PAGES)
def test_no_paragraph_wrapped_into_a_block_quote(page):
    found = wrapped_into_a_quote((ROOT / f"{page}.md").read_text(encoding="utf-8"))
    assert not found, f"{page}.md: a line starting with '>' inside a paragraph: {found}"
