"""Mini-batch training of a network on digits: seeded, resumable, cancellable.

:class:`CNNTrainer` draws shuffled mini-batches (a new permutation each
epoch, from a seeded generator), takes one optimizer step per batch and
records the loss and accuracy. Everything that decides the run lives in the
trainer — weights, optimizer memory, generator, permutation, position — so
``step(10)`` twice is the same run as ``step(20)`` once, to the last bit: a
GUI may train in time-budgeted frames and pause whenever it likes.

Examples
--------
>>> from convlab.core import load_mnist
>>> from convlab.core.cnn import CNN_PRESETS, build_network
>>> trainer = CNNTrainer(build_network(CNN_PRESETS["A-frozen"]), load_mnist(), seed=0)
>>> trainer.step(5), trainer.step_count, len(trainer.history.loss)
(5, 5, 5)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._progress import CancelCallback, ProgressCallback, check_cancel, report
from ..optimizers import OptimizerGroup
from ..validation import check_positive_int
from .evaluation import CNNEvaluation, evaluate_network
from .model import Sequential, _pinned_blas

__all__ = ["CNNHistory", "CNNTrainer"]


@dataclass
class CNNHistory:
    """What a training run recorded.

    Per step (one mini-batch): ``steps``, ``loss`` and ``accuracy`` of that
    batch (before its update), and ``running_loss`` / ``running_accuracy``,
    their averages over the epoch so far (weighted by batch size). Per test
    evaluation: ``test_steps``, ``test_loss``, ``test_accuracy``.
    Use :meth:`arrays` for numpy arrays.
    """

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    running_loss: list[float] = field(default_factory=list)
    running_accuracy: list[float] = field(default_factory=list)
    test_steps: list[int] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    def clear(self) -> None:
        for value in self.__dict__.values():
            value.clear()

    def arrays(self) -> dict[str, NDArray]:
        """Every column as a numpy array."""
        return {k: np.asarray(v) for k, v in self.__dict__.items()}


def _check_like(value: Any, template: Any, where: str) -> None:
    """Raise ValueError unless ``value`` has ``template``'s keys, array shapes and finiteness."""
    if isinstance(template, dict):
        if not isinstance(value, Mapping) or set(value) != set(template):
            raise ValueError(f"{where} must have the entries {', '.join(map(str, template))}")
        for key, sub in template.items():
            _check_like(value[key], sub, f"{where} {key}")
    elif isinstance(template, np.ndarray):
        arr = np.asarray(value)
        if arr.shape != template.shape or arr.dtype.kind not in "iuf" \
                or not np.isfinite(arr).all():
            raise ValueError(f"{where} must be finite numbers of shape {template.shape}")
    elif isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where} must be a number")


def _split(data: Any) -> tuple[tuple[Any, Any], tuple[Any, Any] | None]:
    if hasattr(data, "train_images"):
        return ((data.train_images, data.train_labels), (data.test_images, data.test_labels))
    if isinstance(data, (tuple, list)) and len(data) == 2:
        first, second = data
        if isinstance(first, (tuple, list)) and len(first) == 2:
            return (tuple(first), tuple(second) if second is not None else None)  # type: ignore
        return ((first, second), None)
    raise ValueError("data must be an MnistDataset, ((x_train, y_train), (x_test, y_test)) "
                     "or (x_train, y_train)")


class CNNTrainer:
    """Trains a :class:`~convlab.core.cnn.model.Sequential` on digits, batch by batch.

    Parameters
    ----------
    model : Sequential
        Trained in place; layers marked ``frozen`` are left alone.
    data : MnistDataset, ((x_train, y_train), (x_test, y_test)) or (x_train, y_train)
        Images ``(N, 28, 28)`` (or ``(N, C, H, W)``), uint8 0…255 (divided by 255
        batch by batch) or floats in [0, 1]; labels ``(N,)`` integers.
    batch_size : int
        Digits per step; the last batch of an epoch may be smaller.
    optimizer : {"sgd", "momentum", "nesterov", "adam"}
    learning_rate, weight_decay : float
    seed : int or None
        Seeds the shuffling: the same seed (and start) gives the same run.
    test_every : int, optional
        Also evaluate the test set every ``test_every`` steps (it always is at
        the end of each epoch, when there is a test set).
    test_limit : int, optional
        Evaluate on the first ``test_limit`` test digits only (faster in a GUI).
    **optimizer_options
        ``momentum``, ``beta1``, ``beta2``, ``eps``.

    Notes
    -----
    A step whose loss is NaN or infinite is not applied: the trainer stops
    there (:attr:`diverged_at`), with the last finite weights.
    """

    def __init__(self, model: Sequential, data: Any, *, batch_size: int = 64,
                 optimizer: str = "sgd", learning_rate: float = 0.05,
                 weight_decay: float = 0.0, seed: int | None = 0,
                 test_every: int | None = None, test_limit: int | None = None,
                 **optimizer_options: float):
        self.model = model
        if len(model.output_shape) != 1:
            raise ValueError("the network must end with one score per class (a Dense layer); "
                             f"it gives {'×'.join(map(str, model.output_shape))}")
        self.n_classes = model.output_shape[0]
        (x_train, y_train), test = _split(data)
        self._x_train, self._y_train = self._check_data(x_train, y_train, "training")
        self._test = None if test is None else self._check_data(*test, "test")
        if test_limit is not None and self._test is not None:
            limit = check_positive_int(test_limit, "test_limit")
            self._test = (self._test[0][:limit], self._test[1][:limit])
        self.batch_size = check_positive_int(batch_size, "the batch size")
        self.test_every = None if test_every is None else check_positive_int(test_every,
                                                                               "test_every")
        self.seed = seed
        self.optimizer = OptimizerGroup(optimizer, model.params, learning_rate, weight_decay,
                                        **optimizer_options)
        self.history = CNNHistory()
        self._initial = model.get_params()
        self._ubuf: NDArray | None = None
        self.reset()

    def _check_data(self, images: ArrayLike, labels: ArrayLike, split: str
                    ) -> tuple[NDArray, NDArray]:
        x = np.asarray(images)
        y = np.asarray(labels)
        shape = self.model.input_shape
        if x.ndim == 3 and shape[0] == 1:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1:] != shape or len(x) == 0:
            raise ValueError(f"{split} images must be (N, {', '.join(map(str, shape))}) "
                             f"(or (N, H, W) for one channel), got {np.shape(images)}")
        if y.shape != (len(x),) or y.dtype.kind not in "iu":
            raise ValueError(f"{split} labels must be {len(x)} whole numbers, got shape "
                             f"{y.shape} of {y.dtype}")
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(f"{split} labels must lie in 0…{self.n_classes - 1}: the network "
                             f"has {self.n_classes} outputs")
        if x.dtype == np.uint8:
            return np.ascontiguousarray(x), y.astype(np.intp)
        if x.dtype.kind not in "f":
            raise ValueError(f"{split} images must be uint8 0…255 or floats in [0, 1], got "
                             f"{x.dtype}")
        x = np.ascontiguousarray(x, dtype=self.model.dtype)
        if not np.isfinite(x).all():
            raise ValueError(f"{split} images contain NaN or infinity")
        return x, y.astype(np.intp)

    # -- state ------------------------------------------------------------------------------
    @property
    def n_train(self) -> int:
        """Number of training digits."""
        return len(self._y_train)

    @property
    def batches_per_epoch(self) -> int:
        """Steps in one epoch (the last batch may be smaller)."""
        return -(-self.n_train // self.batch_size)

    @property
    def epoch(self) -> int:
        """Completed epochs."""
        return self._epoch

    @property
    def epoch_progress(self) -> float:
        """Epochs done so far as a fraction (``1.5``: one and a half)."""
        return self._epoch + self._position / self.n_train

    @property
    def diverged_at(self) -> int | None:
        """The step whose loss was NaN/inf (not applied), or None."""
        return self._diverged_at

    @property
    def learning_rate(self) -> float:
        return self.optimizer.learning_rate

    def set_learning_rate(self, learning_rate: float) -> None:
        """A new learning rate from the next step (the optimizer keeps its memory)."""
        self.optimizer.set_learning_rate(learning_rate)
        self._diverged_at = None

    def get_state(self) -> dict[str, Any]:
        """Everything that decides the rest of the run, as copies: for :meth:`set_state`.

        Returns
        -------
        dict
            ``params`` (name → array), ``optimizer`` (its memory), ``rng`` (the
            shuffling generator's state, JSON-safe), ``order`` ((n_train,) int64,
            this epoch's permutation), ``position``, ``epoch``, ``epoch_sums``
            (``[loss sum, correct, seen]`` of this epoch), ``step_count``,
            ``diverged_at``, ``learning_rate``, ``n_train``, ``batch_size``, and
            ``history`` (:meth:`CNNHistory.arrays`). A trainer given it by
            :meth:`set_state` goes on exactly as this one would.
        """
        return {
            "params": self.model.get_params(),
            "optimizer": self.optimizer.get_state(),
            "rng": copy.deepcopy(self._rng.bit_generator.state),
            "order": self._order.astype(np.int64),
            "position": int(self._position),
            "epoch": int(self._epoch),
            "epoch_sums": [float(self._epoch_sums[0]), float(self._epoch_sums[1]),
                           int(self._epoch_sums[2])],
            "step_count": int(self.step_count),
            "diverged_at": self._diverged_at,
            "learning_rate": float(self.learning_rate),
            "n_train": self.n_train,
            "batch_size": self.batch_size,
            "history": self.history.arrays(),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Continue from a :meth:`get_state` of a trainer with the same network, data size,
        batch size and optimizer.

        Raises
        ------
        ValueError
            Naming what does not fit (the trainer is unchanged then).
        """
        try:
            n = int(state["n_train"])
            if n != self.n_train:
                raise ValueError(f"the state is of a run on {n:,} training digits; this "
                                 f"trainer has {self.n_train:,}")
            if int(state["batch_size"]) != self.batch_size:
                raise ValueError(f"the state is of a run with batches of {state['batch_size']}; "
                                 f"this trainer's are {self.batch_size}")
            order = np.asarray(state["order"])
            if (order.shape != (n,) or order.dtype.kind not in "iu"
                    or not np.array_equal(np.sort(order), np.arange(n))):
                raise ValueError("the shuffling order must be a permutation of the digits")
            position, epoch, steps = (int(state[k]) for k in ("position", "epoch", "step_count"))
            if not (0 <= position <= n and epoch >= -1 and steps >= 0):
                raise ValueError("position, epoch or step count out of range")
            sums = [float(v) for v in state["epoch_sums"]]
            if len(sums) != 3 or not all(np.isfinite(sums)):
                raise ValueError("epoch_sums must be three finite numbers")
            rng = np.random.default_rng()
            rng.bit_generator.state = copy.deepcopy(dict(state["rng"]))
            diverged = state["diverged_at"]
            diverged = None if diverged is None else int(diverged)
            lr = float(state["learning_rate"])
            history = {k: list(np.asarray(v).tolist()) for k, v in state["history"].items()}
            if set(history) != set(CNNHistory().__dict__):
                raise ValueError("the history's columns are not a CNNHistory's")
            _check_like(state["optimizer"], self.optimizer.get_state(), "optimizer")
            saved_params = self.model.get_params()
            saved_opt = self.optimizer.get_state()
            try:
                self.model.set_params(state["params"])
                self.optimizer.set_state(state["optimizer"])
            except (KeyError, TypeError, ValueError):
                self.model.set_params(saved_params)
                self.optimizer.set_state(saved_opt)
                raise
        except KeyError as exc:
            raise ValueError(f"the trainer state lacks {exc}") from None
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"not a trainer state: {exc}") from None
        self._rng = rng
        self._order = order.astype(np.intp)
        self._position, self._epoch, self.step_count = position, epoch, steps
        self._epoch_sums = [sums[0], sums[1], int(sums[2])]
        self._diverged_at = diverged
        self.optimizer.set_learning_rate(lr)
        self.history.clear()
        for key, values in history.items():
            getattr(self.history, key).extend(values)

    def reset(self) -> None:
        """Back to the starting weights, step 0, fresh optimizer memory and shuffling."""
        self.model.set_params(self._initial)
        self.optimizer.reset()
        self._rng = np.random.default_rng(self.seed)
        self._order = np.arange(self.n_train)
        self._position = self.n_train  # the first step draws a permutation
        self._epoch = -1
        self._epoch_sums = [0.0, 0.0, 0]
        self.step_count = 0
        self._diverged_at: int | None = None
        self.history.clear()

    # -- stepping ---------------------------------------------------------------------------
    def _batch(self, idx: NDArray) -> NDArray:
        x = self._x_train
        if x.dtype != np.uint8:
            return x[idx]
        shape = (len(idx), *x.shape[1:])
        if self._ubuf is None or self._ubuf.shape != shape:
            self._ubuf = np.empty(shape, np.uint8)
            self._fbuf = np.empty(shape, self.model.dtype)
        np.take(x, idx, axis=0, out=self._ubuf)
        np.divide(self._ubuf, self._fbuf.dtype.type(255), out=self._fbuf)
        return self._fbuf

    def _one_step(self) -> bool:
        """One mini-batch update; False (and nothing changed) if the loss is not finite."""
        if self._position >= self.n_train:
            self._order = self._rng.permutation(self.n_train)
            self._position = 0
            self._epoch += 1
            self._epoch_sums = [0.0, 0.0, 0]
        idx = self._order[self._position : self._position + self.batch_size]
        model = self.model
        y = self._y_train[idx]
        logits, _ = model._run(self._batch(idx), train=True)
        n = len(idx)
        # softmax cross-entropy, inline (softmax_cross_entropy checks its inputs: not needed here)
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1)
        rows = np.arange(n)
        loss = float(np.mean(np.log(total.astype(np.float64)) - shifted[rows, y]))
        if not np.isfinite(loss):
            self._diverged_at = self.step_count + 1
            return False
        correct = int(np.count_nonzero(shifted.argmax(axis=1) == y))
        e /= total[:, None]
        e[rows, y] -= 1
        e *= e.dtype.type(1.0 / n)
        model._backward(e, model._trained_from)
        names = [name for i, layer in enumerate(model.layers) if layer.params
                 and not layer.frozen for name in (f"{i}.weight", f"{i}.bias")]
        self.optimizer.update(model.params, model.grads, names)
        self._position += n
        self.step_count += 1
        sums = self._epoch_sums
        sums[0] += loss * n
        sums[1] += correct
        sums[2] += n
        h = self.history
        h.steps.append(self.step_count)
        h.loss.append(loss)
        h.accuracy.append(correct / n)
        h.running_loss.append(sums[0] / sums[2])
        h.running_accuracy.append(sums[1] / sums[2])
        if self._test is not None and (
            self._position >= self.n_train
            or (self.test_every and self.step_count % self.test_every == 0)
        ):
            result = evaluate_network(model, *self._test)
            h.test_steps.append(self.step_count)
            h.test_loss.append(result.loss)
            h.test_accuracy.append(result.accuracy)
        return True

    def step(self, n_batches: int = 1) -> int:
        """Train on the next ``n_batches`` mini-batches; returns how many were made.

        Fewer are made only if the run diverged (see :attr:`diverged_at`).
        """
        n_batches = check_positive_int(n_batches, "the number of batches", minimum=0)
        done = 0
        with _pinned_blas(), np.errstate(over="ignore", invalid="ignore"):
            while done < n_batches and self._diverged_at is None:
                if not self._one_step():
                    break
                done += 1
        return done

    def run_epoch(self, progress: ProgressCallback | None = None,
                  cancel: CancelCallback | None = None) -> dict[str, float]:
        """Train to the end of the current epoch (a whole epoch when at its start).

        Reports ``progress(fraction of the epoch, message)`` about a hundred
        times and checks ``cancel()`` every few batches; on cancel it raises
        :class:`~convlab.core.Cancelled` at a batch boundary, leaving a
        consistent trainer that can go on from there.

        Returns
        -------
        dict
            ``train_loss``, ``train_accuracy`` (running averages over the epoch)
            and ``test_loss``, ``test_accuracy`` (if there is a test set).
        """
        if self._position >= self.n_train:
            remaining = self.batches_per_epoch
        else:
            remaining = -(-(self.n_train - self._position) // self.batch_size)
        total = self.batches_per_epoch
        chunk = max(1, total // 100)
        epoch = self._epoch + 1 if self._position >= self.n_train else self._epoch
        while remaining > 0 and self._diverged_at is None:
            check_cancel(cancel)
            done = self.step(min(chunk, remaining))
            remaining -= done
            if done:
                report(progress, 1 - remaining / total,
                       f"epoch {epoch + 1}: batch {total - remaining}/{total}, "
                       f"loss {self.history.running_loss[-1]:.3f}")
        return self.metrics()

    def metrics(self) -> dict[str, float]:
        """The latest running training figures and test evaluation (NaN when none yet)."""
        h = self.history
        return {
            "train_loss": h.running_loss[-1] if h.running_loss else float("nan"),
            "train_accuracy": h.running_accuracy[-1] if h.running_accuracy else float("nan"),
            "test_loss": h.test_loss[-1] if h.test_loss else float("nan"),
            "test_accuracy": h.test_accuracy[-1] if h.test_accuracy else float("nan"),
        }

    def evaluate(self, split: str = "test") -> CNNEvaluation:
        """Accuracy, confusion matrix, … of the current model on ``"test"`` or ``"train"``."""
        if split == "train":
            return evaluate_network(self.model, self._x_train, self._y_train)
        if split != "test":
            raise ValueError(f"split must be 'test' or 'train', got {split!r}")
        if self._test is None:
            raise ValueError("this trainer has no test set")
        return evaluate_network(self.model, *self._test)
