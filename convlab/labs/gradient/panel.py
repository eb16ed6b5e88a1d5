"""The Gradient Descent lab: train the notebook's 2-tap kernel live and watch where it goes.

:class:`GradientPanel` builds the lab's parts, lays them out and wires them:

* :class:`~convlab.labs.gradient.model.GradientLabState` — the settings (evented);
* :class:`~convlab.labs.gradient.runs.RunController` — the runs, Step / Run /
  Reset, the time-budgeted frame loop and divergence;
* the settings column (:mod:`~convlab.labs.gradient.controls`) and the
  gradient / curvature read-outs (:mod:`~convlab.labs.gradient.readouts`);
* the toolbar and status line (:mod:`~convlab.labs.gradient.toolbar`);
* the plots: the loss landscape (:mod:`~convlab.labs.gradient.landscape`), the
  step curves (:mod:`~convlab.labs.gradient.curves`) and the data, kernel and
  prediction plots (:mod:`~convlab.labs.gradient.samples`);
* the timeline scrubber under the plots (:class:`~convlab.gui.timeline.TimelineScrubber`):
  it chooses the step the controller shows (:meth:`RunController.show_step`), and
  every view draws the runs at that step. The panel is the lab's
  :class:`~convlab.gui.base.AnimationSource` (the scrubber's steps, Export Animation…).

The parts talk to the model and to the controller only; the panel holds no lab logic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.base import AnimationSource, DataExport, LabPanel
from convlab.gui.theme import theme_manager
from convlab.gui.timeline import TimelineScrubber

from .controls import AxesBox, ControlColumn, DataBox, ModelBox, RaceBox
from .curves import StepCurves
from .landscape import Landscape
from .model import GradientLabState, timeline_data
from .readouts import BiasLesson, GradientBox
from .runs import RunController
from .samples import SamplePlots
from .toolbar import ReplayProgress, StatusLine, Toolbar

__all__ = ["PLOTS_MIN_HEIGHT", "GradientPanel"]

#: Below this the plots are too short to read (ticks collide): the plot area scrolls instead.
PLOTS_MIN_HEIGHT = 520


class GradientPanel(LabPanel):
    """Live gradient descent on the rising/falling data set, with its exact loss landscape."""

    title = "Gradient Descent"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = GradientLabState()
        # the controller first: it follows a model change before the views show it
        self.controller = RunController(self.model, self)
        self.data_box = DataBox(self.model)
        self.model_box = ModelBox(self.model)
        self.gradient_box = GradientBox(self.model, self.controller)
        self.race_box = RaceBox(self.model)
        self.axes_box = AxesBox(self.model)
        self.column = ControlColumn((self.data_box, self.model_box, self.gradient_box,
                                     self.race_box, self.axes_box))
        self.toolbar = Toolbar(self.model, self.controller)
        self.status = StatusLine(self.controller)
        self.replay_progress = ReplayProgress(self.controller, self)
        self.landscape = Landscape(self.model, self.controller, self)
        self.curves = StepCurves(self.model, self.controller, self)
        self.samples = SamplePlots(self.model, self.controller, self)
        self.bias_lesson = BiasLesson(self.model, self.controller)
        self.scrubber = TimelineScrubber()
        self._lay_out()
        self._wire()
        self.controller.rebuild("")
        for restyle in (self.column.restyle, self.curves.restyle, self.landscape.restyle,
                        self.samples.restyle, self._fit_plots_height):
            self.follow_theme(restyle)
            restyle()

    def _lay_out(self) -> None:
        """Settings on the left; toolbar, status and plots on the right."""
        plots = QWidget()
        grid = QGridLayout(plots)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for view in (self.landscape.view, self.curves.loss_plot, self.curves.acc_plot,
                     self.curves.weights_plot, self.samples.data_plot, self.samples.kernel_plot,
                     self.samples.pred_plot):
            view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # mouse only: no Tab stop without use
        grid.addWidget(self.landscape.view, 0, 0, 2, 2)
        grid.addWidget(self.curves.loss_plot, 0, 2, 1, 2)
        grid.addWidget(self.curves.acc_plot, 1, 2, 1, 2)
        for col, widget in enumerate((self.samples.data_plot, self.curves.weights_plot,
                                      self.samples.kernel_plot, self.samples.pred_plot)):
            grid.addWidget(widget, 2, col)
            grid.setColumnStretch(col, 1)
        for row, stretch in enumerate((5, 5, 4)):
            grid.setRowStretch(row, stretch)
        # on a small screen the plots scroll rather than shrink below use
        self._plots = plots
        self._fit_plots_height()
        self.plots_area = QScrollArea()
        self.plots_area.setWidget(plots)
        self.plots_area.setWidgetResizable(True)
        self.plots_area.setFrameShape(QFrame.Shape.NoFrame)
        self.plots_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.plots_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a scroll area is no focus stop
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.toolbar)
        # the status line shares its row with Export Animation…: the toolbar's and the
        # timeline's rows have no room left for it (1366 px; 1024 px in presentation mode)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(0, 0, 0, 0)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.toolbar.animation_button)
        right.addLayout(status_row)
        right.addWidget(self.plots_area, 1)
        right.addWidget(self.scrubber)  # under the plots, outside the animation's frame
        right.addWidget(self.bias_lesson)  # the bias lesson, always on screen
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.column)
        layout.addLayout(right, 1)

    def _fit_plots_height(self) -> None:
        """The plots' least height grows with the text (presentation mode): they scroll."""
        self._plots.setMinimumHeight(round(PLOTS_MIN_HEIGHT * theme_manager().scale))

    def _wire(self) -> None:
        for part in (self.controller, self.toolbar, self.data_box, self.model_box,
                     self.race_box, self.axes_box, self.bias_lesson):
            part.message.connect(self._show_message)
        self.axes_box.fit_requested.connect(self.landscape.fit_view)
        self.toolbar.export_animation_requested.connect(lambda: self.export_animation())
        # the scrubber chooses the step shown; the controller may go live (reset, new runs)
        self.scrubber.step_chosen.connect(self.controller.show_step)
        self.controller.shown_changed.connect(self._on_shown_changed)
        self.controller.stepped.connect(self._feed_scrubber)  # with the redraw: once a frame
        self.add_shortcuts(((Qt.Key.Key_Space, self.toolbar.run_button.toggle),
                            (Qt.Key.Key_Right, self.controller.step_once),
                            (Qt.Key.Key_R, self.controller.reset),
                            (Qt.Key.Key_F, self.landscape.fit_view),
                            (Qt.Key.Key_BracketLeft, self.scrubber.step_back),
                            (Qt.Key.Key_BracketRight, self.scrubber.step_forward),
                            (Qt.Key.Key_P, self.scrubber.toggle_play),
                            (Qt.Key.Key_L, self.scrubber.go_live)))
        s = self.scrubber
        for widget, key in ((s.slider, "[ / ] one recorded step back / forward"),
                            (s.play_button, "P"), (s.live_button, "L")):
            widget.setToolTip(f"{widget.toolTip()} ({key})")

    def _feed_scrubber(self) -> None:
        """The primary run's recorded steps to the scrubber (a copy of ≤ 10,000 ints)."""
        self.scrubber.set_steps(self.controller.trainer.history.steps)

    def _on_shown_changed(self, step: int | None) -> None:
        """The controller went live (reset, a restart, new runs): so does the scrubber."""
        if step is None and self.scrubber.shown_step() is not None:
            self.scrubber.go_live()

    def _show_message(self, text: str) -> None:
        """On the status line, and (if not empty) in the main window's status bar."""
        self.status.show_message(text)
        if text:
            self.status_message.emit(text)

    # ================================================================== LabPanel API
    @property
    def trainer(self) -> cc.Trainer:
        """The primary run's trainer (read-only use: scripts, tests, benchmarks)."""
        return self.controller.trainer

    def weights(self) -> np.ndarray:
        """The current parameters of the run (in a race, the first contender's)."""
        return self.controller.weights()

    def revision(self) -> int:
        """Changes whenever :meth:`get_state` would return something else."""
        return self.model.revision + self.controller.revision

    def pause(self) -> None:
        """Stop a running training and the timeline's playback (hidden, or View → Pause All)."""
        if self.controller.running:
            self.controller.set_running(False)
        if self.scrubber.playing:
            self.scrubber.toggle_play()

    def get_state(self) -> dict[str, Any]:
        # a diverged run is saved as the step it blew up at, so a replay stops there too
        # the run's timeline: every change of its settings, so a replay ends where it did
        return {**self.model.to_dict(), "step": self.controller.saved_step(),
                "timeline": timeline_data(self.controller.timeline())}

    def set_state(self, state: dict[str, Any]) -> None:
        new = GradientLabState.from_dict(state)  # raises ValueError before touching anything
        self.controller.load(new)

    # ================================================================== AnimationSource
    def animation_source(self) -> AnimationSource | None:
        """The panel itself (before two steps are recorded there is nothing to animate yet:
        Export Animation… says so)."""
        return self

    def animation_steps(self) -> np.ndarray:
        """The primary run's recorded steps, increasing int64, shape (M,) (a copy)."""
        return self.controller.trainer.history.steps.copy()

    def show_step(self, step: int | None) -> None:
        """Show every view at the last recorded step ≤ ``step`` (None: live), drawn now."""
        self._feed_scrubber()
        self.scrubber.show_step(step)  # → step_chosen → the controller
        self.controller.flush()

    def shown_step(self) -> int | None:
        """The step the views show, or None (the latest, following training)."""
        return self.controller.shown_step()

    def animation_widget(self) -> QWidget:
        """The plots (all of them, not the scroll area's viewport)."""
        return self._plots

    def animation_name(self) -> str:
        return "convlab-gradient"

    def data_exports(self) -> list[DataExport]:
        return [
            DataExport("Training history as CSV…", "CSV (*.csv)",
                       "convlab-gradient-history.csv", self.controller.write_history),
            DataExport("Data set (signals and labels) as CSV…", "CSV (*.csv)",
                       "convlab-updown-data.csv", self.controller.write_dataset),
        ]

    def shutdown(self) -> None:
        self.controller.shutdown()
        super().shutdown()

    def self_test(self) -> None:
        saved = self.get_state()
        try:
            self.set_state(GradientLabState().to_dict())
            reference = cc.Trainer(self.model.dataset(), seed=self.model.data_seed)
            for _ in range(25):
                self.controller.step_once()
            reference.step(25)
            assert np.allclose(self.weights(), reference.params, rtol=0, atol=1e-12), (
                "Step does not match the core Trainer")
            self.show_step(10)  # the timeline: every view at step 10, the run at 25
            shown = np.array([p[0] for p in self.landscape.current_points.getData()])
            assert np.array_equal(shown, reference.history.params[10]), "scrubbed point wrong"
            self.show_step(None)
            (x, y), _ = self.controller.data
            lstsq = cc.least_squares_optimum(x, y)
            self.controller.flush()
            marker = np.array([p[0] for p in self.landscape.optimum_marker.getData()])
            assert np.allclose(marker, lstsq, atol=1e-12), "optimum marker is not least squares"
            check = self.gradient_box.gradient_check
            assert check is not None and check.relative_error < 1e-6, "gradient check failed"
            self.model.learning_rates = (5.0, 5.0)
            for _ in range(200):
                self.controller.step_once()
            assert self.trainer.diverged, "a learning rate of 5 should diverge"
            self.controller.flush()
            assert np.all(np.isfinite(self.curves.loss_curves[0].getOriginalDataset()[1]))
        finally:
            self.set_state(saved)
