"""Add the same "How to run this chapter" box under the title of every notebook chapter.

A page counts as a notebook chapter when a paired ``.ipynb`` sits beside its source (the file
Colab opens). The links follow the ``repository`` and ``launch_buttons`` settings of
``_config.yml``, like the theme's own launch buttons, so the box needs no edit in any chapter.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

BOX_CLASS = "how-to-run"


def _links(app: Sphinx, docname: str) -> dict[str, str]:
    options = app.config.html_theme_options
    repo = options.get("repository_url", "").rstrip("/")
    branch = options.get("repository_branch", "main")
    book = options.get("path_to_docs", "").strip("/")
    path = f"{book}/{docname}.ipynb" if book else f"{docname}.ipynb"
    colab = options.get("launch_buttons", {}).get("colab_url", "").rstrip("/")
    links = {"path": path, "repo": repo, "notebook": f"{repo}/blob/{branch}/{path}"}
    if colab and repo.startswith("https://github.com/"):
        links["colab"] = (
            f"{colab}/github/{repo.removeprefix('https://github.com/')}/blob/{branch}/{path}"
        )
    return links


def _para(*parts: nodes.Node | str) -> nodes.paragraph:
    para = nodes.paragraph()
    for part in parts:
        para += nodes.Text(part) if isinstance(part, str) else part
    return para


def _link(text: str, uri: str) -> nodes.reference:
    return nodes.reference(text, text, refuri=uri, internal=False)


def add_how_to_run(app: Sphinx, doctree: nodes.document) -> None:
    """Insert the box right after the first title of a notebook chapter."""
    docname = app.env.docname
    if not (Path(app.srcdir) / f"{docname}.ipynb").is_file():
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        return
    links = _links(app, docname)
    # A collapsed note (sphinx-togglebutton opens it): present on every page, in nobody's way.
    box = nodes.admonition(classes=["note", "dropdown", BOX_CLASS])
    box += nodes.title("", "How to run this chapter")
    where = (
        [_link("Open it in Colab", links["colab"]), " (free, in the browser)"]
        if "colab" in links
        else ["Open it in Colab or any Jupyter"]
    )
    box += _para(
        "This page is a Jupyter notebook, ",
        nodes.literal("", links["path"]),
        " (",
        _link("view it on GitHub", links["notebook"]),
        "). ",
        *where,
        ": its first cell installs the companion package ",
        nodes.literal("", "predcomp"),
        " when it is missing, so ",
        nodes.emphasis("", "Runtime → Run all"),
        " works in a fresh kernel. Each chapter is meant to run on a CPU in about a minute.",
    )
    box += _para(
        "On your own machine: clone ",
        _link("the repository", links["repo"]),
        ", run ",
        nodes.literal("", "make setup"),
        " (a virtual environment in ",
        nodes.literal("", ".venv"),
        " with the book's toolchain and ",
        nodes.literal("", "predcomp"),
        "), then open the notebook in Jupyter with that environment's kernel, or run it top to "
        "bottom with ",
        nodes.literal("", f".venv/bin/jupyter execute {links['path']}"),
        ".",
    )
    section.insert(1, box)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", add_how_to_run)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
