"""main.py says which system packages are missing instead of letting Qt abort (issue 16 §6)."""

from __future__ import annotations

import pytest

from convlab import qt_check


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [({}, "linux", True), ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
     ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
     ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
     ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0",
       "QT_QPA_PLATFORM": "xcb"}, "linux", True),
     ({}, "win32", False), ({}, "darwin", False)],
)
def test_uses_xcb(env, platform, expected):
    assert qt_check.uses_xcb(env, platform) is expected


def test_missing_library_names_the_packages(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"not a library")

    def refuse(path):
        raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file")

    monkeypatch.setattr("ctypes.CDLL", refuse)
    monkeypatch.setattr(qt_check, "_missing_with_ldd", lambda p: [])
    message = qt_check.xcb_problem(plugin)
    assert "libxcb-cursor.so.0" in message
    assert "sudo apt-get install libxcb-cursor0\n" in message


def test_ldd_lists_every_missing_library(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"not a library")
    monkeypatch.setattr(qt_check, "_missing_with_ldd",
                        lambda p: ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    message = qt_check.xcb_problem(plugin)  # the real dlopen fails: not an ELF file
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1" in message


def test_a_loadable_plugin_is_no_problem(monkeypatch, tmp_path):
    monkeypatch.setattr("ctypes.CDLL", lambda path: object())
    assert qt_check.xcb_problem(tmp_path / "libqxcb.so") is None
