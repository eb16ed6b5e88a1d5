"""The Signals & Kernels lab's batch: ``convolve(X, w)`` over several signals at once.

:class:`BatchEditor` (the control column's group) binds the model's ``batch``
and ``batch_x``; :class:`BatchPlots` draws the batch and its output, stacked
row above row, from a :class:`~convlab.labs.signals.model.SignalsView`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QLabel, QSplitter, QVBoxLayout, QWidget

from convlab.gui.plots import make_plot
from convlab.gui.theme import mark_error_text, series_color

from .axes import IndexAxis, cache_axes
from .model import (
    MAX_BATCH_ROWS,
    MAX_BATCH_VALUES,
    MAX_SIGNAL,
    SignalsState,
    SignalsView,
    check_batch,
    check_batch_shape,
)
from .plots import MIN_STRIP_HEIGHT
from .widgets import MatrixEdit, no_tab_stop

__all__ = ["PER_ROW_MAX", "BatchEditor", "BatchPlots", "row_style", "stack_offsets"]

#: Up to this many samples per row the batch curves get a marker on every sample.
_MAX_MARKED = 48


def stack_offsets(rows: np.ndarray) -> np.ndarray:
    """Vertical offsets that stack ``rows`` (rows, t) top to bottom without overlap, with a gap."""
    offsets = np.zeros(rows.shape[0])
    if rows.size == 0:
        return offsets
    top, bottom = rows.max(axis=1), rows.min(axis=1)
    spread = float(np.max(top - bottom))
    gap = 0.25 * spread if spread > 0 else 1.0
    for b in range(1, rows.shape[0]):
        offsets[b] = offsets[b - 1] + bottom[b - 1] - top[b] - gap
    return offsets


class BatchEditor(QGroupBox):
    """Whether the batch is shown, its signals as text, and what is wrong with its output."""

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__("Batch: convolve(X, w)", parent)
        self._state = state
        layout = QVBoxLayout(self)
        self.check = QCheckBox("Show a batch of signals")
        self.check.setAccessibleName("Show a batch of signals")
        self.check.setToolTip("Apply the kernel to several signals at once, like the "
                              "notebook's convolve(X, w) (Ctrl+B)")
        layout.addWidget(self.check)
        self.edit = MatrixEdit(np.asarray(state.batch_x), check_batch,
                               f"The batch X: one signal per line, all the same length (at most "
                               f"{MAX_BATCH_ROWS} signals of {MAX_SIGNAL} samples, "
                               f"{MAX_BATCH_VALUES:,} numbers in all)",
                               shape_check=check_batch_shape)
        self.edit.setAccessibleName("Batch X signals, one per line")
        self.edit.setMaximumHeight(110)
        self.edit.setLineWrapMode(MatrixEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.edit)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        mark_error_text(self.error_label)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)

        self._batch_error = ""  # what the last view said is wrong with the output
        self._on_batch_changed(state.batch)
        self.edit.textChanged.connect(self._show_error)  # after the edit checked its text
        self.check.toggled.connect(self._on_check_toggled)
        self.edit.valueChanged.connect(self._on_edit)
        state.events.batch.connect(self._on_batch_changed)
        state.events.batch_x.connect(self._on_batch_x_changed)

    def toggle(self) -> None:
        """Show or hide the batch."""
        self.check.toggle()

    def show_view(self, view: SignalsView) -> None:
        """Say what is wrong with the batch's output, if anything."""
        self._batch_error = view.batch_error
        self._show_error()

    def _show_error(self) -> None:
        """The text's own error (a refused paste, a bad line) first, else the output's."""
        error = self.edit.error or self._batch_error
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))

    def _on_check_toggled(self, on: bool) -> None:
        self._state.batch = on

    def _on_edit(self, rows: np.ndarray) -> None:
        self._state.batch_x = rows

    def _on_batch_changed(self, new: bool, old: Any = None) -> None:
        with QSignalBlocker(self.check):
            self.check.setChecked(new)
        self.edit.setEnabled(new)

    def _on_batch_x_changed(self, new: list[list[float]], old: Any = None) -> None:
        if not np.array_equal(self.edit.value(), new):
            self.edit.setValue(np.asarray(new))
            self._show_error()


class BatchPlots(QSplitter):
    """The batch ``X`` and ``convolve(X, w)`` side by side, each stacked top to bottom.

    A small batch (up to :data:`PER_ROW_MAX` rows) gets a curve per row, each with its
    own colour, marker and dash (so row b of X and of Z match without colour); a larger
    one is one curve per plot (rows separated by gaps), so a 100-row batch costs two
    plot items, not two hundred. The left axis names the rows either way.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.x_plot = make_plot("Batch X (one row per signal, stacked)", "sample t", "row")
        self.z_plot = make_plot("convolve(X, w), stacked", "output index i", "row")
        for plot in (self.x_plot, self.z_plot):
            no_tab_stop(plot)
            cache_axes(plot)
            plot.setMinimumHeight(MIN_STRIP_HEIGHT)
        self._index = {"x": IndexAxis(self.x_plot), "z": IndexAxis(self.z_plot)}
        self.addWidget(self.x_plot)
        self.addWidget(self.z_plot)
        #: The curves of each plot (one per row of a small batch; spare ones are empty).
        self.curves: dict[str, list[pg.PlotDataItem]] = {"x": [], "z": []}
        #: The one curve holding every row of a large batch (empty for a small one).
        self.merged: dict[str, pg.PlotDataItem] = {
            "x": self.x_plot.getPlotItem().plot(), "z": self.z_plot.getPlotItem().plot()}
        self.offsets: dict[str, np.ndarray] = {"x": np.zeros(0), "z": np.zeros(0)}
        self._shown: tuple | None = None  # what the curves show (skip identical redraws)
        self._view: SignalsView | None = None

    def show_view(self, view: SignalsView) -> None:
        """Show the batch when the view has one; redraw only when its numbers changed."""
        self.setVisible(view.batch_x is not None)
        self._view = view
        self._draw(restyle=False)

    def restyle(self) -> None:
        """Curve colours from the current theme."""
        self._draw(restyle=True)

    def _draw(self, restyle: bool) -> None:
        view = self._view
        if view is None or view.batch_x is None:
            return
        X = view.batch_x
        Z = view.batch_z if view.batch_z is not None else np.zeros((X.shape[0], 0))
        key = (X.shape, X.tobytes(), Z.shape, Z.tobytes())
        if key == self._shown and not restyle:
            return
        self._shown = key
        for name, plot, data in (("x", self.x_plot, X), ("z", self.z_plot, Z)):
            self.offsets[name] = stack_offsets(data)
            small = data.shape[0] <= PER_ROW_MAX
            rows = data if small else data[:0]
            self._draw_rows(plot, self.curves[name], rows, self.offsets[name], restyle)
            self._draw_merged(self.merged[name], None if small else data, self.offsets[name])
            _label_rows(plot, self.offsets[name], data)
            self._index[name].show(data.shape[1])

    @staticmethod
    def _draw_rows(plot: pg.PlotWidget, curves: list[pg.PlotDataItem], data: np.ndarray,
                   offsets: np.ndarray, restyle: bool) -> None:
        while len(curves) < data.shape[0]:
            curves.append(plot.getPlotItem().plot())
            restyle = True
        symbol = data.shape[1] <= _MAX_MARKED
        for b, curve in enumerate(curves):
            if b >= data.shape[0]:
                curve.setData([], [])
                continue
            marker = row_style(b)[1] if symbol else None
            if restyle or curve.opts["symbol"] != marker:
                color, _, dash = row_style(b)
                curve.setData(np.arange(data.shape[1]), data[b] + offsets[b],
                              pen=pg.mkPen(color, width=2, style=dash), symbol=marker,
                              symbolSize=7, symbolPen=pg.mkPen(color),
                              symbolBrush=pg.mkBrush(color))
            else:
                curve.setData(np.arange(data.shape[1]), data[b] + offsets[b])

    @staticmethod
    def _draw_merged(curve: pg.PlotDataItem, data: np.ndarray | None,
                     offsets: np.ndarray) -> None:
        if data is None or data.size == 0:
            curve.setData([], [])
            return
        rows, t = data.shape
        # every row, then a NaN: connect="finite" breaks the line between rows
        ys = np.full((rows, t + 1), np.nan)
        ys[:, :t] = data + offsets[:, None]
        xs = np.tile(np.append(np.arange(t, dtype=float), np.nan), rows)
        curve.setData(xs, ys.ravel(), connect="finite",
                      pen=pg.mkPen(series_color(0), width=1.5))


#: Up to this many rows the batch plots draw a curve per row (each with its own style).
PER_ROW_MAX = 8
_DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
           Qt.PenStyle.DashDotLine)
_MARKERS = ("o", "s", "t", "d", "+", "x", "star", "p")


def row_style(b: int) -> tuple[str, str, Qt.PenStyle]:
    """Colour, marker and dash of batch row ``b``: no two of the first 8 rows share
    marker and dash, so they are told apart without colour."""
    return series_color(b), _MARKERS[b % len(_MARKERS)], _DASHES[b % len(_DASHES)]


def _label_rows(plot: pg.PlotWidget, offsets: np.ndarray, data: np.ndarray) -> None:
    """Left-axis ticks naming each row at the middle of its band (every n-th when many)."""
    if data.size == 0:
        plot.getPlotItem().getAxis("left").setTicks([[], []])
        return
    middle = offsets + (data.max(axis=1) + data.min(axis=1)) / 2
    every = max(1, int(np.ceil(len(offsets) / 12)))
    ticks = [(float(middle[b]), str(b)) for b in range(0, len(offsets), every)]
    plot.getPlotItem().getAxis("left").setTicks([ticks, []])
