"""The Gradient Descent lab's data plots: the training signals, the kernel and the predictions.

:class:`SamplePlots` owns the three plots (laid out by the panel): the
training signals coloured by class, the kernel of the first run as stems, and
its predictions on the test signals against their labels — at the step the
controller shows (the latest, or one chosen on the timeline).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QObject, Qt

import convlab.core as cc
from convlab.gui.plots import Stems, make_plot, style_plot
from convlab.gui.theme import series_color, theme_manager
from convlab.gui.widgets import format_array

from .axes import IndexAxis, PlainAxis, nice_ceiling, set_title
from .model import GradientLabState
from .runs import RunController

__all__ = ["SamplePlots"]


class SamplePlots(QObject):
    """Training signals, kernel stems and test predictions."""

    def __init__(self, model: GradientLabState, controller: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._controller = controller
        self._kernel_lim = 0.0  # the kernel plot's ± limit (0: set it again)
        self._pred_range = (0.0, 0.0)  # the prediction plot's y range
        self.data_plot = make_plot()  # the title names the colours: no legend over the lines
        self.data_plot.setToolTip("The training signals: rising lines (class 0) and falling "
                                  "lines (class 1)")
        self.signal_curves = [pg.PlotCurveItem(name=n) for n in ("rising (0)", "falling (1)")]
        for curve in self.signal_curves:
            self.data_plot.getPlotItem().addItem(curve)
        self.kernel_plot = make_plot()
        self.kernel_stems = Stems(self.kernel_plot.getPlotItem(), series_color(0))
        self.pred_plot = make_plot()
        self.pred_plot.setToolTip(
            "Test predictions. Filled dots: the model's output p for each test signal, "
            "coloured by its true class; rings: the label (0 rising, 1 falling); dashed: the "
            "0.5 threshold")
        pred = self.pred_plot.getPlotItem()  # the y label explains the markers: ● p, ○ label
        self.pred_points = [pg.ScatterPlotItem(size=8, name=n)
                            for n in ("p rising", "p falling")]
        self.label_points = pg.ScatterPlotItem(size=10, symbol="o", brush=None, name="label")
        for item in (*self.pred_points, self.label_points):
            pred.addItem(item)
        self.threshold_line = pg.InfiniteLine(0.5, angle=0, movable=False)
        pred.addItem(self.threshold_line)
        for widget, title, x_label, y_label in (
                (self.data_plot, "Training signals", "t", "x"),
                (self.kernel_plot, "Kernel", "tap j", "w_j"),
                (self.pred_plot, "Test predictions", "test signal", "● p   ○ label y")):
            item = widget.getPlotItem()
            # sample, tap and signal numbers are whole: no 0.5 ticks
            item.setAxisItems({"left": PlainAxis("left"), "bottom": IndexAxis("bottom")})
            style_plot(item, title, x_label, y_label)
        self.kernel_plot.getPlotItem().enableAutoRange(x=False, y=False)
        pred.enableAutoRange(x=False, y=False)

        controller.stepped.connect(self.redraw)
        controller.runs_rebuilt.connect(self._on_runs_rebuilt)

    def restyle(self) -> None:
        """Colours and fonts that follow the theme."""
        theme = theme_manager().theme
        fg, muted = theme.foreground, theme.muted
        for i, curve in enumerate(self.signal_curves):
            curve.setPen(pg.mkPen(series_color(i), width=1.2))
        for i, points in enumerate(self.pred_points):
            points.setBrush(pg.mkBrush(series_color(i)))
            points.setPen(pg.mkPen(series_color(i)))
        self.label_points.setPen(pg.mkPen(fg, width=1.5))
        self.threshold_line.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DashLine))
        self.kernel_stems.set_color(series_color(0))
        rising, falling = (f"<span style='color:{series_color(i)}'>{name}</span>"
                           for i, name in enumerate(("rising", "falling")))
        set_title(self.data_plot.getPlotItem(), f"{rising} · {falling}")

    def _on_runs_rebuilt(self) -> None:
        """New data or model: the signals drawn, the kernel and prediction axes set again."""
        (x, y), (x_test, _) = self._controller.data
        t = np.arange(x.shape[1], dtype=float)
        for label, curve in enumerate(self.signal_curves):
            rows = x[y == label]
            connect = np.ones(rows.size, dtype=bool)
            connect[x.shape[1] - 1 :: x.shape[1]] = False  # break between signals
            curve.setData(np.tile(t, len(rows)), rows.ravel(), connect=connect)
        taps = self._model.taps
        kernel = self.kernel_plot.getPlotItem()
        kernel.setXRange(0.5, taps + 0.5, padding=0)
        # taps are whole numbers: one tick per tap, never 1.5
        kernel.getAxis("bottom").setTicks([[(j, str(j)) for j in range(1, taps + 1)]])
        self.pred_plot.getPlotItem().setXRange(-1, x_test.shape[0], padding=0)
        self._kernel_lim = 0.0
        self._pred_range = (0.0, 0.0)

    def redraw(self) -> None:
        """The kernel and the test predictions at the step shown (the latest, live)."""
        theta = self._controller.shown_params()
        self._draw_kernel(theta)
        self._draw_predictions(theta)

    def _draw_kernel(self, theta: np.ndarray) -> None:
        s = self._model
        w = theta[: s.taps]
        self.kernel_stems.setData(np.arange(1, s.taps + 1), w)
        lim = nice_ceiling(max(float(np.abs(w).max()) * 1.15, 0.1))
        if lim != self._kernel_lim:
            self._kernel_lim = lim
            self.kernel_plot.getPlotItem().setYRange(-lim, lim, padding=0)
        parts = [f"w = ({format_array(w, 2)})"] if s.taps <= 3 else ["Kernel"]  # stems only
        if s.bias:
            parts.append(f"b = {theta[-1]:.2f}")
        set_title(self.kernel_plot.getPlotItem(), ", ".join(parts))

    def _draw_predictions(self, theta: np.ndarray) -> None:
        _, (x_test, y_test) = self._controller.data
        p = cc.predict(x_test, theta, self._model.bias)
        index = np.arange(p.size)
        for label, points in enumerate(self.pred_points):
            mask = y_test == label
            points.setData(index[mask], p[mask])
        self.label_points.setData(index, y_test)
        lo = -nice_ceiling(max(-float(p.min()) * 1.1, 0.5))
        hi = 1 + nice_ceiling(max(float(p.max()) * 1.1 - 1, 0.5))
        if (lo, hi) != self._pred_range:
            self._pred_range = (lo, hi)
            self.pred_plot.getPlotItem().setYRange(lo, hi, padding=0)
        correct = int(np.sum((p > 0.5) == (y_test > 0.5)))
        set_title(self.pred_plot.getPlotItem(),
                  f"{correct}/{p.size} right")
