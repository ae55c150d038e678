"""PDF settings: xelatex with Noto CJK fonts (the glossary's Chinese), mermaid via mermaid-cli.

``_config.yml`` selects xelatex (``latex: latex_engine``); this extension adds the fonts and
points sphinxcontrib-mermaid at the ``mmdc`` that ``make vendor`` installs from npm, driving the
system's Chromium through ``_vendor/puppeteer-config.json``. Only the LaTeX builder uses these
values; the HTML book renders its diagrams in the browser.
"""

from __future__ import annotations

from pathlib import Path

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


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
