"""The "Draw a digit" box: a canvas bound to the model's ``drawing``.

:class:`DrawingBox` writes every stroke into ``model.drawing`` (rounded to four
decimals, as sessions store it) and switches the detectors to the drawing;
``model.drawing`` and ``model.digit_source`` changes (a session, Clear) show
on the canvas and the "Show my drawing" box.

The canvas also draws with the keyboard (:class:`KeyboardDrawing`): it takes the
focus, shows it with a frame and a cursor cell; the arrow keys move the cursor,
Shift+arrows draw a line as it moves, Space puts a dot, Delete erases one.
"Copy digit" loads the data-set digit onto it.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, QObject, QPointF, QRectF, QSignalBlocker, Qt
from PyQt6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QPalette, QPen
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QWidget

from convlab.gui.draw_canvas import DrawCanvas

from .colors import MARK
from .layout import button, fill, row
from .model import DIGIT_SIDE, batched
from .selection import DigitSelection

__all__ = ["DRAWING_DECIMALS", "DrawingBox", "KeyboardDrawing"]

#: Digits kept of each drawn pixel (what a session stores, and what the detectors see).
DRAWING_DECIMALS = 4


def canvas_square(canvas: QWidget) -> QRectF:
    """Where the canvas draws its 28×28 square: centred, as large as fits (DrawCanvas's rule)."""
    side = min(canvas.width(), canvas.height())
    return QRectF((canvas.width() - side) / 2, (canvas.height() - side) / 2, side, side)


class KeyboardDrawing(QWidget):
    """Keyboard drawing on a :class:`DrawCanvas`: a see-through layer over it that shows the
    focus and the cursor cell, and an event filter that turns keys into strokes."""

    def __init__(self, canvas: DrawCanvas) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self.cursor = (DIGIT_SIDE // 2, DIGIT_SIDE // 2)  # (row, column)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        canvas.setAccessibleName("Drawing canvas, 28 by 28 pixels")
        canvas.setAccessibleDescription(
            "Arrow keys move the cursor, Shift+arrows draw a line, Space draws a dot, "
            "Delete erases one"
        )
        canvas.setToolTip(canvas.toolTip() + " Keyboard: arrow keys move the cursor, "
                          "Shift+arrows draw, Space puts a dot, Delete erases.")
        canvas.installEventFilter(self)
        self.setGeometry(canvas.rect())

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if watched is self._canvas and event is not None:
            kind = event.type()
            if kind == QEvent.Type.Resize:
                self.setGeometry(self._canvas.rect())
            elif kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
                self.update()
            elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
                return self.key(event.key(), event.modifiers())
        return False

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        """Act on ``key``; True if it was a drawing key."""
        moves = {Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1),
                 Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0)}
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            return False  # the lab's shortcuts (Ctrl+arrows browse)
        if key in moves:
            r, c = self.cursor
            dr, dc = moves[key]
            new = (min(max(r + dr, 0), DIGIT_SIDE - 1), min(max(c + dc, 0), DIGIT_SIDE - 1))
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                self._canvas.stroke([self._point(self.cursor), self._point(new)])
            self.cursor = new
        elif key == Qt.Key.Key_Space:
            self._canvas.stroke([self._point(self.cursor)])
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self._canvas.stroke([self._point(self.cursor)], erase=True)
        else:
            return False
        self.update()
        return True

    @staticmethod
    def _point(cell: tuple[int, int]) -> tuple[float, float]:
        return cell[1] + 0.5, cell[0] + 0.5  # (x, y) of the cell's centre

    def paintEvent(self, event: QPaintEvent | None) -> None:
        if not self._canvas.hasFocus():
            return
        square = canvas_square(self._canvas)
        cell = square.width() / DIGIT_SIDE
        painter = QPainter(self)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
        painter.drawRect(square.adjusted(1, 1, -1, -1))
        painter.setPen(QPen(QColor(MARK[0]), 2))
        r, c = self.cursor
        painter.drawRect(QRectF(square.topLeft() + QPointF(c * cell, r * cell),
                                square.topLeft() + QPointF((c + 1) * cell, (r + 1) * cell)))
        painter.end()


class DrawingBox(QGroupBox):
    """Draw a digit for the detectors; copy the data-set digit to edit it."""

    def __init__(self, selection: DigitSelection, parent: QWidget | None = None) -> None:
        super().__init__("Draw a digit", parent)
        self._selection = selection
        self._model = selection.model
        self.canvas = DrawCanvas()
        self.canvas.set_image(np.array(self._model.drawing))
        self.keyboard = KeyboardDrawing(self.canvas)
        self.clear_button = button("Clear", "Wipe the canvas", self.canvas.clear)
        self.recenter_button = button(
            "Centre", "Move the drawing's centre of mass to the middle", self.canvas.recenter
        )
        self.copy_button = button(
            "Copy digit", "Put the data-set digit on the canvas to edit it", self.copy_digit
        )
        self.auto_center = QCheckBox("Centre after each stroke (like MNIST)")
        self.auto_center.setChecked(self.canvas.recenter_on_release)
        self.auto_center.setToolTip(
            "MNIST digits were shifted so their centre of mass is the image centre"
        )
        self.use_drawing = QCheckBox("Show my drawing")
        self.use_drawing.setToolTip("Feed the detectors your drawing instead of the data-set digit")
        self.use_drawing.setChecked(self._model.digit_source == "drawing")
        fill(
            self,
            self.canvas,
            row(self.clear_button, self.recenter_button, self.copy_button),
            self.auto_center,
            self.use_drawing,
        )
        self.canvas.changed.connect(self._on_canvas_changed)
        self.auto_center.toggled.connect(self.canvas.set_recenter_on_release)
        self.use_drawing.toggled.connect(selection.use_drawing)
        self._model.events.drawing.connect(self._on_drawing_changed)
        self._model.events.digit_source.connect(self._on_digit_source_changed)

    def copy_digit(self) -> None:
        """Put the data-set digit on the canvas (the detectors then show the drawing)."""
        self.canvas.set_image(self._selection.dataset_digit())

    # -- widgets → model --------------------------------------------------
    def _on_canvas_changed(self) -> None:
        rounded = np.round(self.canvas.image(), DRAWING_DECIMALS)
        with QSignalBlocker(self.canvas):  # the canvas shows exactly what the model holds
            self.canvas.set_image(rounded)
        with batched(self._model):
            self._model.drawing = rounded.tolist()
            self._model.digit_source = "drawing"

    # -- model → widgets --------------------------------------------------
    def _on_drawing_changed(self, new: list[list[float]], _old: list[list[float]]) -> None:
        with QSignalBlocker(self.canvas):
            self.canvas.set_image(np.array(new))

    def _on_digit_source_changed(self, new: str, _old: str) -> None:
        with QSignalBlocker(self.use_drawing):
            self.use_drawing.setChecked(new == "drawing")
