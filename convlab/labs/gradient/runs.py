"""The Gradient Descent lab's runs: one trainer per curve, stepped in time-budgeted frames.

Training runs on the GUI thread: while running, a frame timer fires every
``FRAME_MS``, :meth:`GradientRuns._tick` makes as many optimizer steps as fit in
``STEP_BUDGET_S`` (or the chosen number of steps per frame, whichever is
smaller), then redraws once. The core's :class:`convlab.core.Trainer` makes
several hundred thousand steps per second, so this keeps the window responsive
at any speed without a worker thread.

:class:`GradientRuns` is a mixin of :class:`~convlab.labs.gradient.panel.GradientPanel`:
it makes the runs from the panel's ``state`` and ``data`` (one, or one per
contender in a race), steps them, and pauses and reports when one diverges.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from numpy.typing import ArrayLike
from PyQt6.QtCore import QSignalBlocker, QTimer

import convlab.core as cc

from .model import OPTIMIZER_LABELS

__all__ = ["FRAME_MS", "MAX_RUNS", "GradientRuns", "Run", "divergence_report"]

FRAME_MS = 16  # frame timer interval: redraws at most ~60 times a second
STEP_BUDGET_S = 0.008  # time spent stepping per frame, at most
HISTORY_CAP = 10_000  # points kept per run (older ones thinned): bounded memory and redraws
MAX_RUNS = 5  # curves and paths made ready on every plot: more than a race's contenders
DIVERGED_HINT = "Diverged: lower the learning rate or press Reset (R)"


@dataclass
class Run:
    """One trainer on the lab's plots: its label, colour and (in a race) its contender."""

    trainer: cc.Trainer
    label: str
    color_index: int
    racer_index: int | None = None
    reported: bool = False  # divergence already announced


def divergence_report(diverged: list[Run], race: bool) -> str:
    """What went wrong, for the status line: each run's status, named by its label in a race."""
    return "; ".join(f"{r.label}: {r.trainer.status}" if race else r.trainer.status
                     for r in diverged)


class GradientRuns:
    """Mixin: the panel's runs, the Step / Run / Reset actions and the frame loop.

    Reads the panel's ``state`` and ``data``; reports through its ``_set_message``,
    ``_schedule_redraw`` and ``redraw``, and keeps the Run and Step buttons in step.
    """

    def _init_runs(self) -> None:
        """No runs yet, not running; the frame timer (started by :meth:`set_running`)."""
        self.runs: list[Run] = []
        self.running = False
        self._batch = 64  # steps per call inside a frame, adapted to the budget
        self._rate_steps = 0
        self._rate_frames = 0
        self._rate_start = 0.0
        self.steps_per_second = 0.0
        self.frames_per_second = 0.0
        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(FRAME_MS)
        self._frame_timer.timeout.connect(self._tick)

    def _make_trainer(self, optimizer: str, rates: Any) -> cc.Trainer:
        s = self.state
        return cc.Trainer(
            self.data, taps=s.taps, bias=s.bias, initial_params=s.start,
            learning_rates=rates, optimizer=optimizer, batch_size=s.batch_size or None,
            seed=s.data_seed, history_cap=HISTORY_CAP, **s.optimizer_options(optimizer),
        )

    def _make_runs(self) -> None:
        s = self.state
        self.runs = []
        if s.race:
            for i, racer in enumerate(s.racers):
                if racer.enabled:
                    trainer = self._make_trainer(racer.optimizer, racer.learning_rate)
                    self.runs.append(Run(trainer, racer.label(), i, i))
        if not self.runs:
            label = OPTIMIZER_LABELS[s.optimizer]
            self.runs.append(Run(self._make_trainer(s.optimizer, s.learning_rates), label, 0))

    @property
    def trainer(self) -> cc.Trainer:
        """The primary run's trainer (the only one outside a race)."""
        return self.runs[0].trainer

    def _restart_runs(self, params: ArrayLike) -> None:
        """Every run starts again from ``params`` (their new start)."""
        for run in self.runs:
            run.trainer.set_params(params)
            run.reported = False

    def step_once(self) -> None:
        """One update of every run (the Step button and →)."""
        if self.running:
            return
        if all(run.trainer.diverged for run in self.runs):
            self._set_message(DIVERGED_HINT)
            return
        self._advance(1)
        self._schedule_redraw()

    def set_running(self, on: bool) -> None:
        """Start or pause continuous training (the Run button and Space)."""
        on = bool(on)
        if on and all(run.trainer.diverged for run in self.runs):
            on = False
            self._set_message(DIVERGED_HINT)
        self.running = on
        with QSignalBlocker(self.run_button):
            self.run_button.setChecked(on)
        self.run_button.setText("Pause" if on else "Run")
        self.step_button.setEnabled(not on)
        if on:
            self._rate_steps, self._rate_frames = 0, 0
            self._rate_start = time.perf_counter()
            self._frame_timer.start()
        else:
            self._frame_timer.stop()
            self._schedule_redraw()

    def reset(self) -> None:
        """Back to the start weights at step 0 (same data, same shuffling)."""
        for run in self.runs:
            run.trainer.reset()
            run.reported = False
        self._set_message("Reset to the start")

    def _advance(self, n: int) -> int:
        """Step every run ``n`` times; pause and report on a new divergence."""
        for run in self.runs:
            run.trainer.step(n)
        news = [r for r in self.runs if r.trainer.diverged and not r.reported]
        if news:
            for run in news:
                run.reported = True
            self.set_running(False)
            self._set_message(divergence_report(news, len(self.runs) > 1))
        return n

    def _tick(self) -> None:
        """One frame: steps within the time budget, then one redraw."""
        target = self.state.steps_per_frame or 10**12
        start = time.perf_counter()
        done = 0
        while done < target and self.running:
            n = min(target - done, self._batch)
            t0 = time.perf_counter()
            self._advance(n)
            dt = time.perf_counter() - t0
            done += n
            # aim each batch at ~2 ms so the budget is checked often enough
            self._batch = int(min(max(n * 0.002 / max(dt, 1e-6), 1), 50_000))
            if time.perf_counter() - start > STEP_BUDGET_S:
                break
        self._rate_steps += done
        self._rate_frames += 1
        elapsed = time.perf_counter() - self._rate_start
        if elapsed > 0.5:  # measured on the wall clock: redraws included
            self.steps_per_second = self._rate_steps / elapsed
            self.frames_per_second = self._rate_frames / elapsed
            self._rate_steps, self._rate_frames = 0, 0
            self._rate_start = time.perf_counter()
        self.redraw()
