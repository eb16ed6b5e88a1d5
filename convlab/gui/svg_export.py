"""SVG export through Qt's own :class:`QSvgGenerator`: every plot, and a whole lab.

pyqtgraph 0.14's ``SVGExporter`` raises under Qt 6.11 ("not enough values to
unpack" in ``correctCoordinates``), so the right-click → Export dialog of every
plot would offer an SVG export that crashes. :func:`install` replaces it, in
pyqtgraph's list of exporters, by :class:`QtSvgExporter`, which paints the
scene into a :class:`QSvgGenerator` as the PNG exporter paints into an image.
:func:`widget_svg` renders any widget (a whole lab) the same way.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, QSize
from PyQt6.QtGui import QPainter, QRegion
from PyQt6.QtSvg import QSvgGenerator
from PyQt6.QtWidgets import QGraphicsItem, QWidget
from pyqtgraph.exporters import Exporter, SVGExporter
from pyqtgraph.parametertree import Parameter

from convlab.core import atomic_write_bytes

__all__ = ["QtSvgExporter", "install", "save_widget_svg", "widget_svg"]


def _generator(width: int, height: int, title: str) -> tuple[QSvgGenerator, QBuffer]:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(buffer)
    gen.setSize(QSize(width, height))
    gen.setViewBox(QRectF(0, 0, width, height))
    gen.setTitle(title)
    gen.setDescription("Exported from ConvLab")
    return gen, buffer


def _finish(buffer: QBuffer) -> bytes:
    data: QByteArray = buffer.data()
    buffer.close()
    return bytes(data)


def widget_svg(widget: QWidget, title: str = "ConvLab") -> bytes:
    """The SVG document of ``widget`` as it is drawn now (its size in pixels)."""
    width, height = max(1, widget.width()), max(1, widget.height())
    gen, buffer = _generator(width, height, title)
    painter = QPainter(gen)
    try:
        widget.render(painter)
    finally:
        painter.end()
    return _finish(buffer)


def save_widget_svg(widget: QWidget, path: Path, title: str = "ConvLab") -> None:
    """Write :func:`widget_svg` to ``path`` atomically; ``OSError`` on failure."""
    atomic_write_bytes(Path(path), widget_svg(widget, title))


class QtSvgExporter(Exporter):
    """pyqtgraph exporter: a plot (or any scene item) as SVG, drawn by Qt."""

    Name = "SVG drawing (scalable vector graphics)"
    allowCopy = False

    def __init__(self, item) -> None:
        super().__init__(item)
        rect = self.getTargetRect()
        self.params = Parameter.create(name="params", type="group", children=[
            {"name": "width", "title": "width", "type": "int", "value": int(rect.width()),
             "limits": (1, None)},
            {"name": "height", "title": "height", "type": "int", "value": int(rect.height()),
             "limits": (1, None)},
        ])

    def parameters(self) -> Parameter:
        return self.params

    def export(self, fileName: str | None = None, toBytes: bool = False,
               copy: bool = False) -> bytes | None:
        """Write ``fileName`` (asks for one if ``None``), or return the bytes (``toBytes``)."""
        if fileName is None and not toBytes:
            self.fileSaveDialog(filter=["*.svg"])
            return None
        width, height = int(self.params["width"]), int(self.params["height"])
        gen, buffer = _generator(width, height, "ConvLab plot")
        painter = QPainter(gen)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self._render(painter, width, height)
        finally:
            painter.end()
        data = _finish(buffer)
        if toBytes:
            return data
        atomic_write_bytes(Path(fileName), data)
        return None


    def _render(self, painter: QPainter, width: int, height: int) -> None:
        # Paint through the view, as on screen: rendering the scene directly loses the
        # view boxes' clipping in the SVG (curves run past the axes).
        item = self.item
        if isinstance(item, QGraphicsItem):
            view = item.scene().views()[0]
            source = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
        else:  # a whole scene
            view = item.views()[0]
            source = view.viewport().rect()
        painter.scale(width / max(1, source.width()), height / max(1, source.height()))
        QWidget.render(view.viewport(), painter, QPoint(0, 0), QRegion(source))


def install() -> None:
    """Offer :class:`QtSvgExporter` in place of pyqtgraph's broken SVG exporter (idempotent)."""
    exporters = Exporter.Exporters
    if SVGExporter in exporters:
        exporters[exporters.index(SVGExporter)] = QtSvgExporter
    elif QtSvgExporter not in exporters:
        exporters.append(QtSvgExporter)
