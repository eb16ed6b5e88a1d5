"""The strip of neighbouring digits under the figure; click one (or use the arrow keys) to
show it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import QWidget

from convlab.gui.plots import register_view

from .layout import focus_frame
from .model import DIGIT_SIDE
from .selection import DigitSelection

__all__ = ["ThumbnailStrip"]

_CELL = DIGIT_SIDE + 4  # a digit with a 2-pixel frame
_ACCENT = np.array([255, 176, 0], dtype=np.ubyte)  # frame of the digit shown


class ThumbnailStrip(pg.GraphicsLayoutWidget):
    """The digits around the current one (with the label filter), ``slots`` of them.

    Follows the model's split, label filter and index; clicking a digit emits
    ``clicked(position)`` (its position in the filtered list) and shows it.
    """

    clicked = pyqtSignal(int)

    def __init__(
        self, selection: DigitSelection, slots: int = 15, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self._selection = selection
        self.slots = slots
        self.positions: list[int] = []
        self._plot = self.ci.addPlot()
        for axis in ("left", "bottom"):
            self._plot.hideAxis(axis)
        self._plot.setMenuEnabled(False)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        vb = self._plot.getViewBox()
        vb.invertY(True)
        vb.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self._plot.addItem(self.image)
        self.setFixedHeight(74)
        self.ci.setContentsMargins(2, 2, 2, 2)
        self.setToolTip("Neighbouring digits (with the current filter); click one to show it, "
                        "or use the arrow keys, Home and End")
        focus_frame(self, "Neighbouring digits: arrow keys show the previous or next")
        self.scene().sigMouseClicked.connect(self._on_click)
        self.clicked.connect(selection.go_to_position)
        events = selection.model.events
        for signal in (events.split, events.label_filter, events.index):
            signal.connect(self._on_browse_changed)
        selection.data.changed.connect(self._on_browse_changed)
        self.show_neighbours()

    def show_neighbours(self) -> None:
        """Show up to ``slots`` digits of the filtered list around the current position."""
        sel = self._selection
        filtered = sel.filtered()
        if not len(filtered):
            self.set_digits(np.zeros((0, DIGIT_SIDE, DIGIT_SIDE), np.uint8), [], -1)
            return
        pos = sel.position()
        start = min(max(pos - self.slots // 2, 0), max(len(filtered) - self.slots, 0))
        positions = list(range(start, min(start + self.slots, len(filtered))))
        images = sel.data.split(sel.model.split)[0]
        self.set_digits(images[filtered[positions]], positions, pos)

    def set_digits(self, images: NDArray, positions: list[int], current: int) -> None:
        """Show ``images`` (n, 28, 28) uint8; ``positions`` are their places in the browser."""
        self.positions = list(positions)
        n = len(images)
        strip = np.full((_CELL, _CELL * max(n, 1), 3), 60, dtype=np.ubyte)
        for k in range(n):
            if positions[k] == current:
                strip[:, _CELL * k : _CELL * (k + 1)] = _ACCENT
            strip[2:-2, _CELL * k + 2 : _CELL * (k + 1) - 2] = images[k][..., None]
        self.image.setImage(strip, autoLevels=False, levels=(0, 255))
        self._plot.getViewBox().setRange(
            xRange=(0, _CELL * max(n, 1)), yRange=(0, _CELL), padding=0.0
        )

    def _on_browse_changed(self, *_args: object) -> None:
        self.show_neighbours()

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        """Left / Right: the previous / next digit; Home / End: the first / last."""
        if event is None:
            return
        sel = self._selection
        actions = {Qt.Key.Key_Left: sel.previous, Qt.Key.Key_Right: sel.next,
                   Qt.Key.Key_Home: lambda: sel.go_to_position(0),
                   Qt.Key.Key_End: lambda: sel.go_to_position(len(sel.filtered()) - 1)}
        action = actions.get(Qt.Key(event.key()))
        if action is not None and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            action()
        else:
            super().keyPressEvent(event)

    def _on_click(self, event) -> None:
        p = self._plot.getViewBox().mapSceneToView(event.scenePos())
        k = int(np.floor(p.x() / _CELL))
        if 0 <= k < len(self.positions) and 0 <= p.y() < _CELL:
            self.clicked.emit(self.positions[k])
