"""The command line: round trips, '-' for stdin/stdout, and every kind of bad input."""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys

import pytest

resource = pytest.importorskip("resource")  # POSIX

from predcomp.__main__ import main  # noqa: E402
from predcomp.compress import compress  # noqa: E402

TEXT = b"It is a truth universally acknowledged, that a single man in possession... " * 8


def run(*args: str, stdin: bytes = b"", **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "predcomp", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        **kwargs,
    )


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(TEXT)
    return path


def one_line_error(err: str, start: str = "predcomp: error:") -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), err
    assert "Traceback" not in err and "\x1b" not in err


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
    one_line_error(capsys.readouterr().err)


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
    for name in ("uniform", "order0", "context", "ppm", "mix", "cm", "cm-max"):
        assert any(line.startswith(name + " ") for line in out.splitlines())
    assert "(default)" in out
    cm_max = next(line for line in out.splitlines() if line.startswith("cm-max "))
    assert 0 < float(cm_max.split()[1]) <= 1024  # MiB: the strongest level stays under 1 GiB


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


# --------------------------------------------- what a new user and an attacker tried (issue)


def forged(tmp_path, model: str, params: dict, payload: bytes, length: int, **kw) -> str:
    from test_compress import forge

    path = tmp_path / "forged.pc"
    path.write_bytes(forge(model, params, payload, length, **kw))
    return str(path)


@pytest.mark.parametrize("model", ["ppm", "order0", "mix", "cm"])
@pytest.mark.parametrize("key", ["model", "name", "data", "input_length", "progress"])
def test_a_parameter_named_like_an_argument_is_one_line(src, tmp_path, capsys, model, key):
    out = tmp_path / "o.pc"
    args = ["compress", "--model", model, "--param", f"{key}=x", str(src), str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    one_line_error(err)
    assert "reserved" in err and not out.exists()


@pytest.mark.parametrize(
    ("model", "params", "length", "status", "message"),
    [
        ("ppm", {"name": "x"}, 10, 1, "reserved"),
        ("ppm", {"order": [[[[[[[[[[1]]]]]]]]]]}, 10, 1, "nest"),
        ("ppm", {}, 2**63 + 1, 1, "can hold"),
        ("mix", {"models": [["cm", {}]] * 16}, 10**5, 1, "predicts bits"),
        ("mix", {"models": [["cm", {"table_bits": 24}]]}, 10**5, 1, "predicts bits"),
        ("mix", {"models": [["context", {"alphabet_size": 65536}]] * 4}, 10**5, 1, "256"),
        ("ppm", {"see": False}, 10**9, 1, "can hold"),
        ("cm", {"table_bits": 24}, 1000, 3, "--max-memory"),
    ],
    ids=["name", "deep", "huge-length", "mix-16-cm", "mix-cm", "alphabet", "ppm-hours", "memory"],
)
def test_forged_headers_end_in_one_line_in_bounded_time_and_memory(
    tmp_path, model, params, length, status, message
):
    path = forged(tmp_path, model, params, bytes(400), length)
    limits = ["--max-memory", "32M"] if status == 3 else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run("decompress", *limits, path, str(tmp_path / "out"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == status
    one_line_error(result.stderr.decode())
    assert message in result.stderr.decode()
    assert not (tmp_path / "out").exists()
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert cpu < 30
    # the largest child so far (this one included) stayed under 1 GiB (ru_maxrss: KiB on Linux)
    assert after.ru_maxrss * (1 if sys.platform == "darwin" else 1024) < 1 << 30


def test_the_deepest_json_cannot_crash_the_parser(tmp_path):
    import struct
    import zlib

    pj = ('{"a":' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    head = b"PCMP\x01\x03ppm" + struct.pack(">I", len(pj)) + pj + struct.pack(">QIQ", 1, 0, 1)
    bad = tmp_path / "deep.pc"
    bad.write_bytes(head + struct.pack(">I", zlib.crc32(head)) + b"\0")
    result = run("decompress", str(bad), str(tmp_path / "out"))
    assert result.returncode == 1
    one_line_error(result.stderr.decode())


def test_terminal_escapes_from_a_file_are_not_printed(tmp_path):
    for path in (
        forged(tmp_path, "ppm", {}, bytes(8), 10, version="\x1b]0;owned\x07\x1b[2J"),
        forged(tmp_path, "ppm", {"\x1b[31mred": 1, "\u202eevil": 2}, bytes(8), 10),
    ):
        result = run("decompress", path, str(tmp_path / "out"))
        err = result.stderr.decode()
        assert result.returncode == 1 and "\x1b" not in err and "\u202e" not in err
        one_line_error(err)
        assert "\\x1b" in err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="closes a file descriptor in the child")
def test_closed_stdin_or_stdout(src, tmp_path):
    result = run("compress", str(src), "-", preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    one_line_error(result.stderr.decode())
    assert "standard output is closed" in result.stderr.decode()
    result = subprocess.run(
        [sys.executable, "-m", "predcomp", "compress", "-", str(tmp_path / "o.pc")],
        stdin=None,
        capture_output=True,
        preexec_fn=lambda: os.close(0),
        timeout=120,
    )
    assert result.returncode == 1 and "standard input is closed" in result.stderr.decode()
    one_line_error(result.stderr.decode())
    assert not (tmp_path / "o.pc").exists()


def test_a_reader_that_goes_away_is_one_line(tmp_path):
    blob = compress(TEXT, "order0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "predcomp", "decompress", "-", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the output comes (`| head -c0`)
    proc.stdin.write(blob)
    proc.stdin.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    one_line_error(err)
    assert "broken pipe" in err


def test_no_warning_lines_from_numerical_trouble(src, tmp_path):
    result = run("compress", "--model", "mix", "--param", "lr=1e308", str(src), str(tmp_path / "o"))
    assert result.returncode == 1
    one_line_error(result.stderr.decode())
    assert "Warning" not in result.stderr.decode()


def test_an_internal_error_is_one_line_asking_for_a_report(src, tmp_path, capsys, monkeypatch):
    import numpy as np
    import predcomp.compress

    def overflow(*args, **kwargs):
        return np.float64(1e308) * 10  # a RuntimeWarning: a bug, not bad input

    monkeypatch.setattr(predcomp.compress, "compress", overflow)
    assert main(["compress", "--model", "ppm", str(src), str(tmp_path / "o")]) == 70
    err = capsys.readouterr().err
    one_line_error(err, start="predcomp: internal error:")
    assert "report" in err and "--debug" in err

    def bug(*args, **kwargs):
        raise TypeError("oops")

    monkeypatch.setattr(predcomp.compress, "compress", bug)
    assert main(["compress", str(src), str(tmp_path / "o")]) == 70
    with pytest.raises(TypeError, match="oops"):
        main(["--debug", "compress", str(src), str(tmp_path / "o")])
    monkeypatch.setenv("PREDCOMP_DEBUG", "1")
    with pytest.raises(TypeError, match="oops"):
        main(["compress", str(src), str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_usage_errors_are_one_line_with_status_2(src, tmp_path):
    for args in (["compress", "--bogus", str(src), "o"], ["nonesuch"], ["compress", str(src)]):
        result = run(*args)
        assert result.returncode == 2
        one_line_error(result.stderr.decode())
    result = run("decompress", "--max-size", "lots", str(src), str(tmp_path / "o"))
    assert result.returncode == 2 and "512M" in result.stderr.decode()


def test_limits_exit_with_status_3(src, tmp_path, capsys):
    assert main(["compress", "--max-size", "100", str(src), str(tmp_path / "o")]) == 3
    assert "--max-size" in capsys.readouterr().err
    packed = tmp_path / "p.pc"
    assert main(["compress", "--model", "ppm", str(src), str(packed)]) == 0
    assert main(["decompress", "--max-size", "100", str(packed), str(tmp_path / "o")]) == 3
    one_line_error(capsys.readouterr().err)
    assert main(["decompress", "--max-size", "1M", str(packed), str(tmp_path / "o")]) == 0
    assert (tmp_path / "o").read_bytes() == TEXT


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_force_never_replaces_a_device_fifo_symlink_or_directory(src, tmp_path, capsys):
    before = os.stat("/dev/null")
    assert main(["compress", "--force", str(src), "/dev/null"]) == 1
    assert "device" in capsys.readouterr().err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    link = tmp_path / "link"
    (tmp_path / "target").write_bytes(b"keep")
    link.symlink_to(tmp_path / "target")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target, kind in ((link, "symbolic link"), (fifo, "FIFO"), (tmp_path, "directory")):
        assert main(["compress", "--force", str(src), str(target)]) == 1
        err = capsys.readouterr().err
        one_line_error(err)
        assert kind in err
    assert link.is_symlink() and (tmp_path / "target").read_bytes() == b"keep"
    assert src.read_bytes() == TEXT and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_bench_json_follows_the_no_overwrite_rule(src, tmp_path, capsys):
    report = tmp_path / "bench.json"
    report.write_text("precious")
    assert main(["bench", "--model", "order0", "--json", str(report), str(src)]) == 1
    assert "--force" in capsys.readouterr().err and report.read_text() == "precious"
    assert main(["bench", "--model", "order0", "--force", "--json", str(src), str(src)]) == 1
    assert "input" in capsys.readouterr().err and src.read_bytes() == TEXT
    assert main(["bench", "--model", "order0", "--force", "--json", str(report), str(src)]) == 0
    assert json.loads(report.read_text())[0]["method"] == "predcomp order0"


def test_memory_that_grows_with_the_data_is_bounded_too(tmp_path):
    # An order-64 context model allocates a 2 KB count array for every new context: random
    # bytes make one per byte, about 40 MB for these 20,000, which no header field states.
    # (In fresh processes: a process that freed memory before reuses it without growing.)
    src = tmp_path / "random.bin"
    src.write_bytes(random.Random(0).randbytes(20_000))
    packed, out = tmp_path / "r.pc", tmp_path / "r.out"
    args = ["--model", "context", "--param", "order=64", str(src), str(packed)]
    result = run("compress", "--max-memory", "8M", *args)
    assert result.returncode == 3 and "grew" in result.stderr.decode()
    one_line_error(result.stderr.decode())
    assert run("compress", *args).returncode == 0
    result = run("decompress", "--max-memory", "8M", str(packed), str(out))
    assert result.returncode == 3 and "grew" in result.stderr.decode() and not out.exists()
    assert run("decompress", str(packed), str(out)).returncode == 0
    assert out.read_bytes() == src.read_bytes()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_compressed_data_is_not_written_to_a_terminal(src):
    leader, follower = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "predcomp", "compress", str(src), "-"],
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 1 and "terminal" in result.stderr.decode()
    one_line_error(result.stderr.decode())


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_endless_input_is_refused_at_the_size_limit(tmp_path, capsys):
    out = tmp_path / "o.pc"
    assert main(["compress", "--max-size", "3M", "/dev/zero", str(out)]) == 3
    assert "--max-size" in capsys.readouterr().err and not out.exists()
    result = run("decompress", "--max-size", "1M", "-", "-", stdin=b"PCMP" + bytes(3 << 20))
    assert result.returncode == 3
    one_line_error(result.stderr.decode())


def test_a_library_deprecation_warning_is_not_printed(src, tmp_path, capsys, monkeypatch):
    import warnings

    import predcomp.compress

    real = predcomp.compress.compress

    def deprecated(*args, **kwargs):
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(predcomp.compress, "compress", deprecated)
    assert main(["compress", "--model", "order0", str(src), str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err == ""
