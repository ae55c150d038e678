"""Measuring what a computation costs: wall-clock time and the size of its intermediates.

:func:`time_call` takes the median of repeated runs (a single timing on a shared machine is
mostly noise). :func:`largest_intermediate` runs a PyTorch function under a dispatch mode
that sees every tensor operation and reports the largest tensor any single operation
returned, in bytes: for written-out attention this is the ``T x S`` score matrix, which is
what makes attention's memory grow quadratically with the sequence length.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

__all__ = ["OpSizes", "largest_intermediate", "time_call"]


def time_call(fn: Callable[..., Any], *args: Any, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn(*args)`` over ``repeats`` runs after ``warmup`` runs."""
    if repeats < 1 or warmup < 0:
        raise ValueError("need repeats >= 1 and warmup >= 0")
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class OpSizes(TorchDispatchMode):
    """Dispatch mode that records, for every tensor operation, the bytes of its outputs.

    ``records`` is a list of ``(operation name, bytes)``. Views (which share memory with
    their input) are recorded with 0 bytes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        inputs = {
            t.untyped_storage().data_ptr()
            for t in tree_flatten((args, kwargs or {}))[0]
            if isinstance(t, torch.Tensor)
        }
        out = func(*args, **(kwargs or {}))
        nbytes = 0
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() not in inputs:
                nbytes += t.untyped_storage().nbytes()
        self.records.append((str(func.overloadpacket.__name__), nbytes))
        return out


def largest_intermediate(fn: Callable[..., Any], *args: Any) -> tuple[int, str]:
    """Run ``fn(*args)`` once; return ``(bytes, op name)`` of the largest tensor an op created."""
    with torch.no_grad(), OpSizes() as mode:
        fn(*args)
    if not mode.records:
        return 0, ""
    name, nbytes = max(mode.records, key=lambda r: r[1])
    return nbytes, name
