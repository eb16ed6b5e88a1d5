"""One training run of the lab: the core's trainer, test evaluations, published snapshots.

:class:`TrainingRun` owns a network and its :class:`convlab.core.CNNTrainer`
on the digits given, evaluates the test set four times an epoch (and at step
0), records learning-rate changes, and can save and restore everything as
JSON-safe data (:meth:`TrainingRun.get_state`). It is Qt-free and not
thread-safe by itself: **one thread owns it at a time** — the GUI thread
while nothing trains, the worker thread while it trains (:meth:`train`).
While a worker owns it, the GUI thread only calls :meth:`latest` (a
:class:`Snapshot` the worker published under a lock) and
:meth:`request_learning_rate` (applied by the worker between two batches).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

import convlab.core as cc

from .persist import from_json, to_json

__all__ = ["EVALS_PER_EPOCH", "Snapshot", "TrainingRun"]

#: Test evaluations per epoch (at its quarters, the last at its end; every batch if an epoch
#: has fewer).
EVALS_PER_EPOCH = 4
#: Seconds between two snapshots a training worker publishes.
PUBLISH_INTERVAL = 0.04
_EVAL_KEYS = ("steps", "test_accuracy", "test_loss", "train_accuracy")
STATE_FORMAT = 1


@dataclass(frozen=True)
class Snapshot:
    """What the views show of a run at one moment (copies: safe to read on any thread).

    ``params``: name → array; ``history``: the trainer's per-batch columns
    (:meth:`convlab.core.CNNHistory.arrays`); ``evals``: per test evaluation,
    ``steps``, ``test_accuracy``, ``test_loss`` and ``train_accuracy`` (the
    running accuracy of the epoch so far); ``evaluation``: the latest
    :class:`convlab.core.CNNEvaluation` (confusion matrix, predictions) or None,
    ``eval_serial`` grows when it changes.
    """

    step: int
    epoch_progress: float
    target_steps: int
    batches_per_epoch: int
    params: dict[str, NDArray]
    history: dict[str, NDArray]
    evals: dict[str, NDArray]
    evaluation: cc.CNNEvaluation | None
    eval_serial: int
    batches_per_second: float
    diverged_at: int | None

    @property
    def seconds_left(self) -> float:
        """Estimated seconds to the target (NaN while the speed is unknown)."""
        if self.batches_per_second <= 0:
            return float("nan")
        return max(self.target_steps - self.step, 0) / self.batches_per_second


class TrainingRun:
    """A network trained on ``data`` with the core's trainer (see the module docstring).

    Parameters
    ----------
    spec : dict
        The architecture (:func:`convlab.core.build_network`), built with ``options["seed"]``.
    options : dict
        :class:`convlab.core.CNNTrainer` keyword arguments (``batch_size``, ``optimizer``,
        ``learning_rate``, ``seed``, ``momentum``).
    data : convlab.core.MnistDataset
        Trains on its training digits and evaluates on its test digits.
    """

    def __init__(self, spec: dict[str, Any], options: dict[str, Any],
                 data: cc.MnistDataset) -> None:
        self.spec = spec
        self.options = dict(options)
        self._initial_lr = float(options["learning_rate"])
        self.network = cc.build_network(spec, seed=options["seed"])
        self.trainer = cc.CNNTrainer(self.network, (data.train_images, data.train_labels),
                                     **options)
        self.test = (data.test_images, data.test_labels)
        self.data_info = {"source": data.source, "n_train": len(data.train_labels),
                          "n_test": len(data.test_labels)}
        bpe = self.trainer.batches_per_epoch
        self.evals: dict[str, list[float]] = {k: [] for k in _EVAL_KEYS}
        self.evaluation: cc.CNNEvaluation | None = None
        self.eval_serial = 0
        self.lr_changes: list[list[float]] = []
        self.target_steps = bpe
        self.batches_per_second = 0.0
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._pending_lr: float | None = None
        self._state_wanted = threading.Event()
        self._state_ready = threading.Event()
        self._served_state: dict[str, Any] | None = None

    # -- facts ------------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.trainer.step_count

    def steps_for(self, epochs: int) -> int:
        """The step count at the end of epoch ``epochs``."""
        return epochs * self.trainer.batches_per_epoch

    # -- stepping (owner thread) ------------------------------------------------------------
    def evaluate(self) -> cc.CNNEvaluation:
        """Evaluate the test set now and record it (accuracy, loss, the running train accuracy)."""
        ev = cc.evaluate_network(self.network, *self.test)
        h = self.trainer.history
        for key, value in zip(_EVAL_KEYS, (self.step, ev.accuracy, ev.loss,
                                           h.running_accuracy[-1] if h.running_accuracy
                                           else float("nan")), strict=True):
            self.evals[key].append(value)
        self.evaluation = ev
        self.eval_serial += 1
        return ev

    def refresh_evaluation(self) -> None:
        """Recompute the latest evaluation's details (after a restore) without recording it."""
        self.evaluation = cc.evaluate_network(self.network, *self.test)
        self.eval_serial += 1

    def advance(self, n: int, cancel: Callable[[], bool] | None = None) -> int:
        """Train ``n`` batches (fewer if the run diverges); evaluate at the evaluation points.

        Checks ``cancel()`` before each batch and raises :class:`convlab.core.Cancelled`.
        """
        done = 0
        trainer = self.trainer
        for _ in range(n):
            if cancel is not None and cancel():
                raise cc.Cancelled("paused")
            self._apply_pending_learning_rate()
            self._serve_state_request()
            if not self.evals["steps"]:
                self.evaluate()  # where it starts: chance level, or the detectors' start
            if trainer.step(1) == 0:
                break
            done += 1
            bpe = trainer.batches_per_epoch
            k = (trainer.step_count - 1) % bpe + 1  # batches into this epoch
            if k * EVALS_PER_EPOCH // bpe != (k - 1) * EVALS_PER_EPOCH // bpe:
                self.evaluate()
        return done

    def train(self, target_steps: int, progress: Callable[[float, str], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> Snapshot:
        """Train to step ``target_steps`` (the worker's function), publishing snapshots.

        Raises :class:`convlab.core.Cancelled` at a batch boundary when ``cancel()`` is
        true (a snapshot of that point is published first).
        """
        self.target_steps = target_steps
        start, start_step = time.perf_counter(), self.step
        last = start
        try:
            while self.step < target_steps and self.trainer.diverged_at is None:
                serial = self.eval_serial
                self.advance(1, cancel)
                now = time.perf_counter()
                if now - last >= PUBLISH_INTERVAL or self.eval_serial != serial:
                    if now > start:
                        self.batches_per_second = (self.step - start_step) / (now - start)
                    self.publish()
                    last = now
                    if progress is not None:
                        progress(self.step / max(target_steps, 1), "")
        finally:
            self.publish()
        return self.latest()  # type: ignore[return-value]

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """A copy of what the views show (owner thread)."""
        t = self.trainer
        return Snapshot(
            step=t.step_count, epoch_progress=t.epoch_progress if t.step_count else 0.0,
            target_steps=self.target_steps, batches_per_epoch=t.batches_per_epoch,
            params=self.network.get_params(), history=t.history.arrays(),
            evals={k: np.asarray(v, dtype=float) for k, v in self.evals.items()},
            evaluation=self.evaluation, eval_serial=self.eval_serial,
            batches_per_second=self.batches_per_second, diverged_at=t.diverged_at)

    def publish(self) -> None:
        """Make a snapshot the latest one (owner thread)."""
        snap = self.snapshot()
        with self._lock:
            self._latest = snap

    def latest(self) -> Snapshot | None:
        """The last published snapshot (any thread)."""
        with self._lock:
            return self._latest

    # -- settings -----------------------------------------------------------------------------
    def request_learning_rate(self, learning_rate: float) -> None:
        """Use ``learning_rate`` from the next batch (any thread)."""
        with self._lock:
            self._pending_lr = float(learning_rate)

    def _apply_pending_learning_rate(self) -> None:
        with self._lock:
            lr, self._pending_lr = self._pending_lr, None
        if lr is not None and lr != self.trainer.learning_rate:
            self.trainer.set_learning_rate(lr)
            if self.lr_changes and self.lr_changes[-1][0] == self.step:
                self.lr_changes[-1][1] = lr
            else:
                self.lr_changes.append([self.step, lr])

    def apply_learning_rate(self, learning_rate: float) -> None:
        """Use ``learning_rate`` from the next batch (owner thread, nothing training)."""
        self.request_learning_rate(learning_rate)
        self._apply_pending_learning_rate()

    # -- saving -----------------------------------------------------------------------------
    def _serve_state_request(self) -> None:
        if self._state_wanted.is_set():
            self._state_wanted.clear()
            self._served_state = self.get_state()
            self._state_ready.set()

    def state_from_worker(self, still_running: Callable[[], bool]) -> dict[str, Any]:
        """:meth:`get_state` made by the training worker at its next batch boundary (GUI
        thread, while a worker owns the run); made here if the worker has stopped."""
        self._state_ready.clear()
        self._state_wanted.set()
        while not self._state_ready.wait(0.01):
            if not still_running():
                self._state_wanted.clear()
                return self.get_state()
        state, self._served_state = self._served_state, None
        return state  # type: ignore[return-value]

    def get_state(self) -> dict[str, Any]:
        """Everything needed to show and continue this run, as JSON-safe data (owner thread)."""
        return to_json({
            "format": STATE_FORMAT,
            "architecture": self.spec,
            "options": {k: v for k, v in self.options.items() if k != "learning_rate"},
            "initial_learning_rate": self._initial_lr,
            "data": self.data_info,
            "trainer": self.trainer.get_state(),
            "evals": {k: np.asarray(v, dtype=np.float64) for k, v in self.evals.items()},
            "lr_changes": self.lr_changes,
        })

    def set_state(self, state: Any) -> None:
        """Continue from :meth:`get_state` output (owner thread).

        Raises
        ------
        ValueError
            If the state is of another network, other settings or other data (the run
            is unchanged then).
        """
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError("the training run is not in a format this version reads")
        data = from_json(state)
        if data.get("architecture") != self.spec:
            raise ValueError("the saved weights belong to another network")
        mine = {k: v for k, v in self.options.items() if k != "learning_rate"}
        if data.get("options") != mine:
            raise ValueError("the saved run used other training settings")
        info = data.get("data")
        if not isinstance(info, dict) or info.get("n_train") != self.data_info["n_train"]:
            raise ValueError(f"the saved run trained on other digits "
                             f"({info.get('source') if isinstance(info, dict) else '?'})")
        evals = data.get("evals")
        if (not isinstance(evals, dict) or set(evals) != set(_EVAL_KEYS)
                or not all(isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind == "f"
                           for v in evals.values())
                or len({len(v) for v in evals.values()}) != 1):
            raise ValueError("the saved test evaluations are not four columns of one length")
        changes = data.get("lr_changes")
        if not isinstance(changes, list) or not all(
                isinstance(c, list) and len(c) == 2 and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in c)
                and c[1] > 0 for c in changes):
            raise ValueError("the saved learning-rate changes are not [step, rate] pairs")
        self.trainer.set_state(data["trainer"])  # checks the rest; raises before changing
        self.evals = {k: evals[k].tolist() for k in _EVAL_KEYS}
        self.lr_changes = [[int(s), float(r)] for s, r in changes]
        lr = data.get("initial_learning_rate")
        self._initial_lr = float(lr) if isinstance(lr, (int, float)) else self._initial_lr
        if self.evals["steps"]:
            self.refresh_evaluation()
        self.publish()
