"""Saved lab sessions: ``.convlab`` files (readable JSON with a schema version).

A session holds the state of every lab, as each panel's ``get_state()``
returns it::

    {"format": "convlab-session", "version": 1, "app_version": "0.1.0",
     "labs": {"signals": {...}, "gradient": {...}, "mnist": {...}}}

Saving is atomic: the JSON goes to a temporary file in the same folder, is
flushed to disk, then renamed over the target, so a crash or a full disk
mid-save never destroys the previous file. Loading never executes anything
from the file (plain JSON, no pickle, NaN and infinity refused), refuses files
larger than :data:`MAX_BYTES` before reading them, and raises
:class:`SessionError` naming the problem. Each panel's ``set_state`` validates
its own part.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "SUFFIX",
    "VERSION",
    "SessionError",
    "atomic_write_text",
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

    Raises
    ------
    SessionError
        If the text is not JSON, not a ConvLab session, from a newer ConvLab,
        or its labs are not objects.
    """
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise SessionError(f"{name}: not a valid session file ({exc})") from None
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


def load_session(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read a ``.convlab`` file; return lab key → state. Raises :class:`SessionError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SessionError(
                f"{path.name}: {size / 1e6:.0f} MB is too large for a session file "
                f"(at most {MAX_BYTES / 1e6:.0f} MB)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SessionError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionError(f"{path.name}: not a text file (is it really a session?)") from None
    return session_from_text(text, path.name)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` so that either the old or the new file survives a crash."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise


def save_session(
    path: str | os.PathLike, labs: dict[str, dict[str, Any]], app_version: str = ""
) -> None:
    """Save a session atomically. Raises ``OSError`` (disk full, no permission …)."""
    atomic_write_text(path, session_to_text(labs, app_version))
