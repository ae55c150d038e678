"""Atomic writes: all or nothing, and never over anything but a regular file."""

from __future__ import annotations

import os
import stat

import pytest
from predcomp.fileio import check_writable, write_atomic


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".predcomp-"))


def test_new_file_with_a_normal_mode(tmp_path):
    out = tmp_path / "new.bin"
    write_atomic(out, b"data")
    assert out.read_bytes() == b"data"
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert leftovers(tmp_path) == []


def test_an_existing_regular_file_needs_overwrite(tmp_path):
    out = tmp_path / "old.bin"
    out.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="--force"):
        write_atomic(out, b"new")
    assert out.read_bytes() == b"precious"
    write_atomic(out, b"new", overwrite=True)
    assert out.read_bytes() == b"new"


def test_a_symlink_is_not_followed_or_replaced(tmp_path):
    target = tmp_path / "target.txt"
    target.write_bytes(b"keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(OSError, match="symbolic link"):
        write_atomic(link, b"new", overwrite=True)
    assert link.is_symlink() and target.read_bytes() == b"keep"
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_a_device_and_a_directory_are_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        write_atomic(fifo, b"x", overwrite=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if os.path.exists("/dev/null"):
        with pytest.raises(OSError, match="device"):
            check_writable("/dev/null", overwrite=True)
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path, b"x", overwrite=True)
    assert leftovers(tmp_path) == []


def test_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        write_atomic(tmp_path / "nope" / "x.bin", b"x")


def test_an_error_while_writing_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "x.bin"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(out, b"x" * 1000)
    assert not out.exists() and leftovers(tmp_path) == []
