"""predcomp: the companion package of *Prediction Is Compression*.

Importing the package runs nothing and touches no network; import submodules as needed,
e.g. ``from predcomp import info``.
"""

__version__ = "0.2.0"
