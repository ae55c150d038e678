"""PDF settings: xelatex with Noto CJK fonts (the glossary's Chinese), mermaid via mermaid-cli.

``_config.yml`` selects xelatex (``latex: latex_engine``); this extension adds the fonts and
points sphinxcontrib-mermaid at the ``mmdc`` that ``make vendor`` installs from npm, driving the
system's Chromium through ``_vendor/puppeteer-config.json``. Only the LaTeX builder uses these
values; the HTML book renders its diagrams in the browser.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config

CJK = r"""
% Chinese (glossary, the source essay's title) with Noto CJK; Latin text keeps FreeSerif.
\usepackage{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
% Typographic quotes, dashes and ellipsis belong to the Latin text: as CJK characters they get
% full-width spacing ("PyTorch ' s").
\xeCJKDeclareCharClass{Default}{"2013, "2014, "2018, "2019, "201C, "201D, "2026}
% A citation in a figure caption puts \hyperlink into a moving argument (the list of figures),
% which stops xelatex with "Argument of \Hy@tempa has an extra }".
\usepackage{etoolbox}
\AtBeginDocument{\robustify\hyperlink}
"""


def latex_macros(mathjax3_config: dict | None) -> str:
    """The book's MathJax macros (``mathjax3_config.tex.macros``) as LaTeX definitions.

    One list of macros serves both outputs: ``"E": "\\mathbb{E}"`` or, with arguments,
    ``"norm": ["\\lVert #1 \\rVert", 1]``.
    """
    macros = ((mathjax3_config or {}).get("tex") or {}).get("macros") or {}
    lines = []
    for name, value in macros.items():
        body, nargs = (value[0], int(value[1])) if isinstance(value, list) else (value, 0)
        args = f"[{nargs}]" if nargs else ""
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(["% The MathJax macros of _config.yml.", *lines, ""]) if lines else ""


def configure(app: Sphinx, config: Config) -> None:
    root = Path(app.confdir)
    elements = dict(config.latex_elements or {})
    elements["preamble"] = (
        elements.get("preamble", "") + CJK + latex_macros(getattr(config, "mathjax3_config", None))
    )
    # Wide code cells and tables: smaller verbatim font, and never stop on an overfull box.
    elements.setdefault("fvset", r"\fvset{fontsize=\footnotesize}")
    elements.setdefault("papersize", "a4paper")
    config.latex_elements = elements
    # makeindex handles the (English) index; xindy would be one more system package.
    config.latex_use_xindy = False
    config.latex_show_urls = "footnote"

    mmdc = root / "node_modules" / ".bin" / "mmdc"
    puppeteer = root / "_vendor" / "puppeteer-config.json"
    if mmdc.is_file():
        config.mermaid_cmd = str(mmdc)
        params = ["--pdfFit", "--backgroundColor", "white"]
        if puppeteer.is_file():
            params += ["--puppeteerConfigFile", str(puppeteer)]
        config.mermaid_params = params


def book_structure(app: Sphinx, doctree: nodes.document) -> None:
    """Give the PDF the book's structure: Preface as chapter 0, the TOC's parts as ``\\part``.

    Sphinx's LaTeX writer takes the root page's title as the document title and turns its
    sections into chapters, so the preface's sections became chapters 1, 2, ... and the real
    chapters came after them. For the LaTeX builder only, the root page is wrapped in a section
    that carries the book's title (the one LaTeX swallows), and each part's toctree follows the
    preface under a ``\\part`` heading with the toctree's caption.
    """
    if app.builder.format != "latex" or app.env.docname != app.config.root_doc:
        return
    root = next((n for n in doctree.children if isinstance(n, nodes.section)), None)
    if root is None:
        return
    book = nodes.section(ids=["book-title"])
    book += nodes.title("", app.config.project)
    book += nodes.raw("", "\\setcounter{chapter}{-1}\n", format="latex")  # Preface = chapter 0
    doctree.replace(root, book)
    book += root
    for wrapper in [c for c in root.children if "toctree-wrapper" in c.get("classes", [])]:
        root.remove(wrapper)
        caption = wrapper[0].get("caption") if wrapper.children else None
        if caption:
            escaped = "".join(f"\\{ch}" if ch in "&%$#_{}" else ch for ch in caption)
            book += nodes.raw("", f"\\part{{{escaped}}}\n", format="latex")
        book += wrapper


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure, priority=900)
    app.connect("doctree-read", book_structure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
