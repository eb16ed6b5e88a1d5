"""Before Qt starts: is the X11 (xcb) platform plugin loadable on this Linux machine?

Qt's xcb plugin needs system libraries that a fresh Debian/Ubuntu may lack
(``libxcb-cursor0``, ``libxcb-icccm4``, ``libxcb-keysyms1`` …). Without them
Qt prints a hint and aborts the process with SIGABRT. :func:`xcb_problem` loads
the plugin the way Qt would (``dlopen``) before any window exists, so the app
can print which packages to install and exit cleanly instead. No Qt is
imported here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["debian_package", "uses_xcb", "xcb_problem"]


def uses_xcb(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will use its X11 (xcb) plugin in this environment."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if chosen:
        return chosen == "xcb"
    return not (env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"))


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package that usually ships ``library`` (a guess by naming rules).

    >>> debian_package("libxcb-cursor.so.0"), debian_package("libxkbcommon-x11.so.0")
    ('libxcb-cursor0', 'libxkbcommon-x11-0')
    >>> debian_package("libEGL.so.1")
    'libegl1'
    """
    match = re.match(r"(lib[\w+.-]*?)\.so\.(\d+)", library)
    if not match:
        return library
    stem, version = match.group(1).lower(), match.group(2)
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def _plugin() -> Path | None:
    try:
        import PyQt6  # the package only: no Qt library is loaded by this import
    except ImportError:
        return None
    path = Path(PyQt6.__file__).parent / "Qt6" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def _missing_with_ldd(plugin: Path) -> list[str]:
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split()[0] for line in out.splitlines() if "not found" in line})


def xcb_problem(plugin: Path | None = None) -> str | None:
    """A message naming the missing libraries if the xcb plugin cannot load, else ``None``."""
    import ctypes

    plugin = plugin or _plugin()
    if plugin is None:
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        missing = _missing_with_ldd(plugin) or re.findall(r"(lib[\w+.-]+\.so[\d.]*)", str(exc))
        packages = " ".join(sorted({debian_package(lib) for lib in missing}))
        return (
            "ConvLab cannot open a window: Qt's X11 platform plugin needs system libraries "
            f"that are missing ({', '.join(missing) or exc}).\n"
            f"On Debian or Ubuntu install them with:\n    sudo apt-get install {packages}\n"
            "(or run under Wayland, or headless with QT_QPA_PLATFORM=offscreen)."
        )
    return None
