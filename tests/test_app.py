"""The entry points: python main.py / python -m convlab, --screenshot, --self-test."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import convlab
from convlab.app import SCREENSHOT_SIZE
from convlab.shell.labs import LABS

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: int = 240, **env_vars: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **env_vars)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_version_from_main_py():
    result = _run("main.py", "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ConvLab {convlab.__version__}"


def test_self_test_passes_and_leaves_no_temporary_profile(tmp_path):
    result = _run("-m", "convlab", "--self-test", TMPDIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("ConvLab self-test OK: 4 labs")
    assert "QThread: Destroyed" not in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("convlab-")] == []


def test_screenshot_writes_every_lab(tmp_path):
    result = _run("-m", "convlab", "--screenshot", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for spec in LABS:
        path = tmp_path / f"{spec.key}.png"
        assert path.exists(), f"no screenshot of {spec.key}"
        width, height = _png_size(path)
        # the window is rendered at a fixed size (a device pixel ratio may scale it)
        assert width / height == SCREENSHOT_SIZE[0] / SCREENSHOT_SIZE[1]
        assert width >= SCREENSHOT_SIZE[0]
        assert path.stat().st_size > 20_000, f"{spec.key}.png looks empty"


def test_bad_session_argument_fails_cleanly(tmp_path):
    result = _run("main.py", "--no-such-option")
    assert result.returncode == 2
    assert "usage: convlab" in result.stderr


def test_startup_probe_paints_and_quits(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONVLAB_EXIT_AFTER_PAINT="1",
               XDG_CONFIG_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "main.py"], capture_output=True, text=True,
                            timeout=120, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "first-paint"
