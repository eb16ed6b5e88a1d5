"""One place that knows where ConvLab's bundled files and per-user folders are.

Resources live in the package (``convlab/resources/``) rather than a top-level
``resources/`` folder: as package data they ship inside the wheel with no extra
configuration, are found relative to this file from a checkout or an installed
wheel, and PyInstaller collects them under ``sys._MEIPASS/convlab/resources``.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["resource_path", "resources_dir", "user_cache_dir", "user_data_dir"]

APP_NAME = "convlab"


def resources_dir() -> Path:
    """Folder of the bundled resources, from a checkout, a wheel or a frozen app."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        candidate = Path(frozen_root) / "convlab" / "resources"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("mnist", "train-images-idx3-ubyte.gz")``.

    Raises
    ------
    FileNotFoundError
        If the resource is missing (a broken install), naming the path looked at.
    """
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"ConvLab resource missing: {path} (is the installation complete?)")
    return path


def user_cache_dir() -> Path:
    """Per-user cache folder (downloads), e.g. ``~/.cache/convlab`` on Linux."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def user_data_dir() -> Path:
    """Per-user data folder (logs, autosave), e.g. ``~/.local/share/convlab`` on Linux."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
