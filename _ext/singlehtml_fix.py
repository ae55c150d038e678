"""Let ``--builder singlehtml`` render sphinx-proof, sphinx-exercise and mermaid nodes.

These extensions register HTML visitors for the ``html`` builder only, so the single-page
builder crashes on their nodes (jupyter-book#2322). At ``builder-inited`` this copies every
node's ``html`` translation handlers to ``singlehtml`` where it has none of its own.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def copy_html_handlers(app: Sphinx) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    for node, visitors in handlers.get("html", {}).items():
        handlers.setdefault("singlehtml", {}).setdefault(node, visitors)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", copy_html_handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
