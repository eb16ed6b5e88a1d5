"""The "Draw a digit" box: a canvas bound to the model's ``drawing``.

:class:`DrawingBox` writes every stroke into ``model.drawing`` (rounded to four
decimals, as sessions store it) and switches the detectors to the drawing;
``model.drawing`` and ``model.digit_source`` changes (a session, Clear) show
on the canvas and the "Show my drawing" box.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QSignalBlocker
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QWidget

from convlab.gui.draw_canvas import DrawCanvas

from .layout import button, fill, row
from .model import batched
from .selection import DigitSelection

__all__ = ["DRAWING_DECIMALS", "DrawingBox"]

#: Digits kept of each drawn pixel (what a session stores, and what the detectors see).
DRAWING_DECIMALS = 4


class DrawingBox(QGroupBox):
    """Draw a digit for the detectors; copy the data-set digit to edit it."""

    def __init__(self, selection: DigitSelection, parent: QWidget | None = None) -> None:
        super().__init__("Draw a digit", parent)
        self._selection = selection
        self._model = selection.model
        self.canvas = DrawCanvas()
        self.canvas.set_image(np.array(self._model.drawing))
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
