"""Writing a file all at once, or not at all, and never over something that is not a file.

:func:`write_atomic` writes to a temporary file in the destination's folder and renames it
into place, so a reader never sees half a file and an error leaves nothing behind. It
replaces an existing destination only when asked to, and only if it is a *regular file*: a
directory, a symbolic link, a device (``/dev/null``), a FIFO or a socket is refused, because
renaming over it would replace the node itself (a device node would become a plain file) or
redirect the write somewhere the caller did not name. :func:`check_writable` is the same
test without writing, for a caller that wants to fail before doing long work.
"""

from __future__ import annotations

import os
import stat
import tempfile

__all__ = ["check_writable", "write_atomic"]


def _describe(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_writable(path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Raise an :class:`OSError` unless :func:`write_atomic` may write ``path``.

    ``path`` may be new (in an existing folder), or an existing regular file if
    ``overwrite``. The messages name the path and say what is wrong in one line.
    """
    name = os.fspath(path)
    try:
        mode = os.lstat(name).st_mode  # the link itself, not what it points to
    except FileNotFoundError:
        folder = os.path.dirname(os.path.abspath(name))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{name}: no such folder {folder}") from None
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{name}: is a directory")
    if not stat.S_ISREG(mode):
        raise OSError(f"{name}: is {_describe(mode)}; only a regular file can be replaced")
    if not overwrite:
        raise FileExistsError(f"{name}: already exists (use --force to overwrite it)")


def write_atomic(path: str | os.PathLike[str], data: bytes, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (see the module).

    The new file gets the mode of a normally created file (``0o666`` less the umask).
    """
    check_writable(path, overwrite)
    name = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(name))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".predcomp-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        check_writable(path, overwrite)  # again: the destination may have changed meanwhile
        os.replace(tmp, name)
    except BaseException:
        os.unlink(tmp)
        raise
