"""What each part of the context-mixing model buys: an ablation on the two dev texts.

Starting from a mixer of orders 1-4, components are added one at a time, in the order of the
chapter, up to the default model ``cm`` and then to the strongest level ``cm-max``. Each step
compresses both texts with the compiled engine and records bits per character, the gain over
the last kept step, and CPU seconds per megabyte. A component stays in a level only if it
loses on neither text (a rule, so that nothing is tuned to one file); the steps in
parentheses failed it and are measured but not kept. Both levels must also stay fast: the
steps in brackets gain on both texts, but less than 0.001 bits/char on one of them for a
context more to look up on every bit, and the level leaves them out. The script also measures the
engine's one-time compilation (a fresh process with an empty numba cache) and a warm start.

    python bench/cm_ablation.py      # writes bench/results/cm_ablation.json and .md

Times are process CPU seconds, which a busy machine disturbs less than wall-clock time;
compare ratios, not absolute values.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from predcomp.coding.container import unpack
from predcomp.compress import compress
from predcomp.data import load_bytes
from predcomp.models.registry import model_memory

RESULTS = Path(__file__).resolve().parent / "results"
TEXTS = ("asyoulik", "tinyshakespeare")
_O4 = ["o1", "o2", "o3", "o4"]
_O6 = [*_O4, "o5", "o6"]
# the first steps learn at the plain rate: the boost of a fresh mixer is a later step
_BASE = {"match": False, "selectors": ["c0"], "apms": [], "lr_boost": 0}
_CTX = [*_O6, "word", "bigram"]
_COL = [*_CTX, "column"]
_CM = {"contexts": _CTX, "match": True, "selectors": ["order"], "lr_boost": 0}
_SPARSE = ["skip2", "skip23"]
_SEL2 = ["order", "c0"]
# cm-max before its own steps: cm's contexts, selectors, APMs and learning, in larger tables
_MAX = {
    "contexts": _COL,
    "selectors": _SEL2,
    "apms": ["c0", "c1"],
    "lr": 2,
    "lr_boost": 48,
    "w_init": 8192,
    "average_apms": False,
    "apm_limit": 255,
}
_WORDS = [*_COL, *_SPARSE, "trigram", "word_skip", "word_gap", "word1_c1", "word1_o2"]
_LINES = [*_WORDS, "column_c1", "line_word"]
_IND = [*_LINES, "indirect"]
_SHAPE = {**_MAX, "contexts": _IND, "selectors": ["order", "c0_class", "shape"]}
_SIDE = {**_SHAPE, "apms": ["c0", "c1", "o2", "o3"], "average_apms": True}
_RATE = {"apm_limit": 255}  # cm-max, but for its APMs' rate

#: (step name, model, parameters): each step adds one thing to the last kept step; a step
#: in parentheses lost on a text, one in brackets gained too little for cm's time; neither is
#: kept (the next step builds without it)
STEPS: list[tuple[str, str, dict]] = [
    ("orders 1-4, weights by c0", "cm", {**_BASE, "contexts": _O4}),
    ("+ orders 5 and 6", "cm", {**_BASE, "contexts": _O6}),
    ("+ word", "cm", {**_BASE, "contexts": [*_O6, "word"]}),
    ("+ word pair", "cm", {**_BASE, "contexts": _CTX}),
    ("+ match model", "cm", {**_BASE, **_CM, "selectors": ["c0"]}),
    ("weights by order and last byte", "cm", {**_BASE, **_CM}),
    ("+ APM on c0", "cm", {**_CM, "apms": ["c0"]}),
    ("+ APM on c0, c1", "cm", _CM),
    ("[+ order 7]", "cm", {**_CM, "contexts": [*_O6, "o7", "word", "bigram"]}),
    ("[+ sparse contexts]", "cm", {**_CM, "contexts": [*_CTX, *_SPARSE]}),
    ("+ column", "cm", {**_CM, "contexts": _COL}),
    ("+ 2 mixer layers (weights by order; by c0)", "cm", {"lr_boost": 0}),
    ("+ faster learning while fresh = cm (default)", "cm", {}),
    ("+ larger tables", "cm-max", {**_MAX, "deterministic": False}),
    ("+ inputs for one-sided histories", "cm-max", _MAX),
    ("+ sparse contexts", "cm-max", {**_MAX, "contexts": [*_COL, *_SPARSE]}),
    ("+ word triple, skip, gap; previous word and last bytes", "cm-max",
     {**_MAX, "contexts": _WORDS}),
    ("+ column and last byte; line start and word", "cm-max", {**_MAX, "contexts": _LINES}),
    ("+ indirect context", "cm-max", {**_MAX, "contexts": _IND}),
    ("weights by the kinds of the last bytes", "cm-max", _SHAPE),
    ("+ APMs on 2 and 3 bytes, all side by side", "cm-max", _SIDE),
    ("weights start at 1/16, learning rate 1 (+ 8 while fresh)", "cm-max", _RATE),
    ("APMs keep learning faster = cm-max", "cm-max", {}),
    ("(+ weights by c1 too)", "cm-max", {"selectors": ["order", "c0_class", "shape", "c1"]}),
    ("[+ order 0]", "cm-max", {"contexts": [*_IND, "o0"]}),
    ("(+ order 7)", "cm-max", {"contexts": [*_IND, "o7"]}),
]  # fmt: skip


def measure(data: bytes, model: str, params: dict) -> dict:
    """Bits per character of the payload: the model's cost, without the container's header
    (which names the parameters that differ from a level's defaults, so it varies by step)."""
    start = time.process_time()
    blob = compress(data, model, progress=False, **params)
    seconds = time.process_time() - start
    payload = len(unpack(blob)[1])
    return {"bits_per_char": 8 * payload / len(data), "cpu_s": seconds, "bytes": len(blob)}


def compile_times() -> dict:
    """Seconds to compress 1 KB in a fresh process: with an empty numba cache, then warm."""
    code = (
        "import time; t = time.perf_counter(); from predcomp.compress import compress; "
        "compress(b'compile me ' * 100, 'cm'); print(time.perf_counter() - t)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for kind in ("cold", "warm"):
            run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True)  # fmt: skip
            out[f"{kind}_s"] = float(run.stdout.strip())
    return out


def markdown(result: dict) -> str:
    lines = [
        "| step | "
        + " | ".join(f"{t} (bits/char) | gain" for t in TEXTS)
        + " | CPU s/MB | memory (MiB) |",
        "|---|" + "---:|---:|" * len(TEXTS) + "---:|---:|",
    ]
    for row in result["steps"]:
        cells = []
        for t in TEXTS:
            r = row[t]
            gain = "" if r["gain"] is None else f"{r['gain']:+.4f}"
            cells.append(f"{r['bits_per_char']:.4f} | {gain}")
        mb = sum(len_ for len_ in result["lengths"].values()) / 1e6
        cpu = sum(row[t]["cpu_s"] for t in TEXTS) / mb
        lines.append(
            f"| {row['step']} | " + " | ".join(cells) + f" | {cpu:.1f} | {row['memory_mib']:.0f} |"
        )
    m = result["machine"]
    c = result["compile"]
    lines += [
        "",
        f"Bits per character of the arithmetic-coded payload (the container adds a header of "
        f"under 100 bytes). Gain: bits/char saved by the step (positive is better). "
        f"Engine compilation: "
        f"{c['cold_s']:.1f} s in a fresh process with an empty numba cache, {c['warm_s']:.1f} s "
        f"with the cache. Python {m['python']}, {m['cpus']} CPUs, load average "
        f"{m['load_average']:.1f} at the start; CPU seconds (compare ratios). "
        "Regenerate with `python bench/cm_ablation.py`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    args = parser.parse_args(argv)
    texts = {t: load_bytes(t) for t in TEXTS}
    load = os.getloadavg()[0]
    compress(b"warm up the engine", "cm")
    steps, before = [], {}
    for name, model, params in STEPS:
        row: dict = {"step": name, "model": model, "params": params}
        row["memory_mib"] = model_memory(model, params) / 2**20
        for t, data in texts.items():
            r = measure(data, model, params)
            kept = not name.startswith(("(", "["))  # see STEPS
            r["gain"] = before[t] - r["bits_per_char"] if t in before else None
            if kept:
                before[t] = r["bits_per_char"]
            row[t] = r
        steps.append(row)
        print(json.dumps(row), file=sys.stderr)
    result = {
        "steps": steps,
        "lengths": {t: len(d) for t, d in texts.items()},
        "compile": compile_times(),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": load,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cm_ablation.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )
    (args.out / "cm_ablation.md").write_text(markdown(result), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
