"""Saving and loading a network: weights and architecture in one ``.npz``, no pickle.

The file is a plain numpy ``.npz`` (a zip of ``.npy`` arrays) holding

* ``__format__``: the text ``"convlab-cnn 1"``;
* ``__architecture__``: the architecture description as JSON text;
* ``__metadata__``: optional JSON text (e.g. the training settings);
* one array per parameter, named as in :attr:`Sequential.params` (``"0.weight"``).

Loading never unpickles (``allow_pickle=False``) and checks everything — the
format tag, the architecture (:func:`check_architecture`), that every
parameter is present with the right shape, finite, and that nothing else is
there; any problem raises :class:`CNNFormatError` naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .model import ArchitectureError, Sequential, build_network

__all__ = ["CNNFormatError", "load_network", "save_network"]

FORMAT = "convlab-cnn 1"
_RESERVED = ("__format__", "__architecture__", "__metadata__")


class CNNFormatError(ValueError):
    """A network file that cannot be loaded; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def save_network(path: str | os.PathLike, model: Sequential,
                 metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (architecture and weights) to ``path`` atomically; return the path.

    ``metadata`` must be JSON-serialisable.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "__format__": np.array(FORMAT),
        "__architecture__": np.array(json.dumps(model.spec())),
    }
    if metadata is not None:
        arrays["__metadata__"] = np.array(json.dumps(metadata))
    for name, value in model.params.items():
        arrays[name] = value
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _text(data: Any, key: str, path: Path) -> str:
    value = data[key]
    if value.shape != () or value.dtype.kind != "U":
        raise CNNFormatError(path, f"{key} must be text")
    return str(value)


def load_network(path: str | os.PathLike, with_metadata: bool = False
                 ) -> Sequential | tuple[Sequential, dict[str, Any] | None]:
    """Read a network written by :func:`save_network`.

    Returns
    -------
    Sequential, or ``(Sequential, metadata)`` with ``with_metadata=True``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    CNNFormatError
        (a ValueError) for anything else wrong with the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise CNNFormatError(path, "not a ConvLab network file (one bare array, "
                                           "not an .npz archive)")
            files = {name: data[name] for name in data.files}
    except CNNFormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CNNFormatError(path, f"not a readable ConvLab network file ({exc})") from None
    missing = [key for key in _RESERVED[:2] if key not in files]
    if missing:
        raise CNNFormatError(path, f"not a ConvLab network file: {', '.join(missing)} missing")
    if _text(files, "__format__", path) != FORMAT:
        raise CNNFormatError(path, f"unknown format {str(files['__format__'])!r} "
                                   f"(this version reads {FORMAT!r})")
    try:
        spec = json.loads(_text(files, "__architecture__", path))
        model = build_network(spec, seed=0)
    except json.JSONDecodeError as exc:
        raise CNNFormatError(path, f"the architecture is not valid JSON ({exc})") from None
    except ArchitectureError as exc:
        raise CNNFormatError(path, f"bad architecture: {exc}") from None
    metadata = None
    if "__metadata__" in files:
        try:
            metadata = json.loads(_text(files, "__metadata__", path))
        except json.JSONDecodeError as exc:
            raise CNNFormatError(path, f"the metadata is not valid JSON ({exc})") from None
    names = set(files) - set(_RESERVED)
    unknown = sorted(names - set(model.params))
    if unknown:
        raise CNNFormatError(path, f"arrays the architecture has no place for: "
                                   f"{', '.join(unknown)}")
    absent = [name for name in model.params if name not in names]
    if absent:
        raise CNNFormatError(path, f"missing parameters: {', '.join(absent)}")
    for name, target in model.params.items():
        value = files[name]
        if value.shape != target.shape:
            raise CNNFormatError(path, f"{name} has shape {value.shape}, the architecture "
                                       f"needs {target.shape}")
        if value.dtype.kind != "f":
            raise CNNFormatError(path, f"{name} must be floating-point numbers, got "
                                       f"{value.dtype}")
        if not np.isfinite(value).all():
            raise CNNFormatError(path, f"{name} contains NaN or infinity")
        target[...] = value
    return (model, metadata) if with_metadata else model
