"""The standard compressors our models are measured against, and the side-by-side benchmark.

gzip, bzip2 and xz come with Python; zstd and brotli run when their packages are installed.
PPMd (variant H, Shkarin's PPMII as 7-Zip implements it) runs through ``pyppmd``, a Python
binding of 7-Zip's PPMd code, so it is measured wherever the package installs, with or without
7-Zip (on Colab, for instance). It is reported twice: with 7-Zip's defaults (order 6, 16 MB)
and at its best order for the data (:data:`PPMD_ORDERS`), the strongest PPMd a user could
choose. When a 7-Zip executable is on the ``PATH``, :func:`ppmd_7z_compress` runs the same
algorithm through it, which is how the tests check that the two agree.

:func:`benchmark` compresses one input with our models and with these, checks every round
trip, and reports sizes, bits per character, speeds (MB/s) and each method's time as a
multiple of PPMd's.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "BASELINES",
    "PPMD",
    "PPMD_BEST",
    "PPMD_DEFAULT_MEMORY_MB",
    "PPMD_DEFAULT_ORDER",
    "PPMD_HEADER_BYTES",
    "PPMD_ORDERS",
    "Codec",
    "add_speeds",
    "baselines",
    "benchmark",
    "find_7z",
    "format_table",
    "ppmd_7z_compress",
    "ppmd_7z_decompress",
    "ppmd_best_order",
    "ppmd_codec",
    "ppmd_compress",
    "ppmd_decompress",
    "standard_codecs",
]

#: 7-Zip's default PPMd order and memory (``7z a -m0=PPMd``)
PPMD_DEFAULT_ORDER = 6
PPMD_DEFAULT_MEMORY_MB = 16
#: the orders tried for PPMd's best order
PPMD_ORDERS = range(4, 17)
#: the method names of PPMd with 7-Zip's defaults and at its best order
PPMD = "PPMd (order 6)"
PPMD_BEST = "PPMd (best order)"
#: what :func:`ppmd_compress` adds to PPMd's payload: order (1 byte), memory (4), length (8),
#: like the coder properties and size a ``.7z`` archive stores (which adds ~110 bytes more)
PPMD_HEADER_BYTES = 13
_PPMD_HEADER = struct.Struct("<BIQ")
#: the largest memory and length :func:`ppmd_decompress` accepts from a header (1 GiB each)
_PPMD_MAX_MEMORY = 1 << 30
_PPMD_MAX_LENGTH = 1 << 30

#: a standard compressor: name, compress function, decompress function
Codec = tuple[str, Callable[[bytes], bytes], Callable[[bytes], bytes]]


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


# -------------------------------------------------------------------------- PPMd


def _check_ppmd(order: int, memory_mb: int) -> None:
    if isinstance(order, bool) or not isinstance(order, int) or not 2 <= order <= 64:
        raise ValueError(f"a PPMd order is an integer in 2..64, got {order!r}")
    limit = _PPMD_MAX_MEMORY >> 20
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or not 1 <= memory_mb <= limit:
        raise ValueError(f"PPMd's memory is 1..{limit} MB, got {memory_mb!r}")


def ppmd_compress(
    data: bytes, order: int = PPMD_DEFAULT_ORDER, memory_mb: int = PPMD_DEFAULT_MEMORY_MB
) -> bytes:
    """PPMd variant H (``pyppmd``): a :data:`PPMD_HEADER_BYTES`-byte header, then the payload.

    The header records what the decoder needs and PPMd's stream does not hold: the order, the
    memory and the length (PPMd's stream has no end mark).
    """
    import pyppmd

    data = _as_bytes(data)
    _check_ppmd(order, memory_mb)
    encoder = pyppmd.Ppmd7Encoder(order, memory_mb << 20)
    payload = encoder.encode(data) + encoder.flush()
    return _PPMD_HEADER.pack(order, memory_mb << 20, len(data)) + payload


def ppmd_decompress(blob: bytes) -> bytes:
    """Invert :func:`ppmd_compress`; a header out of bounds raises :class:`ValueError`."""
    import pyppmd

    blob = _as_bytes(blob)
    if len(blob) < PPMD_HEADER_BYTES:
        raise ValueError("not PPMd data: shorter than its header")
    order, memory, length = _PPMD_HEADER.unpack_from(blob)
    if not 2 <= order <= 64 or not 1 << 20 <= memory <= _PPMD_MAX_MEMORY or memory & 0xFFFFF:
        raise ValueError("not PPMd data: its order or memory is out of range")
    if length > _PPMD_MAX_LENGTH:
        raise ValueError(f"the PPMd header claims {length:,} bytes, more than 1 GiB")
    out = pyppmd.Ppmd7Decoder(order, memory).decode(blob[PPMD_HEADER_BYTES:], length)
    if len(out) != length:
        raise ValueError("the PPMd data ended early: it is truncated or corrupted")
    return out


def ppmd_best_order(
    data: bytes, orders: Iterable[int] = PPMD_ORDERS, memory_mb: int = PPMD_DEFAULT_MEMORY_MB
) -> tuple[int, int]:
    """``(order, size)``: the order among ``orders`` whose :func:`ppmd_compress` is smallest.

    Ties go to the lowest order (the faster one).
    """
    sizes = {k: len(ppmd_compress(data, k, memory_mb)) for k in orders}
    if not sizes:
        raise ValueError("no PPMd order to try")
    best = min(sizes, key=lambda k: (sizes[k], k))
    return best, sizes[best]


def ppmd_codec(
    order: int = PPMD_DEFAULT_ORDER, memory_mb: int = PPMD_DEFAULT_MEMORY_MB, name: str = PPMD
) -> Codec:
    """PPMd at ``order`` as a :data:`Codec`."""
    _check_ppmd(order, memory_mb)
    return name, lambda d: ppmd_compress(d, order, memory_mb), ppmd_decompress


# -------------------------------------------------------------------------- 7-Zip


def find_7z() -> str | None:
    """Path of a 7-Zip executable (``7z``, ``7za`` or ``7zz``), or ``None``."""
    for name in ("7z", "7za", "7zz"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run_7z(args: list[str]) -> None:
    exe = find_7z()
    if exe is None:
        raise FileNotFoundError("7-Zip is not installed (Debian package 7zip or p7zip-full)")
    subprocess.run([exe, *args], check=True, capture_output=True)


def ppmd_7z_compress(
    data: bytes, order: int = PPMD_DEFAULT_ORDER, memory_mb: int = PPMD_DEFAULT_MEMORY_MB
) -> bytes:
    """7-Zip's PPMd (variant H; 7-Zip's defaults: order 6, 16 MB): the ``.7z`` archive's bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "data"), os.path.join(tmp, "data.7z")
        with open(src, "wb") as f:
            f.write(data)
        _run_7z(["a", "-t7z", f"-m0=PPMd:o={order}:mem={memory_mb}m", "-bd", "-y", dst, src])
        with open(dst, "rb") as f:
            return f.read()


def ppmd_7z_decompress(blob: bytes) -> bytes:
    """Extract the one file of a ``.7z`` archive made by :func:`ppmd_7z_compress`."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "data.7z"), os.path.join(tmp, "out")
        with open(src, "wb") as f:
            f.write(blob)
        _run_7z(["x", "-bd", "-y", f"-o{out}", src])
        with open(os.path.join(out, "data"), "rb") as f:
            return f.read()


# -------------------------------------------------------------------------- the standard tools


def standard_codecs() -> list[Codec]:
    """The standard compressors available here, in the order of :data:`BASELINES`.

    PPMd at its best order depends on the data, so it is not here: see :func:`benchmark`.
    """
    codecs: list[Codec] = [
        ("gzip -9", lambda d: gzip.compress(d, 9, mtime=0), gzip.decompress),
        ("bzip2 -9", lambda d: bz2.compress(d, 9), bz2.decompress),
        ("xz -9e", lambda d: lzma.compress(d, preset=9 | lzma.PRESET_EXTREME), lzma.decompress),
    ]
    try:
        import zstandard

        codecs.append(
            (
                "zstd -19",
                zstandard.ZstdCompressor(level=19).compress,
                zstandard.ZstdDecompressor().decompress,
            )
        )
    except ImportError:
        pass
    try:
        import brotli

        codecs.append(("brotli -11", lambda d: brotli.compress(d, quality=11), brotli.decompress))
    except ImportError:
        pass
    codecs.append(ppmd_codec())
    return codecs


#: names of the standard compressors :func:`benchmark` may run, in order
BASELINES = ("gzip -9", "bzip2 -9", "xz -9e", "zstd -19", "brotli -11", PPMD, PPMD_BEST)


def baselines(data: bytes) -> dict[str, int]:
    """Compressed size in bytes of ``data`` under each standard compressor that is available.

    gzip, bzip2, xz and PPMd always; zstd and brotli when the ``zstandard`` or ``brotli``
    package is installed (missing ones are left out; see :func:`standard_codecs`), and PPMd at
    its best order. Sizes include each format's own header.
    """
    data = _as_bytes(data)
    sizes = {name: len(comp(data)) for name, comp, _ in standard_codecs()}
    sizes[PPMD_BEST] = ppmd_best_order(data)[1]
    return sizes


# -------------------------------------------------------------------------- side by side


def _mb_per_s(n: int, seconds: float | None) -> float | None:
    """Megabytes (10**6 bytes) of input per second; a time too short to measure counts as 1 us."""
    return None if seconds is None else n / 1e6 / max(seconds, 1e-6)


def benchmark(
    data: bytes, models: Iterable[str] | None = None, verify: bool = True
) -> list[dict[str, Any]]:
    """Compress ``data`` with our ``models`` (default: the best one) and the standard tools.

    One row per method: ``method``, compressed ``bytes``, ``bpc`` (bits per input byte, which
    is bits per character for ASCII text), ``compress_s`` and ``decompress_s`` (wall-clock
    seconds; ``decompress_s`` is ``None`` when ``verify`` is off), the speeds
    ``compress_mb_s`` and ``decompress_mb_s`` (MB of input per second), and
    ``compress_x_ppmd`` and ``decompress_x_ppmd``, each time divided by PPMd's with 7-Zip's
    defaults. PPMd's best-order row has its ``order`` (the search is not timed). Every
    decompression is checked against the input.
    """
    from predcomp.compress import compress, decompress
    from predcomp.models.registry import DEFAULT_MODEL

    data = _as_bytes(data)
    if not data:
        raise ValueError("cannot measure bits per character of empty data")
    codecs: list[Codec] = [
        (f"predcomp {name}", lambda d, n=name: compress(d, n), decompress)
        for name in (models or [DEFAULT_MODEL])
    ]
    best, _ = ppmd_best_order(data)
    codecs += [*standard_codecs(), ppmd_codec(best, name=PPMD_BEST)]
    rows = []
    for name, comp, decomp in codecs:
        start = time.perf_counter()
        blob = comp(data)
        seconds = time.perf_counter() - start
        row: dict[str, Any] = {
            "method": name,
            "bytes": len(blob),
            "bpc": 8 * len(blob) / len(data),
            "compress_s": seconds,
            "decompress_s": None,
        }
        if name == PPMD_BEST:
            row["order"] = best
        if verify:
            start = time.perf_counter()
            if decomp(blob) != data:
                raise RuntimeError(f"{name} did not reproduce its input")
            row["decompress_s"] = time.perf_counter() - start
        rows.append(row)
    add_speeds(rows, len(data))
    return rows


def add_speeds(rows: list[dict[str, Any]], n: int) -> None:
    """Add to each row its speeds in MB/s and its times as multiples of PPMd's (in place)."""
    ppmd = next((r for r in rows if r["method"] == PPMD), None)
    for r in rows:
        for step in ("compress", "decompress"):
            seconds = r.get(f"{step}_s")
            r[f"{step}_mb_s"] = _mb_per_s(n, seconds)
            base = None if ppmd is None else ppmd.get(f"{step}_s")
            r[f"{step}_x_ppmd"] = None if seconds is None or not base else seconds / base


def format_table(rows: list[dict[str, Any]], title: str = "") -> str:
    """The rows of :func:`benchmark` as a fixed-width text table, best first."""

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    lines = [title] if title else []
    lines.append(
        f"{'method':<22} {'bytes':>10} {'bits/char':>9} {'comp MB/s':>9} {'dec MB/s':>9} "
        f"{'comp xPPMd':>10} {'dec xPPMd':>10}"
    )
    for r in sorted(rows, key=lambda r: r["bpc"]):
        method = f"PPMd (best: order {r['order']})" if "order" in r else r["method"]
        speeds = [num(r.get(f"{s}_mb_s"), ".3g") for s in ("compress", "decompress")]
        ratios = [num(r.get(f"{s}_x_ppmd"), ".3g") for s in ("compress", "decompress")]
        lines.append(
            f"{method:<22} {r['bytes']:>10,} {r['bpc']:>9.3f} {speeds[0]:>9} {speeds[1]:>9} "
            f"{ratios[0]:>10} {ratios[1]:>10}"
        )
    return "\n".join(lines)
