"""The record of a training run, kept to a bounded size however long the run goes."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .validation import check_positive_int

__all__ = ["History"]


class History:
    """Training history with a size cap: points thinned evenly as the run grows.

    Each point is ``(step, params, train_loss, test_loss, train_accuracy,
    test_accuracy)``. Points are kept every :attr:`stride` steps (1 at first),
    plus always the latest one. When the cap is reached the stride doubles and
    every point off the new grid is dropped, so an overnight run keeps between
    ``cap/2`` and ``cap`` evenly spaced points (step 0 always among them) and
    memory stays bounded.

    Attributes (read-only views, valid until the next change)
    ----------------------------------------------------------
    steps : ndarray, shape (M,), int64
    params : ndarray, shape (M, P)
    train_loss, test_loss, train_accuracy, test_accuracy : ndarray, shape (M,)
    stride : int
        Current spacing of the kept steps.
    COLUMNS : tuple of str
        The names of the values kept per point, in the order of ``values`` in :meth:`append`.
    """

    COLUMNS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")

    def __init__(self, n_params: int, cap: int = 20_000):
        self.cap = check_positive_int(cap, "the history cap", minimum=8)
        self._steps = np.zeros(self.cap, dtype=np.int64)
        self._params = np.zeros((self.cap, n_params))
        self._values = np.zeros((len(self.COLUMNS), self.cap))
        self._size = 0
        self.stride = 1

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        """Remove every point (and go back to keeping every step)."""
        self._size = 0
        self.stride = 1

    def append(self, steps: NDArray, params: NDArray, values: NDArray) -> None:
        """Add points: increasing ``steps`` (M,), ``params`` (M, P), ``values`` (4, M)."""
        if len(steps) == 0:
            return
        if self._size and self._steps[self._size - 1] % self.stride:
            self._size -= 1  # the previous latest point was off the grid: replace it
        start = 0
        while True:
            rows = start + np.flatnonzero(steps[start:] % self.stride == 0)
            if rows.size == 0 or rows[-1] != len(steps) - 1:
                rows = np.append(rows, len(steps) - 1)  # the latest point, always
            free = self.cap - self._size
            if rows.size <= free:
                self._write(steps, params, values, rows)
                return
            if free:
                self._write(steps, params, values, rows[:free])
                start = int(rows[free - 1]) + 1
            self._thin()

    def _write(self, steps: NDArray, params: NDArray, values: NDArray, rows: NDArray) -> None:
        size, n = self._size, rows.size
        self._steps[size : size + n] = steps[rows]
        self._params[size : size + n] = params[rows]
        self._values[:, size : size + n] = values[:, rows]
        self._size += n

    def _thin(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self._steps[: self._size] % self.stride == 0)
        n = keep.size
        self._steps[:n] = self._steps[keep]
        self._params[:n] = self._params[keep]
        self._values[:, :n] = self._values[:, keep]
        self._size = n

    @property
    def steps(self) -> NDArray[np.int64]:
        return self._steps[: self._size]

    @property
    def params(self) -> NDArray[np.float64]:
        return self._params[: self._size]

    def __getattr__(self, name: str) -> NDArray[np.float64]:
        if name in History.COLUMNS:
            return self._values[History.COLUMNS.index(name), : self._size]
        raise AttributeError(name)
