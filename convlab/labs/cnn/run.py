"""One training run of the lab: the core's trainer, test evaluations, published snapshots.

:class:`TrainingRun` owns a network and its :class:`convlab.core.CNNTrainer`
on the digits given, evaluates the test set four times an epoch (and at step
0), records learning-rate changes, and can save and restore everything as
JSON-safe data (:meth:`TrainingRun.get_state`). At each test evaluation it
also keeps a :class:`ScrubPoint` — the weights and the evaluation at that step —
for the timeline scrubber (bounded: see :func:`scrub_cap`). It is Qt-free and not
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

__all__ = ["EVALS_PER_EPOCH", "MAX_SCRUB_POINTS", "SCRUB_BYTES", "ScrubPoint", "Snapshot",
           "TrainingRun", "scrub_cap", "thin_points"]

#: Test evaluations per epoch (at its quarters, the last at its end; every batch if an epoch
#: has fewer).
EVALS_PER_EPOCH = 4
#: Seconds between two snapshots a training worker publishes.
PUBLISH_INTERVAL = 0.04
_EVAL_KEYS = ("steps", "test_accuracy", "test_loss", "train_accuracy")
#: Still 1 with the scrub points: they are an optional entry ("scrub"), so sessions saved
#: before them open (without a timeline to scrub) and older versions ignore them.
STATE_FORMAT = 1
#: Most scrub points a run keeps (evenly thinned beyond, the first and the latest kept).
MAX_SCRUB_POINTS = 200
#: Fewest scrub points a run keeps, however large its network.
MIN_SCRUB_POINTS = 8
#: Bytes the scrub points of a run may take (weights and predictions; in memory and, as
#: base64, a third more in a saved session): a large network keeps fewer points.
SCRUB_BYTES = 6 * 2**20
_CLASSES = 10


def scrub_cap(point_bytes: int) -> int:
    """How many scrub points a run keeps when one takes ``point_bytes`` bytes.

    >>> scrub_cap(6_000 * 4 + 1_000), scrub_cap(250_000 * 4 + 10_000)
    (200, 8)
    """
    return max(MIN_SCRUB_POINTS, min(MAX_SCRUB_POINTS, SCRUB_BYTES // max(point_bytes, 1)))


def thin_points(indices: list[int], cap: int, stride: int = 1) -> tuple[list[int], int]:
    """Which evaluations keep their scrub point, and the stride after thinning.

    ``indices`` are evaluation numbers (increasing; 0 is the run's first evaluation).
    Kept: those that are multiples of ``stride``, and always the latest; when more than
    ``cap`` remain, the stride doubles (so between ``cap / 2`` and ``cap`` points stay,
    evenly spaced, the first evaluation among them).

    >>> thin_points([0, 1, 2, 3, 4, 5], cap=4)
    ([0, 2, 4, 5], 2)
    >>> thin_points([0, 2, 4, 5, 6, 7, 8, 9], cap=4, stride=2)
    ([0, 4, 8, 9], 4)
    """
    if cap < 2:
        raise ValueError("keep at least two scrub points")

    def keep(s: int) -> list[int]:
        return [i for n, i in enumerate(indices) if i % s == 0 or n == len(indices) - 1]

    kept = keep(stride)
    while len(kept) > cap:
        stride *= 2
        kept = keep(stride)
    return kept, stride


@dataclass(frozen=True)
class ScrubPoint:
    """The run at one test evaluation: its weights and what the evaluation found.

    ``params``: name → array (copies, never changed); ``predictions``: ``(N,)`` uint8,
    the class predicted for each test digit; ``confusion``: ``(10, 10)`` int64,
    ``confusion[true, predicted]``; ``per_class_accuracy``: ``(10,)`` (NaN for a class
    absent from the test set); ``misclassified``: ``(M,)`` test indices predicted wrongly.
    ``index``: which evaluation of the run it is (0 = the first).
    """

    step: int
    index: int
    accuracy: float
    loss: float
    params: dict[str, NDArray]
    predictions: NDArray
    confusion: NDArray
    per_class_accuracy: NDArray
    misclassified: NDArray

    @classmethod
    def from_predictions(cls, step: int, index: int, accuracy: float, loss: float,
                         params: dict[str, NDArray], predictions: NDArray,
                         labels: NDArray) -> ScrubPoint:
        """A point whose confusion matrix and per-class accuracy come from ``predictions``
        ``(N,)`` and the true ``labels`` ``(N,)``."""
        predicted = np.asarray(predictions).astype(np.uint8)
        confusion = cc.confusion_matrix(labels, predicted, _CLASSES)
        counts = confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_class = np.where(counts > 0, np.diag(confusion) / np.maximum(counts, 1), np.nan)
        return cls(int(step), int(index), float(accuracy), float(loss), params, predicted,
                   confusion, per_class,
                   np.flatnonzero(predicted != np.asarray(labels)).astype(np.intp))


@dataclass(frozen=True)
class Snapshot:
    """What the views show of a run at one moment (copies: safe to read on any thread).

    ``params``: name → array; ``history``: the trainer's per-batch columns
    (:meth:`convlab.core.CNNHistory.arrays`); ``evals``: per test evaluation,
    ``steps``, ``test_accuracy``, ``test_loss`` and ``train_accuracy`` (the
    running accuracy of the epoch so far); ``evaluation``: the latest
    :class:`convlab.core.CNNEvaluation` (confusion matrix, predictions) or None,
    ``eval_serial`` grows when it changes; ``points``: the run's scrub points
    (:class:`ScrubPoint`), by step.
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
    points: tuple[ScrubPoint, ...] = ()

    @property
    def point_steps(self) -> NDArray[np.int64]:
        """The steps of the scrub points, ``(M,)`` int64, increasing."""
        return np.array([p.step for p in self.points], dtype=np.int64)

    def point_at(self, step: int) -> ScrubPoint | None:
        """The last scrub point at or before ``step`` (None if there is none)."""
        i = int(np.searchsorted(self.point_steps, step, side="right")) - 1
        return self.points[i] if i >= 0 else None

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
        self.points: list[ScrubPoint] = []
        self._point_stride = 1
        self.point_cap = scrub_cap(self.network.n_params * self.network.dtype.itemsize
                                   + len(self.test[1]))
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
        self._add_point(ScrubPoint(
            self.step, len(self.evals["steps"]) - 1, ev.accuracy, ev.loss,
            self.network.get_params(), ev.predictions.astype(np.uint8), ev.confusion,
            ev.per_class_accuracy, ev.misclassified))
        return ev

    def _add_point(self, point: ScrubPoint) -> None:
        """Keep ``point``, thinning the points to the cap (:func:`thin_points`)."""
        points = [*self.points, point]
        kept, self._point_stride = thin_points([p.index for p in points], self.point_cap,
                                               self._point_stride)
        keep = set(kept)
        self.points = [p for p in points if p.index in keep]

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
            batches_per_second=self.batches_per_second, diverged_at=t.diverged_at,
            points=tuple(self.points))

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
            "scrub": self._scrub_state(),
        })

    def _scrub_state(self) -> dict[str, Any]:
        """The scrub points, stacked: steps ``(M,)``, each parameter ``(M, *shape)``, the
        predictions ``(M, N)`` uint8, and the thinning stride (accuracy and loss are in
        ``evals``; confusion matrices follow from the predictions)."""
        names = list(self.network.params)
        if not self.points:
            return {"stride": self._point_stride, "steps": np.zeros(0, np.int64),
                    "params": {n: np.zeros((0, *v.shape), v.dtype)
                               for n, v in self.network.params.items()},
                    "predictions": np.zeros((0, len(self.test[1])), np.uint8)}
        return {"stride": self._point_stride,
                "steps": np.array([p.step for p in self.points], np.int64),
                "params": {n: np.stack([p.params[n] for p in self.points]) for n in names},
                "predictions": np.stack([p.predictions for p in self.points])}

    def _points_from_state(self, scrub: Any, evals: dict[str, NDArray],
                           last_step: int) -> tuple[list[ScrubPoint], int]:
        """Scrub points from :meth:`_scrub_state` output (checked; nothing changes here)."""
        bad = "the saved timeline (scrub points) is damaged"
        if not isinstance(scrub, dict) or set(scrub) != {"stride", "steps", "params",
                                                          "predictions"}:
            raise ValueError(bad)
        stride, steps, params, predicted = (scrub[k] for k in ("stride", "steps", "params",
                                                               "predictions"))
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"{bad}: the stride is not a whole number ≥ 1")
        if not isinstance(steps, np.ndarray) or steps.dtype.kind != "i" or steps.ndim != 1:
            raise ValueError(f"{bad}: the steps are not whole numbers")
        m = len(steps)
        eval_steps = np.asarray(evals["steps"])
        index = np.searchsorted(eval_steps, steps)
        if (m and (np.any(np.diff(steps) <= 0) or steps[-1] > last_step
                   or np.any(index >= len(eval_steps))
                   or not np.array_equal(eval_steps[np.minimum(index, len(eval_steps) - 1)],
                                         steps))):
            raise ValueError(f"{bad}: its steps are not test evaluations of the run")
        mine = self.network.params
        if not isinstance(params, dict) or set(params) != set(mine):
            raise ValueError(f"{bad}: the weights are not this network's")
        for name, value in params.items():
            if (not isinstance(value, np.ndarray) or value.shape != (m, *mine[name].shape)
                    or value.dtype.kind != "f" or not np.isfinite(value).all()):
                raise ValueError(f"{bad}: {name} is not {m} finite copies of shape "
                                 f"{mine[name].shape}")
        n_test = len(self.test[1])
        if (not isinstance(predicted, np.ndarray) or predicted.shape != (m, n_test)
                or predicted.dtype != np.uint8 or (predicted.size and predicted.max() >= 10)):
            raise ValueError(f"{bad}: the predictions are not {m} × {n_test} classes")
        labels = self.test[1]
        points = [ScrubPoint.from_predictions(
            int(steps[j]), int(index[j]), evals["test_accuracy"][index[j]],
            evals["test_loss"][index[j]],
            {n: params[n][j].astype(mine[n].dtype) for n in mine}, predicted[j], labels)
            for j in range(m)]
        return points, stride

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
        step = data["trainer"].get("step_count") if isinstance(data["trainer"], dict) else None
        if "scrub" in data:  # sessions saved before the timeline have none
            points, stride = self._points_from_state(
                data["scrub"], evals, step if isinstance(step, int) else -1)
        else:
            points, stride = [], 1
        self.trainer.set_state(data["trainer"])  # checks the rest; raises before changing
        self.points, self._point_stride = [], stride
        for point in points:  # a smaller cap (another version) thins them here
            self._add_point(point)
        self.evals = {k: evals[k].tolist() for k in _EVAL_KEYS}
        self.lr_changes = [[int(s), float(r)] for s, r in changes]
        lr = data.get("initial_learning_rate")
        self._initial_lr = float(lr) if isinstance(lr, (int, float)) else self._initial_lr
        if self.evals["steps"]:
            self.refresh_evaluation()
            ev = self.evaluation
            last = len(self.evals["steps"]) - 1
            if (ev is not None and self.evals["steps"][last] == self.step
                    and (not self.points or self.points[-1].index != last)):
                # a session from before the timeline: its last evaluation is the weights now
                self._add_point(ScrubPoint(
                    self.step, last, self.evals["test_accuracy"][last],
                    self.evals["test_loss"][last], self.network.get_params(),
                    ev.predictions.astype(np.uint8), ev.confusion, ev.per_class_accuracy,
                    ev.misclassified))
        self.publish()
