"""A Transformer as a compressor, side by side with the standard tools, in one run.

On ``asyoulik`` and on tinyshakespeare's held-out split (its last 10 %, never trained on):

* ``gpt-static``: a byte-level GPT trained beforehand on tinyshakespeare's training split
  (first 90 %), loaded from its checkpoint; bits per char of the payload alone and with the
  model's size counted (a two-part code: text + weights at fp16 through xz), and the
  payload against the model's own log loss on the same text;
* ``gpt-online``: the prequential code, from a seeded initialization, no weights sent;
  its running bits per char against bytes seen (the online curve);
* ``cm+gpt-static`` and ``cm+gpt-online``: ``cm`` with the GPT's bit predictions as one more
  input of its mixers (the same static checkpoint; the same online model);
* ``cm`` (our context mixing), PPMd through pyppmd at its default order 6 and at its best
  order, xz -9e, bzip2 -9, gzip -9, zstd -19 and brotli -11 where installed.

Every method is measured in its own process (compress, then decompress and compare), so its
peak memory is its own. Also: model size against held-out bits per char for a few sizes of
static model (scored in one batched pass, as training measures it).

    python bench/neural_compress.py --threads 1 --jobs 2
    python bench/neural_compress.py --quick          # small slices, for testing the script
    python bench/neural_compress.py --only "predcomp cm" ppmd   # re-measure some rows
    python bench/neural_compress.py --only "predcomp cm+gpt"    # the mixed rows only

writes ``bench/results/neural_compress.json`` and ``.md`` (``--quick``: ``-quick``). The
static models are trained once and cached under the data cache folder (``$PREDCOMP_DATA_DIR``
or ``~/.cache/predcomp``, subfolder ``neural``), never committed. Times are wall-clock and
CPU seconds on whatever machine runs it, with its load average: compare ratios.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
#: the static model of the main comparison, and the sizes of the size sweep
STATIC = "M"
SIZES: dict[str, dict[str, int]] = {
    "S": dict(n_layer=2, n_head=4, n_embd=64, block_size=64),
    "M": dict(n_layer=2, n_head=4, n_embd=128, block_size=64),
    "L": dict(n_layer=3, n_head=4, n_embd=160, block_size=64),
}
TRAIN = dict(max_steps=1000, batch_size=24, lr=3e-3, min_lr=1e-4, warmup_steps=50, seed=1337)
QUICK_TRAIN = dict(TRAIN, max_steps=30)
CURVE_EVERY = 4096
TODAY = datetime.date.today().isoformat()


def corpus(name: str, limit: int = 0) -> bytes:
    """``asyoulik``, or ``tinyshakespeare-heldout``: the last 10 % of tinyshakespeare."""
    from predcomp.data import load_bytes

    if name == "tinyshakespeare-heldout":
        data = load_bytes("tinyshakespeare")
        data = data[int(0.9 * len(data)) :]
    else:
        data = load_bytes(name)
    return data[:limit] if limit else data


# --------------------------------------------------------------------------- static models


def checkpoint_path(size: str, quick: bool) -> Path:
    from predcomp.data import data_dir

    steps = (QUICK_TRAIN if quick else TRAIN)["max_steps"]
    key = "-".join(f"{k}{v}" for k, v in SIZES[size].items())
    return data_dir() / "neural" / f"gpt-bytes-{size}-{key}-steps{steps}.pt"


def train_static(size: str, quick: bool, threads: int) -> dict[str, Any]:
    """Train (or load the cached) byte GPT of ``size`` on tinyshakespeare's training split."""
    import torch
    from predcomp.models import neural
    from predcomp.tokenize import ByteTokenizer
    from predcomp.train import CharData, TrainConfig, evaluate_bpc, reproducible_torch, train
    from predcomp.transformer.gpt import GPT, GPTConfig

    env = reproducible_torch(threads)
    data = corpus("tinyshakespeare")
    ids = torch.tensor(list(data), dtype=torch.long)
    n = int(0.9 * len(ids))
    split = CharData(ByteTokenizer(), ids[:n], ids[n:])  # type: ignore[arg-type]
    path = checkpoint_path(size, quick)
    info: dict[str, Any] = {"size": size, "config": SIZES[size], "cached": path.exists()}
    if path.exists():
        sha = neural.use_checkpoint(path)
        from predcomp.train import load_checkpoint

        net, extra = load_checkpoint(path)
        info.update(extra)
    else:
        torch.manual_seed(0)
        net = GPT(GPTConfig(vocab_size=256, **SIZES[size]))
        cfg = TrainConfig(**(QUICK_TRAIN if quick else TRAIN), eval_interval=0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        hist = train(net, split, cfg, progress=False)
        extra = {
            "train_steps": cfg.max_steps,
            "train_tokens": hist.tokens,
            "train_cpu_s": time.process_time() - cpu0,
            "train_wall_s": time.perf_counter() - wall0,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        sha = neural.save_byte_checkpoint(path, net, **extra)
        info.update(extra)
    size_info = neural.model_size(net)
    info.update(
        sha256=sha,
        params=size_info.params,
        fp32_bytes=size_info.fp32_bytes,
        fp16_bytes=size_info.fp16_bytes,
        int8_bytes=size_info.int8_bytes,
        compressed_bytes=size_info.compressed_bytes,
        checkpoint_bytes=path.stat().st_size,
        heldout_bpc_batched=evaluate_bpc(net, split.val),
        env=env,
    )
    return info


# --------------------------------------------------------------------------- one method


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Measure one method on one corpus (in its own process): sizes, times, memory, checks."""
    data = corpus(spec["corpus"], spec["limit"])
    method = spec["method"]
    row: dict[str, Any] = {"corpus": spec["corpus"], "method": method, "n": len(data)}
    extra: dict[str, Any] = {}
    if method.startswith("predcomp "):
        from predcomp import compress as pc
        from predcomp.coding.container import unpack
        from predcomp.models import neural

        name = method.split(" ", 1)[1]
        params = dict(spec.get("params", {}))
        if name.endswith("gpt-static"):
            params["checkpoint"] = neural.use_checkpoint(spec["checkpoint"])
        if "gpt-" in name:
            params["threads"] = spec["threads"]

        def comp(d: bytes) -> bytes:
            return pc.compress(d, name, progress=False, **params)

        def decomp(b: bytes) -> bytes:
            return pc.decompress(b, progress=False)

    elif method.startswith("ppmd"):
        from predcomp.baselines import ppmd_compress, ppmd_decompress

        order = spec["order"]

        def comp(d: bytes) -> bytes:
            return ppmd_compress(d, order)

        decomp = ppmd_decompress
    else:
        from predcomp.baselines import standard_codecs

        codecs = {n: (c, d) for n, c, d in standard_codecs()}
        if method not in codecs:
            return {**row, "skipped": "not installed here"}
        comp, decomp = codecs[method]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    blob = comp(data)
    row["compress_s"] = time.perf_counter() - wall0
    row["compress_cpu_s"] = time.process_time() - cpu0
    if method.startswith("predcomp gpt-"):
        from predcomp.models import neural

        m = neural.last_predictor()
        assert m is not None and len(m.costs) == len(data)
        costs = list(m.costs)
        header, payload = unpack(blob)
        extra = {
            "payload_bytes": len(payload),
            "header_bytes": len(blob) - len(payload),
            "model_log_loss_bits": sum(costs),
            "trained_steps": m.trained_steps,
            "params": header.params,
        }
        if spec.get("curve"):
            # [bytes seen, running bits/char, bits/char of the last stretch]
            marks = [*range(CURVE_EVERY, len(data), CURVE_EVERY), len(data)]
            extra["curve"] = [
                [k, sum(costs[:k]) / k, sum(costs[j:k]) / (k - j)]
                for j, k in zip([0, *marks], marks, strict=False)
            ]
        del m
    elif method.startswith("predcomp cm+gpt-"):
        header, payload = unpack(blob)
        extra = {"payload_bytes": len(payload), "header_bytes": len(blob) - len(payload)}
    if spec.get("verify", True):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if decomp(blob) != data:
            raise RuntimeError(f"{method} did not reproduce {spec['corpus']}")
        row["decompress_s"] = time.perf_counter() - wall0
        row["decompress_cpu_s"] = time.process_time() - cpu0
    row.update(
        bytes=len(blob),
        bpc=8 * len(blob) / len(data),
        peak_mib=_peak_kib() / 1024,  # the whole process: Python, libraries, the method
        **extra,
    )
    return row


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`worker` in a fresh Python process."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{out.stderr[-3000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  {spec}: {row.get('bpc', row.get('heldout_bpc_batched'))}", flush=True)
    return row


# --------------------------------------------------------------------------- report


def best_ppmd(corpus_name: str, limit: int) -> int:
    """The PPMd order that compresses this corpus best (the package's sweep, in-process)."""
    from predcomp.baselines import ppmd_best_order

    return ppmd_best_order(corpus(corpus_name, limit))[0]


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# A Transformer as a compressor, side by side",
        "",
        f"Generated by `bench/neural_compress.py` on {result['machine']}, torch "
        f"{result['torch']}, {result['threads']} thread(s), load average before "
        f"{result['loadavg_before'][0]:.1f}. Times are wall-clock seconds on a shared machine.",
        "",
    ]
    for r in result.get("reruns", []):
        lines += [
            f"Re-measured on {r['date']} (load average {r['loadavg_before'][0]:.1f}): "
            + ", ".join(f"`{m}`" for m in r["methods"]),
            "",
        ]
    static = result["static"][STATIC]
    for name in result["corpora"]:
        rows = [r for r in result["rows"] if r["corpus"] == name and "bpc" in r]
        n = rows[0]["n"]
        lines += [
            f"## {name} ({n:,} bytes)",
            "",
            "| method | bytes | bits/char | with model counted | compress (s) | KB/s "
            "| decompress (s) | peak RSS of the process (MiB) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in sorted(rows, key=lambda r: r["bpc"]):
            counted = ""
            if r["method"].endswith("gpt-static"):
                counted = f"{8 * (r['bytes'] + static['compressed_bytes']) / n:.3f}"
            dec = r.get("decompress_s")
            lines.append(
                f"| {r['method']} | {r['bytes']:,} | {r['bpc']:.3f} | {counted} "
                f"| {r['compress_s']:.1f} | {n / 1000 / r['compress_s']:.1f} "
                f"| {'' if dec is None else f'{dec:.1f}'} | {r['peak_mib']:.0f} |"
            )
        lines.append("")
        for r in rows:
            if r["method"].startswith("predcomp gpt-"):
                ideal = r["model_log_loss_bits"] / 8
                lines.append(
                    f"* {r['method']}: payload {r['payload_bytes']:,} bytes, the model's own log "
                    f"loss {ideal:,.1f} bytes (payload / log loss - 1 = "
                    f"{r['payload_bytes'] / ideal - 1:+.4%}), {r['trained_steps']} online steps."
                )
        lines.append("")
    lines += [
        "## Static model size against held-out bits per char",
        "",
        "Byte-level GPTs trained on tinyshakespeare's training split, scored in one batched "
        "pass on its held-out split (consecutive windows).",
        "",
        "| size | parameters | fp32 bytes | fp16 bytes | int8 bytes | fp16 + xz bytes "
        "| training steps | held-out bits/char |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, s in result["static"].items():
        lines.append(
            f"| {size} | {s['params']:,} | {s['fp32_bytes']:,} | {s['fp16_bytes']:,} "
            f"| {s['int8_bytes']:,} | {s['compressed_bytes']:,} | {s['train_steps']:,} "
            f"| {s['heldout_bpc_batched']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def rerun(prefixes: list[str], specs: list[dict[str, Any]], stem: str, jobs: int) -> None:
    """Re-measure the methods named by ``prefixes`` and replace their rows in ``stem``.json."""
    path = RESULTS / f"{stem}.json"
    result = json.loads(path.read_text())
    specs = [s for s in specs if s["method"].startswith(tuple(prefixes))]
    if not specs or any(s["method"] == "predcomp gpt-static" for s in specs):
        raise SystemExit("--only: name methods measured without training (not gpt-static)")
    missing = [s["checkpoint"] for s in specs if not Path(s.get("checkpoint", ".")).exists()]
    if missing:
        raise SystemExit(f"--only: train the static model first (no {missing[0]})")
    load = os.getloadavg()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        new = list(pool.map(run_worker, specs))
    for row in new:
        row["measured"] = TODAY
    kept = [
        r
        for r in result["rows"]
        if not (r["method"].startswith(tuple(prefixes)) and r["corpus"] in result["corpora"])
    ]
    result["rows"] = kept + new
    result.setdefault("reruns", []).append(
        {"methods": prefixes, "date": TODAY, "loadavg_before": load}
    )
    path.write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(result))
    print(markdown(result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="methods measured at the same time")
    ap.add_argument("--quick", action="store_true", help="8 KB slices, a few training steps")
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="METHOD",
        help="re-measure only the methods whose names start with these (e.g. 'predcomp cm' "
        "ppmd; 'predcomp cm' includes the cm+gpt rows) and keep the other rows of the "
        "results file, each row dated",
    )
    args = ap.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        if "train" in spec:
            print(json.dumps(train_static(spec["train"], spec["quick"], spec["threads"])))
        else:
            print(json.dumps(worker(spec)))
        return
    import torch

    limit = 8192 if args.quick else 0
    corpora = ["asyoulik", "tinyshakespeare-heldout"]
    load = os.getloadavg()
    wall0 = time.perf_counter()
    static: dict[str, Any] = {}
    static_specs: list[dict[str, Any]] = []
    specs: list[dict[str, Any]] = []
    for name in corpora:
        base = {"corpus": name, "limit": limit, "threads": args.threads}
        specs.append({**base, "method": "predcomp gpt-online", "curve": True})
        static_specs.append(
            {
                **base,
                "method": "predcomp gpt-static",
                "checkpoint": str(checkpoint_path(STATIC, args.quick)),
            }
        )
        specs.append({**base, "method": "predcomp cm"})
        specs.append({**base, "method": "predcomp cm+gpt-online"})
        static_specs.append(
            {
                **base,
                "method": "predcomp cm+gpt-static",
                "checkpoint": str(checkpoint_path(STATIC, args.quick)),
            }
        )
        best = best_ppmd(name, limit)
        specs.append({**base, "method": "ppmd -o6", "order": 6})
        if best != 6:
            specs.append({**base, "method": f"ppmd -o{best} (best)", "order": best})
        for codec in ("xz -9e", "bzip2 -9", "gzip -9", "zstd -19", "brotli -11"):
            specs.append({**base, "method": codec})

    stem = "neural_compress-quick" if args.quick else "neural_compress"
    if args.only:
        rerun(args.only, specs + static_specs, stem, args.jobs)
        return

    def train(size: str) -> None:
        spec = {"train": size, "quick": args.quick, "threads": args.threads}
        static[size] = run_worker(spec)

    def main_static() -> list[dict[str, Any]]:
        train(STATIC)  # the static measurements need its checkpoint
        return [run_worker(spec) for spec in static_specs]

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        first = pool.submit(main_static)
        others = [pool.submit(train, size) for size in SIZES if size != STATIC]
        rows = list(pool.map(run_worker, specs)) + first.result()
        for job in others:
            job.result()
    static = {size: static[size] for size in SIZES}
    result = {
        "corpora": corpora,
        "rows": rows,
        "static": static,
        "static_main": STATIC,
        "train": QUICK_TRAIN if args.quick else TRAIN,
        "quick": args.quick,
        "threads": args.threads,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_count": os.cpu_count(),
        "loadavg_before": load,
        "loadavg_after": os.getloadavg(),
        "total_wall_s": time.perf_counter() - wall0,
    }
    for row in rows:
        row["measured"] = TODAY
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
