"""Our compressors against the standard ones on real text, side by side in one run.

For every corpus and method: compressed size, bits per character, compress and decompress
wall-clock time and speed (MB/s), each time as a multiple of PPMd's (order 6, 7-Zip's
defaults; only between rows of one run), and peak memory. The standard tools are fast, so their
times are the best of three runs. PPMd runs through ``pyppmd`` (no 7-Zip needed), with 7-Zip's
defaults and at its best order for the corpus (orders 4-16; the search is not timed). Each
measurement runs in a fresh Python process, so that peak memory is that method's alone (the
growth of the process's peak resident set) and the first call of our models is *cold*: it
pays for whatever a model compiles or loads once. Our models are then run a second time in
the same process, *warm*. Every decompression is checked against the input.

    python bench/compressors.py                      # both corpora, the default model
    python bench/compressors.py --models ppm order0 --corpora asyoulik
    python bench/compressors.py --models cm --bytes 150000 --name compressors-150k
    python bench/compressors.py --models cm --only models --keep   # re-measure cm only

writes ``bench/results/compressors.json`` and ``bench/results/compressors.md`` (``--name``
changes the base name; ``--keep`` keeps the rows of methods not measured now from the existing
file, each row dated). Times are wall-clock on whatever machine runs it, which records its
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


def _timed(comp, decomp, data: bytes) -> tuple[bytes, float, float]:
    """Compress and decompress ``data`` once: the blob and the two wall-clock times."""
    start = time.perf_counter()
    blob = comp(data)
    compress_s = time.perf_counter() - start
    start = time.perf_counter()
    ok = decomp(blob) == data
    decompress_s = time.perf_counter() - start
    if not ok:
        raise SystemExit("a method did not reproduce its input")
    return blob, compress_s, decompress_s


def worker(corpus: str, method: str, limit: int = 0) -> dict:
    """Measure one method on one corpus, or its first ``limit`` bytes (in its own process)."""
    import pyppmd  # noqa: F401  (imported before the clock starts, as predcomp already is)
    from predcomp import baselines as bl
    from predcomp import compress as pc
    from predcomp.data import load_bytes

    data = load_bytes(corpus)
    if limit:
        data = data[:limit]
    extra: dict = {}
    ours = method.startswith("predcomp ")
    if ours:
        name = method.split(" ", 1)[1]

        def comp(d: bytes) -> bytes:
            return pc.compress(d, name, progress=False)

        def decomp(b: bytes) -> bytes:
            return pc.decompress(b, progress=False)

    elif method == bl.PPMD_BEST:
        order, _ = bl.ppmd_best_order(data)  # not timed: a user would pick the order once
        _, comp, decomp = bl.ppmd_codec(order, name=method)
        extra = {"order": order, "memory_mb": bl.PPMD_DEFAULT_MEMORY_MB}
    else:
        codecs = {n: (c, d) for n, c, d in bl.standard_codecs()}
        if method not in codecs:
            return {"corpus": corpus, "method": method, "skipped": "not installed here"}
        comp, decomp = codecs[method]
        if method == bl.PPMD:
            extra = {"order": bl.PPMD_DEFAULT_ORDER, "memory_mb": bl.PPMD_DEFAULT_MEMORY_MB}
    before = _peak_kib()
    blob, compress_s, decompress_s = _timed(comp, decomp, data)
    peak = _peak_kib() - before
    if not ours:  # fast: the best of three runs, so that a busy moment does not skew ratios
        for _ in range(2):
            _, c, d = _timed(comp, decomp, data)
            compress_s, decompress_s = min(compress_s, c), min(decompress_s, d)
    searched = method == bl.PPMD_BEST  # the order search already raised the process's peak
    row = {
        "corpus": corpus,
        "input_bytes": len(data),
        "method": method,
        "bytes": len(blob),
        "bpc": 8 * len(blob) / len(data),
        "compress_s": compress_s,
        "decompress_s": decompress_s,
        **extra,
        "peak_mib": None if searched else peak / 1024,
        "peak_note": "not measured (after the order search)" if searched else "growth of peak RSS",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    if ours:  # the first call above was cold; now the same process, warm
        _, row["warm_compress_s"], row["warm_decompress_s"] = _timed(comp, decomp, data)
    return row


def add_speeds(rows: list[dict]) -> None:
    """Speeds (MB/s) and times as multiples of PPMd's, per corpus, from each row's seconds."""
    for corpus in {r["corpus"] for r in rows}:
        rs = [r for r in rows if r["corpus"] == corpus and "bpc" in r]
        ppmd = next((r for r in rs if r["method"] == "PPMd (order 6)"), None)
        for r in rs:
            for key in ("compress", "decompress", "warm_compress", "warm_decompress"):
                seconds = r.get(f"{key}_s")
                if seconds is None:
                    continue
                r[f"{key}_mb_s"] = r["input_bytes"] / 1e6 / max(seconds, 1e-6)
                step = key.removeprefix("warm_")
                # a ratio only between rows of one run (rows kept by --keep have a command)
                if ppmd is not None and r.get("command") == ppmd.get("command"):
                    r[f"{key}_x_ppmd"] = seconds / max(ppmd[f"{step}_s"], 1e-6)


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
    for mod in ("zstandard", "brotli", "pyppmd"):
        try:
            info[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            info[mod] = None
    from predcomp.baselines import find_7z

    exe = find_7z()
    if exe:
        banner = subprocess.run([exe], capture_output=True, text=True).stdout.strip()
        info["7zip"] = banner.splitlines()[0] if banner else exe
    else:
        info["7zip"] = None
    return info


def _num(value, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def markdown(rows: list[dict]) -> str:
    lines = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        rs = [r for r in rows if r["corpus"] == corpus and "bpc" in r]
        n = rs[0]["input_bytes"] if rs else 0
        lines += [
            f"**{corpus}** ({n:,} bytes). Speeds in MB/s, cold (first call in a fresh process) "
            "and warm (second call); ×PPMd: time divided by PPMd's (order 6).",
            "",
            "| method | bytes | bits/char | compress MB/s | decompress MB/s "
            "| warm compress MB/s | warm decompress MB/s | compress ×PPMd | decompress ×PPMd "
            "| peak memory (MiB) | measured |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        keys = ["compress", "decompress", "warm_compress", "warm_decompress"]
        keys = [f"{k}_mb_s" for k in keys] + ["compress_x_ppmd", "decompress_x_ppmd"]
        for r in sorted(rs, key=lambda r: r["bpc"]):
            best = r["method"].endswith("(best order)")
            method = r["method"] + (f" = order {r['order']}" if best else "")
            cells = " | ".join(_num(r.get(k), ".3g") for k in keys)
            lines.append(
                f"| {method} | {r['bytes']:,} | {r['bpc']:.3f} | {cells} "
                f"| {_num(r['peak_mib'], '.1f')} | {r.get('date', '–')} |"
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
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the existing file's rows of methods and corpora not measured now",
    )
    parser.add_argument(
        "--only",
        choices=["models", "baselines"],
        help="measure only our models or only the standard tools (with --keep: the rest kept)",
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, limit=args.bytes)))
        return

    from predcomp.baselines import BASELINES
    from predcomp.models.registry import DEFAULT_MODEL

    ours = [f"predcomp {m}" for m in (args.models or [DEFAULT_MODEL])]
    methods = [] if args.only == "baselines" else ours
    methods += [] if args.only == "models" else list(BASELINES)
    load_before = os.getloadavg()
    rows = []
    for corpus in args.corpora:
        for method in methods:
            row = run_worker(corpus, method, args.bytes)
            rows.append(row)
            shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
            print(json.dumps(shown), flush=True)
    command = "python bench/compressors.py " + " ".join(sys.argv[1:])
    path = args.out / f"{args.name}.json"
    if args.keep and path.exists():
        old = json.loads(path.read_text())
        measured = {(r["corpus"], r["method"]) for r in rows}
        kept = [  # of methods that still exist
            r
            for r in old["results"]
            if (r["corpus"], r["method"]) not in measured
            and (r["method"].startswith("predcomp ") or r["method"] in BASELINES)
        ]
        for r in kept:  # rows of an older run say when (and by which command) they were made
            r.setdefault("date", old.get("date"))
            r.setdefault("command", old.get("command"))
        rows = kept + rows
        command = f"{old.get('command', '')}; then {command}"
    add_speeds(rows)
    report = {
        "description": (
            "Compressed size, bits per character, time and speed (cold and warm for our "
            "models), time relative to PPMd and peak memory per method"
        ),
        "command": command,
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
    path.write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{args.name}.md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
