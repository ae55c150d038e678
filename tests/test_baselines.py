"""predcomp.baselines: the standard compressors, PPMd through pyppmd and 7-Zip, the benchmark."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from predcomp.baselines import (
    BASELINES,
    PPMD,
    PPMD_BEST,
    PPMD_HEADER_BYTES,
    PPMD_ORDERS,
    baselines,
    benchmark,
    find_7z,
    format_table,
    ppmd_7z_compress,
    ppmd_7z_decompress,
    ppmd_best_order,
    ppmd_compress,
    ppmd_decompress,
)

TEXT = b"to be or not to be, that is the question. " * 30


def test_baselines_match_the_standard_library():
    sizes = baselines(TEXT)
    assert sizes["gzip -9"] == len(gzip.compress(TEXT, 9, mtime=0))
    assert sizes["bzip2 -9"] == len(bz2.compress(TEXT, 9))
    assert sizes["xz -9e"] == len(lzma.compress(TEXT, preset=9 | lzma.PRESET_EXTREME))
    assert sizes[PPMD] == len(ppmd_compress(TEXT))
    assert sizes[PPMD_BEST] <= sizes[PPMD]  # order 6 is one of the orders tried
    assert set(sizes) <= set(BASELINES)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.integers(2, 16))
def test_ppmd_round_trips(data, order):
    blob = ppmd_compress(data, order, memory_mb=1)
    assert ppmd_decompress(blob) == data


def test_ppmd_best_order_is_the_smallest_of_the_orders_tried():
    order, size = ppmd_best_order(TEXT)
    assert order in PPMD_ORDERS
    assert size == min(len(ppmd_compress(TEXT, k)) for k in PPMD_ORDERS)
    assert ppmd_best_order(TEXT, orders=[5]) == (5, len(ppmd_compress(TEXT, 5)))
    with pytest.raises(ValueError):
        ppmd_best_order(TEXT, orders=[])


@pytest.mark.parametrize(("order", "memory_mb"), [(1, 16), (65, 16), (6, 0), (6, 4096), (True, 1)])
def test_ppmd_refuses_bad_settings(order, memory_mb):
    with pytest.raises(ValueError):
        ppmd_compress(b"abc", order, memory_mb)


def test_ppmd_refuses_bad_headers_in_one_line():
    blob = ppmd_compress(TEXT)
    with pytest.raises(ValueError, match="shorter than its header"):
        ppmd_decompress(blob[:5])
    forged = bytearray(blob)
    forged[0] = 99  # order
    with pytest.raises(ValueError, match="out of range"):
        ppmd_decompress(bytes(forged))
    forged = bytearray(blob)
    forged[5:13] = (1 << 40).to_bytes(8, "little")  # length
    with pytest.raises(ValueError, match="more than 1 GiB"):
        ppmd_decompress(bytes(forged))


def test_pyppmd_and_7zip_agree_on_the_size():
    """pyppmd is 7-Zip's PPMd: the same payload, only the container around it differs."""
    if find_7z() is None:
        pytest.skip("no 7-Zip executable (7z, 7za or 7zz) on PATH to compare pyppmd with")
    for data in (TEXT, bytes(range(256)) * 20):
        for order, memory_mb in ((6, 16), (10, 32)):
            archive = ppmd_7z_compress(data, order, memory_mb)
            assert ppmd_7z_decompress(archive) == data
            ours = len(ppmd_compress(data, order, memory_mb)) - PPMD_HEADER_BYTES
            # a .7z archive adds its signature header, a property block and the file's name:
            # about 110 bytes, never less than 32 and not more than 200
            assert 32 <= len(archive) - ours <= 200, (order, len(archive), ours)


def test_benchmark_rows_round_trip_and_format():
    data = b"abcabcabd" * 40
    rows = benchmark(data, models=["order0", "ppm"])
    names = [r["method"] for r in rows]
    assert names[:2] == ["predcomp order0", "predcomp ppm"] and "gzip -9" in names
    assert PPMD in names and PPMD_BEST in names
    ppmd = next(r for r in rows if r["method"] == PPMD)
    assert ppmd["compress_x_ppmd"] == pytest.approx(1.0)
    for r in rows:
        assert r["bpc"] == pytest.approx(8 * r["bytes"] / len(data))
        assert r["decompress_s"] is not None
        assert r["compress_mb_s"] == pytest.approx(len(data) / 1e6 / max(r["compress_s"], 1e-6))
        assert r["decompress_x_ppmd"] > 0
    assert next(r for r in rows if r["method"] == PPMD_BEST)["order"] in PPMD_ORDERS
    json.dumps(rows)
    table = format_table(rows, title="t")
    assert table.splitlines()[0] == "t" and "predcomp ppm" in table and "MB/s" in table
    with pytest.raises(ValueError):
        benchmark(b"")
