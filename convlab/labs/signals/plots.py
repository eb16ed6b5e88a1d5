"""The Signals & Kernels lab's plots: signal, kernel, output, all modes and the batch.

:class:`PlotsMixin` builds the plots, draws a :class:`~convlab.labs.signals.model.SignalsView`
in them, restyles them with the theme, and turns mouse gestures on the signal
plot (drawing) and kernel plot (dragging a tap) into new samples. It is mixed
into :class:`~convlab.labs.signals.panel.SignalsPanel`, whose ``state``,
``view``, ``status_message`` and ``_set_x`` / ``_set_w`` it uses.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QSplitter, QWidget

import convlab.core as cc
from convlab.gui.plots import Stems, make_plot
from convlab.gui.theme import series_color, theme_manager

from .model import SignalsView
from .widgets import editable_plot

__all__ = ["PlotsMixin"]

_MAX_LABELLED_TICKS = 24  # up to this many samples, label every index on the x axis


def _index_ticks(plot: pg.PlotWidget, count: int, start: int = 0) -> None:
    """Whole-number ticks (one per sample) on a short stem plot, automatic ones on long."""
    axis = plot.getPlotItem().getAxis("bottom")
    if 0 < count <= _MAX_LABELLED_TICKS:
        axis.setTicks([[(i, str(i)) for i in range(start, start + count)], []])
    else:
        axis.setTicks(None)


def _stack_offsets(rows: np.ndarray) -> np.ndarray:
    """Vertical offsets that stack ``rows`` top to bottom without overlap, with a gap."""
    offsets = np.zeros(rows.shape[0])
    if rows.size == 0:
        return offsets
    top, bottom = rows.max(axis=1), rows.min(axis=1)
    spread = float(np.max(top - bottom))
    gap = 0.25 * spread if spread > 0 else 1.0
    for b in range(1, rows.shape[0]):
        offsets[b] = offsets[b - 1] + bottom[b - 1] - top[b] - gap
    return offsets


class PlotsMixin:
    """The plots of :class:`~convlab.labs.signals.panel.SignalsPanel` and their mouse editing."""

    def _build_plots(self) -> QWidget:
        self._drag_tap: int | None = None  # kernel tap being dragged
        self._last_draw_t: int | None = None  # last sample set by a mouse-drawing drag
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)

        self.signal_plot, self.signal_box = editable_plot(
            "Signal x (shaded: the window of z_i)", "sample t", "x_t")
        sp = self.signal_plot.getPlotItem()
        self.window_region = pg.LinearRegionItem(movable=False)
        self.window_region.setZValue(-10)
        sp.addItem(self.window_region)
        self.x_stems = Stems(sp, series_color(0), size=8)
        self.pad_points = pg.ScatterPlotItem(size=8, symbol="o")
        sp.addItem(self.pad_points)
        self.window_points = pg.ScatterPlotItem(size=14, symbol="o")
        sp.addItem(self.window_points)
        self.signal_plot.setToolTip("The signal x. Shaded: the samples under the kernel for z_i; "
                                    "hollow: padding samples. Tick 'Draw with the mouse' to drag "
                                    "new values in; right-click → Export… saves PNG or SVG")
        split.addWidget(self.signal_plot)

        row = QSplitter(Qt.Orientation.Horizontal)
        self.kernel_plot, self.kernel_box = editable_plot(
            "Kernel w", "tap j", "w_j")
        self.kernel_box.editor = self._on_kernel_edit
        kp = self.kernel_plot.getPlotItem()
        self.flipped_stems = Stems(kp, series_color(6), size=6, width=1)
        self.w_stems = Stems(kp, series_color(1), size=11)
        self.kernel_plot.setToolTip("Drag a stem up or down (or click at a height) to set that "
                                    "tap; grey stems show the kernel reversed when convolving")
        row.addWidget(self.kernel_plot)
        self.output_plot = make_plot("Output z", "output index i", "z_i")
        self.z_stems = Stems(self.output_plot.getPlotItem(), series_color(2), size=8)
        self.z_current = pg.ScatterPlotItem(size=16, symbol="o")
        self.output_plot.getPlotItem().addItem(self.z_current)
        self.output_plot.setToolTip("The output z; the ringed sample is the z_i being stepped "
                                    "through below")
        row.addWidget(self.output_plot)
        row.setSizes([350, 550])
        split.addWidget(row)

        self.modes_row = QWidget()
        modes_layout = QHBoxLayout(self.modes_row)
        modes_layout.setContentsMargins(0, 0, 0, 0)
        self.mode_plots: dict[str, pg.PlotWidget] = {}
        self.mode_stems: dict[str, Stems] = {}
        for i, mode in enumerate(cc.MODES):
            plot = make_plot(mode, "output index i", "z_i")
            self.mode_plots[mode] = plot
            self.mode_stems[mode] = Stems(plot.getPlotItem(), series_color(2 + i), size=6)
            modes_layout.addWidget(plot)
        split.addWidget(self.modes_row)

        self.batch_row = QSplitter(Qt.Orientation.Horizontal)
        self.batch_x_plot = make_plot("Batch X (one row per signal, stacked)", "sample t",
                                      "row (offset)")
        self.batch_z_plot = make_plot("convolve(X, w), stacked", "output index i",
                                      "row (offset)")
        self.batch_row.addWidget(self.batch_x_plot)
        self.batch_row.addWidget(self.batch_z_plot)
        self.batch_x_items: list[pg.PlotDataItem] = []
        self.batch_z_items: list[pg.PlotDataItem] = []
        self.batch_offsets: dict[str, np.ndarray] = {}
        self._batch_key: tuple | None = None
        split.addWidget(self.batch_row)

        split.setSizes([300, 260, 200, 240])
        return split

    def _restyle_plots(self) -> None:
        """Series colours and marker styles from the current theme."""
        theme = theme_manager().theme
        self.x_stems.set_color(series_color(0))
        self.w_stems.set_color(series_color(1))
        self.flipped_stems.set_color(theme.muted)
        self.z_stems.set_color(series_color(2))
        for i, mode in enumerate(cc.MODES):
            self.mode_stems[mode].set_color(series_color(2 + i))
        self.pad_points.setPen(pg.mkPen(theme.muted, width=2))
        self.pad_points.setBrush(pg.mkBrush(theme.background))
        self.window_points.setPen(pg.mkPen(theme.foreground, width=2))
        self.window_points.setBrush(pg.mkBrush(None))
        self.z_current.setPen(pg.mkPen(theme.foreground, width=2))
        self.z_current.setBrush(pg.mkBrush(None))
        color = pg.mkColor(theme.highlight)
        color.setAlpha(110 if theme.dark else 90)
        self.window_region.setBrush(pg.mkBrush(color))
        for line in self.window_region.lines:
            line.setPen(pg.mkPen(None))
        if self.view is not None:
            self._draw_batch(self.view, restyle=True)

    def _draw_plots(self, view: SignalsView) -> None:
        """Show ``view`` in the plots (the step-through window is drawn by the step area)."""
        s = self.state
        x = np.asarray(s.x)
        w = np.asarray(s.w)

        self.x_stems.setData(np.arange(view.n), x)
        self.pad_points.setData(view.padded_positions, view.padded_values)
        self.w_stems.setData(np.arange(view.k), w)
        self.flipped_stems.setVisible(s.flip)
        self.flipped_stems.setData(np.arange(view.k) + 0.15, w[::-1])
        self.z_stems.setData(np.arange(view.z.size), view.z)
        _index_ticks(self.kernel_plot, view.k)
        _index_ticks(self.signal_plot, view.n + view.left + view.right, -view.left)
        _index_ticks(self.output_plot, view.z.size)

        self.modes_row.setVisible(s.show_all_modes)
        for mode, z in view.all_modes.items():
            self.mode_stems[mode].setData(np.arange(z.size), z)
            self.mode_plots[mode].getPlotItem().setTitle(f"{mode}: m = {z.size}")
        self.batch_row.setVisible(s.batch)
        self._draw_batch(view)

    def _draw_batch(self, view: SignalsView, restyle: bool = False) -> None:
        """Draw the stacked batch; skipped when nothing it shows has changed."""
        if not self.state.batch:
            return
        X = np.asarray(self.state.batch_x)
        Z = view.batch_z if view.batch_z is not None else np.zeros((X.shape[0], 0))
        key = (X.shape, X.tobytes(), Z.shape, Z.tobytes())
        if key == self._batch_key and not restyle:
            return
        self._batch_key = key
        self.batch_offsets = {}
        for name, plot, items, data in (("x", self.batch_x_plot, self.batch_x_items, X),
                                        ("z", self.batch_z_plot, self.batch_z_items, Z)):
            offsets = _stack_offsets(data)
            self.batch_offsets[name] = offsets
            while len(items) < data.shape[0]:
                items.append(plot.getPlotItem().plot())
                restyle = True
            symbol = "o" if data.shape[1] <= _MAX_LABELLED_TICKS * 2 else None
            for b, item in enumerate(items):
                if b >= data.shape[0]:
                    item.setData([], [])
                    continue
                color = series_color(b)
                if restyle or item.opts["symbol"] != symbol:
                    item.setData(np.arange(data.shape[1]), data[b] + offsets[b],
                                 pen=pg.mkPen(color, width=2), symbol=symbol, symbolSize=6,
                                 symbolPen=pg.mkPen(color), symbolBrush=pg.mkBrush(color))
                else:
                    item.setData(np.arange(data.shape[1]), data[b] + offsets[b])

    def _on_draw_toggled(self, on: bool) -> None:
        self.signal_box.editor = self._on_draw if on else None
        self.status_message.emit("Drag on the signal plot to draw samples" if on else
                                 "Drawing off: drag to pan the signal plot")

    def _on_draw(self, t: float, y: float, phase: str) -> bool:
        """Mouse drawing on the signal plot: set the samples under the pointer to ``y``."""
        x = np.asarray(self.state.x, dtype=float)
        if phase == "start":
            self.signal_box.disableAutoRange(pg.ViewBox.YAxis)
            self._last_draw_t = None
        elif phase == "finish":
            self.signal_box.enableAutoRange(pg.ViewBox.YAxis)
        ti = int(np.clip(round(t), 0, x.size - 1))
        y = round(y, 2)
        if self._last_draw_t is None or phase == "click":
            x[ti] = y
        else:  # a fast drag skips samples: fill them on a straight line
            lo, hi = sorted((self._last_draw_t, ti))
            start_y = x[self._last_draw_t]
            span = np.arange(lo, hi + 1)
            x[span] = np.round(np.interp(span, [self._last_draw_t, ti], [start_y, y]), 2)
        self._last_draw_t = None if phase in ("finish", "click") else ti
        self._set_x(x)
        return True

    def _on_kernel_edit(self, t: float, y: float, phase: str) -> bool:
        """Dragging (or clicking) a kernel stem sets that tap to the pointer's height.

        A drag that does not start on a stem is declined (it pans the plot).
        """
        w = np.asarray(self.state.w, dtype=float)
        if phase in ("start", "click"):
            j = round(t)
            self._drag_tap = j if 0 <= j < w.size and abs(t - j) <= 0.45 else None
            if self._drag_tap is None:
                return False
            if phase == "start":
                self.kernel_box.disableAutoRange(pg.ViewBox.YAxis)
        if self._drag_tap is None:
            return False
        w[self._drag_tap] = round(y, 2)
        if phase in ("finish", "click"):
            self.kernel_box.enableAutoRange(pg.ViewBox.YAxis)
            self._drag_tap = None
        self._set_w(w)
        return True
