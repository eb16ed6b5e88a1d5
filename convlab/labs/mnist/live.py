"""The MNIST lab's figure, kept in step with the model: one :class:`convlab.core.DetectorFigure`.

:class:`LiveFigure` recomputes the figure (the digit convolved with the four
kernels and thresholded) whenever the digit or a detector setting changes and
emits :attr:`LiveFigure.changed`; the figure view, the hover read-out and the
data export read it. A browse, a threshold, a mode or an operation change is
computed at once; drawing strokes and kernel edits at most once a frame.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PyQt6.QtCore import QObject, pyqtSignal

import convlab.core as cc
from convlab.gui.widgets import Throttle

from .selection import DigitSelection

__all__ = ["REDRAW_MS", "LiveFigure"]

REDRAW_MS = 16  # at most one redraw per frame (~60 Hz) during drags and strokes

_AT_ONCE = ("split", "label_filter", "index", "digit_source", "threshold", "mode", "flip")
_THROTTLED = ("drawing", "kernels")


class LiveFigure(QObject):
    """The detector figure of the selected digit with the model's settings."""

    #: The new figure (a :class:`convlab.core.DetectorFigure`).
    changed = pyqtSignal(object)

    def __init__(self, selection: DigitSelection, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selection = selection
        self._model = selection.model
        self._figure: cc.DetectorFigure | None = None
        self._inputs: tuple | None = None
        self._throttle = Throttle(self.refresh, REDRAW_MS, self)
        for name in _AT_ONCE:
            getattr(self._model.events, name).connect(self._on_input_changed)
        for name in _THROTTLED:
            getattr(self._model.events, name).connect(self._on_burst_input_changed)
        selection.data.changed.connect(self._on_input_changed)
        self.refresh()

    @property
    def figure(self) -> cc.DetectorFigure:
        """The figure shown now."""
        assert self._figure is not None  # computed in __init__
        return self._figure

    def refresh(self) -> None:
        """Recompute the figure if its digit or settings changed, and emit :attr:`changed`."""
        self._throttle.cancel()
        inputs = self._current_inputs()
        if self._inputs is not None and _same_inputs(inputs, self._inputs):
            return
        digit, bank, level, mode, flip = inputs
        names = list(cc.LINE_DETECTORS)
        self._figure = cc.detector_figure(digit, dict(zip(names, bank, strict=True)), level,
                                          mode, flip)
        self._inputs = inputs
        self.changed.emit(self._figure)

    def invalidate(self) -> None:
        """Make the next :meth:`refresh` recompute and emit even if nothing changed."""
        self._inputs = None

    def _current_inputs(self) -> tuple[NDArray, NDArray, float, str, bool]:
        m = self._model
        digit = np.array(self._selection.current_digit())
        return digit, np.array(m.kernels, dtype=float), m.threshold, m.mode, m.flip

    def _on_input_changed(self, *_args: object) -> None:
        self.refresh()

    def _on_burst_input_changed(self, *_args: object) -> None:
        self._throttle.request()


def _same_inputs(a: tuple, b: tuple) -> bool:
    return (
        a[0].dtype == b[0].dtype
        and np.array_equal(a[0], b[0])
        and np.array_equal(a[1], b[1])
        and a[2:] == b[2:]
    )
