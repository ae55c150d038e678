"""The command line: round trips, '-' for stdin/stdout, and every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from predcomp.__main__ import main
from predcomp.compress import compress

TEXT = b"It is a truth universally acknowledged, that a single man in possession... " * 8


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "predcomp", *args], input=stdin, capture_output=True, timeout=120
    )


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(TEXT)
    return path


def one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("predcomp: error:"), err
    assert "Traceback" not in err


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".predcomp-"))


def test_round_trip_files(src, tmp_path, capsys):
    packed, out = tmp_path / "in.pc", tmp_path / "out.txt"
    assert main(["compress", "--model", "ppm", str(src), str(packed)]) == 0
    assert main(["decompress", str(packed), str(out)]) == 0
    assert out.read_bytes() == TEXT
    assert len(packed.read_bytes()) < len(TEXT) / 2


def test_decoding_in_a_separate_process_and_stdin_stdout(src):
    # Compress here, decompress in a fresh interpreter: the two sides must agree bit for bit.
    blob = compress(TEXT, "ppm")
    result = run("decompress", "-", "-", stdin=blob)
    assert result.returncode == 0, result.stderr
    assert result.stdout == TEXT
    result = run("compress", "--model", "order0", "-", "-", stdin=TEXT)
    assert result.returncode == 0 and result.stdout[:4] == b"PCMP"


def test_params(src, tmp_path):
    packed = tmp_path / "p.pc"
    assert main(["compress", "--model", "ppm", "--param", "order=2", str(src), str(packed)]) == 0
    assert b'"order":2' in packed.read_bytes()
    assert main(["compress", "--param", "order", str(src), str(tmp_path / "q.pc")]) == 1


def test_missing_input(tmp_path, capsys):
    assert main(["compress", str(tmp_path / "nope.txt"), str(tmp_path / "o.pc")]) == 1
    one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "o.pc").exists()
    assert main(["decompress", str(tmp_path / "nope.pc"), str(tmp_path / "o.txt")]) == 1
    assert not (tmp_path / "o.txt").exists()


def test_existing_output_needs_force(src, tmp_path, capsys):
    out = tmp_path / "out.pc"
    out.write_bytes(b"precious")
    assert main(["compress", str(src), str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert main(["compress", "--force", str(src), str(out)]) == 0
    assert out.read_bytes()[:4] == b"PCMP"


def test_same_file_for_input_and_output(src, capsys):
    assert main(["compress", "--force", str(src), str(src)]) == 1
    assert src.read_bytes() == TEXT


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:-2] + bytes([b[-2] ^ 0xFF, b[-1]]),  # payload bit flips
        lambda b: b[:12] + bytes([b[12] ^ 1]) + b[13:],  # header damaged
        lambda b: b"%PDF-1.7 definitely not a predcomp file",  # foreign
        lambda b: b"",  # empty
    ],
    ids=["truncated", "payload", "header", "foreign", "empty"],
)
def test_bad_containers(src, tmp_path, capsys, damage):
    bad = tmp_path / "bad.pc"
    bad.write_bytes(damage(compress(TEXT, "ppm")))
    out = tmp_path / "out.txt"
    assert main(["decompress", str(bad), str(out)]) == 1
    one_line_error(capsys.readouterr().err)
    assert not out.exists() and leftovers(tmp_path) == []


def test_unknown_model(src, tmp_path, capsys):
    assert main(["compress", "--model", "nonesuch", str(src), str(tmp_path / "o.pc")]) == 1
    err = capsys.readouterr().err
    one_line_error(err)
    assert "nonesuch" in err and not (tmp_path / "o.pc").exists()


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.pc"
    bad.write_bytes(b"PCMP\x09garbage")
    result = run("decompress", str(bad), str(tmp_path / "o"))
    assert result.returncode != 0
    one_line_error(result.stderr.decode())
    assert os.listdir(tmp_path) == ["bad.pc"]


def test_models_lists_every_model(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("uniform", "order0", "context", "ppm", "mix"):
        assert any(line.startswith(name + " ") for line in out.splitlines())
    assert "(default)" in out


def test_bench_writes_json(src, tmp_path, capsys):
    report = tmp_path / "bench.json"
    assert main(["bench", "--model", "order0", "--json", str(report), str(src)]) == 0
    out = capsys.readouterr().out
    assert "gzip -9" in out and "predcomp order0" in out and "bits/char" in out
    rows = json.loads(report.read_text())
    assert {r["method"] for r in rows} >= {"predcomp order0", "gzip -9", "bzip2 -9", "xz -9e"}
    assert all(r["file"] == "in.txt" for r in rows)
    assert main(["bench", str(tmp_path / "missing.txt")]) == 1


def test_progress_bar_for_large_inputs(src, tmp_path, capsys, monkeypatch):
    import predcomp.compress

    monkeypatch.setattr(predcomp.compress, "PROGRESS_THRESHOLD", 100)
    assert main(["compress", "--model", "order0", str(src), str(tmp_path / "o.pc")]) == 0
    assert "compress" in capsys.readouterr().err  # tqdm's bar, on stderr
    monkeypatch.setattr(predcomp.compress, "PROGRESS_THRESHOLD", 10**9)
    assert main(["decompress", str(tmp_path / "o.pc"), str(tmp_path / "o.txt")]) == 0
    assert capsys.readouterr().err == ""


def test_output_has_a_normal_file_mode(src, tmp_path):
    out = tmp_path / "o.pc"
    assert main(["compress", "--model", "uniform", str(src), str(out)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
