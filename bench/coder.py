"""Speed and efficiency of the arithmetic coder, separated from the cost of any model.

For each workload the distributions are computed *before* timing, so the figures measure the
coder alone:

* ``quantize``: float probabilities to integer cumulative frequencies, calls per second;
* ``encode`` / ``decode``: symbols per second given the precomputed cumulative frequencies;
* overhead: payload length against the ideal ``sum -log2 p(x_i)`` computed with the model's own
  floating-point probabilities (so the loss from quantization is included), in bytes and in
  per cent.

Workloads: English text (``asyoulik``) under an adaptive order-0 byte model (add-1/2 counts),
a stream of random distributions that change at every step, and an extremely skewed static
source (one symbol has probability 1 - 1e-9).

    python bench/coder.py            # writes bench/results/coder.json and coder.md

Throughputs are per second of the process's CPU time, which other programs on a busy machine
disturb much less than wall-clock time (the JSON also has the wall-clock figures and the load
average); compare ratios, not absolute values.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from predcomp.coding.arithmetic import (
    DEFAULT_TOTAL_BITS,
    STATE_BITS,
    ArithmeticDecoder,
    ArithmeticEncoder,
    quantize,
)

RESULTS = Path(__file__).resolve().parent / "results"


def order0_distributions(data: bytes, alpha: float = 0.5) -> np.ndarray:
    """The adaptive order-0 model's prediction before each byte, as a ``(len, 256)`` array."""
    x = np.frombuffer(data, dtype=np.uint8)
    counts = np.zeros((len(x), 256))
    counts[np.arange(1, len(x)), x[:-1]] = 1.0
    counts = np.cumsum(counts, axis=0) + alpha  # counts of the bytes *before* each position
    return counts / counts.sum(axis=1, keepdims=True)


def random_distributions(steps: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dirichlet distributions of random sharpness, one per step, and symbols drawn from them."""
    rng = np.random.default_rng(seed)
    alphas = 10.0 ** rng.uniform(-2, 1, size=steps)
    d = rng.gamma(alphas[:, None], size=(steps, n))
    d /= d.sum(axis=1, keepdims=True)
    u = rng.random(steps)[:, None]
    symbols = np.minimum((np.cumsum(d, axis=1) < u).sum(axis=1), n - 1)
    return d, symbols


def skewed_distributions(steps: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One symbol with probability 1 - 1e-9; a handful of 'impossible' events."""
    p = np.full(n, 1e-9 / (n - 1))
    p[0] = 1 - 1e-9
    symbols = np.zeros(steps, dtype=np.int64)
    rng = np.random.default_rng(seed)
    symbols[rng.integers(steps, size=3)] = rng.integers(1, n, size=3)
    return np.broadcast_to(p, (steps, n)), symbols


def measure(name: str, dists: np.ndarray, symbols: np.ndarray, repeats: int) -> dict:
    symbols = [int(s) for s in symbols]
    steps = len(symbols)
    # the ideal length with the model's own float probabilities
    p = dists[np.arange(steps), symbols] / dists.sum(axis=1)
    ideal_bits = float(-np.log2(p).sum())

    # CPU time of this process (time.process_time) is far less sensitive than wall-clock time
    # to other programs competing for the CPU; both are recorded.
    start, cpu = time.perf_counter(), time.process_time()
    cums = [quantize(row) for row in dists]
    quantize_s, quantize_cpu = time.perf_counter() - start, time.process_time() - cpu

    best = {"enc": math.inf, "dec": math.inf, "enc_cpu": math.inf, "dec_cpu": math.inf}
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        encoder = ArithmeticEncoder()
        for cum, s in zip(cums, symbols, strict=True):
            encoder.encode(cum, s)
        payload = encoder.finish()
        best["enc"] = min(best["enc"], time.perf_counter() - start)
        best["enc_cpu"] = min(best["enc_cpu"], time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        decoder = ArithmeticDecoder(payload)
        decoded = [decoder.decode(cum) for cum in cums]
        best["dec"] = min(best["dec"], time.perf_counter() - start)
        best["dec_cpu"] = min(best["dec_cpu"], time.process_time() - cpu)
        if decoded != symbols:
            raise AssertionError(f"{name}: round trip failed")
    quantized_bits = float(
        -sum(math.log2((c[s + 1] - c[s]) / c[-1]) for c, s in zip(cums, symbols, strict=True))
    )
    overhead = 8 * len(payload) - ideal_bits
    return {
        "workload": name,
        "symbols": steps,
        "alphabet": int(dists.shape[1]),
        "ideal_bits": ideal_bits,
        "quantized_bits": quantized_bits,
        "payload_bytes": len(payload),
        "overhead_bytes": overhead / 8,
        "overhead_percent": 100 * overhead / ideal_bits if ideal_bits > 0 else None,
        "within_bound": len(payload) <= ideal_bits * 1.001 / 8 + 8,
        # throughput per second of CPU time (the table) and of wall-clock time
        "quantize_per_s": steps / quantize_cpu,
        "encode_symbols_per_s": steps / best["enc_cpu"],
        "decode_symbols_per_s": steps / best["dec_cpu"],
        "wall": {
            "quantize_per_s": steps / quantize_s,
            "encode_symbols_per_s": steps / best["enc"],
            "decode_symbols_per_s": steps / best["dec"],
        },
    }


def markdown(result: dict) -> str:
    lines = [
        "| workload | symbols | ideal (bytes) | payload (bytes) | overhead (bytes) "
        "| overhead (%) | quantize (calls/s) | encode (symbols/s) | decode (symbols/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["workloads"]:
        pct = "–" if r["overhead_percent"] is None else f"{r['overhead_percent']:.4f}"
        lines.append(
            f"| {r['workload']} | {r['symbols']:,} | {r['ideal_bits'] / 8:,.1f} "
            f"| {r['payload_bytes']:,} | {r['overhead_bytes']:.2f} | {pct} "
            f"| {r['quantize_per_s']:,.0f} | {r['encode_symbols_per_s']:,.0f} "
            f"| {r['decode_symbols_per_s']:,.0f} |"
        )
    m = result["machine"]
    lines += [
        "",
        f"State {result['state_bits']} bits, frequency total 2^{result['total_bits']}. "
        f"Python {m['python']}, NumPy {m['numpy']}, {m['cpus']} CPUs, load average "
        f"{m['load_average']:.1f} at the start. Throughput per second of process CPU time "
        "(wall-clock figures are in the JSON); compare ratios, not absolute values. "
        "Regenerate with `python bench/coder.py`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=30_000, help="symbols per workload")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many timings")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    args = parser.parse_args(argv)

    from predcomp.data import load_bytes

    text = load_bytes("asyoulik")[: args.symbols]
    workloads = [
        (
            "English text, adaptive order-0",
            order0_distributions(text),
            np.frombuffer(text, np.uint8),
        ),
        ("random distributions, 256 symbols", *random_distributions(args.symbols, 256, 1)),
        ("random distributions, 2 symbols", *random_distributions(args.symbols, 2, 2)),
        ("skewed: p = 1 - 1e-9, 256 symbols", *skewed_distributions(args.symbols, 256, 3)),
    ]
    load = os.getloadavg()[0]
    results = []
    for name, dists, symbols in workloads:
        results.append(measure(name, dists, symbols, args.repeats))
        print(json.dumps(results[-1]), file=sys.stderr)
    result = {
        "state_bits": STATE_BITS,
        "total_bits": DEFAULT_TOTAL_BITS,
        "workloads": results,
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": load,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "coder.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "coder.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
