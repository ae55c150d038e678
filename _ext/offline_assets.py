"""Serve MathJax and mermaid from the built book itself, so that it renders with no network.

``make vendor`` installs both from the npm registry (pinned in ``package.json``) and copies the
files a browser needs into ``_vendor/site/vendor/``. This extension publishes that folder with
``html_extra_path`` (not ``_static/``, which Sphinx would scan and fingerprint) and points
Sphinx's MathJax and sphinxcontrib-mermaid at the copies. When the folder is missing (no npm on
the machine), the book keeps the CDN defaults and the build says so.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Relative to the folder published with ``html_extra_path``; keep in step with `make vendor`.
SITE_DIR = Path("_vendor") / "site"
MATHJAX = "vendor/mathjax/es5/tex-mml-chtml.js"
MERMAID = "vendor/mermaid/mermaid.esm.min.mjs"


def configure(app: Sphinx, config: Config) -> None:
    """Switch to the vendored copies when ``make vendor`` has installed them."""
    # Without a default colour mode, pydata-sphinx-theme logs "Got invalid theme mode" as a
    # console error on a reader's first visit. The reader can still switch modes.
    config.html_context = {"default_mode": "light", **config.html_context}
    site = Path(app.confdir) / SITE_DIR
    if not ((site / MATHJAX).is_file() and (site / MERMAID).is_file()):
        logger.info(
            "offline_assets: %s not found (run `make vendor`, which needs npm); "
            "MathJax and mermaid will load from a CDN, so maths and diagrams need a network.",
            SITE_DIR,
        )
        return
    config.html_extra_path = [*config.html_extra_path, str(site)]
    # Both values are taken relative to _static/ by Sphinx and by sphinxcontrib-mermaid; the
    # files sit at the site root, one level up.
    config.mathjax_path = f"../{MATHJAX}"
    config.mermaid_use_local = f"../{MERMAID}"
    logger.info("offline_assets: serving MathJax and mermaid from %s", SITE_DIR)


def _script_key(script: object) -> object:
    if not hasattr(script, "attributes"):
        return script
    return (script.filename or "", tuple(sorted(script.attributes.items())))


def dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated ``<script>`` entries from a page.

    On Sphinx 7.4, inline scripts that sphinx-thebe and sphinx-togglebutton register (e.g.
    ``const THEBE_JS_URL = ...``) reach each page twice, once with the file name ``None`` and
    once with ``""``; the second ``const`` is a ``SyntaxError`` in the browser console.
    """
    scripts = context.get("script_files")
    if scripts:
        unique = {_script_key(s): s for s in reversed(scripts)}  # keeps the first of equals
        scripts[:] = [s for s in scripts if unique.get(_script_key(s)) is s]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure, priority=900)
    app.connect("html-page-context", dedupe_scripts, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
