"""Packaging: the wheel carries every resource, the icons match their SVG, the menu entry installs.

The full checks — the wheel installed into a fresh venv outside the checkout, and the
PyInstaller build — run their ``--self-test`` in ``packaging/check_wheel.sh`` and
``packaging/build_exe.sh`` (CI steps: they take a minute and download dependencies).
The wheel test here builds with pip's usual build isolation, which fetches setuptools from
the package index (or pip's cache): about 5 s.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import convlab

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "convlab" / "resources"
ICONS = RESOURCES / "icons"
PACKAGING = ROOT / "packaging"
PNG_SIZES = (16, 32, 48, 64, 128, 256)


def _source_files() -> list[str]:
    """Files a clean clone has (git-tracked, plus new files git does not ignore)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def _package_files(suffixes: tuple[str, ...] | None = None) -> set[str]:
    """Files under convlab/ a wheel must hold ('/'-separated, relative to the checkout)."""
    files = {name for name in _source_files() if name.startswith("convlab/")}
    if suffixes is not None:
        files = {name for name in files if name.endswith(suffixes)}
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built by pip from a copy of the source tree (no stale build/ folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    archive = tmp / "src.tar"
    with tarfile.open(archive, "w") as tar:
        for name in _source_files():
            tar.add(ROOT / name, arcname=name)
    with tarfile.open(archive) as tar:
        tar.extractall(src, filter="data")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "out"), str(src)],
        check=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (path,) = (tmp / "out").glob("convlab-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_wheel_holds_every_resource(wheel: zipfile.ZipFile) -> None:
    resources = {
        name for name in _package_files()
        if name.startswith(("convlab/resources/", "convlab/core/data/"))
    }
    # The MNIST sample and every icon are among them (a checkout missing them fails here too).
    assert "convlab/resources/icons/convlab.svg" in resources
    assert {f"convlab/resources/icons/convlab-{n}.png" for n in PNG_SIZES} <= resources
    assert any(n.startswith("convlab/core/data/mnist/") and n.endswith(".gz") for n in resources)
    missing = sorted(resources - set(wheel.namelist()))
    assert not missing, f"resources missing from the wheel: {missing}"


def test_wheel_holds_every_module(wheel: zipfile.ZipFile) -> None:
    modules = _package_files((".py",))
    assert "convlab/app.py" in modules and "convlab/shell/main_window.py" in modules
    missing = sorted(modules - set(wheel.namelist()))
    assert not missing, f"modules missing from the wheel: {missing}"


def test_wheel_metadata(wheel: zipfile.ZipFile) -> None:
    info = f"convlab-{convlab.__version__}.dist-info"
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(f"{info}/entry_points.txt").decode())
    assert entry_points["gui_scripts"]["convlab"] == "convlab.app:main"
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert f"\nVersion: {convlab.__version__}\n" in metadata
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    names = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requires}
    assert names == {
        "pyqt6", "pyqtgraph", "numpy", "scipy", "platformdirs", "threadpoolctl", "psygnal",
        "pillow",
    }


# -- icons ---------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", PNG_SIZES)
def test_png_icon_has_its_size(size: int) -> None:
    assert _png_size((ICONS / f"convlab-{size}.png").read_bytes()) == (size, size)


def test_ico_holds_each_size_as_png() -> None:
    data = (ICONS / "convlab.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, 6)
    sizes = []
    for i in range(count):
        w, h, _, _, planes, bpp, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        png = data[offset : offset + length]
        assert len(png) == length and (planes, bpp) == (1, 32)
        assert _png_size(png) == (w or 256, h or 256)  # 0 stands for 256
        sizes.append(w or 256)
    assert sizes == [16, 32, 48, 64, 128, 256]


def test_icns_chunks_are_consistent() -> None:
    data = (ICONS / "convlab.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    expected = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512}
    pos, found = 8, {}
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        found[kind] = _png_size(data[pos + 8 : pos + length])
        pos += length
    assert pos == len(data)
    assert found == {kind: (n, n) for kind, n in expected.items()}


def _load_render_icons():
    spec = importlib.util.spec_from_file_location("render_icons", PACKAGING / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", [16, 64, 256])
def test_png_icons_are_rendered_from_the_current_svg(qapp, size: int) -> None:
    """Fails when convlab.svg was edited but packaging/render_icons.py was not rerun."""
    from PyQt6.QtGui import QImage

    fresh = QImage.fromData(_load_render_icons().render_png(size), "PNG")
    committed = QImage(str(ICONS / f"convlab-{size}.png"))
    assert fresh.size() == committed.size()
    fmt = QImage.Format.Format_RGBA8888
    a = fresh.convertToFormat(fmt).constBits().asstring(size * size * 4)
    b = committed.convertToFormat(fmt).constBits().asstring(size * size * 4)
    mean_abs = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
    assert mean_abs < 1.0, f"{size}px icon differs from the SVG rendering by {mean_abs:.2f}/255"


# -- Linux menu entry ----------------------------------------------------------------


def _desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _unquote_exec(value: str) -> str:
    """The program path of an ``Exec`` value that is one double-quoted argument."""
    # 1. string-value escapes: \\ -> \ (and \s \n \t \r)
    escapes = {"\\": "\\", "s": " ", "n": "\n", "t": "\t", "r": "\r"}
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            out.append(escapes[value[i + 1]])
            i += 2
        else:
            out.append(value[i])
            i += 1
    value = "".join(out)
    # 2. Exec quoting: one argument in double quotes, \X -> X inside, %% -> %
    assert value.startswith('"') and value.endswith('"'), value
    inner, out, i = value[1:-1], [], 0
    while i < len(inner):
        if inner[i] == "\\":
            assert inner[i + 1] in '"`$\\', inner
            out.append(inner[i + 1])
            i += 2
        elif inner[i] == "%":
            assert inner[i + 1] == "%", inner
            out.append("%")
            i += 2
        else:
            out.append(inner[i])
            i += 1
    return "".join(out)


def test_desktop_file_names_the_app_and_its_icon() -> None:
    entry = _desktop_entry(PACKAGING / "convlab.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "ConvLab"
    assert entry["Exec"] == "convlab" and entry["TryExec"] == "convlab"
    assert entry["Icon"] == "convlab"  # installed as hicolor/<size>/apps/convlab.png
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Education" in entry["Categories"].split(";")


@pytest.mark.parametrize(
    "folder", ["ConvLab", "my apps", 'odd $HOME `x` "q" 100% \\back'], ids=["plain", "space", "odd"]
)
def test_install_desktop_script_installs_and_uninstalls(tmp_path: Path, folder: str) -> None:
    exe = tmp_path / folder / "convlab"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    script = PACKAGING / "install_desktop.sh"

    subprocess.run(["bash", str(script), str(exe)], env=env, check=True, timeout=60)
    entry = _desktop_entry(data / "applications" / "convlab.desktop")
    assert _unquote_exec(entry["Exec"]) == str(exe)
    assert entry["TryExec"].replace("\\\\", "\\") == str(exe)
    assert entry["Icon"] == "convlab" and entry["Name"] == "ConvLab"
    hicolor = data / "icons" / "hicolor"
    for size in PNG_SIZES:
        png = (hicolor / f"{size}x{size}" / "apps" / "convlab.png").read_bytes()
        assert _png_size(png) == (size, size)
    svg = hicolor / "scalable" / "apps" / "convlab.svg"
    assert svg.read_bytes() == (ICONS / "convlab.svg").read_bytes()

    subprocess.run(["bash", str(script), "--uninstall"], env=env, check=True, timeout=60)
    left = sorted(
        p.relative_to(data).as_posix()
        for p in data.rglob("*")
        if p.is_file() and p.name.startswith("convlab")
    )
    assert left == []


def test_install_desktop_script_refuses_a_missing_executable(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        ["bash", str(PACKAGING / "install_desktop.sh"), str(tmp_path / "nope" / "convlab")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no ConvLab executable found" in result.stderr
    assert not (tmp_path / "applications" / "convlab.desktop").exists()


def test_build_scripts_are_valid_bash() -> None:
    for name in ("build_exe.sh", "check_wheel.sh", "install_desktop.sh"):
        result = subprocess.run(
            ["bash", "-n", str(PACKAGING / name)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"
