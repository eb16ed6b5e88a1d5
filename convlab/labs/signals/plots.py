"""The Signals & Kernels lab's plots: signal, kernel, output and the three modes.

Each class owns one plot (or, :class:`ModesStrip`, a row of them) and its
items, draws a :class:`~convlab.labs.signals.model.SignalsView` in
``show_view`` and takes its colours from the theme in ``restyle``. The signal
and kernel plots are also editors: drawing on the signal (when switched on)
and dragging a kernel stem set the model's ``x`` and ``w``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QWidget

import convlab.core as cc
from convlab.gui.plots import Stems, make_plot, set_title
from convlab.gui.theme import series_color, theme_manager

from .axes import IndexAxis, SteadyRange, cache_axes
from .model import SignalsState, SignalsView
from .widgets import editable_plot, no_tab_stop

__all__ = ["FLIPPED_TITLE", "MIN_STRIP_HEIGHT", "KernelPlot", "ModesStrip", "OutputPlot",
           "SignalPlot", "draw_stroke"]

#: The side-by-side strips are never squeezed below this (the plot column scrolls instead).
MIN_STRIP_HEIGHT = 120
#: The kernel plot's title when convolving: names the grey stems.
FLIPPED_TITLE = "Kernel w — grey ◇ dashed: w flipped (what convolution slides)"


def _set_points(item: Stems | pg.ScatterPlotItem, x: np.ndarray, y: np.ndarray) -> None:
    """``item.setData(x, y)`` unless it shows those points already (a redraw costs a repaint)."""
    old_x, old_y = item.getData()
    if (old_x is not None and old_y is not None and np.array_equal(old_x, x)
            and np.array_equal(old_y, y)):
        return
    item.setData(x, y)


def _ring(item: pg.ScatterPlotItem, color: str) -> None:
    """A hollow marker in ``color``."""
    item.setPen(pg.mkPen(color, width=2))
    item.setBrush(pg.mkBrush(None))


def draw_stroke(x: np.ndarray, t: float, y: float, last: int | None) -> tuple[np.ndarray, int]:
    """``x`` with the sample under the pointer ``(t, y)`` set to ``y`` (to 2 decimals).

    ``last`` is the sample the stroke set before (``None`` at its start): a fast
    drag skips samples, which are filled on a straight line from there.
    Returns the new samples and the sample set.
    """
    x = np.asarray(x, dtype=float).copy()
    ti = int(np.clip(round(t), 0, x.size - 1))
    y = round(y, 2)
    if last is None:
        x[ti] = y
    else:
        lo, hi = sorted((last, ti))
        span = np.arange(lo, hi + 1)
        x[span] = np.round(np.interp(span, [last, ti], [x[last], y]), 2)
    return x, ti


class SignalPlot:
    """The signal ``x``, its padding (hollow) and the window of ``z_i`` (shaded, ringed).

    With drawing on (:meth:`set_drawing`), a drag or click sets the samples under
    the pointer; otherwise a drag pans.
    """

    def __init__(self, state: SignalsState) -> None:
        self._state = state
        self._last_t: int | None = None  # last sample set by the current stroke
        self.widget, self.box = editable_plot(
            "Signal x (shaded: the window of z_i)", "sample t", "x_t")
        item = self.widget.getPlotItem()
        self.window_region = pg.LinearRegionItem(movable=False)
        self.window_region.setZValue(-10)
        item.addItem(self.window_region)
        self.x_stems = Stems(item, series_color(0), size=8)
        self.pad_points = pg.ScatterPlotItem(size=8, symbol="o")
        item.addItem(self.pad_points)
        self.window_points = pg.ScatterPlotItem(size=14, symbol="o")
        item.addItem(self.window_points)
        self._ticks = IndexAxis(self.widget)
        cache_axes(self.widget)
        self.widget.setToolTip("The signal x. Shaded: the samples under the kernel for z_i; "
                               "hollow: padding samples. Tick 'Draw with the mouse' to drag "
                               "new values in; right-click → Export… saves PNG or SVG")

    def set_drawing(self, on: bool) -> None:
        """Drags on the plot draw samples (True) or pan (False)."""
        self.box.editor = self._on_draw if on else None

    def restyle(self) -> None:
        theme = theme_manager().theme
        self.x_stems.set_color(series_color(0))
        self.pad_points.setPen(pg.mkPen(theme.muted, width=2))
        self.pad_points.setBrush(pg.mkBrush(theme.background))
        _ring(self.window_points, theme.foreground)
        color = pg.mkColor(theme.highlight)
        color.setAlpha(110 if theme.dark else 90)
        self.window_region.setBrush(pg.mkBrush(color))
        for line in self.window_region.lines:
            line.setPen(pg.mkPen(None))

    def show_view(self, view: SignalsView) -> None:
        _set_points(self.x_stems, np.arange(view.n), view.x)
        _set_points(self.pad_points, view.padded_positions, view.padded_values)
        self._ticks.show(view.n + view.left + view.right, -view.left)
        step = view.step
        self.window_region.setVisible(step is not None)
        if step is None:
            _set_points(self.window_points, np.zeros(0), np.zeros(0))
            return
        self.window_region.setRegion((step.positions.min() - 0.4, step.positions.max() + 0.4))
        _set_points(self.window_points, step.positions, step.values)

    def _on_draw(self, t: float, y: float, phase: str) -> bool:
        """A drawing gesture (see :class:`~convlab.labs.signals.widgets.EditViewBox`)."""
        if phase == "start":
            self.box.disableAutoRange(pg.ViewBox.YAxis)
            self._last_t = None
        elif phase == "finish":
            self.box.enableAutoRange(pg.ViewBox.YAxis)
        last = None if phase == "click" else self._last_t
        x, ti = draw_stroke(np.asarray(self._state.x), t, y, last)
        self._last_t = None if phase in ("finish", "click") else ti
        self._state.x = x
        return True


class KernelPlot:
    """The kernel ``w`` (and, when convolving, its reverse in grey); drag a stem to set a tap."""

    def __init__(self, state: SignalsState) -> None:
        self._state = state
        self._tap: int | None = None  # the tap being dragged
        self.widget, self.box = editable_plot("Kernel w", "tap j", "w_j")
        self.box.editor = self._on_edit
        item = self.widget.getPlotItem()
        # the flipped kernel: grey, and also dashed with hollow diamonds (not colour alone)
        self.flipped_stems = Stems(item, series_color(6), symbol="d", size=9, width=1.5)
        self.w_stems = Stems(item, series_color(1), size=11)
        self._ticks = IndexAxis(self.widget)
        self.value_range = SteadyRange(self.widget)
        cache_axes(self.widget)
        self._flip: bool | None = None  # the title shown is for this kind
        self.widget.setToolTip("Drag a stem up or down (or click at a height) to set that "
                               "tap; when convolving, the grey dashed stems with hollow "
                               "diamonds are the flipped kernel, the one that slides")

    def restyle(self) -> None:
        self.w_stems.set_color(series_color(1))
        muted = theme_manager().theme.muted
        self.flipped_stems.set_color(muted)
        self.flipped_stems.lines.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DashLine))
        self.flipped_stems.heads.setBrush(pg.mkBrush(None))
        self.flipped_stems.heads.setPen(pg.mkPen(muted, width=2))

    def show_view(self, view: SignalsView) -> None:
        _set_points(self.w_stems, np.arange(view.k), view.w)
        if view.flip != self._flip:
            self._flip = view.flip
            set_title(self.widget.getPlotItem(), FLIPPED_TITLE if view.flip else "Kernel w")
        self.flipped_stems.setVisible(view.flip)
        _set_points(self.flipped_stems, np.arange(view.k) + 0.15, view.w[::-1])
        self._ticks.show(view.k)
        self.value_range.fit(view.w)

    def _on_edit(self, t: float, y: float, phase: str) -> bool:
        """Dragging (or clicking) a stem sets that tap to the pointer's height.

        A drag that does not start on a stem is declined (it pans the plot).
        """
        w = np.asarray(self._state.w, dtype=float)
        if phase in ("start", "click"):
            j = round(t)
            self._tap = j if 0 <= j < w.size and abs(t - j) <= 0.45 else None
            if self._tap is None:
                return False
            if phase == "start":
                self.value_range.frozen = True  # the axis stays put under the pointer
        if self._tap is None:
            return False
        w[self._tap] = round(y, 2)
        if phase in ("finish", "click"):
            self.value_range.frozen = False
            self._tap = None
        self._state.w = w
        return True


class OutputPlot:
    """The output ``z``, the ``z_i`` being stepped through ringed."""

    def __init__(self) -> None:
        self.widget = no_tab_stop(make_plot("Output z", "output index i", "z_i"))
        item = self.widget.getPlotItem()
        self.z_stems = Stems(item, series_color(2), size=8)
        self.current = pg.ScatterPlotItem(size=16, symbol="o")
        item.addItem(self.current)
        self._ticks = IndexAxis(self.widget)
        self.value_range = SteadyRange(self.widget)
        cache_axes(self.widget)
        self.widget.setToolTip("The output z; the ringed sample is the z_i being stepped "
                               "through below")

    def restyle(self) -> None:
        self.z_stems.set_color(series_color(2))
        _ring(self.current, theme_manager().theme.foreground)

    def show_view(self, view: SignalsView) -> None:
        _set_points(self.z_stems, np.arange(view.z.size), view.z)
        self._ticks.show(view.z.size)
        self.value_range.fit(view.z)
        if view.step is None:
            _set_points(self.current, np.zeros(0), np.zeros(0))
        else:
            _set_points(self.current, np.array([view.step.index]), np.array([view.step.total]))


class ModesStrip(QWidget):
    """The outputs of valid, same and full side by side (shown when the view has them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.stems: dict[str, Stems] = {}
        self._axes: dict[str, tuple[IndexAxis, SteadyRange]] = {}
        for i, mode in enumerate(cc.MODES):
            plot = no_tab_stop(make_plot(mode, "output index i", "z_i"))
            plot.setMinimumHeight(MIN_STRIP_HEIGHT)
            cache_axes(plot)
            self.plots[mode] = plot
            self.stems[mode] = Stems(plot.getPlotItem(), series_color(2 + i), size=6)
            self._axes[mode] = (IndexAxis(plot), SteadyRange(plot))
            layout.addWidget(plot)

    def restyle(self) -> None:
        for i, mode in enumerate(cc.MODES):
            self.stems[mode].set_color(series_color(2 + i))

    def show_view(self, view: SignalsView) -> None:
        self.setVisible(bool(view.all_modes))
        # one value range for the three: their outputs compare at a glance
        shared = [z for z in view.all_modes.values()]
        for mode, z in view.all_modes.items():
            _set_points(self.stems[mode], np.arange(z.size), z)
            ticks, values = self._axes[mode]
            ticks.show(z.size)
            values.fit(*shared)
            title = f"{mode}: m = {z.size}"
            item = self.plots[mode].getPlotItem()
            if item.property("convlab_title") != title:
                set_title(item, title)
