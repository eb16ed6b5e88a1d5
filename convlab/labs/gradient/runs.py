"""The Gradient Descent lab's running training: one controller owns the runs and the frame loop.

Training runs on the GUI thread: while running, a frame timer fires every
``FRAME_MS``, :meth:`RunController.frame` makes as many optimizer steps as fit
in ``STEP_BUDGET_S`` (in batches sized to about ``BATCH_TARGET_S``, or the
chosen number of steps per frame, whichever is smaller), then emits
:attr:`RunController.stepped` once, and the views redraw. The core's
:class:`convlab.core.Trainer` makes several hundred thousand steps per second,
so this keeps the window responsive at any speed without a worker thread, and
the single-threaded run stays exactly reproducible.

:class:`RunController` is the only owner of the runs (one trainer, or one per
contender in a race) and of ``running``. It follows the lab's
:class:`~convlab.labs.gradient.model.GradientLabState`: a new data set or model
shape rebuilds the runs, a new learning rate, optimizer or batch size applies
from the next step. The views read it through its public methods and redraw on
its signals.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

import convlab.core as cc
from convlab.core import atomic_write_text
from convlab.exports import write_updown_csv
from convlab.gui.widgets import format_array
from convlab.gui.worker import Task, TaskRunner

from .history import write_history_csv
from .model import (
    MAX_STEPS,
    OPTIMIZER_LABELS,
    RUN_FIELDS,
    STRUCTURE_FIELDS,
    GradientLabState,
)
from .replay import Run, Timeline, apply_changes, replay

__all__ = ["FRAME_MS", "MAX_RUNS", "REPLAY_IN_BACKGROUND", "Run", "RunController",
           "ShownHistory", "divergence_report"]

FRAME_MS = 16  # frame timer interval: redraws at most ~60 times a second
STEP_BUDGET_S = 0.008  # time spent stepping per frame, at most
BATCH_TARGET_S = 0.002  # steps per call are sized to about this, so the budget is checked often
HISTORY_CAP = 10_000  # points kept per run (older ones thinned): bounded memory and redraws
MAX_RUNS = 5  # curves and paths made ready on every plot: more than a race's contenders
DIVERGED_HINT = "Diverged: lower the learning rate or press Reset (R)"
MAX_STEPS_HINT = (f"Stopped at step {MAX_STEPS:,}, the furthest a run goes (a saved session "
                  "replays it): press Reset (R) to train again")
#: A replay longer than this many steps (summed over the runs) runs in the background,
#: with progress and cancel; a shorter one at once.
REPLAY_IN_BACKGROUND = 200_000

_WHAT_CHANGED = {"n_samples": "Samples", "length": "Signal length", "data_seed": "Data seed",
                 "noise": "Noise", "test_fraction": "Test fraction", "taps": "Number of taps",
                 "slope_range": "Slope range", "intercept_range": "Intercept range",
                 "bias": "Bias"}


@dataclass(frozen=True)
class ShownHistory:
    """A run's history up to the step shown: read-only views, shape (M,) or (M, P).

    Live, the whole history; scrubbed to step ``k``, its points at steps ≤ ``k``.
    Valid until the run steps again.
    """

    steps: np.ndarray
    params: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


def divergence_report(diverged: list[Run], race: bool) -> str:
    """What went wrong, for the status line: each run's status, named by its label in a race."""
    return "; ".join(f"{r.label}: {r.trainer.status}" if race else r.trainer.status
                     for r in diverged)


class RunController(QObject):
    """The runs, Step / Run / Pause / Reset, the frame loop and divergence.

    Signals
    -------
    stepped
        The runs moved or changed, the views redraw: at the end of every frame
        while running; otherwise (Step, Reset, a new setting …) once, at the end
        of the current frame, however many changes it saw.
    state_changed
        Running or paused, reset, restarted, diverged, or a setting applied to
        the runs (labels, learning rates): the toolbar and status line follow at once.
    runs_rebuilt
        New runs (new data, model shape or contenders): plots are set up again
        (and redrawn on the next :attr:`stepped`).
    shown_changed(object)
        The step the views show changed (an ``int``, or ``None``: the latest,
        following training); the views redraw on the next :attr:`stepped`.
        Reset, a restart, new runs or a loaded session go live.
    message(str)
        A sentence for the status line.
    replay_progress(float, str)
        A long saved run is being replayed in the background: the fraction done
        and a sentence; ``replay_finished`` follows (done or cancelled).
    """

    stepped = pyqtSignal()
    state_changed = pyqtSignal()
    runs_rebuilt = pyqtSignal()
    shown_changed = pyqtSignal(object)
    message = pyqtSignal(str)
    replay_progress = pyqtSignal(float, str)
    replay_finished = pyqtSignal()

    def __init__(self, model: GradientLabState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._runs: list[Run] = []
        self._data: cc.UpDownSplit | None = None
        self._optimum = np.zeros(0)
        self._min_loss = 0.0
        self._built: tuple[Any, ...] = ()  # the settings the runs were made with
        self._quiet = False  # loading a session: no messages until it is done
        self._running = False
        self._batch = 64  # steps per call inside a frame, adapted to the budget
        self._rate = [0, 0, 0.0]  # steps, frames, start time of the speed measurement
        self._speed = (0.0, 0.0)  # steps/s, frames/s
        self._revision = 0
        self._saved_step = 0
        self._clock = 0  # steps asked of the runs since they (re)started: the timeline's clock
        self._timeline = Timeline(self._run_settings())
        self._tasks = TaskRunner(self)
        self._replay: Task | None = None
        self._replay_id = 0
        self._pending: tuple[Timeline, int] = (self._timeline, 0)
        self._shown: int | None = None  # the step the views show (None: the latest)
        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(FRAME_MS)
        self._frame_timer.timeout.connect(self.frame)
        self._redraw_timer = QTimer(self)  # one stepped per frame when not running
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(FRAME_MS)
        self._redraw_timer.timeout.connect(self.stepped)
        events = model.events
        for name in (*STRUCTURE_FIELDS, "race"):
            getattr(events, name).connect(partial(self._on_structure_changed, name))
        for name in RUN_FIELDS:
            getattr(events, name).connect(partial(self._on_run_setting_changed, name))
        events.start.connect(self._on_start_changed)

    # ================================================================== reading
    @property
    def runs(self) -> tuple[Run, ...]:
        """The runs: one, or one per enabled contender in a race."""
        return tuple(self._runs)

    @property
    def trainer(self) -> cc.Trainer:
        """The primary run's trainer (the only one outside a race)."""
        return self._runs[0].trainer

    @property
    def data(self) -> cc.UpDownSplit:
        """The data set the runs train on: ``((x_train, y_train), (x_test, y_test))``."""
        assert self._data is not None, "no runs yet: call rebuild()"
        return self._data

    @property
    def optimum(self) -> np.ndarray:
        """The least-squares parameters of the training set, shape ``(P,)`` (a copy)."""
        return self._optimum.copy()

    @property
    def min_loss(self) -> float:
        """The training loss at :attr:`optimum`."""
        return self._min_loss

    @property
    def running(self) -> bool:
        return self._running

    @property
    def is_race(self) -> bool:
        """More than one run: the plots show each contender's curves."""
        return len(self._runs) > 1

    @property
    def steps_per_second(self) -> float:
        """Measured while running (wall clock, redraws included); 0 before the first 0.5 s."""
        return self._speed[0]

    @property
    def frames_per_second(self) -> float:
        return self._speed[1]

    @property
    def revision(self) -> int:
        """Grows whenever :meth:`saved_step` changes (with the model's revision: "unsaved?")."""
        return self._revision

    def weights(self) -> np.ndarray:
        """The current parameters of the primary run, shape ``(P,)`` (a copy)."""
        return self.trainer.params

    # ------------------------------------------------------------------ the step shown
    # The views draw the runs as they were at the step shown (the timeline scrubber's),
    # from each run's history; live (None) they draw the runs' latest state. Training
    # always goes on from the latest step. View state only: not saved, no revision.
    def shown_step(self) -> int | None:
        """The step the views show, or None: the latest step, following training (live)."""
        return self._shown

    def shown_index(self, run: Run | None = None) -> int:
        """The row of ``run``'s history shown (default the primary run).

        The last recorded step ≤ the step shown; live, the latest row.
        """
        history = (run or self._runs[0]).trainer.history
        if self._shown is None:
            return len(history) - 1
        return max(int(np.searchsorted(history.steps, self._shown, side="right")) - 1, 0)

    def shown_history(self, run: Run | None = None) -> ShownHistory:
        """``run``'s history up to the step shown (default the primary run)."""
        history = (run or self._runs[0]).trainer.history
        end = self.shown_index(run) + 1
        return ShownHistory(*(getattr(history, name)[:end] for name in (
            "steps", "params", "train_loss", "test_loss", "train_accuracy", "test_accuracy")))

    def shown_params(self, run: Run | None = None) -> np.ndarray:
        """``run``'s parameters at the step shown, shape ``(P,)`` (a copy); live, the latest."""
        run = run or self._runs[0]
        if self._shown is None:
            return run.trainer.params
        return run.trainer.history.params[self.shown_index(run)].copy()

    def shown_formula(self, run: Run | None = None) -> str:
        """The gradient formula the run followed from the step shown on (live: the current one).

        From the timeline: the formula set at step ``s`` makes steps ``s + 1`` on.
        """
        run = run or self._runs[0]
        if self._shown is None:
            return run.trainer.gradient_formula
        step = int(run.trainer.history.steps[self.shown_index(run)])
        formula = self._timeline.base["gradient"]
        for at, name, value in self._timeline.changes:
            if name == "gradient" and at <= step:
                formula = value
        return formula

    def shown_direction(self, run: Run | None = None) -> np.ndarray:
        """The full-batch "gradient" of the formula followed, at the step shown, shape ``(P,)``.

        Live, :meth:`convlab.core.Trainer.direction`; scrubbed, the core's
        :func:`~convlab.core.formula_gradient` of the training set at the shown
        parameters with :meth:`shown_formula`. It is the gradient (a step goes along
        minus it), not an optimizer's step: momentum's and Adam's steps also depend on
        their memory, which the history does not keep.
        """
        run = run or self._runs[0]
        if self._shown is None:
            return run.trainer.direction()
        (x, y), _ = self.data
        return cc.formula_gradient(x, y, self.shown_params(run), run.trainer.bias,
                                   self.shown_formula(run))

    def show_step(self, step: int | None) -> None:
        """Show the runs as they were at ``step`` (the last recorded step ≤ it in each history);
        ``None`` shows the latest step and follows training. The views redraw at the end of
        the frame (:meth:`flush` to redraw now). Training is not affected."""
        step = None if step is None else int(step)
        if step == self._shown:
            return
        self._shown = step
        self.shown_changed.emit(step)
        self.request_redraw()

    def _go_live(self) -> None:
        """New runs, a reset or a restart: the views follow the latest step again."""
        if self._shown is not None:
            self._shown = None
            self.shown_changed.emit(None)

    def diverged_runs(self) -> list[Run]:
        """The runs that blew up (stopped at their last finite state)."""
        return [r for r in self._runs if r.trainer.diverged]

    def saved_step(self) -> int:
        """The step a saved session replays to: the steps asked of the runs since their start.

        A run that blew up stopped before; the replay stops it at the same step. While a
        loaded run replays in the background, the step it is replaying to.
        """
        return self._pending[1] if self._replay is not None else self._clock

    def timeline(self) -> tuple[tuple[int, tuple[tuple[str, Any], ...]], ...]:
        """The run settings at step 0 and every change since, as the lab's state stores it.

        Empty when nothing changed since step 0 (the saved settings are then the whole story).
        While a loaded run replays in the background, the timeline it replays.
        """
        timeline = self._pending[0] if self._replay is not None else self._timeline
        return timeline.entries() if timeline.changes else ()

    @property
    def replaying(self) -> bool:
        """A saved run is being replayed in the background."""
        return self._replay is not None

    # ================================================================== actions
    def rebuild(self, message: str) -> None:
        """Fresh runs at the start from the model's settings (new data set, model, contenders)."""
        s = self._model
        self.cancel_replay()
        self._data = s.dataset()
        self._runs = self._make_runs(self._run_settings())
        self._new_timeline()
        self._optimum = self.trainer.optimum()
        self._min_loss = float(self.trainer.quadratic(self._optimum))
        self._built = self._structure()
        self._go_live()
        self._touch()
        self.runs_rebuilt.emit()
        self._say(message)
        self._changed()

    def load(self, state: GradientLabState) -> None:
        """Take ``state``'s settings, start again and replay ``state.step`` steps.

        The replay follows ``state.timeline`` (the settings at step 0 and every
        change made while the run trained), so it ends at the saved weights; an
        older session without a timeline replays with the saved settings. A
        long replay runs in the background (:attr:`replay_progress`,
        :meth:`cancel_replay`); a short one at once.
        """
        self.set_running(False)
        self.cancel_replay()
        self._quiet = True
        try:
            self._model.update({k: v for k, v in state.to_dict().items() if k != "timeline"})
        finally:
            self._quiet = False
        self.rebuild("Settings loaded: training restarted at step 0")
        if not state.step:
            return
        timeline = Timeline.from_entries(state.timeline) if state.timeline else self._timeline
        runs = self._make_runs(timeline.base)
        target = min(state.step, MAX_STEPS)
        if target * len(runs) <= REPLAY_IN_BACKGROUND:
            replay(runs, timeline, self._model.race, target)
            self._replayed((runs, timeline, target))
            return
        self._replay_id += 1
        self._pending = (timeline, target)  # what a save during the replay writes
        mine = partial(self._current_replay, self._replay_id)
        self._replay = self._tasks.start(
            _replay_task, runs, timeline, self._model.race, target,
            on_result=mine(self._replayed), on_progress=mine(self.replay_progress.emit),
            on_cancelled=mine(self._replay_cancelled), on_finished=mine(self._replay_done),
            name="replay")
        self.replay_progress.emit(0.0, f"Replaying the saved run to step {target:,}…")

    def cancel_replay(self) -> None:
        """Stop a background replay: the runs stay at step 0 with the loaded settings."""
        if self._replay is not None:
            task, self._replay = self._replay, None
            task.cancel()
            task.wait()
            self._replay_cancelled()
            self.replay_finished.emit()

    def _replayed(self, result: tuple[list[Run], Timeline, int]) -> None:
        """The replayed runs take the place of the runs at step 0."""
        runs, timeline, target = result
        self._runs = runs
        self._timeline = timeline
        self._clock = target
        for run in runs:
            run.reported = run.trainer.diverged
        self._go_live()
        self._touch()
        self.runs_rebuilt.emit()
        diverged = self.diverged_runs()
        if diverged:
            self.message.emit(divergence_report(diverged, self.is_race))
        else:
            self.message.emit(f"Settings loaded: training replayed to step {target:,}")
        self._changed()

    def _replay_cancelled(self) -> None:
        self.message.emit("Replay cancelled: training restarted at step 0 with the saved "
                          "settings")

    def _replay_done(self) -> None:
        self._replay = None
        self.replay_finished.emit()

    def _current_replay(self, replay_id: int, slot: Any) -> Any:
        """``slot`` called only while replay ``replay_id`` is the current one."""
        def call(*args: Any) -> None:
            if replay_id == self._replay_id and self._replay is not None:
                slot(*args)
        return call

    def step_once(self) -> None:
        """One update of every run (the Step button and →); nothing while running."""
        if self._running or self.replaying:
            return
        if all(run.trainer.diverged for run in self._runs):
            self.message.emit(DIVERGED_HINT)
            return
        self._advance(1)
        self._changed()

    def set_running(self, on: bool) -> None:
        """Start or pause continuous training (the Run button and Space)."""
        on = bool(on)
        if on and all(run.trainer.diverged for run in self._runs):
            on = False
            self.message.emit(DIVERGED_HINT)
        if on and (self.replaying or self._clock >= MAX_STEPS):
            on = False
            if not self.replaying:
                self.message.emit(MAX_STEPS_HINT)
        self._running = on
        if on:
            self._rate = [0, 0, time.perf_counter()]
            self._frame_timer.start()
        else:
            self._frame_timer.stop()
        self._changed()

    def reset(self) -> None:
        """Back to the start weights at step 0 (same data, same shuffling)."""
        self.cancel_replay()
        for run in self._runs:
            run.trainer.reset()
            run.reported = False
        self._go_live()
        self._new_timeline()
        self._touch()
        self.message.emit("Reset to the start")
        self._changed()

    def restart_from(self, params: ArrayLike) -> None:
        """Every run starts again from ``params``, the new start (``ValueError`` if invalid)."""
        start = self._model.check("start", np.asarray(params, dtype=float))
        self._restart(start)
        self._model.start = start  # the runs start there already: nothing more to do
        self.message.emit(f"Restarted from ({format_array(start)})")

    def restart_or_explain(self, params: ArrayLike) -> bool:
        """:meth:`restart_from` a point the user picked; a point the lab cannot hold (beyond
        ±1e6 on a zoomed-out landscape) is refused with a message instead. True if restarted."""
        try:
            self.restart_from(params)
        except ValueError as exc:
            self.message.emit(f"Not restarted there: {exc}")
            return False
        return True

    def request_redraw(self) -> None:
        """Ask for a :attr:`stepped` at the end of the frame (e.g. the look changed)."""
        if not self._redraw_timer.isActive() and not self._frame_timer.isActive():
            self._redraw_timer.start()

    def flush(self) -> None:
        """Emit :attr:`stepped` now (instead of at the end of the frame): the views redraw."""
        self._redraw_timer.stop()
        self.stepped.emit()

    def shutdown(self) -> None:
        """Stop training without telling anyone (the lab is closing)."""
        self._running = False
        self._frame_timer.stop()
        self._redraw_timer.stop()
        self._tasks.shutdown()
        self._replay = None

    def write_history(self, path: Path) -> int:
        """Write the history of every run to ``path`` as CSV; returns the rows (raises OSError)."""
        stream = io.StringIO()
        gradients = [(0, self._timeline.base["gradient"])] + [
            (step, value) for step, name, value in self._timeline.changes if name == "gradient"]
        rows = write_history_csv(
            stream, [(r.label, r.trainer.names, r.trainer.history, gradients)
                     for r in self._runs])
        atomic_write_text(path, stream.getvalue())
        return rows

    def write_dataset(self, path: Path) -> None:
        """Write the rising/falling signals and their labels to ``path`` as CSV."""
        stream = io.StringIO()
        write_updown_csv(stream, self.data)
        atomic_write_text(path, stream.getvalue())

    # ================================================================== the runs
    def _run_settings(self) -> dict[str, Any]:
        """The model's run settings (:data:`RUN_FIELDS`): what may change during a run."""
        return {name: getattr(self._model, name) for name in RUN_FIELDS}

    def _make_trainer(self, settings: dict[str, Any], optimizer: str, rates: Any) -> cc.Trainer:
        s = self._model
        return cc.Trainer(
            self.data, taps=s.taps, bias=s.bias, initial_params=s.start,
            learning_rates=rates, optimizer=optimizer,
            batch_size=settings["batch_size"] or None, seed=s.data_seed,
            history_cap=HISTORY_CAP, gradient=settings["gradient"],
            **cc.optimizer_options(optimizer, settings),
        )

    def _make_runs(self, settings: dict[str, Any]) -> list[Run]:
        """Runs at step 0 with the model's data, shape and start, and ``settings``."""
        runs = []
        if self._model.race:
            for i, racer in enumerate(settings["racers"]):
                if racer.enabled:
                    trainer = self._make_trainer(settings, racer.optimizer, racer.learning_rate)
                    runs.append(Run(trainer, racer.label(), i, i))
        if not runs:
            name = settings["optimizer"]
            runs.append(Run(self._make_trainer(settings, name, settings["learning_rates"]),
                            OPTIMIZER_LABELS[name], 0))
        return runs

    def _new_timeline(self) -> None:
        """The runs start at step 0 with the model's run settings: a new timeline."""
        self._clock = 0
        self._timeline = Timeline(self._run_settings())

    def _structure(self) -> tuple[Any, ...]:
        """What the runs are made of: data, model shape and (in a race) the contenders."""
        s = self._model
        contenders = tuple(i for i, r in enumerate(s.racers) if r.enabled) if s.race else ()
        return (*(getattr(s, name) for name in STRUCTURE_FIELDS), s.race, contenders)

    def _restart(self, start: tuple[float, ...]) -> None:
        self.cancel_replay()
        for run in self._runs:
            run.trainer.set_params(start)
            run.reported = False
        self._go_live()
        self._new_timeline()
        self._touch()
        self._changed()

    def _changed(self) -> None:
        """The runs changed: the toolbar follows now, the views at the end of the frame."""
        self.state_changed.emit()
        self.request_redraw()

    def _touch(self) -> None:
        """Count a change of the step (or timeline) a session would save."""
        step = (self.saved_step(), len(self._timeline.changes))
        if step != self._saved_step:
            self._saved_step = step
            self._revision += 1

    def _say(self, text: str) -> None:
        """A message about a setting applied to the runs (none while a session loads)."""
        if not self._quiet:
            self.message.emit(text)

    def _advance(self, n: int) -> None:
        """Step every run ``n`` times; pause and report on a new divergence or the last step."""
        n = min(n, MAX_STEPS - self._clock)
        if n <= 0:
            self.set_running(False)
            return
        for run in self._runs:
            run.trainer.step(n)
        self._clock += n
        self._touch()
        if self._clock >= MAX_STEPS:
            self.set_running(False)
        news = [r for r in self._runs if r.trainer.diverged and not r.reported]
        if news:
            for run in news:
                run.reported = True
            self.set_running(False)
            self.message.emit(divergence_report(news, self.is_race))

    def frame(self) -> None:
        """One frame: steps within the time budget, then one :attr:`stepped`."""
        target = self._model.steps_per_frame or 10**12
        start = time.perf_counter()
        done = 0
        while done < target and self._running:
            n = min(target - done, self._batch)
            t0 = time.perf_counter()
            self._advance(n)
            dt = time.perf_counter() - t0
            done += n
            self._batch = int(min(max(n * BATCH_TARGET_S / max(dt, 1e-6), 1), 50_000))
            if time.perf_counter() - start > STEP_BUDGET_S:
                break
        self._measure_speed(done)
        self._redraw_timer.stop()
        self.stepped.emit()

    def _measure_speed(self, steps: int) -> None:
        """Steps and frames per second over the last half second or more (wall clock)."""
        self._rate[0] += steps
        self._rate[1] += 1
        elapsed = time.perf_counter() - self._rate[2]
        if elapsed > 0.5:
            self._speed = (self._rate[0] / elapsed, self._rate[1] / elapsed)
            self._rate = [0, 0, time.perf_counter()]

    # ================================================================== model → runs
    def _on_structure_changed(self, name: str, new: Any, _old: Any) -> None:
        """New data, model shape or race: the old runs no longer apply."""
        if self._structure() == self._built:
            return  # an earlier field of the same change has rebuilt the runs already
        if name == "race":
            self.rebuild("Race on: the contenders start together" if new else "Race off")
        else:
            self.rebuild(f"{_WHAT_CHANGED[name]} changed: new model/data, "
                         "training restarted at step 0")

    def _on_run_setting_changed(self, name: str, new: Any, _old: Any) -> None:
        """A run setting changed: recorded on the timeline, applied from the next step."""
        if self._quiet:
            return  # a session loading: the runs are rebuilt (and replayed) afterwards
        self.cancel_replay()
        if name == "racers" and self._model.race and self._structure() != self._built:
            self.rebuild("Contenders changed: the race restarted")
            return
        if not self._timeline.record(self._clock, name, new):
            self._say("The timeline is full: a saved session replays the latest settings "
                      "from step 0 — press Reset (R) to record again")
        said = apply_changes(self._runs, self._settings_before(name, _old), {name: new},
                             self._model.race)
        for text in said:
            self._say(text)
        self._touch()
        self._changed()

    def _settings_before(self, name: str, old: Any) -> dict[str, Any]:
        """The run settings as they were before ``name`` changed (the model holds the new)."""
        settings = self._run_settings()
        settings[name] = old
        return settings

    def _on_start_changed(self, new: tuple, _old: tuple) -> None:
        if all(np.array_equal(r.trainer.initial_params, new) for r in self._runs):
            return  # the runs start there already (they were just made from this start)
        self._restart(new)
        self._say("New start: training restarted at step 0")


def _replay_task(runs: list[Run], timeline: Timeline, race: bool, target: int, *,
                 progress: Any, cancel: Any) -> tuple[list[Run], Timeline, int]:
    """:func:`~convlab.labs.gradient.replay.replay` in the worker idiom (a background thread)."""
    replay(runs, timeline, race, target, progress=progress, cancel=cancel)
    return runs, timeline, target
