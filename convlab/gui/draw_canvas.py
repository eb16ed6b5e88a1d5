"""A 28×28 canvas to draw a digit on with the mouse (soft brush, like a pen on paper)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

import convlab.core as cc

__all__ = ["DrawCanvas"]

SIZE = 28


class DrawCanvas(QWidget):
    """Draw with the left button, erase with the right one.

    The ink is a ``(28, 28)`` float array in [0, 1] (:meth:`image`). The brush
    is a Gaussian spot (``brush_sigma`` pixels, scaled by 1.5 and clipped at 1
    so the core of a stroke is solid ink) laid every half pixel along the
    stroke, keeping the darker of old and new ink, so strokes are about as
    thick and as soft as MNIST's. With :attr:`recenter_on_release`, a
    finished stroke is shifted so the centre of mass is in the middle, as
    MNIST's preprocessing did. ``changed`` is emitted after every change.
    """

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ink = np.zeros((SIZE, SIZE))
        self._last: tuple[float, float] | None = None
        self._erasing = False
        self.brush_sigma = 0.9
        self.recenter_on_release = True
        self.setMinimumSize(168, 168)
        self.setMaximumSize(260, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(
            "Draw a digit: left button draws, right button erases. "
            "The detectors respond as you draw."
        )
        rows, cols = np.indices((SIZE, SIZE))
        self._rows, self._cols = rows + 0.5, cols + 0.5  # pixel centres

    # -- model -------------------------------------------------------------
    def image(self) -> NDArray:
        """The drawing, ``(28, 28)`` float64 in [0, 1] (a copy)."""
        return self._ink.copy()

    def set_image(self, img: ArrayLike) -> None:
        """Show ``img`` (uint8 0…255 or floats in [0, 1]) on the canvas."""
        self._ink = cc.scale_digit(img, dtype=np.float64).reshape(SIZE, SIZE).copy()
        self.update()
        self.changed.emit()

    def set_recenter_on_release(self, on: bool) -> None:
        """Shift each finished stroke's centre of mass to the middle (``True``) or not."""
        self.recenter_on_release = bool(on)

    def clear(self) -> None:
        self._ink[:] = 0
        self.update()
        self.changed.emit()

    def recenter(self) -> None:
        self._ink = cc.recenter_digit(self._ink)
        self.update()
        self.changed.emit()

    def stroke(self, points: list[tuple[float, float]], erase: bool = False) -> None:
        """Draw through ``points`` given in pixel units ``(x, y)`` (0…28)."""
        for (x0, y0), (x1, y1) in pairwise(points):
            self._segment(x0, y0, x1, y1, erase)
        if len(points) == 1:
            self._segment(*points[0], *points[0], erase)
        self.update()
        self.changed.emit()

    def _segment(self, x0: float, y0: float, x1: float, y1: float, erase: bool) -> None:
        steps = max(1, int(np.ceil(2 * np.hypot(x1 - x0, y1 - y0))))
        two_s2 = 2 * self.brush_sigma**2
        for t in np.linspace(0.0, 1.0, steps + 1):
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            d2 = (self._cols - x) ** 2 + (self._rows - y) ** 2
            spot = np.minimum(1.0, 1.5 * np.exp(-d2 / two_s2))
            if erase:
                np.minimum(self._ink, 1 - spot, out=self._ink)
            else:
                np.maximum(self._ink, spot, out=self._ink)

    # -- Qt ----------------------------------------------------------------
    def _cell(self) -> tuple[float, QPointF]:
        side = min(self.width(), self.height())
        origin = QPointF((self.width() - side) / 2, (self.height() - side) / 2)
        return side / SIZE, origin

    def _to_pixels(self, event: QMouseEvent) -> tuple[float, float]:
        cell, origin = self._cell()
        pos = event.position()
        return (pos.x() - origin.x()) / cell, (pos.y() - origin.y()) / cell

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._erasing = event.button() == Qt.MouseButton.RightButton
        self._last = self._to_pixels(event)
        self.stroke([self._last], erase=self._erasing)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is None:
            return
        point = self._to_pixels(event)
        self.stroke([self._last, point], erase=self._erasing)
        self._last = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._last is None:
            return
        self._last = None
        if self.recenter_on_release and not self._erasing:
            self.recenter()

    def paintEvent(self, event: QPaintEvent) -> None:
        cell, origin = self._cell()
        grey = np.ascontiguousarray(np.round(self._ink * 255).astype(np.uint8))
        image = QImage(grey.data, SIZE, SIZE, SIZE, QImage.Format.Format_Grayscale8)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        target = QRectF(origin.x(), origin.y(), cell * SIZE, cell * SIZE)
        painter.drawImage(target, image)
        painter.setPen(QColor(128, 128, 128, 90))
        for i in (7, 14, 21):  # faint guides at quarters
            painter.drawLine(
                QPointF(origin.x() + i * cell, origin.y()),
                QPointF(origin.x() + i * cell, origin.y() + SIZE * cell),
            )
            painter.drawLine(
                QPointF(origin.x(), origin.y() + i * cell),
                QPointF(origin.x() + SIZE * cell, origin.y() + i * cell),
            )
        painter.setPen(QColor(128, 128, 128))
        painter.drawRect(target)
        painter.end()
