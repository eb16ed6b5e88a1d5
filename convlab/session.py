"""Saved lab sessions: ``.convlab`` files (readable JSON with a schema version).

A session holds the state of every lab, as each panel's ``get_state()``
returns it::

    {"format": "convlab-session", "version": 1, "app_version": "0.1.0",
     "labs": {"signals": {...}, "gradient": {...}, "mnist": {...}}}

Saving is atomic (:func:`convlab.core.atomic_write_text`): the JSON goes to a
temporary file in the same folder, is flushed to disk, then renamed over the
target, so a crash or a full disk mid-save never destroys the previous file; an
existing file keeps its permission bits and a symbolic link keeps pointing at
the saved file. Loading never executes anything from the file (plain JSON, no
pickle, NaN and infinity refused), opens only regular files (a FIFO, a device
or a link to one is refused without blocking), reads at most
:data:`MAX_BYTES` + 1 bytes whatever the file claims, accepts a UTF-8 byte-order
mark, refuses nesting deeper than :data:`MAX_DEPTH`, and raises
:class:`SessionError` naming the problem for every bad file. Each panel's
``set_state`` validates its own part.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from convlab.core import atomic_write_text

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "SUFFIX",
    "VERSION",
    "SessionError",
    "load_session",
    "save_session",
    "session_from_text",
    "session_to_text",
]

FORMAT = "convlab-session"
VERSION = 1
SUFFIX = ".convlab"
#: Larger files are refused unread: a session with a long training history is well under this.
MAX_BYTES = 32 * 1024 * 1024
#: Deepest nesting of JSON arrays and objects a session may have (the envelope and
#: a lab's batch of signals need 5).
MAX_DEPTH = 32


class SessionError(ValueError):
    """A session file that cannot be opened; the message names the file and the problem."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (every number must be finite)")


def session_to_text(labs: dict[str, dict[str, Any]], app_version: str = "") -> str:
    """The JSON text of a session holding ``labs`` (lab key → that lab's state)."""
    document = {"format": FORMAT, "version": VERSION, "app_version": app_version, "labs": labs}
    return json.dumps(document, indent=1, allow_nan=False, sort_keys=True) + "\n"


def session_from_text(text: str, name: str = "session") -> dict[str, dict[str, Any]]:
    """Parse and check the envelope of a session; return its ``labs`` mapping.

    A leading byte-order mark is ignored.

    Raises
    ------
    SessionError
        If the text is not JSON (or nests deeper than :data:`MAX_DEPTH`), not
        a ConvLab session, from a newer ConvLab, or its labs are not objects.
    """
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark, as some editors write
        text = text[1:]
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise SessionError(f"{name}: not a valid session file ({exc})") from None
    except RecursionError:
        raise SessionError(f"{name}: not a valid session file (arrays or objects are nested "
                           f"too deeply; a session nests at most {MAX_DEPTH} levels)") from None
    if _nesting_depth(document, MAX_DEPTH) > MAX_DEPTH:
        raise SessionError(f"{name}: not a valid session file (arrays or objects are nested "
                           f"more than {MAX_DEPTH} levels deep; a session nests at most "
                           f"{MAX_DEPTH})")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SessionError(f"{name}: not a ConvLab session file")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionError(f"{name}: the session has no valid version number")
    if version > VERSION:
        raise SessionError(
            f"{name}: saved by a newer ConvLab (session format {version}; this ConvLab "
            f"reads up to {VERSION}). Please update ConvLab to open it."
        )
    labs = document.get("labs")
    if not isinstance(labs, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in labs.items()
    ):
        raise SessionError(f"{name}: the 'labs' part is missing or malformed")
    return labs


def _nesting_depth(value: Any, limit: int) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar is 0); stops past ``limit``.

    Iterative, so no nesting can exhaust the stack.
    """
    if not isinstance(value, (dict, list)):
        return 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return deepest


def _too_large(name: str, size: int | None) -> SessionError:
    have = f"{size:,} bytes" if size is not None else f"more than {MAX_BYTES:,} bytes"
    return SessionError(f"{name}: the file is too large for a session ({have}; a session "
                        f"file holds at most {MAX_BYTES:,} bytes = {MAX_BYTES / 2**20:g} MiB)")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_regular_file(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most :data:`MAX_BYTES`.

    Never blocks on a FIFO or a device (checked before opening, opened
    non-blocking and checked again) and reads at most ``MAX_BYTES + 1`` bytes
    whatever ``stat()`` said.
    """
    name = path.name
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise SessionError(f"{name}: {_kind(info.st_mode)}, not a session file")
        if info.st_size > MAX_BYTES:
            raise _too_large(name, info.st_size)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
        with open(fd, "rb", buffering=0) as handle:
            mode = os.fstat(fd).st_mode  # what was opened, if it changed since stat()
            if not stat.S_ISREG(mode):
                raise SessionError(f"{name}: {_kind(mode)}, not a session file")
            chunks = []
            got = 0
            while got <= MAX_BYTES:
                chunk = handle.read(min(2**20, MAX_BYTES + 1 - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
    except OSError as exc:
        raise SessionError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    if got > MAX_BYTES:
        raise _too_large(name, None)  # it grew after stat(), or stat() did not tell
    return b"".join(chunks)


def load_session(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read a ``.convlab`` file; return lab key → state.

    Raises
    ------
    SessionError
        If the file cannot be read, is not a regular file (a folder, a FIFO, a
        device, or a link to one), holds more than :data:`MAX_BYTES`, is not
        UTF-8 text (a byte-order mark is fine) or not a valid session
        (see :func:`session_from_text`).
    """
    path = Path(path)
    raw = _read_regular_file(path)
    try:
        text = raw.decode("utf-8")  # session_from_text drops a byte-order mark
    except UnicodeDecodeError:
        raise SessionError(f"{path.name}: not a text file (is it really a session?)") from None
    return session_from_text(text, path.name)


def save_session(
    path: str | os.PathLike, labs: dict[str, dict[str, Any]], app_version: str = ""
) -> None:
    """Save a session atomically. Raises ``OSError`` (disk full, no permission …)."""
    atomic_write_text(path, session_to_text(labs, app_version))
