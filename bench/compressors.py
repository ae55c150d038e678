"""Our compressors against the standard ones on real text, side by side in one run.

For every corpus and method: compressed size, bits per character, compress and decompress
wall-clock time, and peak memory. Each measurement runs in a fresh Python process, so that
peak memory is that method's alone: the growth of the process's peak resident set (for
7-Zip, a separate program, the peak of the 7-Zip process itself). Every decompression is
checked against the input.

    python bench/compressors.py                      # both corpora, the default model
    python bench/compressors.py --models ppm order0 --corpora asyoulik
    python bench/compressors.py --models cm --bytes 150000 --name compressors-150k

writes ``bench/results/compressors.json`` and ``bench/results/compressors.md`` (``--name``
changes the base name). Times are wall-clock on whatever machine runs it, which records its
load average; compare ratios, not absolute values.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CORPORA = ("asyoulik", "tinyshakespeare")


def _peak_kib(who: int = resource.RUSAGE_SELF) -> int:
    return resource.getrusage(who).ru_maxrss  # KiB on Linux


def worker(corpus: str, method: str, limit: int = 0) -> dict:
    """Measure one method on one corpus, or its first ``limit`` bytes (in its own process)."""
    from predcomp import compress as pc
    from predcomp.data import load_bytes

    data = load_bytes(corpus)
    if limit:
        data = data[:limit]
    if method.startswith("predcomp "):
        name = method.split(" ", 1)[1]

        def comp(d: bytes) -> bytes:
            return pc.compress(d, name, progress=False)

        def decomp(b: bytes) -> bytes:
            return pc.decompress(b, progress=False)

    else:
        codecs = {n: (c, d) for n, c, d in pc.standard_codecs()}
        if method not in codecs:
            return {"corpus": corpus, "method": method, "skipped": "not installed here"}
        comp, decomp = codecs[method]
    before = _peak_kib()
    start = time.perf_counter()
    blob = comp(data)
    compress_s = time.perf_counter() - start
    start = time.perf_counter()
    ok = decomp(blob) == data
    decompress_s = time.perf_counter() - start
    if not ok:
        raise SystemExit(f"{method} did not reproduce {corpus}")
    external = method == "7z PPMd"
    peak = _peak_kib(resource.RUSAGE_CHILDREN) if external else _peak_kib() - before
    return {
        "corpus": corpus,
        "input_bytes": len(data),
        "method": method,
        "bytes": len(blob),
        "bpc": 8 * len(blob) / len(data),
        "compress_s": compress_s,
        "decompress_s": decompress_s,
        "peak_mib": peak / 1024,
        "peak_note": "7-Zip process peak RSS" if external else "growth of peak RSS",
    }


def run_worker(corpus: str, method: str, limit: int = 0) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", corpus, method, "--bytes", str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def versions() -> dict:
    import numpy
    import predcomp

    info = {"python": platform.python_version(), "numpy": numpy.__version__}
    info["predcomp"] = predcomp.__version__
    for mod in ("zstandard", "brotli"):
        try:
            info[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            info[mod] = None
    from predcomp.compress import find_7z

    exe = find_7z()
    if exe:
        banner = subprocess.run([exe], capture_output=True, text=True).stdout.strip()
        info["7zip"] = banner.splitlines()[0] if banner else exe
    else:
        info["7zip"] = None
    return info


def markdown(rows: list[dict]) -> str:
    lines = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        rs = [r for r in rows if r["corpus"] == corpus and "bpc" in r]
        n = rs[0]["input_bytes"] if rs else 0
        lines += [
            f"**{corpus}** ({n:,} bytes)",
            "",
            "| method | bytes | bits/char | compress (s) | decompress (s) | peak memory (MiB) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in sorted(rs, key=lambda r: r["bpc"]):
            lines.append(
                f"| {r['method']} | {r['bytes']:,} | {r['bpc']:.3f} | {r['compress_s']:.2f} "
                f"| {r['decompress_s']:.2f} | {r['peak_mib']:.1f} |"
            )
        skipped = [r["method"] for r in rows if r["corpus"] == corpus and "skipped" in r]
        if skipped:
            lines.append(f"\nNot installed here, skipped: {', '.join(skipped)}.")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("CORPUS", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA))
    parser.add_argument("--models", nargs="+", default=None, help="predcomp models (default: best)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--name", default="compressors", help="base name of the result files")
    parser.add_argument("--bytes", type=int, default=0, help="the first N bytes of each corpus")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, limit=args.bytes)))
        return

    from predcomp.compress import BASELINES
    from predcomp.models.registry import DEFAULT_MODEL

    methods = [f"predcomp {m}" for m in (args.models or [DEFAULT_MODEL])] + list(BASELINES)
    load_before = os.getloadavg()
    rows = []
    for corpus in args.corpora:
        for method in methods:
            row = run_worker(corpus, method, args.bytes)
            rows.append(row)
            shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
            print(json.dumps(shown), flush=True)
    report = {
        "description": "Compressed size, bits per character, time and peak memory per method",
        "command": "python bench/compressors.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "cpu": platform.processor() or None,
            "cpu_count": os.cpu_count(),
            # a loaded machine inflates every wall-clock time: record how busy it was
            "load_average_1min_start_end": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "versions": versions(),
        "results": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{args.name}.md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
