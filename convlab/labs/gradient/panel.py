"""The Gradient Descent lab: train the notebook's 2-tap kernel live and watch where it goes.

:class:`GradientPanel` binds the lab's settings (:class:`GradientLabState`) to
one or more :class:`convlab.core.Trainer` runs and their plots. It is put
together from mixins, one per part of the window, whose widgets and plot items
all live on the panel:

* :class:`~convlab.labs.gradient.controls.GradientControls` — the settings
  column, the toolbar, the shortcuts, state → widgets;
* :class:`~convlab.labs.gradient.runs.GradientRuns` — the runs, Step / Run /
  Reset and the time-budgeted frame loop;
* :class:`~convlab.labs.gradient.landscape.GradientLandscape` — the exact loss
  landscape with the runs' paths;
* :class:`~convlab.labs.gradient.curves.GradientCurves` — the loss, accuracy,
  parameter, data, kernel and prediction plots.

This module keeps what ties them together: the layout, the handlers of the
controls, rebuilding the runs when the data or the model change, the gradient
and curvature read-outs, the redraw, exports and the :class:`LabPanel` API.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import QSignalBlocker, QTimer
from PyQt6.QtWidgets import QFileDialog, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

import convlab.core as cc
from convlab.exports import write_updown_csv
from convlab.gui.base import DataExport, LabPanel
from convlab.gui.widgets import format_array

from .controls import GradientControls
from .curves import GradientCurves
from .landscape import GradientLandscape
from .model import (
    OPTIMIZER_LABELS,
    GradientLabState,
    RacerSpec,
    resize_params,
    sgd_curvature,
    write_history_csv,
)
from .runs import FRAME_MS, GradientRuns, divergence_report

__all__ = ["GradientPanel"]


class GradientPanel(GradientControls, GradientRuns, GradientLandscape, GradientCurves, LabPanel):
    """Live gradient descent on the rising/falling data set, with its exact loss landscape."""

    title = "Gradient Descent"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = GradientLabState()
        self._message = ""
        self._init_runs()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(FRAME_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_controls)

        controls = self._build_controls()
        toolbar = self._build_toolbar()
        plots = self._build_plots()
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(toolbar)
        right.addWidget(self.status_label)
        right.addWidget(plots, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(controls)
        layout.addLayout(right, 1)
        self._build_shortcuts()
        self.follow_theme(self._restyle)
        self._restyle()
        self._sync_widgets()
        self._rebuild("")

    def _build_plots(self) -> QWidget:
        """The landscape (two rows, two columns), the step plots beside it, the rest below."""
        self._build_landscape()
        self._build_curves()
        area = QWidget()
        grid = QGridLayout(area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        grid.addWidget(self.land_plot, 0, 0, 2, 2)
        grid.addWidget(self.loss_plot, 0, 2, 1, 2)
        grid.addWidget(self.acc_plot, 1, 2, 1, 2)
        for col, widget in enumerate((self.data_plot, self.weights_plot, self.kernel_plot,
                                      self.pred_plot)):
            grid.addWidget(widget, 2, col)
        for col in range(4):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(0, 5)
        grid.setRowStretch(1, 5)
        grid.setRowStretch(2, 4)
        return area

    def _restyle(self) -> None:
        self._fit_timer.start()  # once the new font has reached the widgets
        self._style_curves()
        self._style_landscape()
        self._style_runs()
        self._schedule_redraw()

    # ================================================================== runs ↔ state
    def _rebuild(self, message: str) -> None:
        """New data / model: fresh trainers at the start, plots refitted."""
        s = self.state
        self.data = s.dataset()
        self._make_runs()
        self.optimum = self.trainer.optimum()
        self.min_loss = float(self.trainer.quadratic(self.optimum))
        self._show_curvature()
        self._reset_curves()
        self.fit_view()
        self._set_message(message)

    def _set_message(self, message: str) -> None:
        """Show ``message`` on the status line (and the main window's status bar)."""
        self._message = message
        if message:
            self.status_message.emit(message)
        self._schedule_redraw()

    # ================================================================== read-outs
    def _show_curvature(self) -> None:
        """The valley's shape and what it means for SGD with the chosen learning rates."""
        c = sgd_curvature(self.trainer.quadratic.hessian, self.state.learning_rates)
        lam = c.eigenvalues
        text = (f"Curvatures λ from {lam[0]:.3g} to {lam[-1]:.3g} "
                f"(ratio {c.ratio:,.0f}): a long, narrow valley. " if c.ratio > 30 else
                f"Curvatures λ from {lam[0]:.3g} to {lam[-1]:.3g} (ratio {c.ratio:,.0f}). ")
        text += f"Plain SGD with these α: μ_max = {c.scaled[-1]:.3g} "
        if not c.stable:
            text += "> 2, it diverges."
        elif np.isfinite(c.steps_per_efold):
            text += (f"< 2, stable; the slowest direction needs ≈{c.steps_per_efold:,.0f} "
                     "steps per factor e.")
        else:
            text += "< 2, but a flat direction never converges."
        self.curvature_label.setText(text)

    def _draw_gradient(self, theta: np.ndarray) -> None:
        """The chain-rule gradient at ``theta`` beside finite differences."""
        (x, y), _ = self.data
        check = cc.check_gradient(x, y, theta, self.state.bias)
        rows = "".join(
            f"<tr><td>∂L/∂{n}</td><td align='right'>{a:+.5g}</td>"
            f"<td align='right'>{d:+.5g}</td></tr>"
            for n, a, d in zip(self.state.names, check.analytic, check.numeric, strict=True))
        difference = float(np.linalg.norm(check.analytic - check.numeric))
        if check.relative_error < 1e-5:
            verdict = "✓ they agree"
        elif difference < 100 * check.resolution:
            verdict = "✓ equal within rounding noise (the gradient is nearly 0)"
        else:
            verdict = "✗ they disagree"
        self.gradient_label.setText(
            "<table cellspacing='4'><tr><th></th><th>chain rule</th><th>finite diff.</th></tr>"
            f"{rows}</table>relative error {check.relative_error:.1e}: {verdict}")
        self.gradient_check = check

    # ================================================================== actions
    def restart_at(self, u: float, v: float) -> None:
        """Restart every run from the current point with the landscape's two axes set to (u, v)."""
        if self.state.n_params < 2:
            return
        a, b = self.state.slice_axes
        point = self.trainer.params
        point[a], point[b] = u, v
        self.state.start = [float(p) for p in point]
        self.start_edit.setValue(self.state.start)
        self._restart_runs(point)
        self._set_message(f"Restarted from ({format_array(point)})")

    def new_seed(self) -> None:
        """A new random data set."""
        self.seed_spin.setValue(random.randrange(1, 1_000_000))

    def data_exports(self) -> list[DataExport]:
        return [
            DataExport("Training history as CSV…", "CSV (*.csv)",
                       "convlab-gradient-history.csv", self.write_history),
            DataExport("Data set (signals and labels) as CSV…", "CSV (*.csv)",
                       "convlab-updown-data.csv", self.write_dataset),
        ]

    def write_history(self, path: Path) -> None:
        """Write the history of every run to ``path`` as CSV (raises OSError)."""
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_history_csv(
                stream, [(r.label, r.trainer.names, r.trainer.history) for r in self.runs])

    def write_dataset(self, path: Path) -> None:
        """Write the rising/falling signals and their labels to ``path`` as CSV."""
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_updown_csv(stream, self.data)

    def export_csv(self) -> None:
        """Ask for a file name and save the history as CSV."""
        start = str(Path.home() / "convlab-gradient-history.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export history", start, "CSV (*.csv)")
        if path:
            self.save_csv(Path(path))

    def save_csv(self, path: Path) -> None:
        """Write the history of every run to ``path`` (errors go to the status line)."""
        try:
            self.write_history(path)
        except OSError as exc:
            self._set_message(f"Could not save the history: {exc.strerror or exc}")
            return
        rows = sum(len(r.trainer.history) for r in self.runs)
        self._set_message(f"Saved {rows} history rows to {path}")

    # ================================================================== handlers
    def _on_structure(self, key: str, value: Any) -> None:
        """Data or model shape changed: the old run no longer applies, so restart."""
        s = self.state
        before = GradientLabState.from_dict(s.to_dict())
        old_taps, old_bias = s.taps, s.bias
        setattr(s, key, value)
        if key == "length":
            s.taps = min(s.taps, s.length)
        if (s.taps, s.bias) != (old_taps, old_bias):
            s.start = resize_params(s.start, old_taps, old_bias, s.taps, s.bias, 0.5, 0.0)
            s.learning_rates = resize_params(s.learning_rates, old_taps, old_bias, s.taps,
                                             s.bias, 0.01, 0.01)
            n = s.n_params
            s.slice_axes = [0, 1] if n <= 2 or max(s.slice_axes) >= n else s.slice_axes
        try:
            s.validate()
        except ValueError as exc:  # e.g. too few signals for a test set: keep the old settings
            self.state = before
            self._sync_widgets()
            self._set_message(f"Not changed: {exc}")
            return
        self._sync_widgets()
        what = {"n_samples": "Samples", "length": "Signal length", "data_seed": "Data seed",
                "noise": "Noise", "test_fraction": "Test fraction", "taps": "Number of taps",
                "bias": "Bias"}[key]
        self._rebuild(f"{what} changed: new model/data, training restarted at step 0")

    def _on_start_edited(self, values: np.ndarray) -> None:
        self.state.start = [float(v) for v in values]
        self._restart_runs(values)
        self._set_message("New start: training restarted at step 0")
        self.fit_view()

    def _on_rates_edited(self, values: np.ndarray) -> None:
        self.state.learning_rates = [float(v) for v in values]
        self._show_curvature()
        if not self.state.race:
            self.trainer.set_learning_rates(values)
            self.runs[0].reported = False
            self._set_message(f"Learning rates ({format_array(values)}) apply from the next step")

    def _on_optimizer_changed(self) -> None:
        name = self.optimizer_combo.currentData()
        self.state.optimizer = name
        if not self.state.race:
            self.trainer.set_optimizer(name, **self.state.optimizer_options(name))
            self.runs[0].label = OPTIMIZER_LABELS[name]
            self.runs[0].reported = False
            self._set_message(
                f"{OPTIMIZER_LABELS[name]} from step {self.trainer.step_count + 1} on")
        self._update_enabled()

    def _on_options_changed(self) -> None:
        s = self.state
        s.momentum = self.momentum_spin.value()
        s.beta1 = self.beta1_spin.value()
        s.beta2 = self.beta2_spin.value()
        for run in self.runs:
            options = s.optimizer_options(run.trainer.optimizer.name)
            if options:
                run.trainer.optimizer.set_options(**options)
        self._set_message("Optimizer settings apply from the next step")

    def _on_batch_changed(self, value: int) -> None:
        self.state.batch_size = int(value)
        for run in self.runs:
            run.trainer.set_batch_size(int(value) or None)
        self._set_message(f"Batch size {value or 'full'} from the next step")

    def _on_race_toggled(self, on: bool) -> None:
        self.state.race = bool(on)
        self._update_enabled()
        self._rebuild("Race on: the contenders start together" if on else "Race off")

    def _on_racer_changed(self, index: int, restart: bool = False) -> None:
        enabled, combo, rate = self.racer_widgets[index]
        racer = RacerSpec(enabled.isChecked(), combo.currentData(), rate.value())
        self.state.racers[index] = racer
        if not self.state.race:
            return
        self._update_enabled()
        run = next((r for r in self.runs if r.racer_index == index), None)
        if restart:
            self._rebuild("Contenders changed: the race restarted")
            return
        if run is None:  # a contender sitting this race out: nothing is running
            return
        if run.trainer.optimizer.name != racer.optimizer:
            run.trainer.set_optimizer(racer.optimizer,
                                      **self.state.optimizer_options(racer.optimizer))
        run.trainer.set_learning_rates(racer.learning_rate)
        run.label = racer.label()
        run.reported = False
        self._set_message(f"{racer.label()} from the next step")

    def _on_axes_changed(self) -> None:
        axes = [combo.currentIndex() for combo in self.axis_combos]
        if -1 in axes or self.state.n_params < 2:
            return
        old = self.state.slice_axes
        if axes[0] == axes[1]:  # the same parameter twice: swap the two axes instead
            changed = 0 if axes[0] != old[0] else 1
            axes[1 - changed] = old[changed]
            with QSignalBlocker(self.axis_combos[1 - changed]):
                self.axis_combos[1 - changed].setCurrentIndex(axes[1 - changed])
        self.state.slice_axes = axes
        self.fit_view()

    def _on_speed_changed(self) -> None:
        self.state.steps_per_frame = int(self.speed_combo.currentData())

    def _on_log_toggled(self, key: str, on: bool) -> None:
        setattr(self.state, key, bool(on))
        self._update_enabled()
        self._schedule_redraw()

    # ================================================================== drawing
    def _schedule_redraw(self) -> None:
        if not self._redraw_timer.isActive() and not self._frame_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Bring every plot up to the trainers' state (called at most once per frame)."""
        if self._shut_down:
            return
        race = len(self.runs) > 1
        self._draw_curves(race)
        theta = self.trainer.params
        self._draw_kernel(theta)
        self._draw_predictions(theta)
        self._draw_landscape(theta)
        self._draw_gradient(theta)
        rate = (f" · {self.steps_per_second:,.0f} steps/s, {self.frames_per_second:.0f} fps"
                if self.running and self.steps_per_second else "")
        self.step_label.setText(f"step {self.trainer.step_count:,}{rate}")
        diverged = [r for r in self.runs if r.trainer.diverged]
        if diverged:
            text = divergence_report(diverged, race)
            self.status_label.setText(f"<b style='color:#E53935'>{text}</b>")
            self.status_label.setToolTip(text)
        else:
            self.status_label.setText(self._message)
            self.status_label.setToolTip(self._message)

    # ================================================================== LabPanel API
    def weights(self) -> np.ndarray:
        """The current parameters of the run (in a race, the first contender's)."""
        return self.trainer.params.copy()

    def get_state(self) -> dict[str, Any]:
        # a diverged run is saved as the step it blew up at, so a replay stops there too
        self.state.step = int(max(run.trainer.diverged_at or run.trainer.step_count
                                  for run in self.runs))
        return self.state.to_dict()

    def set_state(self, state: dict[str, Any]) -> None:
        new = GradientLabState.from_dict(state)  # raises ValueError before touching anything
        self.set_running(False)
        self.state = new
        self._sync_widgets()
        self._rebuild("Settings loaded: training restarted at step 0")
        if new.step:
            self._advance(new.step)
            if not any(run.trainer.diverged for run in self.runs):
                self._set_message(f"Settings loaded: training replayed to step {new.step}")
        self._schedule_redraw()

    def shutdown(self) -> None:
        self.running = False
        super().shutdown()

    def self_test(self) -> None:
        saved = self.get_state()
        try:
            self.set_state(GradientLabState().to_dict())
            reference = cc.Trainer(self.state.dataset(), seed=self.state.data_seed)
            for _ in range(25):
                self.step_once()
            reference.step(25)
            assert np.allclose(self.trainer.params, reference.params, rtol=0, atol=1e-12), (
                "Step does not match the core Trainer")
            (x, y), _ = self.data
            lstsq = cc.least_squares_optimum(x, y)
            self.redraw()
            marker = np.array([p[0] for p in self.optimum_marker.getData()])
            assert np.allclose(marker, lstsq, atol=1e-12), "optimum marker is not least squares"
            assert self.gradient_check.relative_error < 1e-6, "gradient check failed"
            self.lr_edit.setValue([5.0, 5.0])
            self._on_rates_edited(np.array([5.0, 5.0]))
            for _ in range(200):
                self.step_once()
            assert self.trainer.diverged, "a learning rate of 5 should diverge"
            self.redraw()
            assert np.all(np.isfinite(self.loss_curves[0].getOriginalDataset()[1]))
        finally:
            self.set_state(saved)
