"""Train / Pause / Step / Reset: the lab's training run, driven off the GUI thread.

:class:`TrainingController` keeps one :class:`~.run.TrainingRun` on the
application's digits (:func:`convlab.gui.digits.shared_digits`) with the
model's network and settings. **Train** starts a worker (``LabPanel.tasks``,
the one worker idiom) that trains to the end of epoch ``model.epochs`` and
publishes a :class:`~.run.Snapshot` about 25 times a second; **Pause** cancels
it after the current batch (the run stays where it is, so Train goes on with
the same run: same seed, same result); **Step** trains one batch on the GUI
thread; **Reset** (or a new network, optimizer, batch size, momentum or seed,
or new digits) starts a new run. A new learning rate acts from the next batch
(and is recorded, so an exported script can replay it).

The views never touch the run's network while a worker trains: they use
:attr:`TrainingController.view_net`, a copy on the GUI thread that takes the
weights of each snapshot shown.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.widgets import Throttle
from convlab.gui.worker import Task, TaskRunner

from .model import CNNState
from .run import Snapshot, TrainingRun

__all__ = ["TrainingController", "progress_text"]

#: Snapshots shown while training: at most one per this many ms (the views cost the GUI
#: thread time, and every ms it holds the interpreter the worker waits).
SHOW_INTERVAL_MS = 150
#: Fields whose change starts a new run (a learning rate or epochs do not).
_RESTARTING = ("network", "optimizer", "momentum", "batch_size", "seed")


def progress_text(snap: Snapshot, running: bool) -> str:
    """"epoch 1.25 of 2 · step 20 · 812 batches/s · 3 s left" for the progress bar."""
    epochs = snap.target_steps / max(snap.batches_per_epoch, 1)
    parts = [f"epoch {snap.epoch_progress:.2f} of {epochs:g}", f"step {snap.step:,}"]
    if running and snap.batches_per_second > 0:
        parts.append(f"{snap.batches_per_second:,.0f} batches/s")
        left = snap.seconds_left
        if math.isfinite(left):
            parts.append(f"{left:.0f} s left" if left < 120 else f"{left / 60:.0f} min left")
    if snap.diverged_at is not None:
        parts.append(f"diverged at step {snap.diverged_at} (lower the learning rate)")
    return " · ".join(parts)


def _train_in_python_thread(run: TrainingRun, target: int, progress: Callable[[float, str], None],
                            cancel: Callable[[], bool]) -> Snapshot:
    """:meth:`TrainingRun.train` in a Python thread that the task's thread waits for.

    threadpoolctl (the core pins BLAS to one thread on every step) takes the calling thread
    as the controller of OpenBLAS's pool; a QThread is a "dummy" thread to Python that stays
    alive for ever, so no thread could take control after it. A Python thread ends cleanly.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def body() -> None:
        try:
            outcome["value"] = run.train(target, progress, cancel)
        except BaseException as exc:  # handed to the task, which reports it
            outcome["error"] = exc
        finally:
            done.set()

    # daemon given and no join(): both would ask for current_thread(), making this thread a
    # dummy one
    threading.Thread(target=body, name="convlab-cnn-training", daemon=False).start()
    done.wait()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class TrainingController(QObject):
    """Owns the training run and its worker; emits what the views show."""

    #: A new snapshot to show (the view network already holds its weights).
    updated = pyqtSignal(object)
    #: Training started (True) or stopped (False).
    running_changed = pyqtSignal(bool)
    #: A new run (new network or new digits): views that cache shapes rebuild.
    run_changed = pyqtSignal()
    #: Progress of Train: fraction of the target, and a line of text.
    progress = pyqtSignal(float, str)
    #: Short texts for the status bar.
    message = pyqtSignal(str)

    def __init__(self, model: CNNState, data: DigitData, tasks: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._data = data
        self._tasks = tasks
        self._task: Task | None = None
        self._pending: dict[str, Any] | None = None
        self._revision = 0
        self._token = 0
        self.snapshot: Snapshot | None = None
        self._show = Throttle(self._show_latest, SHOW_INTERVAL_MS, self)
        self.run = self._make_run()
        self.view_net: cc.Sequential = self.run.network
        for name in _RESTARTING:
            getattr(model.events, name).connect(self._on_restarting_setting_changed)
        model.events.learning_rate.connect(self._on_learning_rate_changed)
        model.events.epochs.connect(self._on_epochs_changed)
        data.changed.connect(self._on_data_changed)
        self._new_run()

    # -- facts ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None

    @property
    def revision(self) -> int:
        """Grows with every change of the run (a step, a reset, a restore)."""
        step = self.snapshot.step if self.snapshot is not None else 0
        return self._revision * 1_000_003 + step

    def target_steps(self) -> int:
        return self.run.steps_for(self._model.epochs)

    # -- commands ---------------------------------------------------------------------------
    def train(self) -> None:
        """Train in the background to the end of epoch ``model.epochs``."""
        if self._task is not None:
            return
        target = self.target_steps()
        if self.run.step >= target:
            self.message.emit(f"Trained {self._model.epochs} epoch(s) already: raise Epochs "
                              "to go on, or Reset")
            return
        if self.run.trainer.diverged_at is not None:
            self.message.emit("The run diverged: lower the learning rate, or Reset")
            return
        self._pending = None
        self._token += 1
        token = self._token

        def stopped(*_args: Any) -> None:
            if token == self._token:
                self._stopped()

        def failed(message: str, _details: str) -> None:
            if token == self._token:
                self._stopped()
                self.message.emit(f"Training stopped: {message}")

        self._task = self._tasks.start(
            _train_in_python_thread, self.run, target, name="cnn training",
            on_progress=self._on_progress, on_result=stopped, on_cancelled=stopped,
            on_error=failed, on_finished=stopped)
        self.running_changed.emit(True)

    def pause(self) -> None:
        """Stop training after the current batch (Train goes on from there)."""
        task = self._task
        if task is None:
            return
        task.cancel()
        task.wait()
        self._token += 1  # what the stopped task still sends is not about the current one
        self._stopped()

    def toggle(self) -> None:
        """Train, or pause if training."""
        self.pause() if self.running else self.train()

    def step(self) -> None:
        """Train one batch, here on the GUI thread."""
        if self._task is not None:
            return
        self._pending = None
        self.run.target_steps = max(self.run.target_steps, self.run.step + 1)
        if self.run.advance(1) == 0:
            self.message.emit("The run diverged: lower the learning rate, or Reset")
        self.run.publish()
        self._show_latest()

    def train_now(self, target_steps: int) -> None:
        """Train to step ``target_steps`` here on the GUI thread (screenshots, scripts)."""
        self.pause()
        self._pending = None
        self.run.train(target_steps)
        self._show_latest()

    def reset(self) -> None:
        """A new run from the seeded start (the same seed gives the same run again)."""
        self.pause()
        self._pending = None
        self.run = self._make_run()
        self._new_run()

    def show_latest(self) -> None:
        """Show the latest published snapshot now (not at the next throttled redraw)."""
        self._show.cancel()
        self._show_latest()

    # -- saving -----------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any] | None:
        """The run as JSON-safe data (None before the first step); changes nothing."""
        if self._pending is not None:
            return self._pending
        task = self._task
        if task is not None:
            return self.run.state_from_worker(task.is_running)
        return self.run.get_state() if self.run.step else None

    def check_state(self, state: Any, model: CNNState) -> TrainingRun | None:
        """A run with ``model``'s settings holding ``state``, or None when ``state`` is of
        other digits than those loaded (it is then kept until they are).

        Raises
        ------
        ValueError
            If ``state`` is not a run of ``model``'s network and settings.
        """
        run = TrainingRun(model.architecture(), model.trainer_options(), self._data.dataset)
        if state is None:
            return run
        try:
            run.set_state(state)
        except ValueError as exc:
            if "other digits" not in str(exc):
                raise
            return None
        return run

    def restore(self, run: TrainingRun | None, state: Any) -> None:
        """Show a run made by :meth:`check_state` (``None``: wait for ``state``'s digits)."""
        self.pause()
        if run is None:
            self.run = self._make_run()
            self._new_run()
            self._pending = state
            self.message.emit("The saved network was trained on other digits: it is "
                              "restored when they are loaded (MNIST lab)")
            return
        self.run = run
        self._new_run()

    # -- internals --------------------------------------------------------------------------
    def _make_run(self) -> TrainingRun:
        return TrainingRun(self._model.architecture(), self._model.trainer_options(),
                           self._data.dataset)

    def _new_run(self) -> None:
        self.run.target_steps = max(self.target_steps(), self.run.step)
        if self.run.latest() is None:
            self.run.publish()
        self.view_net = self.run.network.copy()
        self._revision += 1
        self.snapshot = None
        self.run_changed.emit()
        self._show_latest()

    def _show_latest(self) -> None:
        snap = self.run.latest()
        if snap is None:
            return
        self.view_net.set_params(snap.params)
        self.snapshot = snap
        self.updated.emit(snap)
        self.progress.emit(min(snap.step / max(snap.target_steps, 1), 1.0),
                           progress_text(snap, self.running))

    def _stopped(self) -> None:
        if self._task is None:
            return
        self._task = None
        self._show.cancel()
        self._show_latest()
        self.running_changed.emit(False)

    def _on_progress(self, _fraction: float, _text: str) -> None:
        self._show.request()

    def _on_restarting_setting_changed(self, *_args: Any) -> None:
        self.reset()

    def _on_learning_rate_changed(self, new: float, _old: float) -> None:
        if self._task is not None:
            self.run.request_learning_rate(new)
        elif self.run.step:
            self.run.apply_learning_rate(new)
        else:  # nothing trained yet: the run simply starts with it
            self.run = self._make_run()
            self._new_run()

    def _on_epochs_changed(self, *_args: Any) -> None:
        if self._task is None:
            self.run.target_steps = max(self.target_steps(), self.run.step)
            self.run.publish()
            self._show_latest()

    def _on_data_changed(self, dataset: cc.MnistDataset) -> None:
        pending = self._pending
        self.pause()
        self.run = self._make_run()
        if pending is not None:
            try:
                self.run.set_state(pending)
            except ValueError:
                self.run = self._make_run()
            else:
                self._pending = None
                self._new_run()
                self.message.emit(f"Restored the saved network on {dataset.source}")
                return
        self._pending = pending
        self._new_run()
        self.message.emit(f"New digits ({dataset.source}): the network starts again")
