"""Predictive models behind one protocol: predict the next symbol, then learn from it."""

from predcomp.models.base import Model

__all__ = ["Model"]
