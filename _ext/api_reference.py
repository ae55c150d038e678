"""The API reference of ``predcomp``, generated from its docstrings when the book is built.

The ``api-reference`` directive walks the package, and for every module emits a section with
``automodule`` (the module's docstring) and one ``autofunction``, ``autoclass`` or ``autodata``
per public name, so a module or a function added to the package appears in the reference
without an edit to the page. The public names of a module are its ``__all__`` or, when it has
none, the functions, classes and variables it defines at top level (not what it imports) whose
names do not start with an underscore: :func:`public_names`, which the tests use too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode, nested_parse_with_titles

PACKAGE = "predcomp"
# Not an API: the command line's entry point (documented by `python -m predcomp --help`).
SKIP_MODULES = {"predcomp.__main__"}


def modules(package: str = PACKAGE) -> list[str]:
    """Every module and subpackage of ``package``, sorted, the package itself first."""
    root = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(root.__path__, f"{package}.")]
    return sorted((n for n in names if n not in SKIP_MODULES), key=lambda n: (n != package, n))


def _defined_at_top_level(module: ModuleType) -> list[str]:
    """Names that the module's own source binds at top level (defs, classes, assignments)."""
    source = inspect.getsource(module)
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def public_names(module: ModuleType) -> list[str]:
    """The module's ``__all__``, or the public names it defines itself."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    skip = {"annotations", "TYPE_CHECKING"}
    names = [n for n in _defined_at_top_level(module) if not n.startswith("_") and n not in skip]
    return list(dict.fromkeys(names))


def _kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function"
    if isinstance(obj, ModuleType):
        return "module"
    return "data"


def defining_module(module: ModuleType, member: str) -> str:
    """Where a public name of ``module`` is defined: the module itself, or the module it
    re-exports the name from (a name its own source does not bind)."""
    if member in _defined_at_top_level(module):
        return module.__name__
    obj = getattr(module, member)
    home = getattr(obj, "__module__", None)
    if isinstance(home, str) and home.startswith(f"{PACKAGE}."):
        return home
    for name in modules():  # data has no __module__: find the module whose source binds it
        other = importlib.import_module(name)
        if getattr(other, member, None) is obj and member in _defined_at_top_level(other):
            return name
    return module.__name__


def module_rst(name: str) -> list[str]:
    """The reStructuredText of one module's section."""
    module = importlib.import_module(name)
    lines = [name, "-" * len(name), "", f".. automodule:: {name}", "   :no-members:", ""]
    reexports: list[str] = []
    for member in public_names(module):
        obj = getattr(module, member)
        kind = _kind(obj)
        if kind == "module":  # a subpackage re-exporting a submodule: it has its own section
            continue
        home = defining_module(module, member)
        if home != name:  # documented where it is defined; listed here with a link
            reexports.append(f":py:obj:`{member} <{home}.{member}>`")
            continue
        lines.append(f".. auto{kind}:: {name}.{member}")
        if kind == "class":
            lines += ["   :members:", "   :undoc-members:", "   :show-inheritance:"]
        elif kind == "data":
            lines.append("   :no-value:")
        lines.append("")
    if reexports:
        lines += ["Also importable from this module: " + ", ".join(reexports) + ".", ""]
    return lines


class APIReference(SphinxDirective):
    """``.. api-reference::`` — one section per module of the package."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for name in modules():
            lines += module_rst(name)
        container = nodes.section()
        container.document = self.state.document
        source = self.get_source_info()[0]
        content = StringList(lines, source=source)
        nested_parse_with_titles(self.state, content, container)
        for name in modules():  # a change to the package rebuilds the page
            path = inspect.getsourcefile(importlib.import_module(name))
            if path:
                self.env.note_dependency(str(Path(path)))
        return container.children


def _own_docstring_only(app, what, name, obj, options, lines) -> None:
    """A module-level value without a doc comment would show its type's docstring (a dict's
    says how to build a dict): show nothing instead."""
    if what == "data" and type(obj).__doc__ and lines:
        if "\n".join(lines).strip() == inspect.cleandoc(type(obj).__doc__).strip():
            lines.clear()


def _resolve_short_names(app, env, node, contnode):
    """Resolve a docstring's reference that Sphinx cannot: an unqualified name
    (``:class:`GPT```) of the one object of the package with that name, preferring the
    referring module's own; or a name re-exported by a package (``predcomp.models.Model``),
    to where it is defined."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    objects = env.get_domain("py").objects
    matches: list[str] = []
    if target.startswith(f"{PACKAGE}."):
        owner, _, member = target.rpartition(".")
        try:
            home = defining_module(importlib.import_module(owner), member)
        except (ImportError, AttributeError):
            return None
        matches = [f"{home}.{member}"] if f"{home}.{member}" in objects else []
    else:
        matches = [n for n in objects if n.startswith(f"{PACKAGE}.") and n.endswith("." + target)]
        module = node.get("py:module") or ""
        if len(matches) > 1:
            matches = [n for n in matches if n.startswith(module + ".")] or matches
    if len(matches) != 1:
        return None
    entry = objects[matches[0]]
    return make_refnode(
        app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, matches[0]
    )


def setup(app: Sphinx) -> dict[str, object]:
    app.setup_extension("sphinx.ext.autodoc")
    app.add_directive("api-reference", APIReference)
    app.connect("autodoc-process-docstring", _own_docstring_only)
    app.connect("missing-reference", _resolve_short_names)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
