"""Atomic file writes: readers see the old file or the complete new one, never a mix.

Every file ConvLab writes (sessions, scripts, data exports, downloads, IDX
files) goes through :func:`atomic_output` or its two shortcuts
:func:`atomic_write_bytes` and :func:`atomic_write_text`.  The data is written
to a temporary file in the destination's folder, flushed and ``fsync``'ed, then
renamed over the destination with :func:`os.replace` (atomic on POSIX and
Windows), and the folder is ``fsync``'ed so the rename survives a power cut.

What a plain ``tempfile.mkstemp`` + rename gets wrong, and this module does not:

* **Permissions.** Replacing an existing file keeps its permission bits (a
  0644 file stays 0644); a new file gets the same bits as ``open(path, "w")``
  would give it — ``0o666`` less the umask — not ``mkstemp``'s 0600.  (The
  owner and group are those of the writing user, as for any new file.)
* **Symbolic links.** Saving to a link writes the file the link points to
  (following every link in the chain); the link itself stays a link.  A
  dangling link creates its target.
* **Leftovers.** The temporary file is named ``.<name>.convlab-tmp-<8 hex>``
  next to the destination, so it is recognisably ConvLab's.  It is removed on
  any failure, exception or cancel (including ``KeyboardInterrupt``).  A
  process killed mid-save cannot remove it, so each save also deletes the
  stale temporary files of its own destination: those of ConvLab's naming
  whose last write is older than :data:`STALE_TEMP_SECONDS` (a writer still at
  work keeps touching its file, so it is never taken for stale).

An existing destination that is a folder, a device, a FIFO or a socket is
refused with an :class:`OSError` before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["STALE_TEMP_SECONDS", "atomic_output", "atomic_write_bytes", "atomic_write_text"]

#: A temporary file of ConvLab's naming not written to for this long (seconds)
#: is a leftover of a killed save and is removed by the next save of its file.
STALE_TEMP_SECONDS = 300.0

_TAG = ".convlab-tmp-"
_RANDOM_HEX = 8
_NAME_MAX = 255  # bytes in one path component on every common file system


def _temp_prefix(name: str) -> str:
    """``.<name>.convlab-tmp-``, shortened so that a full temp name fits in 255 bytes."""
    room = _NAME_MAX - len(_TAG) - _RANDOM_HEX - 1
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}{_TAG}"


def _real_target(path: str | os.PathLike) -> Path:
    """The file to replace: ``path`` with every symbolic link followed."""
    return Path(os.path.realpath(os.fspath(path)))


def _existing_mode(target: Path) -> int | None:
    """Permission bits of the file being replaced, or None for a new file."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "is not a regular file (a device, FIFO or socket); "
                                    "refusing to replace it", str(target))
    return stat.S_IMODE(info.st_mode)


def _remove_stale_temps(target: Path, now: float | None = None) -> None:
    """Delete ConvLab's temporary files for ``target`` not written to for a while."""
    now = time.time() if now is None else now
    pattern = re.compile(re.escape(_temp_prefix(target.name)) + f"[0-9a-f]{{{_RANDOM_HEX}}}")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TEMP_SECONDS:
                os.unlink(entry.path)


def _create_temp(target: Path) -> tuple[int, Path]:
    """Create a new, empty temporary file next to ``target``; return (fd, path).

    Created with ``0o666`` so the kernel applies the umask, like ``open()``.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(
        os, "O_CLOEXEC", 0)
    prefix = _temp_prefix(target.name)
    for _ in range(100):
        tmp = target.parent / f"{prefix}{secrets.token_hex(_RANDOM_HEX // 2)}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike,
    mode: str = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success it atomically becomes ``path``.

    Use it for writers that stream into a file object::

        with atomic_output("digits.npz") as f:
            np.savez(f, x=x)
        with atomic_output("table.csv", "w", newline="") as f:
            csv.writer(f).writerows(rows)

    Parameters
    ----------
    path : str or path-like
        Destination.  A symbolic link is followed: its target is replaced and
        the link kept.
    mode : {"wb", "w"}
        Binary (the default) or text.
    encoding, newline : str, optional
        For text mode, as for :func:`open`; the encoding defaults to UTF-8
        (never the locale's).

    Yields
    ------
    file object
        Open on the temporary file.  When the ``with`` body finishes, the file
        is flushed, ``fsync``'ed, given the permission bits of the file it
        replaces (or ``0o666`` less the umask for a new one) and renamed over
        the destination.  If the body raises, or the rename fails, the
        temporary file is deleted and the destination is untouched.

    Raises
    ------
    ValueError
        If ``mode`` is neither ``"wb"`` nor ``"w"``.
    OSError
        If the folder is missing or not writable, the disk is full, or the
        destination is a folder or not a regular file.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    if mode == "wb" and (encoding is not None or newline is not None):
        raise ValueError("encoding and newline are for text mode ('w') only")
    target = _real_target(path)
    keep_mode = _existing_mode(target)
    _remove_stale_temps(target)
    fd, tmp = _create_temp(target)
    try:
        if mode == "w":
            handle: IO[Any] = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline=newline)
        else:
            handle = os.fdopen(fd, "wb")
        with handle:
            yield handle
            handle.flush()
            if keep_mode is not None:
                _chmod(handle.fileno(), tmp, keep_mode)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(target.parent)


def _chmod(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows: only the read-only bit means anything
        os.chmod(path, mode)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`).

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> atomic_write_bytes(target, b"\\x00\\x01")
    >>> open(target, "rb").read()
    b'\\x00\\x01'
    """
    with atomic_output(path) as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically, with its line ends exactly as given.

    No newline translation happens on any platform (``"\\n"`` stays ``"\\n"``),
    so the file's bytes are ``text.encode(encoding)``.  See :func:`atomic_output`.
    """
    atomic_write_bytes(path, text.encode(encoding))
