"""Render ConvLab's icon files from the hand-written SVG.

Run from the checkout after editing ``convlab/resources/icons/convlab.svg``::

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Writes, next to the SVG:

- ``convlab-<N>.png`` for N in 16, 32, 48, 64, 128, 256 (the Linux hicolor sizes that
  ``packaging/install_desktop.sh`` installs);
- ``convlab.ico`` (Windows executable icon: PNG-compressed entries, readable by Windows
  Vista and later);
- ``convlab.icns`` (macOS app bundle icon: PNG entries, macOS 10.7 and later).

The rendered files are committed, so building needs neither this script nor a display.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent.parent / "convlab" / "resources" / "icons"
SVG = ICON_DIR / "convlab.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}


def render_png(size: int) -> bytes:
    """The SVG rendered at ``size`` × ``size`` pixels, as PNG bytes."""
    from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PyQt6.QtGui import QImage, QPainter
    from PyQt6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise ValueError(f"{SVG} is not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"could not encode the {size}px icon as PNG")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO container holding the given PNG images (size → PNG bytes)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, payload = [], []
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset))
        payload.append(png)
        offset += len(png)
    return header + b"".join(entries) + b"".join(payload)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICNS container holding the given PNG images (size → PNG bytes)."""
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(png)) + png
        for size, png in sorted(pngs.items())
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keep alive)
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_TYPES))
    pngs = {size: render_png(size) for size in sizes}
    for size in PNG_SIZES:
        path = ICON_DIR / f"convlab-{size}.png"
        path.write_bytes(pngs[size])
        print(path)
    outputs = {
        ICON_DIR / "convlab.ico": ico_bytes({s: pngs[s] for s in ICO_SIZES}),
        ICON_DIR / "convlab.icns": icns_bytes({s: pngs[s] for s in ICNS_TYPES}),
    }
    for path, data in outputs.items():
        path.write_bytes(data)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
