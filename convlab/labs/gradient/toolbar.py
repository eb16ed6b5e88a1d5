"""The Gradient Descent lab's toolbar (Step, Run, Reset, speed, log axes, exports), status line."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PyQt6.QtCore import QEvent, QSignalBlocker, pyqtSignal
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from convlab.gui.theme import error_color
from convlab.gui.widgets import QuietProgressDialog

from .model import GradientLabState
from .runs import RunController, divergence_report

__all__ = ["SPEEDS", "ReplayProgress", "StatusLine", "Toolbar", "short_count"]

#: The widest the step read-out gets: its width is reserved, so it never pushes the controls.
WIDEST_STEP_TEXT = "step 20,000,000 · 999.9k steps/s"


def short_count(value: float) -> str:
    """``1234567`` → ``"1.2M"``, ``15320`` → ``"15.3k"``, ``950`` → ``"950"``."""
    for unit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= unit:
            return f"{value / unit:.1f}{suffix}"
    return f"{value:.0f}"

SPEEDS = ((1, "1 step / frame"), (10, "10 steps / frame"), (100, "100 steps / frame"),
          (1000, "1 000 steps / frame"), (10_000, "10 000 steps / frame"),
          (0, "max (8 ms per frame)"))


class Toolbar(QWidget):
    """Step / Run / Reset, the speed, the step counter, the log axes and the exports."""

    #: A sentence for the status line (the export's result).
    message = pyqtSignal(str)
    #: Export Animation… was pressed (the window saves the run as an animation).
    export_animation_requested = pyqtSignal()

    def __init__(self, model: GradientLabState, controller: RunController) -> None:
        super().__init__()
        self._model = model
        self._controller = controller
        self.step_button = QPushButton("Step →")
        self.step_button.setToolTip("One optimizer update (→)")
        self.run_button = QPushButton("Run")
        self.run_button.setCheckable(True)
        self.run_button.setToolTip("Train continuously / pause (Space)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the start weights, step 0, same data (R)")
        self.speed_combo = QComboBox()
        for steps, label in SPEEDS:
            self.speed_combo.addItem(label, steps)
        self.speed_combo.setAccessibleName("Steps per frame")
        self.speed_combo.setToolTip(
            "Optimizer steps between two redraws; 'max' runs as many as fit in 8 ms "
            "of every 16 ms frame, so the window stays responsive"
        )
        self.step_label = QLabel()
        self.step_label.setToolTip("Optimizer steps made since the start, and the speed")
        self.log_check = QCheckBox("log loss")
        self.log_check.setToolTip("Logarithmic loss axis: shows the slow crawl along the valley")
        self.log_steps_check = QCheckBox("log steps")
        self.log_steps_check.setToolTip(
            "Logarithmic step axis (from step 1): early and late training side by side — "
            "the way to compare optimizers in a race")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip(
            "Save the training history (step, parameters, losses, accuracies) as CSV. "
            "Right-click any plot → Export to save it as PNG or SVG."
        )
        #: Laid out by the panel beside the status line (the toolbar's rows have no room).
        self.animation_button = QPushButton("Export Animation…")
        self.animation_button.setToolTip("Save the run as an animated GIF, MP4 or HTML page")
        self.animation_button.setEnabled(False)  # until the run has recorded two steps
        # the groups in a row when there is room, else on as many rows as needed
        self._groups = (QWidget(), QWidget(), QWidget(), QWidget())
        for group, widgets in zip(self._groups, (
                (self.step_button, self.run_button, self.reset_button),
                (self.speed_combo,), (self.step_label,),
                (self.log_check, self.log_steps_check, self.export_button)), strict=True):
            row = QHBoxLayout(group)
            row.setContentsMargins(0, 0, 0, 0)
            for widget in widgets:
                row.addWidget(widget)
            row.addStretch(1)
        self._lines = QVBoxLayout(self)  # one QHBoxLayout per row of groups
        self._lines.setContentsMargins(0, 0, 0, 0)
        self._lines.setSpacing(2)
        self._rows: tuple[int, ...] = ()
        self._reserve_widths()
        self._on_steps_per_frame_changed(model.steps_per_frame, None)
        self._on_log_loss_changed(model.log_loss, None)
        self._on_log_steps_changed(model.log_steps, None)

        self.step_button.clicked.connect(controller.step_once)
        self.run_button.toggled.connect(controller.set_running)
        self.reset_button.clicked.connect(controller.reset)
        self.speed_combo.currentIndexChanged.connect(
            lambda _i: setattr(model, "steps_per_frame", self.speed_combo.currentData()))
        self.log_check.toggled.connect(partial(setattr, model, "log_loss"))
        self.log_steps_check.toggled.connect(partial(setattr, model, "log_steps"))
        self.export_button.clicked.connect(self.export_history)
        self.animation_button.clicked.connect(self.export_animation_requested)
        controller.stepped.connect(self._show_step)
        controller.state_changed.connect(self._on_state_changed)
        model.events.steps_per_frame.connect(self._on_steps_per_frame_changed)
        model.events.log_loss.connect(self._on_log_loss_changed)
        model.events.log_steps.connect(self._on_log_steps_changed)

    @property
    def two_rows(self) -> bool:
        """The controls take more than one row (the window is narrow)."""
        return len(set(self._rows)) > 1

    def _reserve_widths(self) -> None:
        """The step read-out as wide as its widest text; the bar as narrow as one group."""
        self.step_label.setFixedWidth(
            self.step_label.fontMetrics().horizontalAdvance(WIDEST_STEP_TEXT) + 8)
        self.setMinimumWidth(max(g.sizeHint().width() for g in self._groups))
        self._arrange(self.width())

    def _arrange(self, width: int) -> None:
        """Fill each row with as many groups as fit ``width``, in order."""
        spacing = 6
        rows, row, used = [], 0, 0
        for group in self._groups:
            need = group.sizeHint().width()
            if used and used + spacing + need > width:
                row, used = row + 1, 0
            rows.append(row)
            used += need + (spacing if used else 0)
        if tuple(rows) == self._rows:
            return
        self._rows = tuple(rows)
        while self._lines.count():  # the old rows (the groups themselves stay)
            self._lines.takeAt(0).layout().deleteLater()
        for r in range(rows[-1] + 1):
            line = QHBoxLayout()
            line.setSpacing(spacing)
            for group, row_of in zip(self._groups, rows, strict=True):
                if row_of == r:
                    line.addWidget(group)
            line.addStretch(1)
            self._lines.addLayout(line)
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode: measure again
            self._reserve_widths()

    def export_history(self) -> None:
        """Ask for a file name and save the history as CSV."""
        start = str(Path.home() / "convlab-gradient-history.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export history", start, "CSV (*.csv)")
        if path:
            self.save_history(Path(path))

    def save_history(self, path: Path) -> None:
        """Write the history of every run to ``path``; the result goes to :attr:`message`."""
        try:
            rows = self._controller.write_history(path)
        except OSError as exc:
            self.message.emit(f"Could not save the history: {exc.strerror or exc}")
            return
        self.message.emit(f"Saved {rows} history rows to {path}")

    def _on_state_changed(self) -> None:
        running = self._controller.running
        with QSignalBlocker(self.run_button):
            self.run_button.setChecked(running)
        self.run_button.setText("Pause" if running else "Run")
        self.step_button.setEnabled(not running)
        self._show_step()

    def _show_step(self) -> None:
        c = self._controller
        running = c.running and c.steps_per_second
        self.animation_button.setEnabled(len(c.trainer.history) >= 2)
        latest = c.trainer.step_count
        speed = (f"; {c.steps_per_second:,.0f} steps/s, {c.frames_per_second:.0f} redraws/s"
                 if running else "")
        if c.shown_step() is not None:
            shown = int(c.shown_history().steps[-1])
            text = f"showing {shown:,} of {latest:,}"
            if self.step_label.fontMetrics().horizontalAdvance(text) > self.step_label.width():
                text = f"showing {short_count(shown)} of {short_count(latest)}"
            self.step_label.setText(text)
            self.step_label.setToolTip(
                f"The views show step {shown:,} (the timeline); the run is at step {latest:,} "
                "and trains on from there" + speed)
            return
        rate = f" · {short_count(c.steps_per_second)} steps/s" if running else ""
        self.step_label.setText(f"step {latest:,}{rate}")
        self.step_label.setToolTip("Optimizer steps made since the start" + speed)

    def _on_steps_per_frame_changed(self, new: int, _old: int | None) -> None:
        combo = self.speed_combo
        if combo.findData(new) < 0:  # a value from a saved session
            combo.addItem(f"{new} steps / frame", new)
        with QSignalBlocker(combo):
            combo.setCurrentIndex(combo.findData(new))

    def _on_log_loss_changed(self, new: bool, _old: bool | None) -> None:
        with QSignalBlocker(self.log_check):
            self.log_check.setChecked(new)

    def _on_log_steps_changed(self, new: bool, _old: bool | None) -> None:
        with QSignalBlocker(self.log_steps_check):
            self.log_steps_check.setChecked(new)


class StatusLine(QLabel):
    """One line under the toolbar: the latest message, or (in red) what diverged."""

    def __init__(self, controller: RunController) -> None:
        super().__init__()
        self._controller = controller
        self._message = ""
        # one line: a long message must not resize the plots
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        controller.stepped.connect(self._show)
        controller.state_changed.connect(self._show)

    def message(self) -> str:
        """The latest message (shown unless a run has diverged)."""
        return self._message

    def show_message(self, text: str) -> None:
        self._message = text
        self._show()

    def _show(self) -> None:
        diverged = self._controller.diverged_runs()
        if diverged:
            text = divergence_report(diverged, self._controller.is_race)
            self.setText(f"<b style='color:{error_color()}'>{text}</b>")
            self.setToolTip(text)
        else:
            self.setText(self._message)
            self.setToolTip(self._message)


class ReplayProgress(QuietProgressDialog):
    """Progress of a long saved run replaying in the background, with Cancel."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        # window-modal: no edits while it replays
        super().__init__("Replaying the saved run…", "Opening the Gradient Descent run",
                         parent=parent)
        self._controller = controller
        self.reset()  # stops Qt's show-after-a-delay timer: hidden until a replay starts
        controller.replay_progress.connect(self._on_progress)
        controller.replay_finished.connect(self._on_finished)
        self.canceled.connect(controller.cancel_replay)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.setLabelText(f"Replaying the saved run: {text}" if text.startswith("step")
                          else text)
        self.set_progress(round(1000 * fraction))
        if not self.isVisible():
            self.show()

    def _on_finished(self) -> None:
        self.reset()
        self.hide()
