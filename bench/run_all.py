"""Run every benchmark of ``bench/`` as the book documents it, and time each run.

Every command that produced a committed result file is listed in :data:`COMMANDS`; a test checks
that every script of ``bench/`` has at least one. For each command the runner records the
wall-clock time, the CPU time of the process and its children, the load average before and
after, and which files of ``bench/results/`` it wrote, in ``bench/results/run_all.json`` and
``.md``; the appendix *Reproducing the results* shows them.

    python bench/run_all.py                 # time every command in a scratch copy of bench/
    python bench/run_all.py --in-place      # regenerate the committed results as well
    python bench/run_all.py --only coder likelihood

By default the commands run in a temporary copy of ``bench/``, so that the committed results are
not replaced by ones measured on a busy machine; ``--in-place`` regenerates them. Times depend on
the machine and on what else runs on it: the load average is recorded next to each.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
NAME = "run_all"

#: script -> the argument lists it is run with (each one produced committed results)
COMMANDS: dict[str, list[list[str]]] = {
    "cm_ablation.py": [[]],
    "coder.py": [[]],
    "compressors.py": [
        ["--models", "cm", "cm-max"],
        ["--models", "cm", "cm-max", "--bytes", "150000", "--name", "compressors-150k"],
        ["--corpora", "asyoulik", "--models", "mix", "--name", "compressors-mix"],
    ],
    "train_gpt.py": [
        ["--run", "default"],
        ["--run", "long", "--minutes", "15"],
        ["--run", "seq2seq"],
    ],
    "transformer_speed.py": [[]],
    "likelihood.py": [[]],
    "hostile.py": [[]],
    "neural_compress.py": [["--jobs", "2"]],
}


def description(path: Path) -> str:
    """The first line of a script's docstring."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.splitlines()[0] if doc else ""


def _snapshot(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.glob("*") if p.is_file()}


def run_one(bench: Path, script: str, args: list[str], threads: int | None = None) -> dict:
    """Run ``python <bench>/<script> <args>``; its times and the result files it wrote.

    ``threads``, if given, is passed as ``--threads`` to the scripts that take it.
    """
    if threads is not None and "--threads" in (bench / script).read_text(encoding="utf-8"):
        args = [*args, "--threads", str(threads)]
    results = bench / "results"
    results.mkdir(exist_ok=True)
    before = _snapshot(results)
    load_before = os.getloadavg()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(bench / script), *args],
        cwd=bench.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after_usage.ru_utime - children.ru_utime) + (after_usage.ru_stime - children.ru_stime)
    after = _snapshot(results)
    written = sorted(n for n, t in after.items() if before.get(n) != t)
    return {
        "script": script,
        "description": description(bench / script),
        "args": args,
        "command": " ".join(["python", f"bench/{script}", *args]),
        "returncode": proc.returncode,
        "error": proc.stderr[-2000:] if proc.returncode else "",
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "writes": written,
    }


def write_markdown(runs: list[dict], meta: dict) -> None:
    lines = [
        f"Measured on {meta['machine']}; wall-clock and CPU time (the process and its "
        "children) of each command, with the 1-minute load average before it started.",
        "",
        "| command | wall (s) | CPU (s) | load before | writes |",
        "|---|---:|---:|---:|---|",
    ]
    for r in runs:
        status = "" if r["returncode"] == 0 else " (failed)"
        lines.append(
            f"| `{r['command']}`{status} | {r['wall_seconds']:.0f} | {r['cpu_seconds']:.0f} "
            f"| {r['loadavg_before'][0]:.1f} | {', '.join(r['writes'])} |"
        )
    (RESULTS / f"{NAME}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in-place", action="store_true", help="regenerate the committed results")
    ap.add_argument("--only", nargs="*", default=None, help="script names without .py")
    ap.add_argument("--threads", type=int, default=None, help="passed to the scripts that take it")
    args = ap.parse_args()
    wanted = [s for s in COMMANDS if args.only is None or s.removesuffix(".py") in args.only]
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "in_place": args.in_place,
        "threads": args.threads,
    }
    with tempfile.TemporaryDirectory() as tmp:
        if args.in_place:
            bench = BENCH
        else:  # a scratch copy: the scripts write their results next to themselves
            bench = Path(tmp) / "bench"
            shutil.copytree(BENCH, bench, ignore=shutil.ignore_patterns("__pycache__"))
        runs = []
        for script in wanted:
            for argv in COMMANDS[script]:
                print("running", script, *argv, flush=True)
                runs.append(run_one(bench, script, argv, args.threads))
                print(f"  {runs[-1]['wall_seconds']:.0f} s", flush=True)
    path = RESULTS / f"{NAME}.json"
    old = json.loads(path.read_text()) if path.exists() else {"runs": []}
    keep = [r for r in old.get("runs", []) if r["script"] not in wanted]
    result = {"meta": meta, "runs": keep + runs}
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    write_markdown(result["runs"], meta)


if __name__ == "__main__":
    main()
