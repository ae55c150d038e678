"""How much work a forged compressed file can make the decoder do: CPU time and peak memory.

For every model (at its defaults, and at the heaviest parameters validation accepts), a
container is forged with :func:`predcomp.coding.container.pack_fields`: a constant or random
payload of ``--payload`` bytes whose header claims the most bytes such a payload can hold
(:func:`predcomp.compress.max_decoded_length`), with a valid header checksum. The cases seen
in the hardening issue are added (a mix of 16 ``cm`` models, a 65,536-symbol alphabet, a
length of 2**63). Each file is decompressed by ``python -m predcomp decompress`` in a fresh
process; the child's CPU seconds (user + system) and peak resident memory come from
``os.wait4``, so they are the decoder's own, and CPU time is barely inflated by a busy
machine (wall-clock time is recorded too, with the load average).

    python bench/hostile.py                  # 64-byte payloads
    python bench/hostile.py --payload 16     # quicker

writes ``bench/results/hostile.json`` and ``bench/results/hostile.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

#: name -> (model, params): the defaults and the heaviest settings validation accepts
MODELS = {
    "uniform": ("uniform", {}),
    "order0": ("order0", {}),
    "context": ("context", {}),
    "context order 64": ("context", {"order": 64}),
    "ppm": ("ppm", {}),
    "ppm order 16, no SEE": ("ppm", {"order": 16, "see": False}),
    "mix": ("mix", {}),
    "mix of 16 ppm order 16": ("mix", {"models": [["ppm", {"order": 16, "see": False}]] * 16}),
    "cm, 2**24 table": ("cm", {"table_bits": 24}),
}
#: the forged headers of the issue, refused before any decoding (length None: the most the
#: payload can hold)
REFUSED = {
    "mix of 16 cm": ("mix", {"models": [["cm", {}]] * 16}, None),
    "alphabet 65,536": ("mix", {"models": [["context", {"alphabet_size": 65536}]] * 4}, None),
    "length 2**63": ("ppm", {}, 2**63 + 1),
    "parameter 'name'": ("ppm", {"name": "x"}, None),
}


def forge(model: str, params: dict, payload: bytes, length: int) -> bytes:
    import predcomp
    from predcomp.coding.container import pack_fields

    params = {**params, "predcomp_version": predcomp.__version__}
    return pack_fields(model, params, length, 0, payload)


def measure(blob: bytes) -> dict:
    """Decompress ``blob`` in a fresh process: exit status, error line, CPU s, wall s, peak MiB."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "forged.pc")
        src.write_bytes(blob)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "predcomp", "decompress", str(src), str(Path(tmp, "out"))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        err = proc.stderr.read().decode(errors="replace").strip()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {
        "exit": proc.returncode,
        "message": err.splitlines()[-1] if err else "",
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_mib": peak / 2**20,
    }


def markdown(report: dict) -> str:
    p = report["payload_bytes"]
    lines = [
        f"Forged containers with a {p}-byte payload claiming {report['claimed_bytes']:,} bytes "
        f"(the most it can hold), decompressed in a fresh process each. CPU seconds are the "
        "decoder's own; load average "
        f"{report['machine']['load_average_1min_start_end']} while measuring.",
        "",
        "| model | payload | exit | CPU (s) | wall (s) | peak memory (MiB) | message |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        message = r["message"].replace("|", "\\|")
        lines.append(
            f"| {r['case']} | {r['payload']} | {r['exit']} | {r['cpu_s']:.2f} | "
            f"{r['wall_s']:.2f} | {r['peak_mib']:.0f} | {message} |"
        )
    worst = max(report["results"], key=lambda r: r["cpu_s"])
    biggest = max(report["results"], key=lambda r: r["peak_mib"])
    lines += [
        "",
        f"Most CPU: {worst['case']} ({worst['payload']}), {worst['cpu_s']:.1f} s, "
        f"{worst['cpu_s'] / p:.3f} s per payload byte. Most memory: {biggest['case']} "
        f"({biggest['payload']}), {biggest['peak_mib']:.0f} MiB.",
        "",
    ]
    return "\n".join(lines)


def _short(row: dict) -> str:
    return json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payload", type=int, default=64, help="payload bytes of each file")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from predcomp.compress import max_decoded_length

    n = args.payload
    claimed = max_decoded_length(n)
    payloads = {"zeros": bytes(n), "ones": b"\xff" * n, "random": random.Random(0).randbytes(n)}
    load_before = os.getloadavg()
    rows = []
    for case, (model, params) in MODELS.items():
        for kind, payload in payloads.items():
            row = {"case": case, "payload": kind, **measure(forge(model, params, payload, claimed))}
            rows.append(row)
            print(_short(row), flush=True)
    for case, (model, params, length) in REFUSED.items():
        blob = forge(model, params, bytes(n), claimed if length is None else length)
        row = {"case": case, "payload": "zeros", **measure(blob)}
        rows.append(row)
        print(_short(row), flush=True)
    report = {
        "description": "Decoding work of forged containers: CPU time and peak memory",
        "command": "python bench/hostile.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "payload_bytes": n,
        "claimed_bytes": claimed,
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average_1min_start_end": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "results": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hostile.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "hostile.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
