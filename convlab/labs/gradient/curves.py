"""The Gradient Descent lab's step plots: loss, accuracy and parameters against the step.

:class:`StepCurves` owns the three plots (laid out by the panel) and brings them
up to the runs: one loss / accuracy curve per run, the parameters of the first
run against their least-squares values. The step axis grows in 1-2-5 jumps
(:func:`~convlab.labs.gradient.axes.nice_ceiling`) so that the plots are not
laid out again on every frame.

At an earlier step chosen on the timeline (:meth:`RunController.shown_step`)
the curves end at that step and a vertical cursor marks it on each plot; the
step axes still span the whole run, so the cursor sits where the timeline's
slider does.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import QObject, Qt

from convlab.gui.plots import make_plot, style_plot
from convlab.gui.theme import series_color, theme_manager

from .axes import PlainAxis, StepAxis, legend_below, nice_ceiling, series_dash
from .model import GradientLabState
from .runs import MAX_RUNS, RunController

__all__ = ["CURVE_WIDTH", "StepCurves"]

# Thin lines for the long step-by-step curves: Qt strokes antialiased lines wider
# than 1 px about ten times slower, which would cost most of a frame.
CURVE_WIDTH = 1


def _thin_when_drawn(curve: pg.PlotDataItem) -> None:
    """Draw only the visible part of a long curve, peak-downsampled to the plot's width."""
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")


class StepCurves(QObject):
    """Loss, accuracy and parameter curves of the runs."""

    def __init__(self, model: GradientLabState, controller: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._controller = controller
        self._legend_labels: list[str] = []
        self._x_max = 0.0  # the step axes' upper limit (0: set them again)
        self.loss_plot = make_plot()
        loss = self.loss_plot.getPlotItem()
        legend_below(loss, 3)
        self.loss_curves = [loss.plot([], [], name=f"run {i}") for i in range(MAX_RUNS)]
        self.test_loss_curve = loss.plot([], [], name="test")
        self.min_loss_curve = loss.plot([], [], name="least-squares minimum")
        self.acc_plot = make_plot()
        acc = self.acc_plot.getPlotItem()
        legend_below(acc, 3)
        #: Normally [0] is the train accuracy; in a race the test accuracy of each contender.
        self.acc_curves = [acc.plot([], []) for _ in range(MAX_RUNS)]
        self.test_acc_curve = acc.plot([], [])
        acc.enableAutoRange(y=False)
        self.weights_plot = make_plot()
        legend_below(self.weights_plot.getPlotItem(), 5)
        #: One curve per parameter of the first run, and its least-squares value (dotted).
        self.weight_curves: list[pg.PlotDataItem] = []
        self.weight_targets: list[pg.PlotDataItem] = []
        for plot in (loss, acc):
            for item in plot.listDataItems():
                _thin_when_drawn(item)
        #: The step shown on the timeline, one vertical line per plot (hidden when live).
        self.cursors = [pg.InfiniteLine(angle=90, movable=False) for _ in range(3)]
        for widget, cursor in zip((self.loss_plot, self.acc_plot, self.weights_plot),
                                  self.cursors, strict=True):
            cursor.hide()
            cursor.setZValue(20)  # over the curves
            widget.getPlotItem().addItem(cursor, ignoreBounds=True)  # no part in y ranges
        self._style_axes()

        controller.stepped.connect(self.redraw)
        controller.runs_rebuilt.connect(self._on_runs_rebuilt)
        model.events.log_loss.connect(self._on_log_changed)
        model.events.log_steps.connect(self._on_log_changed)
        self._apply_log_modes()

    def _style_axes(self) -> None:
        for widget, title, y_label in ((self.loss_plot, "Loss ½·mean((y − p)²)", "loss"),
                                       (self.acc_plot, "Accuracy (p > 0.5 → falling)",
                                        "accuracy"),
                                       (self.weights_plot, "Parameters", "value")):
            item = widget.getPlotItem()
            item.setAxisItems({"left": PlainAxis("left"), "bottom": StepAxis("bottom")})
            style_plot(item, title, "step", y_label, grid=False)
            item.enableAutoRange(x=False)
            # Redrawn every frame, so no grid: a grid makes pyqtgraph repaint the axes
            # over the whole plot on every change, about five times the cost of the curves.
            item.showGrid(x=False, y=False)
        self.acc_plot.getPlotItem().setYRange(-0.02, 1.05, padding=0)

    def restyle(self) -> None:
        """Colours that follow the theme."""
        muted = theme_manager().theme.muted
        dash = Qt.PenStyle.DashLine
        self.test_loss_curve.setPen(pg.mkPen(series_color(1), width=CURVE_WIDTH, style=dash))
        self.min_loss_curve.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DotLine))
        self.test_acc_curve.setPen(pg.mkPen(series_color(1), width=CURVE_WIDTH, style=dash))
        for cursor in self.cursors:
            cursor.setPen(pg.mkPen(theme_manager().theme.foreground, width=1.5, style=dash))
        self._color_runs()
        for widget in (self.loss_plot, self.acc_plot, self.weights_plot):
            widget.getPlotItem().legend.restyle(theme_manager().scale)

    def _color_runs(self) -> None:
        """Each run's colour on its loss and accuracy curve; each parameter its own."""
        runs = self._controller.runs
        for i, (loss, acc) in enumerate(zip(self.loss_curves, self.acc_curves, strict=True)):
            index = runs[i].color_index if i < len(runs) else 0
            pen = pg.mkPen(series_color(index), width=CURVE_WIDTH, style=series_dash(index))
            loss.setPen(pen)
            acc.setPen(pen)
        for i, (curve, target) in enumerate(zip(self.weight_curves, self.weight_targets,
                                                strict=True)):
            curve.setPen(pg.mkPen(series_color(i), width=CURVE_WIDTH, style=series_dash(i)))
            target.setPen(pg.mkPen(series_color(i), width=1, style=Qt.PenStyle.DotLine))

    def _apply_log_modes(self) -> None:
        """Log loss / log step axes as the model says."""
        s = self._model
        self.loss_plot.getPlotItem().setLogMode(x=s.log_steps, y=s.log_loss)
        for widget in (self.acc_plot, self.weights_plot):
            widget.getPlotItem().setLogMode(x=s.log_steps)
        # a new log mode resets the ranges: accuracy is 0 … 1 whatever the step axis
        self.acc_plot.getPlotItem().setYRange(-0.02, 1.05, padding=0)
        self._x_max = 0.0  # the step ranges are set again in the new units

    def _on_log_changed(self) -> None:
        self._apply_log_modes()
        self.redraw()

    def _on_runs_rebuilt(self) -> None:
        """New runs: a weight curve per parameter, every range fitted again."""
        weights = self.weights_plot.getPlotItem()
        for curve in self.weight_curves + self.weight_targets:
            weights.removeItem(curve)
        if weights.legend is not None:
            weights.legend.clear()
        runs = self._controller.runs
        owner = f" ({runs[0].label})" if len(runs) > 1 else ""  # a race: whose?
        names = self._model.names
        self.weight_curves = [weights.plot([], [], name=n + owner) for n in names]
        weights.legend.set_max_columns(2 if owner else 5)
        self.weight_targets = [weights.plot([], []) for _ in names]
        for curve in self.weight_curves:
            _thin_when_drawn(curve)
        self._color_runs()
        self._x_max = 0.0
        self._legend_labels = []

    def redraw(self) -> None:
        """Loss and accuracy of every run, the first run's parameters, up to the step shown;
        the cursor at that step; the step axes (the whole run)."""
        c = self._controller
        runs = c.runs
        race = c.is_race
        for i, (loss, acc) in enumerate(zip(self.loss_curves, self.acc_curves, strict=True)):
            if i < len(runs):
                rh = c.shown_history(runs[i])
                loss.setData(rh.steps, rh.train_loss)
                acc.setData(rh.steps, rh.test_accuracy if race else rh.train_accuracy)
            else:
                loss.setData([], [])
                acc.setData([], [])
            loss.setVisible(i < len(runs))
            acc.setVisible(i < len(runs))
        h = c.shown_history(runs[0])
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
        self._fit_steps(max(max(r.trainer.step_count for r in runs), 10))
        self._place_cursors(c.shown_step())

    def _place_cursors(self, step: int | None) -> None:
        """The vertical cursors at ``step`` (in the step axis's units); hidden when live."""
        for cursor in self.cursors:
            cursor.setVisible(step is not None)
            if step is not None:
                # a log step axis is in log10 units (it starts at step 1)
                cursor.setValue(math.log10(max(step, 1)) if self._model.log_steps else step)

    def _fit_steps(self, steps: int) -> None:
        """The step axes reach ``steps`` rounded up to 1, 2 or 5 × 10^k (set only on a change)."""
        x_max = nice_ceiling(steps)
        if x_max == self._x_max:
            return
        self._x_max = x_max
        log = self._model.log_steps
        x0 = 1 if log else 0  # a log axis starts at step 1 (step 0 is not drawn)
        for widget in (self.loss_plot, self.acc_plot, self.weights_plot):
            widget.getPlotItem().setXRange(x0, math.log10(x_max) if log else x_max,
                                           padding=0.02)
        min_loss = self._controller.min_loss
        self.min_loss_curve.setData([x0, x_max], [min_loss, min_loss])
        for target, value in zip(self.weight_targets, self._controller.optimum, strict=True):
            target.setData([x0, x_max], [value, value])

    def _refresh_legends(self, race: bool) -> None:
        """Name the loss and accuracy curves (only when the runs or their labels changed)."""
        runs = self._controller.runs
        labels = [r.label for r in runs] if race else ["train", "test"]
        if labels == self._legend_labels:
            return
        self._legend_labels = labels
        for plot, curves, test, extra in (
            (self.loss_plot, self.loss_curves, self.test_loss_curve, self.min_loss_curve),
            (self.acc_plot, self.acc_curves, self.test_acc_curve, None),
        ):
            legend = plot.getPlotItem().legend
            legend.clear()
            legend.set_max_columns(2 if race else 3)
            shown = curves[: len(runs)] if race else [curves[0], test]
            for curve, label in zip(shown, labels, strict=True):
                legend.addItem(curve, f"{label} (test)" if race and extra is None else label)
            if extra is not None:
                legend.addItem(extra, "LS minimum")
