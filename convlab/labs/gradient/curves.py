"""The Gradient Descent lab's step plots (loss, accuracy, parameters) and data plots.

:class:`GradientCurves` is a mixin of :class:`~convlab.labs.gradient.panel.GradientPanel`.
It builds the plots beside the landscape (their items are attributes of the
panel) and brings them up to the runs: one loss / accuracy curve per run, the
parameters of the first run against their least-squares values, the training
signals, the kernel and the test predictions. Axis ranges change in 1-2-5
jumps (:func:`~convlab.labs.gradient.axes.nice_ceiling`) so that the plots are
not laid out again on every frame.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt

import convlab.core as cc
from convlab.gui.plots import Stems, make_plot, style_plot
from convlab.gui.theme import series_color, theme_manager
from convlab.gui.widgets import format_array

from .axes import PlainAxis, StepAxis, nice_ceiling
from .runs import MAX_RUNS

__all__ = ["CURVE_WIDTH", "GradientCurves"]

# Thin lines for the long step-by-step curves: Qt strokes antialiased lines wider
# than 1 px about ten times slower, which would cost most of a frame.
CURVE_WIDTH = 1


def _thin_when_drawn(curve: pg.PlotDataItem) -> None:
    """Draw only the visible part of a long curve, peak-downsampled to the plot's width."""
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")


class GradientCurves:
    """Mixin: the loss, accuracy, parameter, data, kernel and prediction plots.

    Reads the panel's ``state``, ``data``, ``runs``, ``trainer``, ``optimum`` and
    ``min_loss``; :meth:`_style_runs` also colours the landscape's paths.
    """

    def _build_curves(self) -> None:
        """Create the plots and their items (laid out by the panel)."""
        self._legend_labels: list[str] = []
        self._x_max = 0.0
        self._kernel_lim = 0.0
        self._pred_range: tuple[float, float] = (0.0, 0.0)
        # loss, accuracy, weights
        self.loss_plot = make_plot(legend=True)
        loss = self.loss_plot.getPlotItem()
        self.loss_curves = [loss.plot([], [], name=f"run {i}") for i in range(MAX_RUNS)]
        self.test_loss_curve = loss.plot([], [], name="test")
        self.min_loss_curve = loss.plot([], [], name="least-squares minimum")
        self.acc_plot = make_plot(legend=True)
        acc = self.acc_plot.getPlotItem()
        # legends where the curves are not: the loss falls (top right free), accuracy rises
        loss.legend.setOffset((-10, 10))
        acc.legend.setOffset((-10, -10))
        # normal: [0] = train accuracy; race: test accuracy of each contender
        self.acc_curves = [acc.plot([], []) for _ in range(MAX_RUNS)]
        self.test_acc_curve = acc.plot([], [])
        acc.enableAutoRange(y=False)
        self.weights_plot = make_plot(legend=True)
        self.weights_item = self.weights_plot.getPlotItem()
        self.weight_curves: list[pg.PlotDataItem] = []
        self.weight_targets: list[pg.PlotDataItem] = []
        for plot in (loss, acc, self.weights_item):
            for item in plot.listDataItems():
                _thin_when_drawn(item)

        # data, kernel, predictions
        self.data_plot = make_plot(legend=True)
        self.data_plot.getPlotItem().legend.setOffset((10, -10))  # bottom left: free space
        data = self.data_plot.getPlotItem()
        self.signal_curves = [pg.PlotCurveItem(name=n) for n in ("rising (0)", "falling (1)")]
        for curve in self.signal_curves:
            data.addItem(curve)
        self.kernel_plot = make_plot()
        self.kernel_stems = Stems(self.kernel_plot.getPlotItem(), series_color(0))
        self.kernel_text = pg.TextItem(anchor=(0, 0))
        self.kernel_plot.addItem(self.kernel_text)
        self.pred_plot = make_plot()
        self.pred_plot.setToolTip(
            "Filled dots: the model's output p for each test signal, coloured by its true "
            "class; rings: the label (0 rising, 1 falling); dashed: the 0.5 threshold")
        pred = self.pred_plot.getPlotItem()
        self.pred_points = [pg.ScatterPlotItem(size=8, name=n)
                            for n in ("p, rising", "p, falling")]
        self.label_points = pg.ScatterPlotItem(size=10, symbol="o", brush=None, name="label")
        for item in (*self.pred_points, self.label_points):
            pred.addItem(item)
        self.threshold_line = pg.InfiniteLine(0.5, angle=0, movable=False)
        pred.addItem(self.threshold_line)
        self.pred_text = pg.TextItem(anchor=(0, 0))
        pred.addItem(self.pred_text)

        for widget, title, y_label in ((self.loss_plot, "Loss ½·mean((y − p)²)", "loss"),
                                       (self.acc_plot, "Accuracy (p > 0.5 → falling)",
                                        "accuracy"),
                                       (self.weights_plot, "Parameters", "value")):
            item = widget.getPlotItem()
            item.setAxisItems({"left": PlainAxis("left"), "bottom": StepAxis("bottom")})
            style_plot(item, title, "step", y_label, grid=False)
            item.enableAutoRange(x=False)
        for widget, title, x_label, y_label in (
                (self.data_plot, "Training signals", "t", "x"),
                (self.kernel_plot, "Kernel", "tap j", "w_j"),
                (self.pred_plot, "Test predictions", "test signal", "p")):
            item = widget.getPlotItem()
            item.setAxisItems({"left": PlainAxis("left"), "bottom": PlainAxis("bottom")})
            style_plot(item, title, x_label, y_label)
        self.kernel_plot.getPlotItem().enableAutoRange(x=False, y=False)
        self.pred_plot.getPlotItem().enableAutoRange(x=False, y=False)
        # Plots redrawn every frame go without grid: a grid makes pyqtgraph repaint the
        # axes over the whole plot on every change, about five times the cost of the curves.
        for widget in (self.loss_plot, self.acc_plot, self.weights_plot):
            widget.getPlotItem().showGrid(x=False, y=False)
        self.acc_plot.getPlotItem().setYRange(-0.02, 1.05, padding=0)

    def _style_curves(self) -> None:
        """Colours and fonts that follow the theme (the runs' colours: :meth:`_style_runs`)."""
        theme = theme_manager().theme
        fg, muted = theme.foreground, theme.muted
        dash = Qt.PenStyle.DashLine
        self.test_loss_curve.setPen(pg.mkPen(series_color(1), width=CURVE_WIDTH, style=dash))
        self.min_loss_curve.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DotLine))
        self.test_acc_curve.setPen(pg.mkPen(series_color(1), width=CURVE_WIDTH, style=dash))
        for i, curve in enumerate(self.signal_curves):
            curve.setPen(pg.mkPen(series_color(i), width=1.2))
        for i, points in enumerate(self.pred_points):
            points.setBrush(pg.mkBrush(series_color(i)))
            points.setPen(pg.mkPen(series_color(i)))
        self.label_points.setPen(pg.mkPen(fg, width=1.5))
        self.threshold_line.setPen(pg.mkPen(muted, width=1.5, style=dash))
        self.kernel_stems.set_color(series_color(0))
        for text in (self.kernel_text, self.pred_text):
            text.setColor(fg)
            text.setFont(theme_manager().plot_font(0.9))  # follows presentation mode

    def _style_runs(self) -> None:
        for i, curve in enumerate(self.loss_curves):
            color = series_color(self.runs[i].color_index) if i < len(self.runs) else "#000000"
            curve.setPen(pg.mkPen(color, width=CURVE_WIDTH))
            self.acc_curves[i].setPen(pg.mkPen(color, width=CURVE_WIDTH))
            self.path_curves[i].setPen(pg.mkPen(color, width=2.5))
        for i, curve in enumerate(self.weight_curves):
            curve.setPen(pg.mkPen(series_color(i), width=CURVE_WIDTH))
            self.weight_targets[i].setPen(
                pg.mkPen(series_color(i), width=1, style=Qt.PenStyle.DotLine))

    def _apply_log_modes(self) -> None:
        """Log loss / log step axes as the state says."""
        s = self.state
        self.loss_plot.getPlotItem().setLogMode(x=s.log_steps, y=s.log_loss)
        for widget in (self.acc_plot, self.weights_plot):
            widget.getPlotItem().setLogMode(x=s.log_steps)
        self._x_max = 0.0  # the step ranges are set again in the new units

    def _reset_curves(self) -> None:
        """New runs, data or model: a weight curve per parameter, every range fitted again."""
        s = self.state
        names = s.names
        weights = self.weights_item
        for curve in self.weight_curves + self.weight_targets:
            weights.removeItem(curve)
        if weights.legend is not None:
            weights.legend.clear()
        owner = f" ({self.runs[0].label})" if len(self.runs) > 1 else ""  # a race: whose?
        self.weight_curves = [weights.plot([], [], name=n + owner) for n in names]
        self.weight_targets = [weights.plot([], []) for _ in names]
        for curve in self.weight_curves:
            _thin_when_drawn(curve)
        self._style_runs()
        self._draw_data()
        self._x_max = self._kernel_lim = 0.0  # re-range every plot
        self._legend_labels = []
        self._pred_range = (0.0, 0.0)
        self.kernel_plot.getPlotItem().setXRange(0.5, s.taps + 0.5)
        # taps are whole numbers: one tick per tap, never 1.5
        self.kernel_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(j, str(j)) for j in range(1, s.taps + 1)]])
        self.pred_plot.getPlotItem().setXRange(-1, self.data[1][1].size)

    def _draw_data(self) -> None:
        (x, y), _ = self.data
        t = np.arange(x.shape[1], dtype=float)
        for label, curve in enumerate(self.signal_curves):
            rows = x[y == label]
            connect = np.ones(rows.size, dtype=bool)
            connect[x.shape[1] - 1 :: x.shape[1]] = False  # break between signals
            curve.setData(np.tile(t, len(rows)), rows.ravel(), connect=connect)

    def _draw_curves(self, race: bool) -> None:
        """Loss and accuracy of every run, the first run's parameters; the step axes."""
        h = self.trainer.history
        for i, (loss, acc) in enumerate(zip(self.loss_curves, self.acc_curves, strict=True)):
            if i < len(self.runs):
                rh = self.runs[i].trainer.history
                loss.setData(rh.steps, rh.train_loss)
                acc.setData(rh.steps, rh.test_accuracy if race else rh.train_accuracy)
            else:
                loss.setData([], [])
                acc.setData([], [])
            loss.setVisible(i < len(self.runs))
            acc.setVisible(i < len(self.runs))
        for curve, values in ((self.test_loss_curve, h.test_loss),
                              (self.test_acc_curve, h.test_accuracy)):
            curve.setVisible(not race)
            if race:
                curve.setData([], [])
            else:
                curve.setData(h.steps, values)
        self._refresh_legends(race)
        for i, curve in enumerate(self.weight_curves):
            curve.setData(h.steps, h.params[:, i])
        # the step axis grows in 1-2-5 jumps, so the axes are not re-laid out every frame
        x_max = nice_ceiling(max(max(r.trainer.step_count for r in self.runs), 10))
        if x_max != self._x_max:
            self._x_max = x_max
            log = self.state.log_steps
            x0 = 1 if log else 0  # a log axis starts at step 1 (step 0 is not drawn)
            for widget in (self.loss_plot, self.acc_plot, self.weights_plot):
                widget.getPlotItem().setXRange(x0, math.log10(x_max) if log else x_max,
                                               padding=0.02)
            self.min_loss_curve.setData([x0, x_max], [self.min_loss, self.min_loss])
            for target, value in zip(self.weight_targets, self.optimum, strict=True):
                target.setData([x0, x_max], [value, value])

    def _refresh_legends(self, race: bool) -> None:
        """Name the loss and accuracy curves (only when the runs or their labels changed)."""
        labels = [r.label for r in self.runs] if race else ["train", "test"]
        if labels == self._legend_labels:
            return
        self._legend_labels = labels
        n = len(self.runs)
        for plot, curves, test, extra in (
            (self.loss_plot, self.loss_curves, self.test_loss_curve, self.min_loss_curve),
            (self.acc_plot, self.acc_curves, self.test_acc_curve, None),
        ):
            legend = plot.getPlotItem().legend
            legend.clear()
            shown = curves[:n] if race else [curves[0], test]
            for curve, label in zip(shown, labels, strict=True):
                legend.addItem(curve, f"{label} (test)" if race and extra is None else label)
            if extra is not None:
                legend.addItem(extra, "least-squares minimum")

    def _draw_kernel(self, theta: np.ndarray) -> None:
        s = self.state
        w = theta[: s.taps]
        self.kernel_stems.setData(np.arange(1, s.taps + 1), w)
        lim = nice_ceiling(max(float(np.abs(w).max()) * 1.15, 0.1))
        if lim != self._kernel_lim:
            self._kernel_lim = lim
            self.kernel_plot.getPlotItem().setYRange(-lim, lim, padding=0)
        lines = [f"w = ({format_array(w, 2)})"] if s.taps <= 3 else []  # wider: stems only
        if s.bias:
            lines.append(f"b = {theta[-1]:.3g}")
        text = "\n".join(lines)
        self.kernel_text.setText(text)
        self.kernel_text.setPos(0.5, self._kernel_lim)

    def _draw_predictions(self, theta: np.ndarray) -> None:
        _, (x_test, y_test) = self.data
        p = cc.predict(x_test, theta, self.state.bias)
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
        self.pred_text.setText(f"{correct}/{p.size} right")
        self.pred_text.setPos(-1, hi)
