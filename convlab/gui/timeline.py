"""The timeline scrubber: drag through a run's recorded steps, play them back, return to live.

:class:`TimelineScrubber` knows nothing of a lab. The lab gives it the steps
its run has recorded (:meth:`TimelineScrubber.set_steps`, e.g. after every
redraw while training) and follows :attr:`TimelineScrubber.step_chosen`: an
``int`` step to show, or ``None`` for the latest step (live). While the user
looks at an earlier step, training goes on from the latest one; the scrubber
says so on screen.

Playing moves through the recorded steps in a chosen time (5 s to 1 min for the
whole run) by the clock, not by ticks, so a slow redraw makes playback skip
steps rather than drag on. Reaching the end stops playing and goes live.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from PyQt6.QtCore import QElapsedTimer, QSignalBlocker, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

__all__ = ["PLAY_DURATIONS", "TimelineScrubber"]

#: Seconds a playback of the whole recorded run takes, and their labels.
PLAY_DURATIONS = ((5.0, "in 5 s"), (10.0, "in 10 s"), (20.0, "in 20 s"), (60.0, "in 1 min"))
#: The slider's least width in pixels: it never shrinks to a handle alone.
SLIDER_MIN_WIDTH = 120
#: Milliseconds between two playback frames (25 frames per second at most).
PLAY_INTERVAL_MS = 40


class TimelineScrubber(QWidget):
    """A slider over a run's recorded steps, with Play / Pause and a "Latest" button.

    Signals
    -------
    step_chosen(object)
        The step to show (``int``, one of the recorded steps), or ``None``: show the
        latest step and follow training (live). Emitted on user actions and by
        :meth:`show_step`; never by :meth:`set_steps`.
    """

    step_chosen = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps = np.zeros(0, dtype=np.int64)
        self._shown: int | None = None
        self._play_from = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the recorded run from the step shown "
                                    "(from the start when showing the latest step)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Timeline: recorded step shown")
        self.slider.setToolTip("Drag to any recorded step: every view shows that moment. "
                               "Arrow keys move one recorded step, Page Up/Down ten.")
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setPageStep(10)
        self.slider.setMinimumWidth(SLIDER_MIN_WIDTH)
        self.step_label = QLabel()
        self.step_label.setToolTip("The step shown, and the latest step of the run")
        self.speed_combo = QComboBox()
        for seconds, label in PLAY_DURATIONS:
            self.speed_combo.addItem(label, seconds)
        self.speed_combo.setCurrentIndex(1)
        self.speed_combo.setAccessibleName("Playback speed: the whole run in")
        self.speed_combo.setToolTip("Play plays the whole recorded run in this time")
        self.live_button = QPushButton("Latest")
        self.live_button.setToolTip("Show the latest step again and follow training")
        # only while an earlier step is shown: what training will do. One line whose room is
        # kept when hidden, so scrubbing never changes the height of the plots above (an
        # exported animation's frames would change size)
        self.note = QLabel()
        self.note.setAccessibleName("Timeline note")
        policy = self.note.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.note.setSizePolicy(policy)
        self.note.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        row.addWidget(self.speed_combo)
        row.addWidget(self.live_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.note)

        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.live_button.clicked.connect(self.go_live)
        self._refresh()

    # ================================================================== public API
    @property
    def steps(self) -> np.ndarray:
        """The recorded steps, increasing int64, shape (M,) (a read-only view)."""
        view = self._steps.view()
        view.flags.writeable = False
        return view

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def shown_step(self) -> int | None:
        """The recorded step shown, or None when the views follow the latest step."""
        return self._shown

    def set_steps(self, steps: ArrayLike) -> None:
        """The run's recorded steps (increasing); a new run or more history.

        Live, the slider stays at the end. Scrubbed, the step shown stays shown
        if the run still has it; a run that no longer reaches it (a reset) goes
        live, and ``step_chosen(None)`` is emitted.
        """
        steps = np.asarray(steps, dtype=np.int64).reshape(-1)
        if steps.size > 1 and np.any(np.diff(steps) <= 0):
            raise ValueError("recorded steps must increase")
        self._steps = steps.copy()
        if self._shown is not None and (steps.size < 2 or self._shown > steps[-1]):
            self._shown = None
            self._stop_playing()
            self._refresh()
            self.step_chosen.emit(None)
            return
        self._refresh()

    def show_step(self, step: int | None) -> None:
        """Show the last recorded step ≤ ``step`` (None, or the last step: live)."""
        if step is None or self._steps.size < 2 or step >= self._steps[-1]:
            self._choose(None)
        else:
            index = max(int(np.searchsorted(self._steps, step, side="right")) - 1, 0)
            self._choose(int(self._steps[index]))

    def go_live(self) -> None:
        """Back to the latest step, following training (stops playing)."""
        self._stop_playing()
        self._choose(None)

    def step_back(self) -> None:
        """One recorded step earlier (from live: the step before the latest)."""
        self._stop_playing()
        if self._steps.size >= 2:
            self._choose(int(self._steps[max(self._index() - 1, 0)]))

    def step_forward(self) -> None:
        """One recorded step later (reaching the latest goes live)."""
        self._stop_playing()
        if self._shown is not None:
            self.show_step(int(self._steps[min(self._index() + 1, self._steps.size - 1)]))

    def toggle_play(self) -> None:
        """Play / pause the recorded run."""
        if self._steps.size >= 2:
            self.play_button.toggle()

    # ================================================================== internals
    def _index(self) -> int:
        """The slider position of the step shown (the end when live)."""
        if self._shown is None:
            return max(self._steps.size - 1, 0)
        return max(int(np.searchsorted(self._steps, self._shown, side="right")) - 1, 0)

    def _choose(self, step: int | None) -> None:
        changed = step != self._shown
        self._shown = step
        self._refresh()
        if changed:
            self.step_chosen.emit(step)

    def _refresh(self) -> None:
        """Slider range and position, labels, enabled states: from the steps and the step shown."""
        m = self._steps.size
        usable = m >= 2
        for widget in (self.play_button, self.slider, self.speed_combo):
            widget.setEnabled(usable)
        self.live_button.setEnabled(self._shown is not None)
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(m - 1, 0))
            self.slider.setValue(self._index())
        self.note.setVisible(usable and self._shown is not None)
        if not usable:
            self.step_label.setText("no run yet")
            self.step_label.setToolTip("Train a few steps: the timeline then goes back to any "
                                       "recorded step and plays the run again")
            return
        latest = int(self._steps[-1])
        self.step_label.setToolTip("The step shown, and the latest step of the run")
        if self._shown is None:
            self.step_label.setText(f"step {latest:,} (latest)")
        else:
            self.step_label.setText(f"step {self._shown:,} of {latest:,}")
            self.note.setText(f"Training continues from the latest step ({latest:,}), "
                              "not from here.")

    def _on_slider_moved(self, index: int) -> None:
        if self._steps.size < 2:
            return
        self._stop_playing()  # the program moves the slider with its signals blocked: a user did
        self.show_step(int(self._steps[index]))

    def _on_play_toggled(self, on: bool) -> None:
        if not on:
            self._timer.stop()
            self.play_button.setText("Play")
            return
        if self._steps.size < 2:
            self.play_button.setChecked(False)
            return
        if self._shown is None:  # from live: play the run from its start
            self._choose(int(self._steps[0]))
        self._play_from = self._index()
        self._clock.start()
        self._timer.start()
        self.play_button.setText("Pause")

    def _on_tick(self) -> None:
        m = self._steps.size
        seconds = float(self.speed_combo.currentData())
        per_second = (m - 1) / seconds
        index = self._play_from + int(self._clock.elapsed() / 1000 * per_second)
        if index >= m - 1:
            self.go_live()
            return
        self._choose(int(self._steps[index]))

    def _stop_playing(self) -> None:
        if self.play_button.isChecked():
            self.play_button.setChecked(False)
