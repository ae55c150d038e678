"""The same glued numbers on an idle and on a busy machine (``make test-busy``).

A page must not let the machine's speed change what it computes: a run shortened because the
machine was slow, a thread count taken from the number of cores, a measurement of time that an
assertion depends on. This test executes every chapter notebook twice with ``nbclient``, first
as the machine is, then while two processes spin on the CPU (as many as the 2-core machines
the book is built on have cores), and compares every value the chapter glues into its text
(``myst_nb.glue``: the text of numbers and strings, the PNG of figures). Only the values that
*are* measurements of time (:data:`TIMINGS`) may differ; every chapter must also run to the
end both times (its assertions hold under load).

It takes about twice the time of executing the book, so ``make test`` does not run it
(the ``busy`` marker). ``BUSY_CHAPTERS=training,entropy`` chooses some chapters.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CHAPTERS, ROOT, notebook_sources, toc_files

GLUE_PREFIX = "application/papermill.record/"

#: glued values that measure time: they may differ between the runs (every other must not)
TIMINGS = {
    "bytes-huffman-seconds",  # coding: seconds to Huffman-code a file
    "kt-enc-rate",  # coding: symbols per second of the arithmetic coder
    "kt-dec-rate",
    "id-ppm-enc-s",  # prediction-is-compression: seconds to compress and decompress
    "id-ppm-dec-s",
    "cm-ref-s",  # prediction-is-compression: seconds of the readable cm on 1,500 bytes
    "tr-seconds",  # training: seconds of training of the character GPT
    "fig-att-cost",  # attention: the measured time and memory, plotted
}


def glued(nb: dict[str, Any]) -> dict[str, str]:
    """Every glued value of an executed notebook: name -> its text (or its PNG's SHA-256)."""
    values: dict[str, str] = {}
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            data = {k.removeprefix(GLUE_PREFIX): v for k, v in output.get("data", {}).items()}
            png, text = data.get("image/png"), data.get("text/plain", "")
            if png is not None:
                png = "".join(png) if isinstance(png, list) else png
                values[name] = "png:" + hashlib.sha256(png.encode()).hexdigest()
            else:
                values[name] = "".join(text) if isinstance(text, list) else text
    return values


def test_glued_reads_values_and_figures():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "x"},
            {
                "cell_type": "code",
                "outputs": [
                    {"output_type": "stream", "text": "hello"},
                    {
                        "output_type": "display_data",
                        "metadata": {"scrapbook": {"name": "n", "mime_prefix": GLUE_PREFIX}},
                        "data": {GLUE_PREFIX + "text/plain": "3.25"},
                    },
                    {
                        "output_type": "display_data",
                        "metadata": {"scrapbook": {"name": "fig", "mime_prefix": ""}},
                        "data": {"image/png": "iVBOR", "text/plain": "<Figure>"},
                    },
                ],
            },
        ]
    }
    got = glued(nb)
    assert got["n"] == "3.25"
    assert got["fig"] == "png:" + hashlib.sha256(b"iVBOR").hexdigest()
    assert set(got) == {"n", "fig"}


def chapters() -> list[str]:
    chosen = os.environ.get("BUSY_CHAPTERS", "").strip()
    names = [Path(n).name for n in toc_files() if (ROOT / f"{n}.md") in notebook_sources()]
    if chosen:
        items = chosen.split(",")
        wanted = {c.strip().removeprefix("chapters/").removesuffix(".md") for c in items}
        return [n for n in names if n in wanted]
    return names


def execute(name: str) -> tuple[dict[str, str], float]:
    """Execute ``chapters/<name>.md`` as a notebook in a fresh kernel: its glued values, seconds."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(CHAPTERS / f"{name}.md", fmt="md:myst")
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(CHAPTERS)}}
    ).execute()
    return glued(nb), time.perf_counter() - start


class Spinners:
    """``n`` processes that keep the CPU busy while the block runs."""

    def __init__(self, n: int = 2) -> None:
        self.n = n
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Spinners:
        code = "while True: pass"
        self.procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(self.n)]
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.kill()
            p.wait()


@pytest.mark.busy
@pytest.mark.timeout(7200)
@pytest.mark.parametrize("name", chapters())
def test_a_busy_machine_changes_no_glued_value(name):
    idle, idle_s = execute(name)
    with Spinners(2):
        busy, busy_s = execute(name)
    timings = sorted(k for k in idle if idle[k] != busy.get(k) and k in TIMINGS)
    print(
        f"{name}: {len(idle)} glued values; {idle_s:.0f} s as is, {busy_s:.0f} s busy "
        f"(load average {os.getloadavg()[0]:.1f}); measured times that differ: "
        + (", ".join(timings) or "none")
    )
    assert idle, f"{name} glued nothing: is myst_nb installed in the kernel?"
    assert set(idle) == set(busy)
    differ = sorted(k for k in idle if idle[k] != busy[k] and k not in TIMINGS)
    assert not differ, f"{name}: values that changed under load: " + ", ".join(
        f"{k}: {idle[k][:40]} -> {busy[k][:40]}" for k in differ
    )
